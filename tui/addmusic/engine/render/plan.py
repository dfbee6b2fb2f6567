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
from . import reel
from .encoder import FULL_CRF, FULL_PRESET, encoder_threads, x264_args
from .graph import FILL_MODES, SAMPLE_RATE, even, rate, seconds, title_colour, title_filter
from .smart import MAX_SMART_SHARE, SmartError, Stretch, free_parameter_set_id, share_encoded, split
from .song import SongError, SongFit, plan_song
from .soundfacts import Layer
from .source import X264_PROFILES, StreamFacts, index, parse_avcc

log = logging.getLogger(__name__)

FONT = Path(__file__).resolve().parents[2] / "fonts" / "DejaVuSans-Bold.ttf"
# the full re-encode's x264 preset and CRF; "high" is chosen from a measured table (encoder.py)
QUALITY_PRESETS = {"high": (FULL_PRESET, FULL_CRF), "preview": ("ultrafast", 30)}
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
    after: list[str] = field(default_factory=list)  # a second output, after the first (ENCODED_LOOK)
    graph_threads: int = 0  # threads of each filter graph; 0: ffmpeg's choice (one per core)

    def args(self, ffmpeg: str) -> list[str]:
        """The complete argument vector; progress goes to stdout, only errors to stderr."""
        argv = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-loglevel", self.log_level, "-y",
                "-progress", "pipe:1"]
        if self.graph_threads:
            argv += ["-filter_threads", str(self.graph_threads), "-filter_complex_threads", str(self.graph_threads)]
        for one in self.inputs:
            argv += one
        if self.filter_complex:
            argv += ["-filter_complex", self.filter_complex]
        argv += self.maps + self.codec_args
        argv.append(str(self.output))
        return argv + self.after


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
    joined: int = 1  # copy and smart: how many clips are joined
    fallback: list[Step] = field(default_factory=list)  # smart: the full re-encode if joining fails
    text_files: list[Path] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)
    songs: list[SongFit] = field(default_factory=list)  # the user's songs to fit before the mix
    sound_layers: list[Layer] = field(default_factory=list)  # what the mix places, for soundfacts.predict

    @property
    def reencode_video(self) -> bool:
        return self.mode == "encode"

    @property
    def weight(self) -> float:
        return self.mix.weight + self.duration_ms / 1000 / MASTER_SPEED + sum(s.weight for s in self.video)

    def describe(self) -> str:
        """One line for logs and the job: what is copied and what is re-encoded, and why."""
        clips = f", {self.joined} clips joined" if self.joined > 1 else ""
        if self.mode == "copy":
            return f"video copied{clips}, sound mixed and mastered"
        if self.mode == "smart":
            return f"smart render: {self.share:.0%} of frames re-encoded ({self.reason}), the rest copied{clips}"
        return f"full re-encode: {self.reason}"


# ---------------------------------------------------------------------------------------------
# Planning helpers


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
    cache_dir: Path | None = None,
) -> RenderPlan:
    """Decide how to render `draft` and spell it out for ffmpeg. Writes title text files into
    `workdir` (which must outlive the render) and reads the clip's packet index when copying
    or smart rendering is possible; raises RenderError for drafts it cannot render. The user's
    songs are fitted into `cache_dir` (default: `workdir`/songs) when the plan runs."""
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
    songs: list[SongFit] = []
    cache_dir = Path(cache_dir) if cache_dir is not None else Path(workdir) / "songs"
    for n, seg in enumerate(musics):
        if seg.src in audio_files:
            music_sources.append(Path(audio_files[seg.src]))
        elif seg.src in media and media[seg.src].has_audio:
            # the user's song: fitted to its segment (never past the timeline) from its in-point,
            # then mixed like composed music from the fitted file's start
            length = min(seg.duration, end_ms - seg.start)
            try:
                fit = plan_song(seg, media[seg.src].path, length, cache_dir)
            except SongError as exc:
                raise RenderError(str(exc)) from exc
            songs.append(fit)
            music_sources.append(fit.output)
            musics[n] = dataclasses.replace(seg, source_in=0, duration=length)
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
    source_size = reel.display_size(pictures[0]) if pictures else None
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

    crossfade = reel.crossfade_ms(draft.meta) > 0
    mix_step, temp, layers = _mix_step(videos, media, musics, music_sources, end_ms, workdir, crossfade)
    master = workdir / "sound.m4a"
    temp += [master]
    plan = RenderPlan(mode="encode", reason="", mix=mix_step, master=master,
                      loudness=_loudness_target(draft.meta), video=[], output=output, duration_ms=end_ms,
                      temp_files=temp, songs=songs, sound_layers=layers)

    full_steps, text_files = _encode_steps(videos, media, titles, frame, fps, fill, quality, end_ms,
                                           font, workdir, crossfade)
    plan.text_files = text_files
    plan.temp_files.append(workdir / "picture.mp4")
    pieces = reel.pieces(videos, media, end_ms, crossfade=False) if videos else []
    reason, sources = _why_not_copy(pieces, media, frame, quality, draft.meta)
    if reason:
        plan.reason, plan.video = reason, full_steps
        return plan
    try:
        stretches, why = _stretches(pieces, sources, titles)
    except SmartError:
        plan.reason, plan.video = "a clip has no frames in its trimmed range", full_steps
        return plan
    plan.source, plan.stretches, plan.joined = sources[0], stretches, len(sources)
    plan.share = share_encoded(stretches)
    if plan.share == 0:
        plan.mode = "copy"
        return plan
    if not smart:
        plan.reason, plan.video, plan.source, plan.stretches = f"{why}; smart rendering is off", full_steps, None, []
        return plan
    if plan.share > MAX_SMART_SHARE:
        plan.reason = f"{why} over {plan.share:.0%} of the frames"
        plan.video, plan.source, plan.stretches = full_steps, None, []
        return plan
    plan.mode, plan.reason, plan.fallback = "smart", why, full_steps
    plan.stretches = stretches = _share_out(stretches, encoder_threads())
    plan.video = _part_steps(stretches, titles, font, workdir)
    plan.temp_files += sorted({s.part for s in stretches if s.part is not None})
    return plan


def _why_not_copy(pieces: list[reel.Piece], media: dict[str, MediaInfo], frame: tuple[int, int], quality: str,
                  meta: dict) -> tuple[str, list[StreamFacts]]:
    """Why the picture must be re-encoded whole, or "" and each piece's packet index (in timeline
    order) when the clips' packets can be copied and joined (all of them, or all but the
    stretches that change): every clip H.264 in the frame's own size, the same settings in each,
    no crossfade, no stills, no gaps."""
    if quality != "high":
        return "preview renders are always re-encoded small", []
    clips = [p for p in pieces if p.segment is not None and p.info is not None]
    if not clips:
        return "the timeline has no clip", []
    several = len(clips) > 1
    if several and reel.crossfade_ms(meta):
        return "the clips crossfade into each other", []
    for piece in clips:
        info = piece.info
        assert info is not None
        if info.kind != "video":
            return ("a picture is a still image" if info.kind == "image" else "a clip has no picture"), []
        if info.video_codec != "h264":
            return f"{(info.video_codec or 'this').upper()} video is converted to H.264 for every player", []
        if (info.width, info.height) != frame:
            return "the frame changes size or shape", []
    if pieces[0].segment is None:
        return "the clip is placed later on the timeline", []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        if piece.segment is None and not (last and piece.duration <= COPY_SLACK_MS):
            return ("the timeline runs past the end of the clip" if last else "the timeline has gaps between clips"), []
        info = piece.info
        if info is not None and piece.segment is not None and \
                info.duration_ms - piece.segment.source_in < piece.duration - COPY_SLACK_MS:
            return ("the timeline runs past the end of the clip" if last
                    else "a clip ends before the next one starts"), []
    scanned: dict[Path, StreamFacts] = {}
    for piece in clips:
        info = piece.info
        assert info is not None
        if info.path in scanned:
            continue
        try:
            facts = scanned[info.path] = index(info.path)
        except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
            log.info("cannot index %s for copying: %s", info.path, exc)
            return "the clip's video stream cannot be indexed for copying", []
        if facts.pix_fmt != "yuv420p":
            return f"{facts.pix_fmt or 'this'} pictures are converted to yuv420p for every player", []
        if (facts.width, facts.height) != (info.width, info.height):
            return "the clip is rotated", []
        if not facts.extradata or facts.profile not in X264_PROFILES:
            return f"the clip's H.264 ({facts.profile or 'unknown profile'}) cannot be matched for copying", []
        if not any(p.idr for p in facts.packets):
            return "the clip has no IDR keyframes (open GOPs) to cut at", []
    sources = [scanned[p.info.path] for p in clips if p.info is not None]
    differs = _first_difference(sources, [p.info.fps for p in clips if p.info is not None])
    if differs:
        return f"the clips differ in {differs}, so they cannot be joined by copying", []
    return "", sources


# What two clips must share to be joined packet for packet, checked in this order; the first
# difference is named in the plan's reason.
_JOIN_KEYS: tuple[tuple[str, str], ...] = (
    ("size", "width height"), ("pixel format", "pix_fmt"), ("H.264 profile or level", "profile level"),
    ("colour", "color_range color_primaries color_trc colorspace"), ("pixel aspect", "sar"),
    ("time base", "time_base"), ("H.264 settings (SPS/PPS)", "extradata"),
)


def _first_difference(sources: list[StreamFacts], fps: list[float]) -> str:
    if any(abs(f - fps[0]) > 0.01 for f in fps):
        return "frame rate"
    first = sources[0]
    for words, names in _JOIN_KEYS:
        if any(getattr(other, n) != getattr(first, n) for other in sources[1:] for n in names.split()):
            return words
    return ""


def _stretches(pieces: list[reel.Piece], sources: list[StreamFacts], titles: list[Segment]
               ) -> tuple[list[Stretch], str]:
    """Every clip's stretches, placed on the timeline, and why any are re-encoded. Raises
    SmartError when a clip has no frames in its range."""
    result: list[Stretch] = []
    titled = cut = False
    for piece, facts in zip((p for p in pieces if p.segment is not None), sources, strict=True):
        seg = piece.segment
        assert seg is not None
        tb = facts.time_base
        piece_end = piece.start + piece.duration

        def ticks(clip_ms: float, facts: StreamFacts = facts) -> int:
            return round((facts.start_time + clip_ms / 1000) / facts.time_base)

        start, stop = ticks(seg.source_in), ticks(seg.source_in + piece.duration)
        dirty = [(ticks(seg.source_in + max(t.start, piece.start) - piece.start),
                  ticks(seg.source_in + min(t.end, piece_end) - piece.start))
                 for t in titles if t.start < piece_end and t.end > piece.start]
        mine = split(facts.packets, start, stop, dirty)
        shift = mine[0].first - round(Fraction(piece.start, 1000) / tb)
        for s in mine:
            s.source, s.shift = facts, shift
            if s.encode:
                if any(a < s.end and b > s.first for a, b in dirty):
                    titled = True
                else:
                    cut = True
        result += mine
    clips = "a clip is" if len(sources) > 1 else "the clip is"
    why = " and ".join(w for w, on in (("titles are drawn on the picture", titled),
                                        (f"{clips} cut between keyframes", cut)) if on)
    return result, why


def _mix_step(videos: list[Segment], media: dict[str, MediaInfo], musics: list[Segment],
              music_sources: list[Path], end_ms: int, workdir: Path, crossfade: bool = False
              ) -> tuple[Step, list[Path], list[Layer]]:
    """The sound of every piece at its level, joined in timeline order (reel.py), under the music;
    and the layers it places, for the loudness prediction (soundfacts.py)."""
    inputs: list[list[str]] = []
    layers: list[Layer] = []
    chains: list[str] = []
    pieces = reel.pieces(videos, media, end_ms, crossfade) if videos else []
    clip = None
    if reel.has_clip_sound(pieces):
        inputs, chains, clip = reel.audio_graph(pieces, 0)
        for piece in pieces:  # a crossfade's two halves are counted whole: the meter corrects it
            seg, info = piece.segment, piece.info
            if seg is not None and info is not None and info.has_audio and reel.clip_gain(seg) > 0:
                layers.append(Layer(info.path, piece.start, seg.source_in if info.kind != "image" else 0,
                                    piece.duration, reel.clip_gain(seg), is_clip=True))
    music_inputs: list[tuple[str, Segment]] = []
    for seg, path in zip(musics, music_sources, strict=True):
        music_inputs.append((f"[{len(inputs)}:a:0]", seg))
        inputs.append(["-i", str(path)])
        layers.append(Layer(Path(path), seg.start, seg.source_in, seg.duration,
                            seg.level / 100, seg.fade_in, seg.fade_out,
                            sound.duck_depth(seg) if seg.duck else None))
    mix_chains, label = sound.mix_graph(clip, music_inputs, end_ms)
    wav = workdir / "sound_mix.wav"
    step = Step("mix", inputs, ";".join(chains + mix_chains), ["-map", label],
                ["-c:a", "pcm_f32le", "-f", "wav"], wav, weight=end_ms / 1000 / MIX_SPEED + 0.2,
                duration_ms=end_ms, log_level="info", graph_threads=SOUND_GRAPH_THREADS)
    return step, [wav], layers


# Sound graphs run in one thread: their filters' slice threads split a stereo frame's two channels
# between cores and meet again after every filter, on every frame; the ducking mix of a minute of
# sound took 0.98 s that way and 0.48 s in one thread (`-f null`, 2 cores).
SOUND_GRAPH_THREADS = 1
_AAC = ["-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", "-ar", str(SAMPLE_RATE), "-ac", "2"]
# The sound as players will decode it, measured in the run that encodes it: ffmpeg's loopback
# decoder (-dec, ffmpeg 7+) decodes the first output's first stream (the AAC; the picture, when
# the run writes it too, comes after) into a sample-peak meter of its own thread. The encoder's
# priming samples are in it and trimmed from the file: a peak read here is never below the file's.
# It added 0.28 s to a minute-long "add music" export where a volumedetect run over the written
# file added 0.40 s (wall, medians of 7, 2 cores).
ENCODED_LOOK = ["-dec", "0:0", "-filter_complex", f"[dec:0]{sound.SAMPLE_PEAK_METER}[encoded]",
                "-map", "[encoded]", "-f", "null", "-"]


def master_step(plan: RenderPlan, gain_db: float, limit: bool, ceiling_db: float = sound.LIMITER_CEILING_DB) -> Step:
    """The second sound run, once the mix is measured."""
    return Step("master", [["-i", str(plan.mix.output)]], "", ["-af", sound.master_filter(gain_db, limit, ceiling_db)],
                # the "fast" coder is ffmpeg's advice for high bit rates; ~0.5 s less per minute
                _AAC + ["-t", seconds(plan.duration_ms), "-f", "mp4"],
                plan.master, weight=plan.duration_ms / 1000 / MASTER_SPEED, duration_ms=plan.duration_ms,
                log_level="info", after=ENCODED_LOOK, graph_threads=SOUND_GRAPH_THREADS)


def one_pass_step(plan: RenderPlan, gain_db: float, ceiling_db: float = sound.LIMITER_CEILING_DB) -> Step:
    """Mix, master, measure and encode in one run, when the gain is known beforehand."""
    return Step("master", plan.mix.inputs, sound.mastered_graph(plan.mix.filter_complex, gain_db, ceiling_db),
                plan.mix.maps, _AAC + ["-t", seconds(plan.duration_ms), "-f", "mp4"], plan.master,
                weight=plan.mix.weight + plan.duration_ms / 1000 / MASTER_SPEED, duration_ms=plan.duration_ms,
                log_level="info", after=ENCODED_LOOK, graph_threads=SOUND_GRAPH_THREADS)


def encoded_peak_step(path: Path) -> Step:
    """A true-peak pass over an encoded file's sound (the AAC as players decode it), writing nothing."""
    return Step("encoded peak", [["-i", str(path)]], "", ["-map", "0:a:0", "-af", sound.METER], ["-f", "null"], "-",
                weight=0.0, log_level="info", graph_threads=SOUND_GRAPH_THREADS)


def check_step(plan: RenderPlan, gain_db: float) -> Step:
    """A measuring pass over the mix with the gain and the limiter applied, writing nothing."""
    return Step("check", [["-i", str(plan.mix.output)]], "",
                ["-af", f"{sound.master_filter(gain_db, True)},ebur128=peak=true"], ["-f", "null"], "-",
                weight=0.0, duration_ms=plan.duration_ms, log_level="info", graph_threads=SOUND_GRAPH_THREADS)


def _encode_steps(videos: list[Segment], media: dict[str, MediaInfo], titles: list[Segment],
                  frame: tuple[int, int], fps: float, fill: str, quality: str, end_ms: int, font: Path,
                  workdir: Path, crossfade: bool = False) -> tuple[list[Step], list[Path]]:
    """The full re-encode: every piece fitted into the frame, joined (reel.py), titled, encoded once."""
    frame_rate = Fraction(rate(fps))
    inputs, chains, label = reel.video_graph(reel.pieces(videos, media, end_ms, crossfade), frame, frame_rate, fill)
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
    frames = max(1, reel.frame_at(end_ms, frame_rate))
    weight = frames * frame[0] * frame[1] / (1920 * 1080) / ENCODE_FPS_1080P
    if quality == "preview":
        weight /= 4
    step = Step("picture", inputs, ";".join(chains), ["-map", label],
                ["-an", *x264_args(preset, crf), "-pix_fmt", "yuv420p",
                 "-frames:v", str(frames), "-t", seconds(end_ms), "-f", "mp4"],
                workdir / "picture.mp4", weight=weight, duration_ms=end_ms)
    return [step], text_files


def _x264_match(facts: StreamFacts, threads: int) -> list[str]:
    """Encoder options that make a re-encoded stretch fit between copied ones: same profile,
    level, pixel format, colour description; no B-frames (so its decode order is its display
    order and the join's decode timestamps can be set, see smart.py); parameter-set ids the
    source does not use (see smart.py on avc1)."""
    sps_id = free_parameter_set_id(facts.extradata)
    level = facts.level or parse_avcc(facts.extradata).header[3]
    params = f"sps-id={sps_id}:bframes=0:level={level / 10:.1f}"
    if X264_PROFILES[facts.profile] == "high":
        params += ":8x8dct=1"
    args = ["-c:v", "libx264", "-preset", PART_PRESET, "-crf", str(PART_CRF), "-threads", str(threads),
            "-profile:v", X264_PROFILES[facts.profile], "-x264-params", params, "-pix_fmt", facts.pix_fmt]
    if facts.color_range in (1, 2):
        args += ["-color_range", str(facts.color_range)]
    for option, value in (("-color_primaries", facts.color_primaries), ("-color_trc", facts.color_trc),
                          ("-colorspace", facts.colorspace)):
        if value not in (0, 2):  # 2 = unspecified
            args += [option, str(value)]
    return args


# A re-encoded stretch is split for the cores only into pieces at least this long: each piece
# pays an ffmpeg start, a seek and an x264 start.
MIN_PART_FRAMES = 20


def _share_out(stretches: list[Stretch], cores: int) -> list[Stretch]:
    """Split the longest re-encoded stretches until there is one per core (they run side by
    side), at a keyframe of the source near the middle: the piece after it then starts decoding
    right there. A stretch without one inside stays whole: its second piece would decode again
    from the keyframe before it, in a second process, and the two together cost more than the
    one (a 45-frame trim head: 1.65 s of CPU in two pieces against 0.9 s whole)."""
    result = list(stretches)
    unsplittable: set[int] = set()
    while sum(s.encode for s in result) < cores:
        candidates = [s for s in result if s.encode and id(s) not in unsplittable]
        if not candidates:
            break
        longest = max(candidates, key=lambda s: s.frames)
        if longest.frames < 2 * MIN_PART_FRAMES:
            break
        assert longest.source is not None
        idrs = {p.pts for p in longest.source.packets if p.idr}
        middle = longest.frames // 2
        cuts = [k for k in range(MIN_PART_FRAMES, longest.frames - MIN_PART_FRAMES + 1) if longest.pts[k] in idrs]
        if not cuts:
            unsplittable.add(id(longest))
            continue
        k = min(cuts, key=lambda c: abs(c - middle))
        head = dataclasses.replace(longest, end=longest.pts[k], frames=k, pts=longest.pts[:k])
        tail = dataclasses.replace(longest, first=longest.pts[k], frames=longest.frames - k, pts=longest.pts[k:])
        at = next(i for i, s in enumerate(result) if s is longest)
        result[at:at + 1] = [head, tail]
    return result


def _part_steps(stretches: list[Stretch], titles: list[Segment], font: Path, workdir: Path) -> list[Step]:
    """One ffmpeg run per core, each re-encoding a share of the stretches into one file: every
    stretch decoded from its clip (exactly its frames), the titles that show in it drawn on its
    own clock, the stretches joined and encoded to match the copied stream, each starting with
    an IDR picture of its own (`part_first` finds it in the file). Fewer runs than stretches
    spare each further run its start: two 45-frame stretches of 1080p cost 1.3 s of CPU in one
    run against 1.8 s in two."""
    encoded = [x for x in stretches if x.encode]
    runs = min(len(encoded), encoder_threads())
    groups: list[list[Stretch]] = [[] for _ in range(runs)]
    for stretch in sorted(encoded, key=lambda x: -x.frames):  # the longest first, to the lightest run
        min(groups, key=lambda g: sum(x.frames for x in g)).append(stretch)
    order = {id(x): i for i, x in enumerate(encoded)}
    idrs = {id(x.source): {p.pts for p in x.source.packets if p.idr} for x in encoded if x.source is not None}
    # the runs go side by side, one per core (run.py): the cores are shared out between them
    threads = max(1, encoder_threads() // max(1, runs))
    steps = []
    for n, group in enumerate(groups):
        group.sort(key=lambda x: order[id(x)])  # timeline order inside the file
        path = workdir / f"part_{n}.mp4"
        inputs: list[list[str]] = []
        chains: list[str] = []
        starts: list[int] = []
        for k, stretch in enumerate(group):
            stretch.part, stretch.part_first = path, sum(x.frames for x in group[:k])
            starts.append(stretch.part_first)
            seek, chain = _stretch_input(stretch, idrs, titles, font, workdir)
            # one decoding thread: the runs share the cores between them (and with the sound);
            # frame threads only add their start-up delay to a run this short
            inputs.append(["-threads", "1", "-ss", f"{seek:.6f}", "-an", "-sn", "-dn", "-i", str(stretch.source.path)])
            chains.append(f"[{k}:v:0]trim=end_frame={stretch.frames},{chain}[s{k}]")
        joined = "".join(f"[s{k}]" for k in range(len(group)))
        chains.append(f"{joined}concat=n={len(group)}:v=1:a=0[v]" if len(group) > 1 else "[s0]null[v]")
        frames = sum(x.frames for x in group)
        facts = group[0].source
        assert facts is not None
        keys = ["-force_key_frames", "expr:" + "+".join(f"eq(n,{k})" for k in starts[1:]), "-forced-idr", "1"] \
            if len(group) > 1 else []
        steps.append(Step(
            f"part {n + 1}", inputs, ";".join(chains), ["-map", "[v]"],
            ["-frames:v", str(frames), "-fps_mode", "passthrough", *keys, *_x264_match(facts, threads), "-an",
             "-f", "mp4"],
            path,
            # x264 without B-frames, plus the seeks
            weight=frames * facts.width * facts.height / (1920 * 1080) / ENCODE_FPS_1080P * 1.3,
            frames=frames,
        ))
    return steps


def _stretch_input(s: Stretch, idrs: dict[int, set[int]], titles: list[Segment], font: Path, workdir: Path
                   ) -> tuple[float, str]:
    """Where to seek in the stretch's clip, and its filters: its own clock from 0, its titles."""
    facts = s.source
    assert facts is not None
    tb = facts.time_base
    sar = facts.sar if facts.sar > 0 else Fraction(1)
    frame_s = float(tb) * (s.pts[1] - s.pts[0]) if len(s.pts) > 1 else 1 / 60
    at = float(s.first * tb) - facts.start_time
    if s.first in idrs[id(facts)] and float(tb) > 4e-6:
        # The stretch starts on a keyframe: seek to its very time (to the microsecond, within
        # half a tick of the time base, so both the demuxer's seek and the frame trim round to
        # its pts). Half a frame before it, as below, would land on the keyframe before and
        # decode a whole GOP for nothing (0.35 s of CPU a second of 1080p).
        seek = at
    else:
        # ffmpeg decodes from the keyframe before and drops the frames before the time
        seek = max(0.0, at - frame_s / 2)
    offset_ms = round(float((s.first - s.shift) * tb) * 1000)
    end_ms = offset_ms + round(float((s.end - s.first) * tb) * 1000)
    draws = []
    for i, title in enumerate(titles):
        if title.start < end_ms and title.end > offset_ms:
            draw, _ = title_filter(title, i, (facts.width, facts.height), font, workdir, offset_ms)
            draws.append(draw)
    return seek, ",".join(["setpts=PTS-STARTPTS", *draws, f"setsar={sar.numerator}/{sar.denominator}"])
