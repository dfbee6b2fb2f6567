"""Cutting to the beat, and music that follows the cuts.

``snap_to_beats`` moves each boundary between two clips of a reel to the nearest beat with a roll
edit: the clip before gets longer (or shorter) by as much as the clip after gets shorter (or
longer), so the reel's length — and the fitted music — stay as they are. A boundary moves only
within the media each clip has, never by more than half a beat, and never leaves a clip shorter
than ``min_clip``; each move is reported, and so is each boundary left alone, with the reason.

``plan_sections`` is the other way round, for composed music: it picks a tempo in the style's
range and a bar layout so that section changes fall on the video's cuts (within one beat);
cuts too close to the previous section change get an accent on their nearest beat instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class ClipSpan:
    """One clip of a reel: where it sits on the timeline and what of its media it shows."""

    start: float  # timeline seconds
    duration: float
    media_in: float  # seconds into the source file
    media_duration: float  # the source's full length: the out-point can move up to here

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class BoundaryMove:
    index: int  # the boundary between clip ``index`` and ``index + 1``
    before: float  # timeline seconds
    after: float
    beat: float | None  # the beat it now sits on (None if it stayed)
    reason: str = ""  # why it stayed, in words for the reply; "" when it moved or was already on a beat

    @property
    def delta(self) -> float:
        return self.after - self.before


def snap_to_beats(clips: list[ClipSpan], beats: np.ndarray | list[float], *, fps: float | None = None,
                  min_clip: float = 0.5) -> tuple[list[ClipSpan], list[BoundaryMove]]:
    """Clips whose boundaries sit on beats (see the module's note), and one move per boundary.

    With ``fps`` the new boundary is put on the frame nearest the beat (a cut can only be on a
    frame), so it is within half a frame of the beat."""
    beats = np.sort(np.asarray(beats, float))
    out = list(clips)
    moves: list[BoundaryMove] = []
    for i in range(len(out) - 1):
        left, right = out[i], out[i + 1]
        t = left.end
        if len(beats) < 2:
            moves.append(BoundaryMove(i, t, t, None, "the music has no beat to cut to"))
            continue
        half = _local_period(beats, t) / 2
        # what each side allows: the left clip's media end and minimum length, the right clip's
        # media start and minimum length
        lo = max(t - half, left.start + min_clip, right.start - right.media_in)
        hi = min(t + half, left.start + left.media_duration - left.media_in, right.end - min_clip)
        best: tuple[float, float] | None = None  # (new boundary, beat)
        for beat in beats[(beats >= t - half - 1e-9) & (beats <= t + half + 1e-9)]:
            at = round(beat * fps) / fps if fps else float(beat)
            if lo - 1e-9 <= at <= hi + 1e-9 and (best is None or abs(at - t) < abs(best[0] - t)):
                best = (at, float(beat))
        if best is None:
            moves.append(BoundaryMove(i, t, t, None, _why_not(beats, t, half, lo, hi)))
            continue
        at, beat = best
        delta = at - t
        out[i] = replace(left, duration=left.duration + delta)
        out[i + 1] = replace(right, start=at, duration=right.duration - delta, media_in=right.media_in + delta)
        moves.append(BoundaryMove(i, t, at, beat))
    return out, moves


def _local_period(beats: np.ndarray, t: float) -> float:
    j = int(np.clip(np.searchsorted(beats, t), 1, len(beats) - 1))
    near = np.diff(beats[max(0, j - 4):j + 4])
    return float(np.median(near))


def _why_not(beats: np.ndarray, t: float, half: float, lo: float, hi: float) -> str:
    if not np.any(np.abs(beats - t) <= half + 1e-9):
        return "no beat within half a beat"
    if lo > hi:
        return "a clip here is too short to move its cut"
    return "the clips have no more footage on the side of the beat"


# --------------------------------------------------------------------------------------------
# Music that follows the cuts
# --------------------------------------------------------------------------------------------

@dataclass
class SectionPlan:
    tempo: float  # bpm
    bar_beats: list[int]  # beats in each bar, in order (4 except where a section must start early/late)
    section_starts: list[float]  # seconds; the first is 0
    accents: list[float] = field(default_factory=list)  # beats to accent: cuts without a section change
    offsets: list[float] = field(default_factory=list)  # per cut: (its section start or accent) - cut

    @property
    def beat(self) -> float:
        return 60.0 / self.tempo

    def bar_starts(self) -> list[float]:
        return [float(x) * self.beat for x in np.concatenate([[0], np.cumsum(self.bar_beats)[:-1]])]


def plan_sections(cuts: list[float], duration: float, tempo_range: tuple[float, float], *,
                  beats_per_bar: int = 4, min_section_bars: int = 2, step_bpm: float = 0.05) -> SectionPlan:
    """Tempo and bars for composed music whose sections change on ``cuts`` (see the module's note).

    First try a steady 4/4 at some tempo in ``tempo_range`` with every section change within one
    beat of its cut; if none exists, keep the best tempo and let the bar before a section be
    shorter or longer (2-6 beats) so the section starts on the beat nearest the cut."""
    lo, hi = tempo_range
    cuts = sorted(c for c in cuts if 0 < c < duration)
    tempos = np.arange(lo, hi + 1e-9, step_bpm)
    best: tuple[tuple[int, float], float] | None = None
    for bpm in tempos:
        beat = 60.0 / bpm
        section_cuts, _ = _split(cuts, beat * beats_per_bar * min_section_bars)
        bar = beat * beats_per_bar
        dist = [abs(c - round(c / bar) * bar) for c in section_cuts]
        key = (sum(d <= beat for d in dist), -sum(dist))
        if best is None or key > best[0]:
            best = (key, float(bpm))
    bpm = best[1] if best else (lo + hi) / 2
    beat = 60.0 / bpm
    section_cuts, accent_cuts = _split(cuts, beat * beats_per_bar * min_section_bars)
    total_beats = int(np.ceil(duration / beat))
    bar_beats: list[int] = []
    starts = [0.0]
    position = 0  # beats so far
    for c in section_cuts:
        target = int(round(c / beat))
        grid = round(c / (beat * beats_per_bar)) * beats_per_bar
        if abs(grid * beat - c) <= beat + 1e-9 and grid > position:
            target = grid  # a whole bar lands within a beat: no odd bar needed
        gap = target - position
        if gap < 2:
            accent_cuts.append(c)
            continue
        bars = _fill(gap, beats_per_bar)
        bar_beats += bars
        position = target
        starts.append(target * beat)
    # after the last section: whole bars up to (or just past) the end; the composer ends there
    bar_beats += [beats_per_bar] * int(np.ceil(max(0, total_beats - position) / beats_per_bar))
    accents = sorted(round(c / beat) * beat for c in accent_cuts)
    offsets = []
    for c in cuts:
        marks = np.asarray(starts[1:] + accents) if (len(starts) > 1 or accents) else np.zeros(1)
        offsets.append(float(marks[np.argmin(np.abs(marks - c))] - c))
    return SectionPlan(tempo=round(bpm, 3), bar_beats=bar_beats, section_starts=starts, accents=accents,
                       offsets=offsets)


def _split(cuts: list[float], min_gap: float) -> tuple[list[float], list[float]]:
    """Cuts far enough apart to start a section each, and the rest (accents)."""
    sections: list[float] = []
    accents: list[float] = []
    last = 0.0
    for c in cuts:
        if c - last >= min_gap:
            sections.append(c)
            last = c
        else:
            accents.append(c)
    return sections, accents


def _fill(gap: int, beats_per_bar: int) -> list[int]:
    """Bars adding up to ``gap`` beats: whole bars, with the odd one (2-6 beats) last."""
    whole, rest = divmod(gap, beats_per_bar)
    if rest == 0:
        return [beats_per_bar] * whole
    if whole == 0:
        return [rest]
    if rest == 1:
        return [beats_per_bar] * (whole - 1) + [beats_per_bar + 1]  # 5 rather than a 1-beat bar
    return [beats_per_bar] * whole + [rest]
