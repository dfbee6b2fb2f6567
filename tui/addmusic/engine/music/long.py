"""Long pieces in bounded memory: a few minutes are composed and mixed, the rest is repetition.

A piece longer than ``LONG_S`` (100 s) is a cycle of whole bars (main and lift sections, ``period``
long) played over and over, then a final section and the ending. Only three stretches are ever
mixed: the cycle twice in a row (the first time it starts from silence; the second time it has
heard the first one's tails, exactly as every later repeat has), and the ending, mixed after the
cycle's last bars so their tails and the compressor's memory carry into it, with the cycle's
compressor threshold and master gain. The piece is then the cold cycle, the warm cycle ``r``
times, and the ending: every join is a place where the same music continued in one of the mixes.
Memory is bounded by those stretches (about a minute and a half of sound), whatever the length.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import loudness
from .arrange import build_bars, loop_layout
from .mixdown import CEILING_DBTP, TARGET_LUFS, mix_down, ring_out_fade
from .recipes import Recipe
from .score import Score

LONG_S = 100.0  # longer pieces are built from a repeated cycle (a whole mix of more passes 400 MB)
CYCLE_S = 40.0  # the cycle's longest length
WARM_BARS = 4  # bars of the cycle mixed before the ending, for their tails
TAIL_S = 4.0  # the final chord's ring-out
XFADE = 1200  # samples: 25 ms at 48 kHz (see the join in compose_long)


class Long:
    """What compose returns the samples of a long piece through (see ``Composition.chunks``)."""

    def __init__(self, parts: list[tuple[np.ndarray, int]]) -> None:
        self.parts = parts  # (samples (n, 2), times played)

    def __len__(self) -> int:
        return sum(len(x) * times for x, times in self.parts)

    def chunks(self):  # type: ignore[no-untyped-def]
        for x, times in self.parts:
            for _ in range(times):
                yield x


def plan(duration: float, recipe: Recipe, bpm: float | None, pref: float) -> tuple[float, int, int, int]:
    """(tempo, cycle bars, repeats of the warm cycle, final bars): whole bars with a ring-out of
    about ``TAIL_S`` s, the tempo moved (by well under 1 % this long) to fit, unless asked for."""
    tempo = float(bpm) if bpm else pref
    bar = 240.0 / tempo
    cycle = max(4, min(16, int(CYCLE_S / bar) // 4 * 4))
    n_bars = int((duration - TAIL_S) / bar)
    if not bpm:
        tempo = n_bars * 240.0 / (duration - TAIL_S)
    final = 4 + (n_bars - 4) % cycle
    repeats = (n_bars - final) // cycle - 1
    return tempo, cycle, repeats, final


def compose_long(total: int, sr: int, recipe: Recipe, key_root: int, levels: dict[str, float],
                 rng: np.random.Generator, bpm: float | None, pref: float, energy: str | None) -> dict:
    """The parts and the facts of a long piece (see the module's note)."""
    tempo, n_cycle, repeats, n_final = plan(total / sr, recipe, bpm, pref)
    bar = 240.0 / tempo
    cycle_n = int(round(n_cycle * bar * sr))
    tempo = n_cycle * 240.0 * sr / cycle_n  # the cycle is a whole number of samples: no drift
    bar = 240.0 / tempo
    layout = [*loop_layout(n_cycle), ("final", n_final)]
    bars = build_bars(recipe, 4 * (n_cycle + n_final), None if energy == "build" else energy, rng, layout,
                      [4] * (n_cycle + n_final))
    dominant = 6 if recipe.mode == "mixolydian" else 4
    bars[n_cycle - 1].degree = dominant  # the cycle's last bar leads back to its first
    score = Score(recipe, key_root, tempo, sr, levels, rng)
    score.bar_starts = [i * bar for i in range(len(bars))]
    score.body_end = len(bars) * bar
    for bi, b in enumerate(bars[:n_cycle]):
        score.play_bar(bi, b)
        score.drums(bi, b, bars[bi + 1].kind)
    cycle_events = list(score.events)
    cycle_hits = list(score.hits)
    score.events, score.hits = [], []
    for bi in range(n_cycle, len(bars)):
        score.play_bar(bi, bars[bi])
        score.drums(bi, bars[bi], bars[bi + 1].kind if bi + 1 < len(bars) else None)
    tail_s = (total - (repeats + 1) * cycle_n) / sr - n_final * bar
    score.ending(tail_s, False)
    final_events, final_hits = score.events, score.hits

    # the cycle twice and a second of the third time: the second is the one that repeats
    length = 2 * cycle_n + sr
    events = [replace(ev, onset=ev.onset + k * cycle_n) for k in range(3) for ev in cycle_events
              if k < 2 or ev.onset < sr]
    mix_seed = int(rng.integers(2**32))  # both mixes get the same room (reverb) and texture
    mixed, power_a, threshold, gain_db = mix_down(events, length, recipe, sr, np.random.default_rng(mix_seed),
                                                  cycle_n, None)
    cold = np.ascontiguousarray(mixed[:, :cycle_n].T)
    warm = np.ascontiguousarray(mixed[:, cycle_n:2 * cycle_n].T)
    del mixed
    # the ending, after the cycle's last bars (their tails and the compressor's memory carry on)
    warm_n = int(round(WARM_BARS * bar * sr))
    shift = cycle_n - warm_n
    end_n = total - (repeats + 1) * cycle_n
    events = [replace(ev, onset=ev.onset - shift) for ev in cycle_events if ev.onset >= shift]
    events += [replace(ev, onset=ev.onset - shift) for ev in final_events]
    mixed, power_e, _, _ = mix_down(events, warm_n + end_n, recipe, sr, np.random.default_rng(mix_seed), cycle_n,
                                    ring_out_fade(end_n, sr, tail_s, False), threshold, gain_db, phase=shift)
    # The join: notes of the final's first beat may start a few ms early (humanised), where the
    # cycle has its own first beat's early notes instead; a 25 ms crossfade while both mixes
    # still agree (to about -80 dB) hands over just before either begins.
    last = warm if repeats else cold
    handover = np.linspace(0.0, 1.0, XFADE, dtype=np.float32)[:, None]
    a = last[cycle_n - 2 * XFADE:cycle_n - XFADE]
    b = mixed[:, warm_n - 2 * XFADE:warm_n - XFADE].T
    last = np.concatenate([last[:cycle_n - 2 * XFADE], a + (b - a) * handover])
    ending = np.ascontiguousarray(mixed[:, warm_n - XFADE:].T)
    del mixed

    # the master's gain came from the cycle's mix; the whole piece (its final, its share of each
    # part) is levelled with one gain on every part, which keeps every join as it is
    block_power = _tiled(power_a, power_e, cycle_n, repeats, warm_n, total, sr)
    correction = TARGET_LUFS - loudness.gated(block_power)
    if correction > 0:  # raised only as far as the true peak allows
        top = max(loudness.true_peak(x) for x in (cold, warm, last, ending))
        correction = min(correction, CEILING_DBTP - 20.0 * np.log10(max(top, 1e-9)) - 0.05)
    scale = np.float32(10.0 ** (correction / 20.0))
    for x in (cold, warm, ending):
        x *= scale
    last = last * scale
    block_power *= scale * scale

    beat = bar / 4
    n_beats = 4 * ((repeats + 1) * n_cycle + n_final)
    sections: list[tuple[float, str]] = []
    hits: list[float] = []
    starts = [sum(size for _, size in layout[:i]) for i in range(len(layout))]
    for k in range(repeats + 1):
        offset = k * cycle_n / sr
        sections += [(round(offset + s * bar, 4), kind) for s, (kind, _) in zip(starts, layout[:-1], strict=False)]
        hits += [round(offset + h, 4) for h in cycle_hits]
    final_at = (repeats + 1) * cycle_n / sr
    sections.append((round(final_at, 4), "final"))
    sections.append((round(final_at + n_final * bar, 4), "ending"))
    hits += [round(h - n_cycle * bar + final_at, 4) for h in final_hits]
    return {
        "samples": Long([(cold, 1), (warm, repeats - 1), (last, 1), (ending, 1)] if repeats
                        else [(last, 1), (ending, 1)]),
        "tempo": tempo, "beats": [round(i * beat, 6) for i in range(n_beats + 1)],
        "downbeats": [round(i * bar, 6) for i in range(n_beats // 4)],
        "sections": sections, "hits": sorted(set(hits)),
        "bar_energy": [round(b.energy, 3) for b in bars[:n_cycle]] * (repeats + 1)
        + [round(b.energy, 3) for b in bars[n_cycle:]],
        "block_power": block_power,
    }


def _tiled(cycle: np.ndarray, ending: np.ndarray, cycle_n: int, repeats: int, warm_n: int, total: int,
           sr: int) -> np.ndarray:
    """Per-100 ms values of the whole piece from those of the two mixes: each block takes the
    value of the block it repeats (to within a block: plenty for a loudness)."""
    step = sr // 10
    t = np.arange(-(-total // step), dtype=np.int64) * step + step // 2
    in_cycles = t < (repeats + 1) * cycle_n
    src = np.where(t < cycle_n, t, cycle_n + (t - cycle_n) % cycle_n)
    out = np.where(in_cycles, cycle[np.minimum(src // step, len(cycle) - 1)], 0.0)
    at_end = warm_n + t - (repeats + 1) * cycle_n
    out = np.where(in_cycles, out, ending[np.clip(at_end // step, 0, len(ending) - 1)])
    return out.astype(np.float32)
