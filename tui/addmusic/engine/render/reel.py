"""Several clips and stills made into one picture and one clip sound, on the timeline's frame grid.

Every piece of the timeline (a clip, a still, black in a gap) is cut to a whole number of frames
counted on one grid — a piece covers frames round(start·fps) to round(end·fps) — so the pieces
add up to the timeline exactly, however many there are, and a cut made at a time is seen at that
time (per-piece rounding would drift by up to a frame per clip). The sound is cut the same way on
the sample grid. Before joining, every picture is brought to one shape: rotation applied (ffmpeg
reads the display matrix), non-square pixels made square, scaled into the frame once, one frame
rate, yuv420p. Every sound becomes 48 kHz stereo (mono is spread, 5.1 folded down; a clip without
sound gives silence of its length).

With the draft's `xf`, consecutive clips overlap on the timeline and are joined with `xfade`
(picture) and `acrossfade` (sound, equal power) over exactly the overlap; without it they are
joined end to end (hard cuts).

Stills: the image is fitted into the frame once (its blur fill too) and then repeated, instead of
looping the file and fitting every frame. The slow zoom uses `zoompan` on that one fitted frame:
on a 2000x1500 jpg into 1920x1080, 150 frames, it took 0.38-0.43 s of CPU against 0.54-0.59 s for
a per-frame `scale` (eval=frame) with a centred crop (three runs each, `-f null`, shared machine).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av

from addmusic.protocol.draft import Segment

from ..media import MediaInfo
from .graph import AUDIO_FORMAT, SAMPLE_RATE, fit_chain, seconds

ZOOM_END = 1.08  # a still's slow zoom ends this much closer
CLIP_SLACK_MS = 100  # a clip that ends this close to its piece's end holds its last frame
XFADE_CURVE = "qsin"  # equal power: two different sounds keep their loudness through the fade


@dataclass
class Piece:
    """One stretch of the picture timeline: a segment, or black filling a gap. `overlap` is how
    long it crossfades over the previous piece (ms; 0 = a hard cut)."""

    start: int
    duration: int
    segment: Segment | None = None
    info: MediaInfo | None = None
    overlap: int = 0

    @property
    def end(self) -> int:
        return self.start + self.duration


def crossfade_ms(meta: dict) -> int:
    """The draft's `xf`, 0 when absent or not a number; the contract's range is 100-2000 ms."""
    value = meta.get("xf")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return 0 if value <= 0 else int(min(2000, max(100, value)))


def pieces(segments: list[Segment], media: dict[str, MediaInfo], end_ms: int, crossfade: bool) -> list[Piece]:
    """Video segments in timeline order, black in the gaps and after the last one, adding up to
    exactly the timeline. Without `crossfade` a segment is cut short where the next one starts;
    with it, a segment that starts before the previous one ends crossfades over the overlap (kept
    shorter than either piece, so every piece is seen on its own for a moment)."""
    out: list[Piece] = []
    cursor = 0
    ordered = sorted(segments, key=lambda s: s.start)
    for i, seg in enumerate(ordered):
        start = max(seg.start, cursor)
        stop = min(seg.end, end_ms)
        overlap = 0
        if crossfade and out and out[-1].segment is not None and seg.start < cursor:
            prev = out[-1]
            overlap = min(cursor - seg.start, prev.duration - prev.overlap - 1, stop - seg.start - 1)
            overlap = max(0, overlap)
            start = cursor - overlap
        if not crossfade and i + 1 < len(ordered):
            stop = min(stop, ordered[i + 1].start)
        if stop - start <= 0:
            continue
        if start > cursor:
            out.append(Piece(cursor, start - cursor))
        # a segment overlapped at its head starts later in its source by the same amount
        shifted = replace(seg, source_in=seg.source_in + (start - seg.start))
        out.append(Piece(start, stop - start, shifted, media[seg.src], overlap))
        cursor = stop
    if cursor < end_ms:
        out.append(Piece(cursor, end_ms - cursor))
    return out


def frame_at(ms: int, fps: Fraction) -> int:
    return round(Fraction(ms, 1000) * fps)


def sample_at(ms: int) -> int:
    return round(ms * SAMPLE_RATE / 1000)


@functools.lru_cache(maxsize=256)
def _stream_shape(path: Path) -> tuple[Fraction, int, int]:
    """The picture's pixel shape and coded size, from the stream header (no decoding)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return Fraction(1), 0, 0
            stream = container.streams.video[0]
            sar, width, height = stream.sample_aspect_ratio, stream.codec_context.width, stream.codec_context.height
    except (av.FFmpegError, OSError):
        return Fraction(1), 0, 0
    return (Fraction(sar) if sar and sar > 0 else Fraction(1)), width, height


def display_size(info: MediaInfo) -> tuple[int, int]:
    """The picture's size as shown: rotation is already in MediaInfo, pixel shape is applied here
    (to the stored width, which a quarter turn makes the shown height)."""
    if info.kind == "audio":
        return info.width, info.height
    sar, width, height = _stream_shape(info.path)
    if sar == 1:
        return info.width, info.height
    if (width, height) == (info.height, info.width) and width != height:  # turned a quarter
        return info.width, max(2, round(info.height * sar))
    return max(2, round(info.width * sar)), info.height


# ---------------------------------------------------------------------------------------------
# Picture


def video_graph(all_pieces: list[Piece], frame: tuple[int, int], fps: Fraction, fill: str
                ) -> tuple[list[list[str]], list[str], str]:
    """Inputs, filter chains and the output label of the joined picture (no titles)."""
    inputs: list[list[str]] = []
    chains: list[str] = []
    labels: list[str] = []
    frame_rate = f"{fps.numerator}/{fps.denominator}"
    for i, piece in enumerate(all_pieces):
        frames = frame_at(piece.end, fps) - frame_at(piece.start, fps)
        seg, info = piece.segment, piece.info
        if frames <= 0 and i == len(all_pieces) - 1 and not any(labels):
            frames = 1  # a timeline shorter than a frame still gets one
        if frames <= 0:  # shorter than half a frame: heard, never seen
            labels.append("")
            continue
        if seg is None or info is None or not info.has_video:
            chains.append(f"color=c=black:s={frame[0]}x{frame[1]}:r={frame_rate},format=yuv420p,setsar=1,"
                          f"trim=end_frame={frames}[v{i}]")
            labels.append(f"[v{i}]")
            continue
        index = len(inputs)
        size = display_size(info)
        square = "" if size == (info.width, info.height) else f"scale={size[0]}:{size[1]},setsar=1,"
        if info.kind == "image":
            inputs.append(["-i", str(info.path)])
            # transparent pixels (a PNG or WebP sticker) are laid on black, not shown in whatever
            # colour they hide; one frame, so it costs nothing
            chains.append(f"color=c=black:s={info.width}x{info.height},trim=end_frame=1[bk{i}];"
                          f"[bk{i}][{index}:v:0]overlay=format=auto[flat{i}]")
            fit = fit_chain(f"[flat{i}]{square}", size, frame, str(i), fill)
            if seg.extra.get("zoom") is True:
                # zoom towards the centre, from 1 to ZOOM_END over the piece
                step = (ZOOM_END - 1) / max(1, frames - 1)
                still = (f"zoompan=z='1+{step:.6f}*on':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d={frames}:"
                         f"s={frame[0]}x{frame[1]}:fps={frame_rate},setsar=1")
            else:
                still = f"loop=loop={frames - 1}:size=1,setpts=N/({frame_rate})/TB,fps={frame_rate}"
            chains.append(f"{fit},format=yuv420p,{still},trim=end_frame={frames},setpts=PTS-STARTPTS[v{i}]")
        else:
            seek = ["-ss", seconds(seg.source_in)] if seg.source_in > 0 else []
            # a little more than the piece: the frame-rate conversion needs the frame after the last
            inputs.append([*seek, "-t", seconds(piece.duration + CLIP_SLACK_MS), "-an", "-i", str(info.path)])
            fit = fit_chain(f"[{index}:v:0]setpts=PTS-STARTPTS,{square}", size, frame, str(i), fill)
            # a clip that ends before its piece does holds its last frame; only then, because
            # tpad in the chain measurably slows x264 down even when it never pads
            short = info.duration_ms - seg.source_in < piece.duration + CLIP_SLACK_MS
            hold = f"tpad=stop_mode=clone:stop_duration={seconds(piece.duration)}," if short else ""
            chains.append(f"{fit},fps={frame_rate},format=yuv420p,{hold}trim=end_frame={frames},"
                          f"setpts=PTS-STARTPTS[v{i}]")
        labels.append(f"[v{i}]")
    label = _join_video(all_pieces, labels, chains, fps)
    return inputs, chains, label


def _join_video(all_pieces: list[Piece], labels: list[str], chains: list[str], fps: Fraction) -> str:
    """Hard cuts by concat, crossfades by xfade at the overlap's first frame; the joined stream
    starts at 0, so the xfade offset is the overlap's start on the timeline's frame grid."""
    pending = [labels[0]] if labels[0] else []
    joined = 0
    for i in range(1, len(all_pieces)):
        piece = all_pieces[i]
        if not labels[i]:
            continue
        if piece.overlap <= 0 or not pending:
            pending.append(labels[i])
            continue
        left = _concat(pending, chains, f"vj{joined}")
        joined += 1
        first = frame_at(piece.start, fps)
        length = frame_at(piece.start + piece.overlap, fps) - first
        if length <= 0:  # an overlap under one frame is a cut
            pending = [left, labels[i]]
            continue
        chains.append(f"{left}{labels[i]}xfade=transition=fade:duration={float(length / fps):.6f}:"
                      f"offset={float(first / fps):.6f}[vj{joined}]")
        pending = [f"[vj{joined}]"]
        joined += 1
    return _concat(pending, chains, f"vj{joined}")


def _concat(labels: list[str], chains: list[str], out: str, audio: bool = False) -> str:
    if len(labels) == 1:
        return labels[0]
    kind = "v=0:a=1" if audio else "v=1:a=0"
    chains.append(f"{''.join(labels)}concat=n={len(labels)}:{kind}[{out}]")
    return f"[{out}]"


# ---------------------------------------------------------------------------------------------
# Sound


def clip_gain(seg: Segment) -> float:
    return max(0.0, min(100.0, float(seg.level))) / 100


def has_clip_sound(all_pieces: list[Piece]) -> bool:
    return any(p.segment is not None and p.info is not None and p.info.has_audio and clip_gain(p.segment) > 0
               for p in all_pieces)


def audio_graph(all_pieces: list[Piece], first_input: int) -> tuple[list[list[str]], list[str], str]:
    """Inputs (numbered from `first_input`), chains and the label of the clips' own sound,
    joined like the picture: end to end, or crossfaded over the overlaps."""
    inputs: list[list[str]] = []
    chains: list[str] = []
    labels: list[str] = []
    for i, piece in enumerate(all_pieces):
        samples = sample_at(piece.end) - sample_at(piece.start)
        seg, info = piece.segment, piece.info
        if seg is not None and info is not None and info.has_audio and clip_gain(seg) > 0:
            seek = ["-ss", seconds(seg.source_in)] if seg.source_in > 0 and info.kind != "image" else []
            chains.append(f"[{first_input + len(inputs)}:a:0]asetpts=PTS-STARTPTS,{AUDIO_FORMAT},"
                          f"volume={clip_gain(seg):.4f},apad,atrim=end_sample={samples}[c{i}]")
            inputs.append([*seek, "-t", seconds(piece.duration + CLIP_SLACK_MS), "-vn", "-i", str(info.path)])
        else:
            chains.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,{AUDIO_FORMAT},atrim=end_sample={samples}[c{i}]")
        labels.append(f"[c{i}]")
    pending = [labels[0]]
    joined = 0
    for i in range(1, len(all_pieces)):
        piece = all_pieces[i]
        overlap = sample_at(piece.start + piece.overlap) - sample_at(piece.start) if piece.overlap > 0 else 0
        if overlap <= 0:
            pending.append(labels[i])
            continue
        left = _concat(pending, chains, f"cj{joined}", audio=True)
        joined += 1
        chains.append(f"{left}{labels[i]}acrossfade=ns={overlap}:c1={XFADE_CURVE}:c2={XFADE_CURVE}[cj{joined}]")
        pending = [f"[cj{joined}]"]
        joined += 1
    return inputs, chains, _concat(pending, chains, f"cj{joined}", audio=True)
