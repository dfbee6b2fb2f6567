"""Checking a finished render before it is called completed: a file that cannot be played, that
lacks a stream, that is shorter or longer than the plan, or that does not decode, is never handed
to the user.

The decode check costs what the render cost at most: a re-encoded picture is decoded in full (the
encoder just spent far longer writing it) by an ffmpeg run with a thread per core (3.4 s for a
60 s 1080x1920 output against 5.2 s in PyAV's one thread, whose frame threads once hung for good
on a damaged file: a process can be ended when it overruns), a copied one only its first pictures
and its last group of pictures (the copy took seconds; decoding even one 10 s group of 1080p
pictures cost as much as the whole bare ffmpeg mux), while every packet is still read, so a broken
index or a truncated tail shows. Sound is always decoded in full (AAC is cheap).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import av.logging

# Pictures decoded at the start of a copied stream: enough for the decoder to take the parameter
# sets and the first keyframe, and for any decoder delay (B-frames) to flush one out.
HEAD_PACKETS = 8
# A frame or two of picture plus one AAC frame of sound (21 ms at 48 kHz) and container rounding.
FRAME_SLACK = 2
MIN_SLACK_MS = 60


class OutputInvalid(Exception):
    """The render's output is not what the plan promised; the message is for people."""


@dataclass
class Expected:
    duration_ms: int
    video: bool = True
    audio: bool = False
    full_decode: bool = True  # False when the video stream was copied from the source
    fps: float = 30.0
    # A clip's picture copied whole (render.run.whole_copy): its packet count. The output must
    # have every one, and its last group of pictures is not decoded here: those are the source's
    # own bytes, whose tail the caller decodes with `check_tail` while the render runs.
    copied_frames: int | None = None

    @property
    def slack_ms(self) -> float:
        return max(MIN_SLACK_MS, FRAME_SLACK * 1000 / max(1.0, self.fps) + 25)


def verify_output(path: Path, expected: Expected) -> int:
    """Raise OutputInvalid unless `path` is a playable MP4 matching `expected`; return its real
    duration in ms (how far its streams reach)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise OutputInvalid("the render left no file") from None
    if size == 0:
        raise OutputInvalid("the render left an empty file")
    if av.logging.get_level() is None:
        av.logging.set_level(av.logging.ERROR)  # decode errors reach the capture below (and the log)
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise OutputInvalid(f"the file cannot be opened ({_short(exc)})") from None
    with container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if expected.video and video is None:
            raise OutputInvalid("the file has no picture")
        if expected.audio and audio is None:
            raise OutputInvalid("the file has no sound")
        declared = (container.duration or 0) / 1000  # microseconds -> ms
        if abs(declared - expected.duration_ms) > expected.slack_ms:
            raise OutputInvalid(
                f"it lasts {declared / 1000:.2f} s instead of {expected.duration_ms / 1000:.2f} s")
        with av.logging.Capture() as logs:
            try:
                # every packet read and the first pictures decoded here; all of them, when called
                # for, by ffmpeg below
                ends, frames = _decode(container, video, audio,
                                       tail=expected.copied_frames is None and not expected.full_decode)
            except av.FFmpegError as exc:
                raise OutputInvalid(f"it does not decode ({_short(exc)})") from None
        _refuse_logged_errors(logs, "it")
        if expected.full_decode and video is not None:
            _decode_picture_fully(path, expected.duration_ms)
        if expected.copied_frames is not None and frames != expected.copied_frames:
            raise OutputInvalid(f"its picture has {frames} of the clip's {expected.copied_frames} frames")
        for kind, end_ms in ends.items():
            if end_ms < expected.duration_ms - expected.slack_ms - 50:
                raise OutputInvalid(f"its {kind} stops at {end_ms / 1000:.2f} s of "
                                    f"{expected.duration_ms / 1000:.2f} s")
        return round(max(ends.values(), default=declared))


def _decode_picture_fully(path: Path, duration_ms: int) -> None:
    """Every picture decoded by ffmpeg, a thread per usable core; anything it says is an error."""
    import subprocess

    import imageio_ffmpeg

    from .procs import death_signal_setter
    from .render.encoder import encoder_threads

    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
            "-threads", str(encoder_threads()), "-i", str(path), "-map", "0:v:0", "-f", "null", "-"]
    try:
        run = subprocess.run(argv, capture_output=True, text=True, errors="replace", start_new_session=True,
                             preexec_fn=death_signal_setter(), timeout=max(60.0, duration_ms / 1000 * 4))
    except subprocess.TimeoutExpired:
        raise OutputInvalid("its picture could not be decoded in time") from None
    said = [line.strip() for line in run.stderr.splitlines() if line.strip()]
    if run.returncode != 0 or said:
        first = said[0] if said else f"ffmpeg exit code {run.returncode}"
        raise OutputInvalid(f"its picture does not decode cleanly ({len(said)} errors, first: {first})")


_TAILS_CHECKED: set[tuple[str, int, int]] = set()  # source.file_key of the clips whose tail decoded


def check_tail(path: Path) -> None:
    """Raise OutputInvalid unless the last group of pictures of `path`'s video decodes cleanly.
    An unchanged file that passed once passes again without decoding (uploads are checked in the
    background, so their exports need not wait for it)."""
    from .render.source import file_key

    try:
        key = file_key(path)
    except OSError as exc:
        raise OutputInvalid(f"its picture cannot be read ({_short(exc)})") from None
    if key not in _TAILS_CHECKED:
        _decode_tail(Path(path))
        _TAILS_CHECKED.add(key)


def _decode_tail(path: Path) -> None:
    if av.logging.get_level() is None:
        av.logging.set_level(av.logging.ERROR)
    try:
        with av.open(str(path)) as container, av.logging.Capture() as logs:
            video = container.streams.video[0]
            keyframes = [p.pts for p in container.demux(video) if p.is_keyframe and p.pts is not None]
            if keyframes:
                _decode_from(container, video, keyframes[-1])
    except (av.FFmpegError, OSError, IndexError) as exc:
        raise OutputInvalid(f"its picture does not decode ({_short(exc)})") from None
    _refuse_logged_errors(logs, "its picture")


def _decode(container: av.container.InputContainer, video: av.stream.Stream | None,
            audio: av.stream.Stream | None, *, tail: bool) -> tuple[dict[str, float], int]:
    """Read every packet, decode the sound, the first pictures and (with `tail`) the last group of
    pictures; return how far each stream really reaches (ms) and how many pictures the video has."""
    reach: dict[str, int] = {}  # in each stream's time base: exact, and no Fraction per packet
    frames = 0
    keyframes: list[int] = []
    head = 0
    streams = [s for s in (video, audio) if s is not None]
    for packet in container.demux(*streams):
        if packet.size == 0 or packet.pts is None:
            if packet.size == 0:  # the flush packet at the end of a stream
                for _frame in packet.decode():
                    pass
            continue
        stream = packet.stream
        kind = "picture" if stream is video else "sound"
        end = packet.pts + (packet.duration or 0)
        if end > reach.get(kind, -(1 << 62)):
            reach[kind] = end
        frames += stream is video
        if stream is video:
            if packet.is_keyframe:
                keyframes.append(packet.pts)
            if head < HEAD_PACKETS:  # the first pictures
                head += 1
                packet.decode()
            continue
        packet.decode()
    if video is not None and tail and len(keyframes) > 1:
        _decode_from(container, video, keyframes[-1])  # the last group of pictures
    bases = {kind: stream.time_base for kind, stream in (("picture", video), ("sound", audio))
             if stream is not None and stream.time_base is not None}
    return {kind: float(ticks * bases[kind]) * 1000 for kind, ticks in reach.items() if kind in bases}, frames


def _refuse_logged_errors(logs: list[tuple[int, str, str]], subject: str) -> None:
    """Raise OutputInvalid when the decoder logged errors (PyAV's capture) while reading `subject`."""
    errors = [text.strip() for level, _name, text in logs if level <= av.logging.ERROR]
    if errors:
        raise OutputInvalid(f"{subject} does not decode cleanly ({len(errors)} errors, first: {errors[0]})")


def _decode_from(container: av.container.InputContainer, video: av.stream.Stream, keyframe_pts: int) -> None:
    """Every picture from a keyframe to the end of the stream."""
    container.seek(keyframe_pts, stream=video, backward=True, any_frame=False)
    for _frame in container.decode(video):
        pass


def _short(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(":")[0].strip().rstrip(".") or type(exc).__name__
