"""Draft → render plan → one ffmpeg run.

The plan is plain data so tests can check the decisions (copy or re-encode, what the filter graph
says, how user text reaches drawtext) without running ffmpeg. The decision that matters most for
speed: when nothing about the picture changes the video stream is copied and only the audio is
mixed and encoded — about 27× real time against 3× for a re-encode (DESIGN.md, measured costs).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import textwrap
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from addmusic.protocol.draft import AUDIO, TEXT, VIDEO, Draft, Segment

from . import procs
from .media import MediaInfo

FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans-Bold.ttf"
# Codecs an MP4 can carry as they are; anything else (VP8, ProRes, GIF...) must be re-encoded.
COPYABLE_CODECS = frozenset({"h264", "hevc", "av1", "mpeg4"})
QUALITY_PRESETS = {"high": ("veryfast", 20), "preview": ("ultrafast", 30)}
PREVIEW_HEIGHT = 360
MAX_LONG, MAX_SHORT = 1920, 1080  # the product promises 1080p, either way round
AUDIO_ONLY_SIZE = (1920, 1080)
DEFAULT_FPS = 30.0
SAMPLE_RATE = 48000
# Video may end this much before the timeline and still be copied (container rounding, AAC tails).
COPY_SLACK_MS = 100
STDERR_TAIL_LINES = 6
TERMINATE_GRACE_S = 3.0
_AUDIO_FORMAT = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"


class RenderError(Exception):
    """A render that cannot be planned or that ffmpeg refused; the message is for people."""


@dataclass
class RenderPlan:
    inputs: list[list[str]]  # per input its ffmpeg options, ending in ["-i", path]
    filter_complex: str
    maps: list[str]
    codec_args: list[str]
    reencode_video: bool
    duration_ms: int
    output: Path
    reason: str = ""  # why the picture is re-encoded (or "" when the video stream is copied)
    text_files: list[Path] = field(default_factory=list)

    def args(self, ffmpeg: str) -> list[str]:
        """The complete argument vector; progress goes to stdout, only errors to stderr."""
        argv = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y",
                "-progress", "pipe:1"]
        for one in self.inputs:
            argv += one
        if self.filter_complex:
            argv += ["-filter_complex", self.filter_complex]
        argv += self.maps + self.codec_args
        argv += ["-t", _seconds(self.duration_ms), str(self.output)]
        return argv


# ---------------------------------------------------------------------------------------------
# Filter-graph text


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}"


def _escape_value(value: str) -> str:
    """First level: an option value as the filter's own option parser reads it."""
    return value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")


def _escape_graph(text: str) -> str:
    """Second level: the filter's arguments as the filter-graph parser reads them."""
    for ch in "\\'[],;":
        text = text.replace(ch, "\\" + ch)
    return text


def _filter(name: str, **options: object) -> str:
    """A filter with arbitrary option values (paths, expressions) escaped for both parsers, so
    a workdir with a quote or colon in its name cannot break or alter the graph."""
    args = ":".join(f"{key}={_escape_value(str(value))}" for key, value in options.items())
    return f"{name}={_escape_graph(args)}" if args else name


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _fit_box(width: int, height: int) -> tuple[int, int]:
    """Scale down (never up) into 1920x1080 or 1080x1920, keeping the aspect; even sizes."""
    box_w, box_h = (MAX_LONG, MAX_SHORT) if width >= height else (MAX_SHORT, MAX_LONG)
    scale = min(1.0, box_w / width, box_h / height)
    return _even(width * scale), _even(height * scale)


def _same_aspect(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return abs(a[0] / a[1] - b[0] / b[1]) <= 0.01 * (b[0] / b[1])


def _rate(fps: float) -> str:
    frac = Fraction(fps).limit_denominator(1001)
    return f"{frac.numerator}/{frac.denominator}"


# ---------------------------------------------------------------------------------------------
# Planning


@dataclass
class _Piece:
    """One stretch of the picture timeline: a segment, or black filling a gap."""

    start: int
    duration: int
    segment: Segment | None = None
    info: MediaInfo | None = None


def _picture_pieces(segments: list[Segment], media: dict[str, MediaInfo], end_ms: int) -> list[_Piece]:
    """Video segments in timeline order, each cut short where the next one starts, with black
    in the gaps and after the last one, so the pieces add up to exactly the timeline."""
    pieces: list[_Piece] = []
    cursor = 0
    ordered = sorted(segments, key=lambda s: s.start)
    for i, seg in enumerate(ordered):
        start = max(seg.start, cursor)
        stop = min(seg.end, end_ms)
        if i + 1 < len(ordered):
            stop = min(stop, ordered[i + 1].start)
        if stop - start <= 0:
            continue
        if start > cursor:
            pieces.append(_Piece(cursor, start - cursor))
        # a segment overlapped at its head starts later in its source by the same amount
        shifted = dataclasses.replace(seg, source_in=seg.source_in + (start - seg.start))
        pieces.append(_Piece(start, stop - start, shifted, media[seg.src]))
        cursor = stop
    if cursor < end_ms:
        pieces.append(_Piece(cursor, end_ms - cursor))
    return pieces


def _fit_chain(src: str, size: tuple[int, int], out: tuple[int, int], tag: str) -> str:
    """Scale a picture into the output frame; when the aspect differs, over a blurred, darkened,
    scaled-up copy of itself rather than black bars (the usual look for 16:9 on a 9:16 canvas)."""
    w, h = out
    if _same_aspect(size, out):
        return f"{src}scale={w}:{h},setsar=1"
    small_w, small_h = _even(w / 8), _even(h / 8)
    return (
        f"{src}split=2[bg{tag}][fg{tag}];"
        f"[bg{tag}]scale={small_w}:{small_h}:force_original_aspect_ratio=increase,"
        f"crop={small_w}:{small_h},boxblur=luma_radius=6:luma_power=2,eq=brightness=-0.08,"
        f"scale={w}:{h},setsar=1[bgb{tag}];"
        f"[fg{tag}]scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
        f"setsar=1[fgs{tag}];"
        f"[bgb{tag}][fgs{tag}]overlay=x=(W-w)/2:y=(H-h)/2"
    )


def _title_filter(seg: Segment, index: int, out: tuple[int, int], font: Path, workdir: Path) -> tuple[str, Path]:
    """drawtext for one title. The text goes through a file with expansion off, so quotes,
    colons, percent signs and backslashes render as typed and can never alter the graph."""
    w, h = out
    per_line = 22 if h > w else 34
    lines: list[str] = []
    for paragraph in seg.text.strip().splitlines() or [""]:
        lines += textwrap.wrap(paragraph, per_line) or [""]
    longest = max((len(line) for line in lines), default=1) or 1
    size = max(12, int(min(h * 0.075, w * 0.9 / (0.62 * longest))))
    path = workdir / f"title_{index}.txt"
    path.write_text("\n".join(lines), encoding="utf-8")  # no trailing newline: no empty last line
    start, end = seg.start / 1000, seg.end / 1000
    default_fade = min(300, seg.duration // 4)
    fade_in = (seg.fade_in or default_fade) / 1000
    fade_out = (seg.fade_out or default_fade) / 1000
    ramps = [f"(t-{start:.3f})/{fade_in:.3f}" if fade_in > 0 else "1",
             f"({end:.3f}-t)/{fade_out:.3f}" if fade_out > 0 else "1"]
    y = {"top": "h*0.08", "bottom": "h*0.92-text_h"}.get(seg.position.lower(), "(h-text_h)/2")
    return _filter(
        "drawtext",
        fontfile=str(font),
        textfile=str(path),
        expansion="none",
        fontsize=size,
        fontcolor="white",
        borderw=max(1, size // 24),
        bordercolor="black@0.45",
        shadowcolor="black@0.6",
        shadowx=max(1, size // 14),
        shadowy=max(1, size // 14),
        line_spacing=size // 4,
        text_align="C",
        x="(w-text_w)/2",
        y=y,
        alpha=f"clip(min({ramps[0]},{ramps[1]}),0,1)",
        enable=f"between(t,{start:.3f},{end:.3f})",
    ), path


def _music_chain(src: str, seg: Segment, tag: str) -> str:
    """One music segment: cut from its in-point, levelled, faded, and placed on the timeline."""
    d = seg.duration
    fade_in, fade_out = seg.fade_in, seg.fade_out
    if fade_in + fade_out > d:  # fades longer than the segment: share it in proportion
        scale = d / (fade_in + fade_out)
        fade_in, fade_out = int(fade_in * scale), int(fade_out * scale)
    gain = (100 if seg.volume is None else seg.volume) / 100
    parts = [
        f"atrim=start={_seconds(seg.source_in)}:duration={_seconds(d)}",
        "asetpts=PTS-STARTPTS",
        _AUDIO_FORMAT,
        f"volume={gain:.4f}",
    ]
    if fade_in > 0:
        parts.append(f"afade=t=in:st=0:d={_seconds(fade_in)}")
    if fade_out > 0:
        parts.append(f"afade=t=out:st={_seconds(d - fade_out)}:d={_seconds(fade_out)}")
    if seg.start > 0:
        parts.append(f"adelay=delays={seg.start}:all=1")
    return f"{src}{','.join(parts)}[m{tag}]"


def _mix(labels: list[str], out: str) -> str:
    """amix without normalisation: amix would otherwise divide every input by the input count."""
    if len(labels) == 1:
        return f"{labels[0]}anull[{out}]"
    return f"{''.join(labels)}amix=inputs={len(labels)}:duration=longest:normalize=0[{out}]"


def _audio_graph(
    orig: str | None, music: list[tuple[str, Segment]], end_ms: int, loudness: float | None
) -> tuple[list[str], str | None]:
    """Music under the clip's own sound: the clip stays at unity, ducked music is compressed by
    the clip's sound as a sidechain, a limiter catches peaks, loudnorm when a target is set."""
    chains: list[str] = []
    ducked: list[str] = []
    plain: list[str] = []
    for i, (src, seg) in enumerate(music):
        chains.append(_music_chain(src, seg, str(i)))
        (ducked if seg.duck and orig is not None else plain).append(f"[m{i}]")
    if orig is None and not music:
        return chains, None
    pad = f"apad=whole_dur={_seconds(end_ms)}"
    finals: list[str] = []
    if orig is not None:
        if ducked:
            chains.append(f"{orig}{pad},asplit=2[orig][sc]")
            finals.append("[orig]")
        else:
            finals.append(orig)
    if ducked:
        chains.append(_mix(ducked, "mduckin"))
        chains.append(f"[mduckin]{pad}[mduckpad]")
        chains.append("[mduckpad][sc]sidechaincompress=threshold=0.02:ratio=6:attack=15:release=350"
                      ":knee=3[mduck]")
        finals.append("[mduck]")
    if plain:
        chains.append(_mix(plain, "mplain"))
        finals.append("[mplain]")
    chains.append(_mix(finals, "mixed"))
    tail = [pad]
    if loudness is not None:
        tail += [f"loudnorm=I={loudness:g}:TP=-1.5:LRA=11", f"aresample={SAMPLE_RATE}"]
    tail += ["alimiter=limit=0.891:attack=5:release=60:level=0:latency=1", _AUDIO_FORMAT]
    chains.append(f"[mixed]{','.join(tail)}[aout]")
    return chains, "[aout]"


def _loudness_target(meta: dict) -> float | None:
    value = meta.get("loudness")
    if value is None or isinstance(value, bool):
        return None
    try:
        target = float(value)
    except (TypeError, ValueError):
        return None
    return min(-5.0, max(-70.0, target)) if math.isfinite(target) else None


def _canvas(meta: dict) -> tuple[int, int] | None:
    try:
        w, h = int(meta.get("width") or 0), int(meta.get("height") or 0)
    except (TypeError, ValueError):
        return None
    return (w, h) if w > 0 and h > 0 else None


def build_plan(
    draft: Draft,
    media: dict[str, MediaInfo],
    audio_files: dict[str, Path],
    output: Path,
    *,
    quality: str = "high",
    font: Path | None = None,
    workdir: Path,
) -> RenderPlan:
    """Decide how to render `draft` and spell it out for ffmpeg. Writes title text files into
    `workdir` (which must outlive the render); raises RenderError for drafts it cannot render."""
    if quality not in QUALITY_PRESETS:
        raise RenderError(f'Unknown render quality "{quality}"; use "high" or "preview".')
    end_ms = draft.end
    videos = [s for t in draft.tracks_of(VIDEO) for s in t.segments if s.duration > 0]
    musics = [s for t in draft.tracks_of(AUDIO) for s in t.segments if s.duration > 0]
    titles = [s for t in draft.tracks_of(TEXT) for s in t.segments if s.duration > 0 and s.text.strip()]
    if end_ms <= 0 or not (videos or musics or titles):
        raise RenderError("Nothing to render: the timeline is empty.")
    for seg in videos:
        if seg.src not in media:
            name = seg.label or seg.src or "(unnamed)"
            raise RenderError(f"The clip {name} is not in this session; upload it again.")
    music_sources: list[Path] = []
    for seg in musics:
        if seg.src in audio_files:
            music_sources.append(Path(audio_files[seg.src]))
        elif seg.src in media and media[seg.src].has_audio:
            music_sources.append(media[seg.src].path)
        else:
            raise RenderError(f"The music {seg.label or seg.src or '(unnamed)'} is missing; ask for it again.")
    if titles:
        font = Path(font) if font is not None else FONT
        if not font.is_file():  # drawtext would quietly use some system font instead
            raise RenderError(f"The title font is missing ({font}); reinstall addmusic-tui.")
        Path(workdir).mkdir(parents=True, exist_ok=True)
    workdir = Path(workdir)

    # The output frame: the canvas when it changes the aspect, else the first picture's own size,
    # never larger than 1080p; audio-only drafts get a black 1920x1080 (or canvas) frame.
    pictures = [media[s.src] for s in sorted(videos, key=lambda s: s.start) if media[s.src].has_video]
    source_size = (pictures[0].width, pictures[0].height) if pictures else None
    canvas = _canvas(draft.meta)
    canvas_change = canvas is not None and (source_size is None or not _same_aspect(canvas, source_size))
    if canvas_change and canvas is not None:
        frame = _fit_box(*canvas)
    elif source_size is not None:
        frame = _fit_box(*source_size)
    else:
        frame = AUDIO_ONLY_SIZE
    if quality == "preview" and frame[1] > PREVIEW_HEIGHT:  # small sources are not blown up
        frame = (_even(frame[0] * PREVIEW_HEIGHT / frame[1]), PREVIEW_HEIGHT)
    moving = [p for p in pictures if p.kind == "video" and p.fps > 0]
    fps = min(60.0, moving[0].fps) if moving else DEFAULT_FPS

    reason = _why_reencode(videos, media, titles, canvas_change, quality, end_ms)
    inputs: list[list[str]] = []
    chains: list[str] = []
    maps: list[str] = []
    text_files: list[Path] = []
    orig: str | None = None

    if not reason:
        seg = videos[0]
        info = media[seg.src]
        inputs.append(["-i", str(info.path)])
        maps += ["-map", "0:v:0"]
        if info.has_audio:
            chains.append(f"[0:a:0]asetpts=PTS-STARTPTS,{_AUDIO_FORMAT}[clip]")
            orig = "[clip]"
    else:
        pieces = _picture_pieces(videos, media, end_ms)
        with_sound = any(p.info is not None and p.info.has_audio for p in pieces)
        labels: list[str] = []
        rate = _rate(fps)
        for i, piece in enumerate(pieces):
            seconds = _seconds(piece.duration)
            seg, info = piece.segment, piece.info
            index = len(inputs)
            if seg is not None and info is not None:
                if info.kind == "image":
                    inputs.append(["-loop", "1", "-framerate", rate, "-t", seconds, "-i", str(info.path)])
                else:
                    seek = ["-ss", _seconds(seg.source_in)] if seg.source_in > 0 else []
                    inputs.append([*seek, "-t", seconds, "-i", str(info.path)])
            else:
                info = None  # a gap: black, and silence when the clips have sound
            if seg is not None and info is not None and info.has_video:
                fit = _fit_chain(f"[{index}:v:0]setpts=PTS-STARTPTS,", (info.width, info.height), frame, str(i))
                # a clip that ends before its segment does holds its last frame; only then, because
                # tpad in the chain measurably slows x264 down even when it never pads
                short = info.kind != "image" and info.duration_ms - seg.source_in < piece.duration + COPY_SLACK_MS
                hold = f"tpad=stop_mode=clone:stop_duration={seconds}," if short else ""
                chains.append(
                    f"{fit},fps={rate},format=yuv420p,{hold}trim=duration={seconds},setpts=PTS-STARTPTS[v{i}]"
                )
            else:
                chains.append(f"color=c=black:s={frame[0]}x{frame[1]}:r={rate}:d={seconds},"
                              f"format=yuv420p,setsar=1[v{i}]")
            labels.append(f"[v{i}]")
            if with_sound:
                if info is not None and info.has_audio:
                    chains.append(f"[{index}:a:0]asetpts=PTS-STARTPTS,{_AUDIO_FORMAT},apad,"
                                  f"atrim=duration={seconds}[a{i}]")
                else:
                    chains.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=duration={seconds}[a{i}]")
                labels.append(f"[a{i}]")
        if len(pieces) == 1:
            video_label = "[v0]"
            orig = "[a0]" if with_sound else None
        else:
            outs = "[vcat][acat]" if with_sound else "[vcat]"
            chains.append(f"{''.join(labels)}concat=n={len(pieces)}:v=1:a={int(with_sound)}{outs}")
            video_label = "[vcat]"
            orig = "[acat]" if with_sound else None
        if titles:
            draws = []
            for i, seg in enumerate(sorted(titles, key=lambda s: s.start)):
                draw, path = _title_filter(seg, i, frame, font or FONT, workdir)
                draws.append(draw)
                text_files.append(path)
            chains.append(f"{video_label}{','.join(draws)}[vout]")
            video_label = "[vout]"
        maps += ["-map", video_label]

    music_inputs: list[tuple[str, Segment]] = []
    for seg, path in zip(musics, music_sources, strict=True):
        music_inputs.append((f"[{len(inputs)}:a:0]", seg))
        inputs.append(["-i", str(path)])
    audio_chains, audio_label = _audio_graph(orig, music_inputs, end_ms, _loudness_target(draft.meta))
    chains += audio_chains

    codec: list[str] = []
    if reason:
        preset, crf = QUALITY_PRESETS[quality]
        codec += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
    else:
        codec += ["-c:v", "copy"]
    if audio_label is not None:
        maps += ["-map", audio_label]
        # the "fast" coder is ffmpeg's advice for high bit rates; ~0.5 s less per minute of sound
        codec += ["-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", "-ar", str(SAMPLE_RATE), "-ac", "2"]
    codec += ["-movflags", "+faststart", "-f", "mp4"]  # -f: the caller writes to a temporary name
    return RenderPlan(
        inputs=inputs,
        filter_complex=";".join(chains),
        maps=maps,
        codec_args=codec,
        reencode_video=bool(reason),
        duration_ms=end_ms,
        output=Path(output),
        reason=reason,
        text_files=text_files,
    )


def _why_reencode(
    videos: list[Segment],
    media: dict[str, MediaInfo],
    titles: list[Segment],
    canvas_change: bool,
    quality: str,
    end_ms: int,
) -> str:
    """Why the picture must be re-encoded, or "" when the source video stream can be copied."""
    if quality != "high":
        return "preview renders are always re-encoded small"
    if len(videos) != 1:
        return "the timeline has no clip" if not videos else "several clips are joined"
    seg = videos[0]
    info = media[seg.src]
    if info.kind != "video":
        return "the picture is a still image" if info.kind == "image" else "the clip has no picture"
    if info.video_codec not in COPYABLE_CODECS:
        return f"{info.video_codec or 'this'} video cannot go into an MP4 as it is"
    if titles:
        return "titles are drawn on the picture"
    if canvas_change:
        return "the frame changes shape"
    if (info.width, info.height) != _fit_box(info.width, info.height):
        return "the clip is larger than 1080p"
    if seg.start > 0 or seg.source_in > 0:
        return "the clip is trimmed at its start or placed later on the timeline"
    if min(seg.end, info.duration_ms) < end_ms - COPY_SLACK_MS:
        return "the timeline runs past the end of the clip"
    return ""


# ---------------------------------------------------------------------------------------------
# Running


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


async def _lines(stream: asyncio.StreamReader | None, handle: Callable[[str], None]) -> None:
    """Feed complete lines to `handle`, reading in chunks so an over-long line cannot stall the
    pipe (StreamReader.readline raises on lines above its limit)."""
    if stream is None:
        return
    pending = b""
    while chunk := await stream.read(65536):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            handle(raw.decode("utf-8", "replace").rstrip("\r"))
        pending = pending[-65536:]
    if pending:
        handle(pending.decode("utf-8", "replace"))


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM lets ffmpeg close its files; SIGKILL if it is still there after the grace time."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), TERMINATE_GRACE_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def run_render(
    plan: RenderPlan,
    on_progress: Callable[[float], None] | None = None,
    *,
    ffmpeg: str | None = None,
) -> None:
    """Run the plan, reporting 0-100 as ffmpeg reports its output time (never backwards, 100 only
    once ffmpeg has succeeded). Cancelling stops ffmpeg and removes the partial output."""
    if ffmpeg is None:
        import imageio_ffmpeg  # deferred: finding the binary is not free and only renders need it

        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    plan.output.parent.mkdir(parents=True, exist_ok=True)
    try:
        proc = await procs.spawn(  # dies with the engine; recorded so a restart can end an orphan
            *plan.args(ffmpeg),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise RenderError(f"ffmpeg could not be started: {exc}") from exc

    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    total_us = max(1, plan.duration_ms * 1000)
    best = 0.0

    def on_stderr(line: str) -> None:
        if line.strip():
            tail.append(line.strip()[:300])

    def on_stdout(line: str) -> None:
        nonlocal best
        key, _, value = line.partition("=")
        if key not in ("out_time_us", "out_time_ms"):  # both are microseconds
            return
        try:
            pct = min(99.9, max(0.0, int(value) * 100 / total_us))
        except ValueError:  # "N/A" before the first frame
            return
        if pct > best:
            best = pct
            if on_progress is not None:
                on_progress(round(pct, 1))

    try:
        await asyncio.gather(_lines(proc.stdout, on_stdout), _lines(proc.stderr, on_stderr))
        code = await proc.wait()
    except asyncio.CancelledError:
        stopper = asyncio.ensure_future(_stop(proc))
        stopper.add_done_callback(lambda _: _remove(plan.output))  # only once ffmpeg is gone
        await asyncio.shield(stopper)
        raise
    if code != 0:
        _remove(plan.output)
        detail = " / ".join(tail) or "no error message"
        raise RenderError(f"Rendering failed (ffmpeg exit code {code}): {detail}")
    if on_progress is not None:
        on_progress(100.0)
