"""Probing uploaded media with PyAV (the bundled ffmpeg has no ffprobe).

The renderer plans from these facts alone — whether the video stream can be copied, how big the
picture is once rotated, whether there is audio to mix under — so a file that cannot be decoded
is refused here, on upload, with a sentence the user can act on, not later as an ffmpeg error.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# Demuxers that mean "a single picture": the renderer loops these for the segment's duration.
_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe"}
_IMAGE_CODECS = {"png", "mjpeg", "webp", "bmp", "tiff", "gif"}
# Low rate mono is plenty for a 120-bar waveform and keeps a 60 s clip well under half a second.
_PEAK_RATE = 8000
_PEAK_BLOCK = 200  # samples per stored block maximum (25 ms at 8 kHz); memory stays small for long files


MAX_DURATION_MS = 3 * 3600 * 1000  # the longest media and the longest timeline (validate.py)


class MediaError(Exception):
    """A file the engine cannot use; the message is a sentence meant for the user."""


@dataclass
class MediaInfo:
    path: Path
    kind: str  # "video" | "image" | "audio"
    duration_ms: int
    width: int  # as displayed, i.e. after the rotation the file asks for
    height: int
    fps: float
    has_audio: bool
    has_video: bool
    video_codec: str
    audio_codec: str


def _declared_ms(container: av.container.InputContainer) -> int:
    """What the container says: its duration, or the streams' own."""
    if container.duration:
        return int(container.duration // 1000)  # AV_TIME_BASE is microseconds
    best = 0.0
    for stream in container.streams:
        if stream.duration and stream.time_base:
            best = max(best, float(stream.duration * stream.time_base))
    return int(best * 1000)


def _duration_ms(container: av.container.InputContainer) -> int:
    """How long the media really lasts: where its last packet ends. A header can claim anything
    (a 5 s clip patched to say 1000 hours), so the claim only tells where to look: seek to it
    (landing on the last keyframe at or before it) and read the packets from there to the end.
    Files that declare nothing (some WebM from browsers) are read from the start."""
    declared = _declared_ms(container)
    stream = (container.streams.video or container.streams.audio)[0]
    start_us = container.start_time or 0
    if declared > 0 and stream.time_base:
        try:
            target = int((declared / 1000 + start_us / 1e6) / stream.time_base)
            container.seek(target, backward=True, any_frame=False, stream=stream)
        except (av.FFmpegError, OverflowError, ValueError):
            container.seek(0)
    end = 0.0
    for packet in container.demux(stream):
        if packet.pts is None or packet.time_base is None:
            continue
        end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    real = int(end * 1000 - start_us / 1000)
    if real <= 0:
        return declared
    return real

def _fps(stream: av.video.stream.VideoStream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < float(rate) <= 240:
            return round(float(Fraction(rate)), 3)
    return 0.0


def _first_frame(container: av.container.InputContainer, stream: av.stream.Stream) -> av.frame.Frame | None:
    for frame in container.decode(stream):
        return frame
    return None


def probe(path: Path) -> MediaInfo:
    """What the renderer needs to know about one upload. Decodes the first frame of each stream so
    a truncated or mislabelled file fails now, while the user is still looking."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise MediaError(f"{name} was not found.")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"{name} is not a video, image or audio file that can be read ({_reason(exc)}).") from exc
    try:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise MediaError(f"{name} has neither a picture nor sound in it.")
        format_name = container.format.name.split(",")[0]
        width = height = 0
        fps = 0.0
        video_codec = audio_codec = ""
        kind = "audio"
        if video is not None:
            video_codec = video.codec_context.name
            try:
                frame = _first_frame(container, video)
            except av.FFmpegError as exc:
                raise MediaError(f"{name} is damaged: its picture cannot be decoded ({_reason(exc)}).") from exc
            if frame is None:
                raise MediaError(f"{name} is damaged: it has a video stream without any frames.")
            width, height = frame.width, frame.height
            if abs(getattr(frame, "rotation", 0) or 0) % 180 == 90:
                width, height = height, width  # phone clips: ffmpeg autorotates when re-encoding
            still = format_name in _IMAGE_FORMATS or (
                video_codec in _IMAGE_CODECS and (video.frames or 0) <= 1 and not _has_more_frames(path)
            )
            kind = "image" if still else "video"
            fps = 0.0 if still else _fps(video)
        if audio is not None:
            audio_codec = audio.codec_context.name
            container.seek(0)
            try:
                if _first_frame(container, audio) is None and video is None:
                    raise MediaError(f"{name} is damaged: its audio stream holds no sound.")
            except av.FFmpegError as exc:
                if video is None:
                    raise MediaError(f"{name} is damaged: its sound cannot be decoded ({_reason(exc)}).") from exc
                audio = None  # a picture with unusable sound is still a usable clip
                audio_codec = ""
        container.seek(0)
        duration = 0 if kind == "image" else _duration_ms(container)
        if kind != "image" and duration <= 0:
            raise MediaError(f"{name} is empty: it lasts no time at all.")
        if duration > MAX_DURATION_MS:
            raise MediaError(f"{name} lasts {duration / 3_600_000:.1f} hours; the engine works with clips and "
                             f"songs of up to {MAX_DURATION_MS // 3_600_000} hours. Trim it first.")
    except av.FFmpegError as exc:
        raise MediaError(f"{name} could not be read to the end ({_reason(exc)}).") from exc
    finally:
        container.close()
    return MediaInfo(
        path=path,
        kind=kind,
        duration_ms=duration,
        width=width,
        height=height,
        fps=fps,
        has_audio=audio is not None,
        has_video=video is not None,
        video_codec=video_codec,
        audio_codec=audio_codec,
    )


def _has_more_frames(path: Path) -> bool:
    """Whether a GIF (or similar) animates: a moving GIF is a clip, a still one an image."""
    try:
        with av.open(str(path)) as container:
            for count, _ in enumerate(container.decode(video=0), 1):
                if count > 1:
                    return True
    except av.FFmpegError:
        return False
    return False


def _reason(exc: BaseException) -> str:
    """ffmpeg's own words without the file path it likes to repeat."""
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(":")[0].strip().rstrip(".") or type(exc).__name__


def audio_peaks(path: Path, n: int = 120) -> list[int] | None:
    """Up to `n` peak levels (0-100 of full scale) across the file's sound, for the track view's
    waveform; None when the file has no audio. Decodes as mono at a low rate to stay fast."""
    if n <= 0:
        return []
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"{Path(path).name} cannot be read for its waveform ({_reason(exc)}).") from exc
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=_PEAK_RATE)
        blocks: list[np.ndarray] = []
        carry = np.zeros(0, dtype=np.float32)

        def take(frames: list[av.AudioFrame]) -> None:
            nonlocal carry
            for out in frames:
                samples = np.abs(out.to_ndarray().reshape(-1))
                samples = np.concatenate([carry, samples]) if carry.size else samples
                whole = samples.size // _PEAK_BLOCK * _PEAK_BLOCK
                if whole:
                    blocks.append(samples[:whole].reshape(-1, _PEAK_BLOCK).max(axis=1))
                carry = samples[whole:]

        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    take(resampler.resample(frame))
            take(resampler.resample(None))
        except av.FFmpegError:
            pass  # a damaged tail: show what was decoded rather than nothing
    if carry.size:
        blocks.append(np.array([carry.max()], dtype=np.float32))
    if not blocks:
        return [0] * n
    levels = np.concatenate(blocks)
    if levels.size < n:  # very short sound: stretch so the bar count stays as asked
        levels = np.repeat(levels, int(np.ceil(n / levels.size)))
    edges = np.linspace(0, levels.size, n + 1).astype(int)
    peaks = np.maximum.reduceat(levels, edges[:-1])
    return [round(min(1.0, float(p)) * 100) for p in peaks]
