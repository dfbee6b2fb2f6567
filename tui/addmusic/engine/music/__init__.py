"""The composer: original background music of an exact length, from sampled instruments
(a vendored FluidR3Mono subset, see tools/extract_samples.py) and band-limited synthesis.

``compose`` picks a tempo and a bar count for the length, arranges sections that build (intro,
main, lift, breakdown, final) with two motifs and varied repeats, renders every note into a
stereo bus with a full-rate reverb, compresses it and masters it to -14 LUFS integrated with a
true peak at or under -1 dBTP. The result carries the beat grid, section starts and accent hits
the renderer syncs cuts to. Style keys come from ``engine/styles.py``; each has one recipe in
``recipes.py``.
"""

from __future__ import annotations

import wave
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from addmusic.engine.beatsync import plan_sections
from addmusic.engine.styles import DEFAULT_STYLE, LABELS

from . import long
from .arrange import STING_BELOW_S, build_bars, layout_on_times, loop_layout, plan_length
from .mixdown import CEILING_DBTP, TARGET_LUFS, mix_down, one_period, ring_out_fade
from .recipes import RECIPES, Recipe
from .score import ROLES, Score

STYLES: dict[str, Recipe] = RECIPES
ENERGIES = ("calm", "normal", "high", "build")
MIN_TAIL_S = 1.5  # the final chord's shortest ring-out when it moves onto a late section time
F32 = np.float32

__all__ = ["CEILING_DBTP", "STYLES", "TARGET_LUFS", "Composition", "compose", "peaks", "style_label", "write_wav"]


@dataclass
class Composition:
    """Rendered music plus what the renderer needs to sync to it."""

    # (n, 2) float32, mastered (a column-major view: index it, do not assume C order); a piece
    # longer than long.LONG_S is never whole in memory: read it with chunks()
    samples: np.ndarray | long.Long
    sample_rate: int
    tempo: float  # bpm
    beats: list[float]  # every beat of the body, then the final chord's onset (seconds)
    downbeats: list[float]  # the first beat of every bar
    sections: list[tuple[float, str]]  # (start, intro|main|lift|breakdown|final|ending)
    hits: list[float]  # accents: crashes at section starts, the final chord
    style: str = DEFAULT_STYLE
    key: str = ""  # e.g. "D minor"
    tonic: int = 0  # pitch class of the key
    mode: str = "major"
    levels: dict[str, float] = field(default_factory=dict)  # role -> level used, 0..1
    bar_energy: list[float] = field(default_factory=list)  # the energy curve, one value per bar
    block_power: np.ndarray | None = None  # mean K-weighted power per 100 ms, for render/soundfacts.py
    tail_s: float = 0.0  # a track's ring-out (its fade is made again when stems are remixed, stems.py)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    def chunks(self) -> Iterator[np.ndarray]:
        """The samples in order, in pieces of at most a few minutes."""
        if isinstance(self.samples, long.Long):
            yield from self.samples.chunks()
        else:
            yield self.samples


_NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def style_label(style: str) -> str:
    return LABELS.get(style) or style.replace("_", " ").title()


def compose(duration_s: float, style: str, *, seed: int = 0, sample_rate: int = 48000,
            bpm: float | None = None, energy: str | None = None,
            layers: dict[str, int] | None = None, section_times: list[float] | None = None,
            loop: bool = False, stems: Callable[[str, np.ndarray], None] | None = None) -> Composition:
    """Compose, mix and master ``duration_s`` seconds in ``style`` (unknown styles: the default).

    Deterministic for the same arguments. ``bpm`` is honoured as asked; ``energy`` is one of
    calm / normal / high / build; ``layers`` maps drums / bass / harmony / melody to 0-100;
    ``section_times`` (seconds, e.g. a video's cuts) are where sections change, within one beat
    (tempo and bar lengths chosen for it, beatsync.plan_sections); a time too close to the one
    before gets an accent (a crash, in ``hits``) on its nearest beat instead; a time in the
    ring-out moves the final chord onto it, unless it is in the last 1.5 s (then it is not marked).
    ``loop`` makes a piece that repeats seamlessly: whole beats, no intro, ending or fade, and
    its last sample flows into its first (every note, reverb tail and gain change that crosses
    the end is heard again at the start). ``stems`` (tracks up to ``long.LONG_S``) is called with
    each layer's name and its (n, 2) stem, one at a time; the stems add up to the bus before
    its compressor (see mixdown._stems), so ``stems.remix`` lowers or drops a layer and masters
    the result again without composing again.
    """
    if not duration_s or duration_s <= 0:
        raise ValueError("duration must be positive")
    if energy not in (None, *ENERGIES):
        raise ValueError(f"energy must be one of {', '.join(ENERGIES)}")
    if bpm is not None and not 30 <= bpm <= 300:
        raise ValueError("bpm must be between 30 and 300")
    recipe = RECIPES.get(style) or RECIPES[DEFAULT_STYLE]
    levels = {role: 1.0 for role in ROLES}
    for role, level in (layers or {}).items():
        if role not in levels:
            raise ValueError(f"unknown layer {role!r}: use {', '.join(ROLES)}")
        levels[role] = float(np.clip(level, 0, 100)) / 100.0
    sr = int(sample_rate)
    total = int(round(duration_s * sr))
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(recipe.key.encode())])
    tempo, body_beats = plan_length(total / sr, recipe, rng, bpm)
    sting = total / sr < STING_BELOW_S and not loop
    key_root = int(rng.choice(recipe.roots))
    if stems is not None and (loop or total / sr > long.LONG_S):
        raise ValueError(f"stems are kept for tracks up to {long.LONG_S:.0f} s, not for loops or longer pieces")
    if not loop and total / sr > long.LONG_S:  # bounded memory: a cycle repeated, then the ending
        parts = long.compose_long(total, sr, recipe, key_root, levels, rng, bpm, tempo, energy)
        return Composition(
            samples=parts["samples"], sample_rate=sr, tempo=round(parts["tempo"], 3), beats=parts["beats"],
            downbeats=parts["downbeats"], sections=parts["sections"], hits=parts["hits"], style=recipe.key,
            key=f"{_NOTE_NAMES[key_root]} {recipe.mode}", tonic=key_root, mode=recipe.mode, levels=levels,
            bar_energy=parts["bar_energy"], block_power=parts["block_power"])
    accents: list[float] = []
    cut_times = sorted(float(t) for t in (section_times or []) if 0 < float(t) < total / sr)
    if loop:
        pref = float(bpm) if bpm else tempo
        body_beats = max(1, int(round(total / sr * pref / 60.0)))
        tempo = body_beats * 60.0 * sr / total  # whole beats fill the loop exactly
        n_bars = -(-body_beats // 4)
        bar_beats = [4] * (n_bars - 1) + [body_beats - 4 * (n_bars - 1)]
        bars = build_bars(recipe, body_beats, None if energy == "build" else energy, rng, loop_layout(n_bars),
                          bar_beats)
    elif cut_times:
        tempo, body_beats, layout, bar_beats, accents = _plan_on_times(cut_times, total / sr, recipe, bpm, tempo,
                                                                        body_beats)
        bars = build_bars(recipe, body_beats, energy, rng, layout, bar_beats)
    else:
        bars = build_bars(recipe, body_beats, energy, rng)
    score = Score(recipe, key_root, tempo, sr, levels, rng)
    beat = 60.0 / tempo
    score.bar_starts = [float(x) * beat for x in np.cumsum([0] + [b.beats for b in bars])[:-1]]
    score.body_end = body_beats * beat
    tail_s = total / sr - score.body_end
    sections: list[tuple[float, str]] = []
    for bi, bar in enumerate(bars):
        if bar.index == 0:
            sections.append((round(score.bar_starts[bi], 4), bar.kind))
        score.play_bar(bi, bar)
        score.drums(bi, bar, bars[bi + 1].kind if bi + 1 < len(bars) else None)
    if cut_times:  # every cut is heard: a crash where a section starts without one, and on each accent
        marks = [t for t, _ in sections[1:]] + accents
        for t in marks:
            if t < score.body_end and not any(abs(h - t) < 0.02 for h in score.hits):
                score.add(t, score.inst.drum("crash", 100), "drums", recipe.drum_level_db - 3.0, -0.3, 0.2,
                          humanize=False)
                if levels["drums"] > 0:
                    score.hits.append(round(t, 4))
    if loop:
        # Two periods and the start of a third are mixed; the middle period has heard the first
        # one's tails and its gains know what follows, as every period of the loop does.
        length = 2 * total + min(total, sr)
        events = [replace(ev, onset=ev.onset + k * total) for k in range(3) for ev in score.events
                  if k < 2 or ev.onset < length - 2 * total]
    else:
        score.ending(tail_s, sting)
        sections.append((round(score.body_end, 4), "ending"))
        length, events = total, score.events
    dry, block_power, _, _ = mix_down(events, length, recipe, sr, rng, total if loop else None,
                                       None if loop else ring_out_fade(total, sr, tail_s, sting), stems=stems)
    if loop:
        dry, block_power = one_period(dry, total, sr)
    beats = [round(i * beat, 6) for i in range(body_beats + (0 if loop else 1))]
    downbeats = [round(t, 6) for t in score.bar_starts]
    return Composition(
        # (n, 2) as a view of the (2, n) bus: no second copy of a long piece
        samples=dry.T, sample_rate=sr, tempo=round(tempo, 3), beats=beats,
        downbeats=downbeats, sections=sections, hits=sorted(set(score.hits)), style=recipe.key,
        key=f"{_NOTE_NAMES[key_root]} {recipe.mode}", tonic=key_root, mode=recipe.mode, levels=levels,
        bar_energy=[round(b.energy, 3) for b in bars], block_power=block_power, tail_s=0.0 if loop else tail_s,
    )


def _plan_on_times(cuts: list[float], duration: float, recipe: Recipe, bpm: float | None, tempo: float,
                   body_beats: int) -> tuple[float, int, list[tuple[str, int]], list[int], list[float]]:
    """Tempo, body beats, section layout, beats per bar and accent times for sections that
    change on ``cuts``; the ending keeps the tail the plain plan gave it."""
    body = body_beats * 60.0 / tempo
    late = [c for c in cuts if body <= c <= duration - MIN_TAIL_S]
    if late:  # a cut in the ring-out: the final chord moves onto it (a cut later than that is not marked)
        body = late[-1]
    plan = plan_sections([c for c in cuts if c < body - 1e-6], body, (bpm, bpm) if bpm else recipe.tempo)
    beat = plan.beat
    beats_total = max(1, int(round(body / beat)) if late else int(body / beat + 1e-9))
    if late and duration - beats_total * beat < MIN_TAIL_S:
        beats_total -= 1
    bar_beats: list[int] = []
    for b in plan.bar_beats:  # trimmed to the body: the last bar may be cut short
        if sum(bar_beats) >= beats_total:
            break
        bar_beats.append(min(b, beats_total - sum(bar_beats)))
    starts = np.concatenate([[0], np.cumsum(bar_beats)[:-1]])
    first_bars = [int(np.argmin(np.abs(starts * beat - t))) for t in plan.section_starts[1:]]
    layout = layout_on_times(bar_beats, first_bars)
    accents = [round(a, 4) for a in plan.accents if a < beats_total * beat]
    accents += [round(round(c / beat) * beat, 4) for c in cuts if c >= body - 1e-6 and round(c / beat) < beats_total]
    return plan.tempo, sum(bar_beats), layout, bar_beats, accents


def write_wav(path: str | Path, comp: Composition) -> None:
    """Write 16-bit PCM stereo with the standard library (ffmpeg reads it without surprises)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(comp.sample_rate)
        step = 1 << 20
        for data in comp.chunks():  # a long piece is written as it is read: never whole in memory
            for s in range(0, len(data), step):
                block = np.clip(data[s:s + step], -1.0, 1.0) * 32767.0
                w.writeframes(np.round(block).astype("<i2").tobytes())


def peaks(samples: np.ndarray | long.Long, n: int = 120) -> list[int]:
    """``n`` waveform bars, each the max absolute sample in its bucket as 0-100 % of full scale."""
    if n <= 0:
        return []
    if isinstance(samples, long.Long):
        return _long_peaks(samples, n)
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    total = len(x)
    if total == 0:
        return [0] * n
    edges = np.minimum(np.linspace(0, total, n + 1).astype(np.int64)[:-1], total - 1)
    level = np.zeros(n)
    for c in range(x.shape[1]):
        col = x[:, c]
        level = np.maximum(level, np.maximum.reduceat(col, edges))
        level = np.maximum(level, -np.minimum.reduceat(col, edges))
    return [int(v) for v in np.clip(np.round(level * 100.0), 0, 100)]


def _long_peaks(samples: long.Long, n: int) -> list[int]:
    total = len(samples)
    edges = np.linspace(0, total, n + 1).astype(np.int64)
    level = np.zeros(n)
    at = 0
    for x in samples.chunks():
        lo, hi = at, at + len(x)
        first = max(0, int(np.searchsorted(edges, lo, side="right")) - 1)
        for b in range(first, n):
            s, e = max(edges[b], lo), min(edges[b + 1], hi)
            if s >= hi:
                break
            if e > s:
                level[b] = max(level[b], float(np.abs(x[s - lo:e - lo]).max()))
        at = hi
    return [int(v) for v in np.clip(np.round(level * 100.0), 0, 100)]
