"""Draft → render plan: which ffmpeg runs, and how the picture is made.

The plan is plain data so tests can check the decisions without running ffmpeg. The picture is
made one of three ways, and the plan says which and why:
- `copy`: nothing about the picture changes, the video packets are copied (about 27× real time
  against 3× for a re-encode, DESIGN.md);
- `smart`: a title or a cut off a keyframe changes a few groups of pictures; only those are
  re-encoded, to match the source, and the rest is copied (smart.py);
- `encode`: the picture changes everywhere (another shape, another codec, several sources,
  preview size) or smart rendering is off or unsafe: one full H.264 re-encode.
The sound is always mixed and mastered by two ffmpeg runs of its own (audio.py), alongside the
picture; the file is then written from the parts without re-encoding anything (smart.assemble).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from addmusic.protocol.draft import AUDIO, TEXT, VIDEO, Draft, Segment

from ..media import MediaInfo
from . import audio as sound
from .graph import AUDIO_FORMAT, FILL_MODES, SAMPLE_RATE, even, fit_chain, rate, seconds, title_colour, title_filter
from .smart import MAX_SMART_SHARE, SmartError, Stretch, free_parameter_set_id, share_encoded, split
from .soundfacts import Layer
from .source import X264_PROFILES, StreamFacts, parse_avcc, scan

log = logging.getLogger(__name__)

FONT = Path(__file__).resolve().parents[2] / "fonts" / "DejaVuSans-Bold.ttf"
QUALITY_PRESETS = {"high": ("veryfast", 20), "preview": ("ultrafast", 30)}
# Re-encoded stretches are short and sit between copied ones. ultrafast at CRF 20 keeps them as
# clean as the source (PSNR 56 dB against the decoded source at CRF 18 on the benchmark clip,
# 48.7 dB for veryfast) at twice the speed of veryfast, for about 2-3x the bits of those few
# seconds; 8x8 transforms on keep the stretch in the High profile when the source is High.
PART_PRESET, PART_CRF = "ultrafast", 20
PREVIEW_HEIGHT = 360
MAX_LONG, MAX_SHORT = 1920, 1080  # the product promises 1080p, either way round
AUDIO_ONLY_SIZE = (1920, 1080)
DEFAULT_FPS = 30.0
# Video may end this much before the timeline and still be copied (container rounding, AAC tails).
COPY_SLACK_MS = 100
# Rough costs on the 2-core reference machine, only to weigh progress between parallel runs.
ENCODE_FPS_1080P = 35.0
MIX_SPEED, MASTER_SPEED = 100.0, 45.0  # × real time


class RenderError(Exception):
    """A render that cannot be planned or that ffmpeg refused; the message is for people."""


@dataclass
class Step:
    """One ffmpeg run."""

    name: str
    inputs: list[list[str]]  # per input its ffmpeg options, ending in ["-i", path]
    filter_complex: str
    maps: list[str]
    codec_args: list[str]
    output: Path | str
    weight: float  # estimated seconds, to weigh progress
    duration_ms: int = 0  # progress by output time ...
    frames: int = 0  # ... or by frames written
    log_level: str = "error"  # "info" when the run's summary is read (ebur128)

    def args(self, ffmpeg: str) -> list[str]:
        """The complete argument vector; progress goes to stdout, only errors to stderr."""
        argv = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-loglevel", self.log_level, "-y",
                "-progress", "pipe:1"]
        for one in self.inputs:
            argv += one
        if self.filter_complex:
            argv += ["-filter_complex", self.filter_complex]
        argv += self.maps + self.codec_args
        argv.append(str(self.output))
        return argv


@dataclass
class RenderPlan:
    mode: str  # "copy" | "smart" | "encode"
    reason: str  # why this mode (for smart and encode)
    mix: Step  # the sound, mixed and measured
    master: Path  # the sound, mastered and encoded (by run_render, from the measurement)
    loudness: float  # LUFS target
    video: list[Step]  # encode: the full re-encode; smart: one run per re-encoded stretch
    output: Path
    duration_ms: int
    source: StreamFacts | None = None  # copy and smart: the clip whose packets are copied
    stretches: list[Stretch] = field(default_factory=list)
    share: float = 0.0  # fraction of frames re-encoded
    fallback: list[Step] = field(default_factory=list)  # smart: the full re-encode if joining fails
    text_files: list[Path] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)
    sound_layers: list[Layer] = field(default_factory=list)  # what the mix places, for soundfacts.predict

    @property
    def reencode_video(self) -> bool:
        return self.mode == "encode"

    @property
    def weight(self) -> float:
        return self.mix.weight + self.duration_ms / 1000 / MASTER_SPEED + sum(s.weight for s in self.video)

    def describe(self) -> str:
        """One line for logs and the job: what is copied and what is re-encoded, and why."""
        if self.mode == "copy":
            return "video copied, sound mixed and mastered"
        if self.mode == "smart":
            return f"smart render: {self.share:.0%} of frames re-encoded ({self.reason}), the rest copied"
        return f"full re-encode: {self.reason}"


# ---------------------------------------------------------------------------------------------
# Planning helpers


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


def _fit_box(width: int, height: int) -> tuple[int, int]:
    """Scale down (never up) into 1920x1080 or 1080x1920, keeping the aspect; even sizes."""
    box_w, box_h = (MAX_LONG, MAX_SHORT) if width >= height else (MAX_SHORT, MAX_LONG)
    scale = min(1.0, box_w / width, box_h / height)
    return even(width * scale), even(height * scale)


def _canvas(meta: dict) -> tuple[int, int] | None:
    try:
        w, h = int(meta.get("width") or 0), int(meta.get("height") or 0)
    except (TypeError, ValueError):
        return None
    return (w, h) if w > 0 and h > 0 else None


def _loudness_target(meta: dict) -> float:
    value = meta.get("loudness")
    if value is None or isinstance(value, bool):
        return sound.DEFAULT_LOUDNESS
    try:
        target = float(value)
    except (TypeError, ValueError):
        return sound.DEFAULT_LOUDNESS
    return min(-5.0, max(-40.0, target)) if target == target and abs(target) != float("inf") else sound.DEFAULT_LOUDNESS


def _clip_gain(seg: Segment) -> float:
    return max(0.0, min(100.0, 100.0 if seg.volume is None else float(seg.volume))) / 100


# ---------------------------------------------------------------------------------------------
# The plan


def build_plan(
    draft: Draft,
    media: dict[str, MediaInfo],
    audio_files: dict[str, Path],
    output: Path,
    *,
    quality: str = "high",
    font: Path | None = None,
    workdir: Path,
    smart: bool = True,
) -> RenderPlan:
    """Decide how to render `draft` and spell it out for ffmpeg. Writes title text files into
    `workdir` (which must outlive the render) and reads the clip's packet index when copying
    or smart rendering is possible; raises RenderError for drafts it cannot render."""
    if quality not in QUALITY_PRESETS:
        raise RenderError(f'Unknown render quality "{quality}"; use "high" or "preview".')
    end_ms = draft.end
    videos = [s for t in draft.tracks_of(VIDEO) for s in t.segments if s.duration > 0]
    musics = [s for t in draft.tracks_of(AUDIO) for s in t.segments if s.duration > 0]
    titles = sorted((s for t in draft.tracks_of(TEXT) for s in t.segments if s.duration > 0 and s.text.strip()),
                    key=lambda s: s.start)
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
    font = Path(font) if font is not None else FONT
    if titles and not font.is_file():  # drawtext would quietly use some system font instead
        raise RenderError(f"The title font is missing ({font}); reinstall addmusic-tui.")
    for seg in titles:
        try:
            title_colour(seg)
        except ValueError as exc:
            raise RenderError(f'The title colour "{exc}" is not one I know; use a name like '
                              '"yellow" or a hex code like #ffcc00.') from exc
    fill = str(draft.meta.get("fill") or "blur")
    if fill not in FILL_MODES:
        raise RenderError(f'Unknown fill "{fill}"; use blur, bars or crop.')
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    output = Path(output)

    # The output frame: the canvas when one is set (the clips scale up or down to it; never past
    # 1080p), else the first picture's own size scaled down into 1080p; audio-only drafts get a
    # black 1920x1080 frame.
    pictures = [media[s.src] for s in sorted(videos, key=lambda s: s.start) if media[s.src].has_video]
    source_size = (pictures[0].width, pictures[0].height) if pictures else None
    canvas = _canvas(draft.meta)
    if canvas is not None:
        frame = _fit_box(*canvas)
    elif source_size is not None:
        frame = _fit_box(*source_size)
    else:
        frame = AUDIO_ONLY_SIZE
    if quality == "preview" and frame[1] > PREVIEW_HEIGHT:  # small sources are not blown up
        frame = (even(frame[0] * PREVIEW_HEIGHT / frame[1]), PREVIEW_HEIGHT)
    moving = [p for p in pictures if p.kind == "video" and p.fps > 0]
    fps = min(60.0, moving[0].fps) if moving else DEFAULT_FPS

    mix_step, temp, layers = _mix_step(videos, media, musics, music_sources, end_ms, workdir)
    master = workdir / "sound.m4a"
    temp += [master]
    plan = RenderPlan(mode="encode", reason="", mix=mix_step, master=master,
                      loudness=_loudness_target(draft.meta), video=[], output=output, duration_ms=end_ms,
                      temp_files=temp, sound_layers=layers)

    full_steps, text_files = _encode_steps(videos, media, titles, frame, fps, fill, quality, end_ms,
                                           font, workdir)
    plan.text_files = text_files
    plan.temp_files.append(workdir / "picture.mp4")
    reason, facts = _why_not_copy(videos, media, frame, quality, end_ms)
    if reason:
        plan.reason, plan.video = reason, full_steps
        return plan
    assert facts is not None
    seg = videos[0]
    tb = facts.time_base
    start = round((facts.start_time + seg.source_in / 1000) / tb)
    stop = round((facts.start_time + (seg.source_in + seg.duration) / 1000) / tb)
    dirty = [(round((facts.start_time + (seg.source_in + t.start - seg.start) / 1000) / tb),
              round((facts.start_time + (seg.source_in + t.end - seg.start) / 1000) / tb)) for t in titles]
    try:
        stretches = split(facts.packets, start, stop, dirty)
    except SmartError:
        plan.reason, plan.video = "the clip has no frames in the trimmed range", full_steps
        return plan
    plan.source, plan.stretches = facts, stretches
    plan.share = share_encoded(stretches)
    if plan.share == 0:
        plan.mode = "copy"
        return plan
    why = "titles are drawn on the picture" if titles else "the clip is cut between keyframes"
    if not smart:
        plan.reason, plan.video, plan.source, plan.stretches = f"{why}; smart rendering is off", full_steps, None, []
        return plan
    if plan.share > MAX_SMART_SHARE:
        plan.reason = f"{why} over {plan.share:.0%} of the frames"
        plan.video, plan.source, plan.stretches = full_steps, None, []
        return plan
    plan.mode, plan.reason, plan.fallback = "smart", why, full_steps
    plan.video = _part_steps(facts, stretches, seg, titles, font, workdir)
    plan.temp_files += [s.part for s in stretches if s.part is not None]
    return plan


def _why_not_copy(videos: list[Segment], media: dict[str, MediaInfo], frame: tuple[int, int], quality: str,
                  end_ms: int) -> tuple[str, StreamFacts | None]:
    """Why the picture must be re-encoded whole, or "" and the clip's packet index when its
    packets can be copied (all of them, or all but the stretches that change)."""
    if quality != "high":
        return "preview renders are always re-encoded small", None
    if len(videos) != 1:
        return ("the timeline has no clip" if not videos else "several clips are joined"), None
    seg = videos[0]
    info = media[seg.src]
    if info.kind != "video":
        return ("the picture is a still image" if info.kind == "image" else "the clip has no picture"), None
    if info.video_codec != "h264":
        return f"{(info.video_codec or 'this').upper()} video is converted to H.264 for every player", None
    if (info.width, info.height) != frame:
        return "the frame changes size or shape", None
    if seg.start > 0:
        return "the clip is placed later on the timeline", None
    if min(seg.end, info.duration_ms - seg.source_in) < end_ms - COPY_SLACK_MS:
        return "the timeline runs past the end of the clip", None
    try:
        facts = scan(info.path)
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        log.info("cannot index %s for copying: %s", info.path, exc)
        return "the clip's video stream cannot be indexed for copying", None
    if facts.pix_fmt != "yuv420p":
        return f"{facts.pix_fmt or 'this'} pictures are converted to yuv420p for every player", None
    if (facts.width, facts.height) != (info.width, info.height):
        return "the clip is rotated", None
    if not facts.extradata or facts.profile not in X264_PROFILES:
        return f"the clip's H.264 ({facts.profile or 'unknown profile'}) cannot be matched for copying", None
    if not any(p.idr for p in facts.packets):
        return "the clip has no IDR keyframes (open GOPs) to cut at", None
    return "", facts


def _mix_step(videos: list[Segment], media: dict[str, MediaInfo], musics: list[Segment],
              music_sources: list[Path], end_ms: int, workdir: Path) -> tuple[Step, list[Path], list[Layer]]:
    """The sound of every piece at its level, joined in timeline order, under the music."""
    inputs: list[list[str]] = []
    layers: list[Layer] = []
    chains: list[str] = []
    labels: list[str] = []
    pieces = _picture_pieces(videos, media, end_ms) if videos else []
    any_sound = any(p.info is not None and p.info.has_audio and _clip_gain(p.segment) > 0
                    for p in pieces if p.segment is not None)
    if any_sound:
        for i, piece in enumerate(pieces):
            secs = seconds(piece.duration)
            seg, info = piece.segment, piece.info
            if seg is not None and info is not None and info.has_audio and _clip_gain(seg) > 0:
                seek = ["-ss", seconds(seg.source_in)] if seg.source_in > 0 and info.kind != "image" else []
                chains.append(f"[{len(inputs)}:a:0]asetpts=PTS-STARTPTS,{AUDIO_FORMAT},"
                              f"volume={_clip_gain(seg):.4f},apad,atrim=duration={secs}[c{i}]")
                inputs.append([*seek, "-t", secs, "-vn", "-i", str(info.path)])
                layers.append(Layer(info.path, piece.start, seg.source_in if info.kind != "image" else 0,
                                    piece.duration, _clip_gain(seg), is_clip=True))
            else:
                chains.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=duration={secs}[c{i}]")
            labels.append(f"[c{i}]")
        if len(labels) > 1:
            chains.append(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1[clip]")
            clip = "[clip]"
        else:
            clip = labels[0]
    else:
        clip = None
    music_inputs: list[tuple[str, Segment]] = []
    for seg, path in zip(musics, music_sources, strict=True):
        music_inputs.append((f"[{len(inputs)}:a:0]", seg))
        inputs.append(["-i", str(path)])
        layers.append(Layer(Path(path), seg.start, seg.source_in, seg.duration,
                            (100 if seg.volume is None else seg.volume) / 100, seg.fade_in, seg.fade_out,
                            sound.duck_depth(seg) if seg.duck else None))
    mix_chains, label = sound.mix_graph(clip, music_inputs, end_ms)
    wav = workdir / "sound_mix.wav"
    step = Step("mix", inputs, ";".join(chains + mix_chains), ["-map", label],
                ["-c:a", "pcm_f32le", "-f", "wav"], wav, weight=end_ms / 1000 / MIX_SPEED + 0.2,
                duration_ms=end_ms, log_level="info")
    return step, [wav], layers


_AAC = ["-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", "-ar", str(SAMPLE_RATE), "-ac", "2"]


def master_step(plan: RenderPlan, gain_db: float, limit: bool) -> Step:
    """The second sound run, once the mix is measured."""
    return Step("master", [["-i", str(plan.mix.output)]], "", ["-af", sound.master_filter(gain_db, limit)],
                # the "fast" coder is ffmpeg's advice for high bit rates; ~0.5 s less per minute
                _AAC + ["-t", seconds(plan.duration_ms), "-f", "mp4"],
                plan.master, weight=plan.duration_ms / 1000 / MASTER_SPEED, duration_ms=plan.duration_ms)


def one_pass_step(plan: RenderPlan, gain_db: float) -> Step:
    """Mix, master, measure and encode in one run, when the gain is known beforehand."""
    return Step("master", plan.mix.inputs, sound.mastered_graph(plan.mix.filter_complex, gain_db),
                plan.mix.maps, _AAC + ["-t", seconds(plan.duration_ms), "-f", "mp4"], plan.master,
                weight=plan.mix.weight + plan.duration_ms / 1000 / MASTER_SPEED, duration_ms=plan.duration_ms,
                log_level="info")


def check_step(plan: RenderPlan, gain_db: float) -> Step:
    """A measuring pass over the mix with the gain and the limiter applied, writing nothing."""
    return Step("check", [["-i", str(plan.mix.output)]], "",
                ["-af", f"{sound.master_filter(gain_db, True)},ebur128=peak=true"], ["-f", "null"], "-",
                weight=0.0, duration_ms=plan.duration_ms, log_level="info")


def _encode_steps(videos: list[Segment], media: dict[str, MediaInfo], titles: list[Segment],
                  frame: tuple[int, int], fps: float, fill: str, quality: str, end_ms: int, font: Path,
                  workdir: Path) -> tuple[list[Step], list[Path]]:
    """The full re-encode: every piece fitted into the frame, joined, titled, encoded once."""
    inputs: list[list[str]] = []
    chains: list[str] = []
    labels: list[str] = []
    frame_rate = rate(fps)
    pieces = _picture_pieces(videos, media, end_ms)
    for i, piece in enumerate(pieces):
        secs = seconds(piece.duration)
        seg, info = piece.segment, piece.info
        index = len(inputs)
        if seg is not None and info is not None and info.has_video:
            if info.kind == "image":
                inputs.append(["-loop", "1", "-framerate", frame_rate, "-t", secs, "-i", str(info.path)])
            else:
                seek = ["-ss", seconds(seg.source_in)] if seg.source_in > 0 else []
                inputs.append([*seek, "-t", secs, "-an", "-i", str(info.path)])
            fit = fit_chain(f"[{index}:v:0]setpts=PTS-STARTPTS,", (info.width, info.height), frame, str(i), fill)
            # a clip that ends before its segment does holds its last frame; only then, because
            # tpad in the chain measurably slows x264 down even when it never pads
            short = info.kind != "image" and info.duration_ms - seg.source_in < piece.duration + COPY_SLACK_MS
            hold = f"tpad=stop_mode=clone:stop_duration={secs}," if short else ""
            chains.append(f"{fit},fps={frame_rate},format=yuv420p,{hold}trim=duration={secs},"
                          f"setpts=PTS-STARTPTS[v{i}]")
        else:
            chains.append(f"color=c=black:s={frame[0]}x{frame[1]}:r={frame_rate}:d={secs},"
                          f"format=yuv420p,setsar=1[v{i}]")
        labels.append(f"[v{i}]")
    if len(pieces) == 1:
        label = "[v0]"
    else:
        chains.append(f"{''.join(labels)}concat=n={len(pieces)}:v=1:a=0[vcat]")
        label = "[vcat]"
    text_files: list[Path] = []
    if titles:
        draws = []
        for i, seg in enumerate(titles):
            draw, path = title_filter(seg, i, frame, font, workdir)
            draws.append(draw)
            text_files.append(path)
        chains.append(f"{label}{','.join(draws)}[vout]")
        label = "[vout]"
    preset, crf = QUALITY_PRESETS[quality]
    frames = max(1, round(end_ms / 1000 * fps))
    weight = frames * frame[0] * frame[1] / (1920 * 1080) / ENCODE_FPS_1080P
    if quality == "preview":
        weight /= 4
    step = Step("picture", inputs, ";".join(chains), ["-map", label],
                ["-an", "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                 "-t", seconds(end_ms), "-f", "mp4"],
                workdir / "picture.mp4", weight=weight, duration_ms=end_ms)
    return [step], text_files


def _x264_match(facts: StreamFacts) -> list[str]:
    """Encoder options that make a re-encoded stretch fit between copied ones: same profile,
    level, pixel format, colour description; no B-frames (so its decode order is its display
    order and the join's decode timestamps can be set, see smart.py); parameter-set ids the
    source does not use (see smart.py on avc1)."""
    sps_id = free_parameter_set_id(facts.extradata)
    level = facts.level or parse_avcc(facts.extradata).header[3]
    params = f"sps-id={sps_id}:bframes=0:level={level / 10:.1f}"
    if X264_PROFILES[facts.profile] == "high":
        params += ":8x8dct=1"
    args = ["-c:v", "libx264", "-preset", PART_PRESET, "-crf", str(PART_CRF),
            "-profile:v", X264_PROFILES[facts.profile], "-x264-params", params, "-pix_fmt", facts.pix_fmt]
    if facts.color_range in (1, 2):
        args += ["-color_range", str(facts.color_range)]
    for option, value in (("-color_primaries", facts.color_primaries), ("-color_trc", facts.color_trc),
                          ("-colorspace", facts.colorspace)):
        if value not in (0, 2):  # 2 = unspecified
            args += [option, str(value)]
    return args


def _part_steps(facts: StreamFacts, stretches: list[Stretch], seg: Segment, titles: list[Segment], font: Path,
                workdir: Path) -> list[Step]:
    """One ffmpeg run per re-encoded stretch: decode exactly its frames, draw the titles that
    show in it on its own clock, encode to match the copied stream."""
    tb = facts.time_base
    base = stretches[0].first
    steps: list[Step] = []
    codec = _x264_match(facts)
    sar = facts.sar if facts.sar > 0 else Fraction(1)
    pixels = facts.width * facts.height / (1920 * 1080)
    for n, s in enumerate(x for x in stretches if x.encode):
        s.part = workdir / f"part_{n}.mp4"
        frame_s = float(tb) * (s.pts[1] - s.pts[0]) if len(s.pts) > 1 else 1 / 60
        seek = max(0.0, float(s.first * tb) - facts.start_time - frame_s / 2)
        offset_ms = seg.start + round(float((s.first - base) * tb) * 1000)
        end_ms = offset_ms + round(float((s.end - s.first) * tb) * 1000)
        draws = []
        for i, title in enumerate(titles):
            if title.start < end_ms and title.end > offset_ms:
                draw, _ = title_filter(title, i, (facts.width, facts.height), font, workdir, offset_ms)
                draws.append(draw)
        chain = ",".join(["setpts=PTS-STARTPTS", *draws, f"setsar={sar.numerator}/{sar.denominator}"])
        steps.append(Step(
            f"part {n + 1}",
            [["-ss", f"{seek:.6f}", "-an", "-sn", "-dn", "-i", str(facts.path)]],
            f"[0:v:0]{chain}[v]",
            ["-map", "[v]"],
            ["-frames:v", str(s.frames), "-fps_mode", "passthrough", *codec, "-an", "-f", "mp4"],
            s.part,
            weight=s.frames * pixels / ENCODE_FPS_1080P * 1.3,  # x264 without B-frames, plus the seek
            frames=s.frames,
        ))
    return steps
