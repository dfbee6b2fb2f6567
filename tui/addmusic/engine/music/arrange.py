"""From a recipe, a length and a seed to an arrangement: tempo and bar count, sections with an
energy curve, chords per bar, two melodic motifs and their variations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .recipes import Recipe

STING_BELOW_S = 15.0  # shorter clips get a short sting instead of a full ending


@dataclass
class Bar:
    degree: int  # chord root, scale degree
    energy: float  # 0..1
    kind: str  # section kind: intro, main, lift, breakdown, final
    section: int
    index: int  # bar number within its section
    size: int  # bars in its section
    beats: int = 4  # the last bar of a body may be cut short
    fill: bool = False
    repeat: int = 0  # how many times this section kind has been heard before


@dataclass
class Plan:
    bpm: float
    body_beats: int  # whole beats before the final chord
    tail_s: float  # the final chord's ring-out, to the last sample
    bars: list[Bar]
    sting: bool


def plan_length(duration: float, recipe: Recipe, rng: np.random.Generator, bpm: float | None) -> tuple[float, int]:
    """(bpm, body beats): a tempo inside the style's range (or the one asked for) and a whole
    number of beats that leaves the final chord a tail of the right length."""
    lo, hi = recipe.tempo
    pref = float(bpm) if bpm else lo + (hi - lo) * float(rng.uniform(0.2, 0.8))
    if duration < STING_BELOW_S:
        tail_max = duration / 4.0
        beat = 60.0 / pref
        n = max(0, int(np.ceil((duration - tail_max) / beat - 1e-9)))
        while n > 0 and duration - n * beat <= 0.05:
            n -= 1
        return pref, n
    tail_pref = float(np.clip(0.04 * duration + 1.6, 2.0, 4.0))
    if bpm:
        beat = 60.0 / pref
        return pref, max(0, int((duration - tail_pref) / beat))
    best: tuple[float, float, int] | None = None
    for bars in range(1, int(duration * hi / 240.0) + 1):
        tempo = float(np.clip(bars * 240.0 / (duration - tail_pref), lo, hi))
        tail = duration - bars * 240.0 / tempo
        if tail < 1.5:
            continue
        cost = abs(tempo - pref) / (hi - lo) + abs(tail - tail_pref) / tail_pref
        if best is None or cost < best[0]:
            best = (cost, tempo, bars * 4)
    if best is None:
        beat = 60.0 / pref
        return pref, max(0, int((duration - tail_pref) / beat))
    return best[1], best[2]


def _section_plan(n_bars: int) -> list[tuple[str, int]]:
    if n_bars <= 2:
        return [("final", n_bars)]
    if n_bars <= 6:
        return [("intro", 1), ("final", n_bars - 1)]
    intro = 2 if n_bars < 20 else 4
    out = [("intro", intro)]
    left = n_bars - intro
    cycle = ("main", "lift", "breakdown", "main", "lift")
    k = 0
    while left > 0:
        if left <= 6:
            out.append(("final", left))
            break
        if left < 12:
            before = {"intro": "main", "main": "lift", "lift": "breakdown", "breakdown": "main"}[out[-1][0]]
            out += [(before, left - 4), ("final", 4)]
            break
        kind = cycle[k % len(cycle)]
        size = 4 if kind == "breakdown" else 8
        if kind == "breakdown" and left <= 12:
            k += 1
            continue
        if left - size < 4:
            out.append(("final", left))
            break
        out.append((kind, size))
        left -= size
        k += 1
    return out


def loop_layout(n_bars: int) -> list[tuple[str, int]]:
    """Sections of a loop: no intro and no final (it never starts or ends), main and lift (and a
    breakdown in long loops) taking turns; the last bar's cadence leads back to the first."""
    if n_bars <= 8:
        return [("main", n_bars)]
    out: list[tuple[str, int]] = []
    cycle = (("main", 8), ("lift", 8), ("breakdown", 4), ("main", 8), ("lift", 8))
    left, k = n_bars, 0
    while left > 0:
        kind, size = cycle[k % len(cycle)]
        size = left if left - size < 4 else size
        out.append((kind, size))
        left -= size
        k += 1
    return out


def layout_on_times(bar_beats: list[int], first_bars: list[int]) -> list[tuple[str, int]]:
    """Section kinds for sections that start at the given bars (a cut's section plan,
    beatsync.plan_sections): an intro when the first is long enough, then main, lift, breakdown,
    main, lift ... and the last one the final."""
    starts = sorted({0, *[b for b in first_bars if 0 < b < len(bar_beats)]})
    sizes = [e - s for s, e in zip(starts, [*starts[1:], len(bar_beats)], strict=True)]
    cycle = ("main", "lift", "breakdown", "main", "lift")
    out: list[tuple[str, int]] = []
    for i, size in enumerate(sizes):
        if i == len(sizes) - 1 and len(sizes) > 1:
            kind = "final"
        elif i == 0 and len(sizes) > 1 and size <= 4:
            kind = "intro"
        else:
            kind = cycle[(i - (1 if out and out[0][0] == "intro" else 0)) % len(cycle)]
        out.append((kind, size))
    return out


def build_bars(recipe: Recipe, body_beats: int, energy: str | None, rng: np.random.Generator,
               layout: list[tuple[str, int]] | None = None, bar_beats: list[int] | None = None) -> list[Bar]:
    """The bars of the body: ``layout`` (kind, bars) and ``bar_beats`` when the sections must
    start at given times, else a standard layout of 4-beat bars for ``body_beats``."""
    n_bars = len(bar_beats) if bar_beats else -(-body_beats // 4)
    if n_bars == 0:
        return []
    bank = len(recipe.progressions)
    order = [int(i) for i in rng.permutation(bank)]
    prog_for = {"intro": order[0], "main": order[0], "lift": order[1 % bank], "final": order[1 % bank],
                "breakdown": order[2 % bank]}
    bars: list[Bar] = []
    seen: dict[str, int] = {}
    plan = layout or _section_plan(n_bars)
    for si, (kind, size) in enumerate(plan):
        rep = seen.get(kind, 0)
        seen[kind] = rep + 1
        chords = recipe.progressions[prog_for[kind]]
        if rep % 2 == 1 and kind in ("main", "lift"):  # a repeated section starts elsewhere in its loop
            chords = chords[2:] + chords[:2]
        base = recipe.energy[kind]
        for b in range(size):
            e = min(1.0, base + (0.06 * b / max(size - 1, 1) if kind in ("lift", "final") else 0.0))
            bars.append(Bar(degree=chords[b % len(chords)], energy=e, kind=kind, section=si, index=b,
                            size=size, repeat=rep,
                            fill=(b == size - 1 and si < len(plan) - 1 and size >= 4)
                            or (b == size // 2 - 1 and size >= 8)))
    total = len(bars)
    for i, bar in enumerate(bars):
        if energy == "calm":
            bar.energy = 0.2 + 0.5 * (bar.energy - 0.3)
        elif energy == "high":
            bar.energy = min(1.0, bar.energy + 0.25)
        elif energy == "build":
            bar.energy = 0.3 + 0.7 * (i / max(total - 1, 1))
    if bar_beats:
        for bar, beats in zip(bars, bar_beats, strict=True):
            bar.beats = beats
    else:
        bars[-1].beats = body_beats - 4 * (n_bars - 1)
    # a cadence: the dominant before the final tonic
    dominant = 6 if recipe.mode == "mixolydian" else 4
    if total >= 2:
        bars[-1].degree = dominant
    return bars


# A motif is (16th step within two bars, length in 16ths, scale-step move).
Motif = list[tuple[int, int, int]]
_CELLS = ("x---", "x-x-", "x--x", "--x-", "x-xx", "x---", "xx-x", "----", "-x-x", "x.x.")


def motif(rng: np.random.Generator, density: float) -> Motif:
    steps: list[int] = []
    for beat in range(8):
        if beat == 7:
            cell = "x---" if rng.random() < 0.5 else "----"
        elif rng.random() > density + 0.2:
            cell = "----"
        else:
            cell = _CELLS[int(rng.integers(len(_CELLS)))]
        steps += [beat * 4 + i for i, c in enumerate(cell) if c == "x"]
    if len(steps) < 3:
        steps = sorted(set(steps) | {0, 6, 12})
    out: Motif = []
    for i, s in enumerate(steps):
        end = steps[i + 1] if i + 1 < len(steps) else 32
        out.append((s, max(1, min(end - s, 8)), int(rng.choice((-2, -1, -1, 0, 1, 1, 2, 3, -3)))))
    return out


def vary(m: Motif, rng: np.random.Generator, amount: float) -> Motif:
    """A varied repeat: some moves changed, a note dropped or split, the ending answered."""
    out: Motif = []
    for s, length, move in m:
        r = rng.random()
        if r < amount * 0.3 and len(m) > 3:
            continue  # dropped
        if r < amount * 0.6:
            move += int(rng.choice((-2, -1, 1, 2)))
        if length >= 4 and rng.random() < amount * 0.5:
            half = length // 2
            out.append((s, half, move))
            out.append((s + half, length - half, int(rng.choice((-1, 1)))))
            continue
        out.append((s, length, move))
    return out or m
