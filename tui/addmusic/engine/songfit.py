"""Fitting a user's song to the video's length: a plan (plain data) and a numpy renderer.

The video's length rules: the output is exactly ``timeline`` seconds, to the sample.
- A song longer than the video (from its in-point) plays until a phrase boundary — a downbeat a
  multiple of 8 (else 4, 2, 1) bars from the start — and fades out from there so the fade ends
  on the last sample.
- A shorter song loops: it plays to a downbeat near its end and jumps back to the downbeat at the
  in-point, joined by a short equal-power crossfade, as often as needed; the last pass is cut and
  faded like a longer song. With ``mode="end_early"`` it plays once and fades out at its own end,
  and the rest is silence.
The in-point is a time in the song ("start the song at 0:45") or ``"chorus"``: the loudest stretch
of the needed length that starts on a downbeat. Without a beat (ambient music, speech) the same
happens on plain time with longer fades.
"""

from __future__ import annotations

import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .analysis.beats import ENERGY_RATE, BeatAnalysis, analyse_file
from .analysis.decode import decode_audio

MIN_FADE_S = 1.0  # the fade-out is never shorter (the last 0.3 s are always inside it)...
MAX_FADE_S = 5.0  # ...nor longer than this, nor than a third of the video
IDEAL_FADE_S = 2.5
NO_BEAT_FADE_S = 2.0
CROSSFADE_S = 0.08  # loop joins: short, on a downbeat, equal power
NO_BEAT_CROSSFADE_S = 0.5
START_FADE_S = 0.015  # a song started mid-way gets this fade-in so it does not click
MIN_LOOP_BARS = 4
PHRASE_LEVELS = (8, 4, 2, 1)  # bars; a fade on a longer phrase boundary is preferred
MIN_SONG_S = 1.0  # shorter sound is a blip, not a song to loop
SOUND_FLOOR = 0.03  # energy below 3 % of the loudest (-30 dB) is the song's silent tail


class FitError(Exception):
    """A fit that cannot be made as asked; the message is a sentence meant for the user."""


@dataclass(frozen=True)
class Piece:
    """A stretch of the song placed on the output: song time ``src`` plays at output time ``dst``."""

    src: float
    dst: float
    length: float


@dataclass
class FitPlan:
    timeline: float
    sample_rate: int
    mode: str  # "cut" | "loop" | "end_early"
    in_point: float
    pieces: list[Piece]
    crossfade: float  # seconds, centred on each join
    fade_start: float  # output time where the fade-out begins
    fade_end: float  # output time where it reaches silence (the timeline's end, or the song's)
    loops: int = 0  # how many times the song jumped back
    phrase_bars: int = 0  # the fade starts this many bars into the output (0: no beat)
    notes: list[str] = field(default_factory=list)

    @property
    def length_samples(self) -> int:
        return int(round(self.timeline * self.sample_rate))

    def song_time(self, t: float) -> float | None:
        """The song time heard at output time ``t`` (the later piece at a join)."""
        for piece in reversed(self.pieces):
            if piece.dst <= t + 1e-9:
                return piece.src + (t - piece.dst) if t < piece.dst + piece.length + 1e-9 else None
        return None

    def output_times(self, song_times: np.ndarray) -> np.ndarray:
        """Where each song time (a beat, a downbeat) is heard on the output, sorted; a time the
        plan plays twice appears twice, a time it skips not at all."""
        song_times = np.asarray(song_times, float)
        out = []
        # a beat right at a join is heard once, from the incoming piece (the analysis may place the
        # loop's two ends a few ms either side of the same bar line)
        join = max(self.crossfade / 2, 0.02)
        for i, piece in enumerate(self.pieces):
            end = piece.src + piece.length - (join if i < len(self.pieces) - 1 else 1e-6)
            inside = song_times[(song_times >= piece.src - join) & (song_times < end)]
            out.append(inside - piece.src + piece.dst)
        times = np.sort(np.concatenate(out)) if out else np.zeros(0)
        return times[times < self.timeline]

    def to_json(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------

def plan_fit(analysis: BeatAnalysis, timeline: float, *, start: float | str = 0.0, mode: str = "loop",
             sample_rate: int = 48000) -> FitPlan:
    """The plan for playing the analysed song under ``timeline`` seconds of video."""
    if timeline <= 0:
        raise FitError("The video has no length to fit the song to.")
    if mode not in ("loop", "end_early"):
        raise ValueError(f"unknown mode {mode!r}")
    music_end = _music_end(analysis)
    if music_end <= 0:
        raise FitError("The song is silent, so there is nothing to fit to the video.")
    if music_end < MIN_SONG_S:
        raise FitError("The song is under a second long, too short to fit to the video.")
    in_point = _in_point(analysis, timeline, start, music_end)
    available = music_end - in_point
    notes: list[str] = []
    has_beat = len(analysis.downbeats) >= 2
    if available >= timeline:
        plan = FitPlan(timeline, sample_rate, "cut", in_point, [Piece(in_point, 0.0, timeline)], 0.0, 0.0, timeline)
    elif mode == "end_early":
        fade = min(NO_BEAT_FADE_S, available / 3)
        plan = FitPlan(timeline, sample_rate, "end_early", in_point, [Piece(in_point, 0.0, available)], 0.0,
                       available - fade, available)
        notes.append(f"the song ends {timeline - available:.1f} s before the video")
        plan.notes = notes
        return plan
    else:
        plan = _loop_plan(analysis, timeline, in_point, music_end, sample_rate, has_beat)
    _choose_fade(plan, analysis, has_beat)
    if not has_beat:
        notes.append("no steady beat found: cuts and loops are on plain time")
    plan.notes = notes
    return plan


def _music_end(analysis: BeatAnalysis) -> float:
    """The end of the song's sound, ignoring a silent tail."""
    e = analysis.energy
    if len(e) == 0 or e.max() <= 0:
        return analysis.duration if len(e) == 0 else 0.0
    loud = np.flatnonzero(e > e.max() * SOUND_FLOOR)
    return float(min(analysis.duration, (loud[-1] + 1) / ENERGY_RATE))


def _in_point(analysis: BeatAnalysis, timeline: float, start: float | str, music_end: float) -> float:
    if start == "chorus":
        return analysis.chorus_start(min(timeline, music_end))
    if isinstance(start, str):
        raise ValueError(f"unknown start {start!r}")
    at = float(start)
    if at < 0:
        raise FitError("The song cannot start before its beginning.")
    if at >= music_end - MIN_SONG_S:
        raise FitError(f"The song is only {_clock(music_end)} long, so it cannot start at {_clock(at)}.")
    return at


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _loop_plan(analysis: BeatAnalysis, timeline: float, in_point: float, music_end: float, sample_rate: int,
               has_beat: bool) -> FitPlan:
    loop_start, loop_end, crossfade = _loop_points(analysis, in_point, music_end, has_beat)
    pieces = [Piece(in_point, 0.0, loop_end - in_point)]
    dst = pieces[0].length
    loops = 0
    while True:
        loops += 1
        remaining = timeline - dst
        if music_end - loop_start >= remaining:
            pieces.append(Piece(loop_start, dst, remaining))  # the last pass may run on past loop_end
            break
        pieces.append(Piece(loop_start, dst, loop_end - loop_start))
        dst += loop_end - loop_start
    return FitPlan(timeline, sample_rate, "loop", in_point, pieces, crossfade, 0.0, timeline, loops=loops)


def _loop_points(analysis: BeatAnalysis, in_point: float, music_end: float,
                 has_beat: bool) -> tuple[float, float, float]:
    """(loop start, loop end, crossfade): both ends on downbeats a multiple of 4 bars apart when
    the song allows, else any whole number of bars, else plain time."""
    if has_beat:
        db = analysis.downbeats
        starts = np.flatnonzero(db >= in_point - 0.05)
        ends = np.flatnonzero(db <= music_end - CROSSFADE_S)
        if len(starts) and len(ends):
            first, last = int(starts[0]), int(ends[-1])
            bars = last - first
            for multiple in (4, 2, 1):
                whole = bars - bars % multiple
                if whole >= min(MIN_LOOP_BARS, bars) and whole >= 1:
                    return float(db[first]), float(db[first + whole]), CROSSFADE_S
    crossfade = min(NO_BEAT_CROSSFADE_S, (music_end - in_point) / 4)
    return in_point, music_end - crossfade / 2, crossfade


def _choose_fade(plan: FitPlan, analysis: BeatAnalysis, has_beat: bool) -> None:
    """Start the fade-out on the best phrase boundary so that it ends on the timeline's last sample."""
    end = plan.timeline
    longest = min(MAX_FADE_S, end / 3)
    shortest = min(MIN_FADE_S, longest)
    if has_beat:
        downbeats = plan.output_times(analysis.downbeats)
        bar = float(np.median(np.diff(analysis.downbeats)))
        # bars are counted from the first downbeat at or after the start of the output, extended
        # back by whole bars in case the analysis missed one right at the start
        origin = downbeats[0] - bar * np.floor(downbeats[0] / bar + 0.1) if len(downbeats) else 0.0
        best: tuple[float, float, int] | None = None  # (score, time, bars)
        for t in downbeats:
            bars = int(round((t - origin) / bar))
            fade = end - t
            if not shortest <= fade <= longest or t <= 0:
                continue
            level = next(p for p in PHRASE_LEVELS if bars % p == 0)
            score = level - abs(fade - IDEAL_FADE_S) / IDEAL_FADE_S
            if best is None or score > best[0]:
                best = (score, float(t), bars)
        if best is not None:
            plan.fade_start, plan.phrase_bars = best[1], best[2]
            return
    plan.fade_start = end - min(NO_BEAT_FADE_S, longest)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

def render_fit(song: np.ndarray, plan: FitPlan) -> np.ndarray:
    """The fitted music, float32 (n, channels), exactly ``plan.length_samples`` long. ``song``
    must be at ``plan.sample_rate``."""
    src = np.asarray(song, np.float32)
    if src.ndim == 1:
        src = src[:, None]
    sr = plan.sample_rate
    n_out = plan.length_samples
    out = np.zeros((n_out, src.shape[1]), np.float32)
    half = int(round(plan.crossfade * sr / 2))
    last = len(plan.pieces) - 1
    for i, piece in enumerate(plan.pieces):
        d0 = int(round(piece.dst * sr))
        d1 = int(round((piece.dst + piece.length) * sr))
        a = d0 - (half if i > 0 else 0)
        b = min(n_out, d1 + (half if i < last else 0))
        if b <= a:
            continue
        s0 = int(round(piece.src * sr)) - (d0 - a)
        gain = np.ones(b - a, np.float32)
        if i > 0 and half:
            x = (np.arange(2 * half) + 0.5) / (2 * half)
            gain[: 2 * half] *= np.sin(0.5 * np.pi * x)[: b - a]
        if i < last and half:
            x = (np.arange(2 * half) + 0.5) / (2 * half)
            k = min(2 * half, b - a)
            gain[-k:] *= np.cos(0.5 * np.pi * x)[2 * half - k :]
        out[a:b] += _take(src, s0, b - a) * gain[:, None]
    if plan.in_point > 0:
        k = min(n_out, int(START_FADE_S * sr))
        out[:k] *= np.linspace(0.0, 1.0, k, dtype=np.float32)[:, None]
    f0 = int(round(plan.fade_start * sr))
    f1 = min(n_out, int(round(plan.fade_end * sr)))
    if f1 > f0:
        # raised cosine from 1 down to exactly 0 on the fade's last sample
        x = np.arange(f1 - f0, dtype=np.float64) / max(1, f1 - f0 - 1)
        out[f0:f1] *= (0.5 * (1 + np.cos(np.pi * x))).astype(np.float32)[:, None]
    out[f1:] = 0.0
    return out


def _take(src: np.ndarray, start: int, n: int) -> np.ndarray:
    """``n`` frames of ``src`` from ``start``, zeros where that runs outside the song."""
    block = np.zeros((n, src.shape[1]), np.float32)
    lo, hi = max(0, start), min(len(src), start + n)
    if hi > lo:
        block[lo - start : hi - start] = src[lo:hi]
    return block


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM with the standard library."""
    data = np.asarray(audio)
    if data.ndim == 1:
        data = data[:, None]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.round(np.clip(data, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())


def fit_file(song_path: str | Path, timeline: float, out_path: str | Path, *, start: float | str = 0.0,
             mode: str = "loop", sample_rate: int = 48000, analysis: BeatAnalysis | None = None) -> FitPlan:
    """Analyse (unless a cached analysis is given), plan, render and write the fitted song."""
    analysis = analysis or analyse_file(song_path)
    plan = plan_fit(analysis, timeline, start=start, mode=mode, sample_rate=sample_rate)
    song = decode_audio(song_path, sample_rate, channels=2)
    write_wav(out_path, render_fit(song, plan), sample_rate)
    return plan
