"""From note events to the mastered bus: reverb, tone, the bus compressor and the master (mix.py),
plus the pieces around them that depend on the kind of piece: the ring-out's fade, the lo-fi
texture, and a loop's one period."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import loudness, mix
from .recipes import Recipe

TARGET_LUFS = -14.0
CEILING_DBTP = -1.0
F32 = np.float32


def mix_down(events: list, length: int, recipe: Recipe, sr: int, rng: np.random.Generator, period: int | None,
             fade: np.ndarray | None, threshold: float | None = None, gain_db: float | None = None,
             phase: int = 0, stems: Callable[[str, np.ndarray], None] | None = None,
             ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Events to a mastered (2, length) bus: reverb, tone, bus compressor, master (``threshold``
    and ``gain_db`` given when a piece is mixed in parts). Also the 100 ms block powers, and
    the threshold and gain used. ``stems`` receives each layer's stem, (length, 2), one at a
    time: what the layer puts into the bus compressor (see ``_stems`` and ``remaster``)."""
    ir = mix.reverb_ir(recipe.reverb_s, sr, np.random.default_rng(rng.integers(2**32)))
    events.sort(key=lambda ev: ev.onset)
    dry, send = mix.render(events, length)
    if stems is None:
        events.clear()  # the notes' memory goes with them
    texture = None
    if recipe.texture == "vinyl":
        texture = np.zeros_like(dry) if stems is not None else dry
        _vinyl(texture, sr, np.random.default_rng(rng.integers(2**32)), period, phase)
        if stems is not None:
            dry += texture
    ir_spectra: dict[int, np.ndarray] | None = {} if stems is not None else None  # the stems' reverb reuses it
    mix.add_reverb(dry, send, ir, recipe.wet * 2.5, ir_spectra)
    del send
    power = mix.tone_and_power(dry, sr, recipe.presence_db, recipe.low_db)
    comp_gain, threshold = mix.bus_compress(dry, sr, threshold=threshold)
    np.square(comp_gain, out=comp_gain)
    power *= comp_gain
    del comp_gain
    power_ref = [power]
    del power  # master drops it before its last pass: a long piece needs every megabyte
    block_power, gain_db = mix.master(dry, sr, power_ref, TARGET_LUFS, CEILING_DBTP, fade, gain_db)
    if stems is not None:
        _stems(events, texture, length, recipe, sr, ir, ir_spectra or {}, stems)
        events.clear()
    return dry, block_power, threshold, gain_db


def _stems(events: list, texture: np.ndarray | None, length: int, recipe: Recipe, sr: int, ir: np.ndarray,
           ir_spectra: dict[int, np.ndarray], sink: Callable[[str, np.ndarray], None]) -> None:
    """Each layer through the same linear chain as the mix (its reverb send, the tone), one at a
    time: what it puts into the bus compressor. The stems add up to the compressor's input, so a
    mix of them at other levels goes through the bus (compressor, master, limiter, fade) again in
    ``remaster`` and keeps every guarantee of a composed piece, in a fraction of the time."""
    roles = sorted({ev.role for ev in events if ev.role})
    for role in [*roles, *(["texture"] if texture is not None else [])]:
        if role == "texture":
            part = texture
        else:
            part, send = mix.render([ev for ev in events if ev.role == role], length)
            mix.add_reverb(part, send, ir, recipe.wet * 2.5, ir_spectra)
            del send
        mix.tone_and_power(part, sr, recipe.presence_db, recipe.low_db, power=False)
        sink(role, part.T)
        del part


def remaster(bus: np.ndarray, sr: int, fade: np.ndarray | None) -> np.ndarray:
    """The bus of a mix of stems, (2, n), compressed and mastered in place as ``mix_down`` does
    (the threshold found on this mix, the level solved for, the limiter, the ring-out's fade).
    Returns the 100 ms block powers."""
    power = loudness.k_weighted_power(bus.T, sr)
    comp_gain, _ = mix.bus_compress(bus, sr)
    power *= np.square(comp_gain)
    del comp_gain
    block_power, _ = mix.master(bus, sr, [power], TARGET_LUFS, CEILING_DBTP, fade)
    return block_power


def one_period(x: np.ndarray, total: int, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """The middle period of a loop's mix, levelled to the target on its own (one gain: it
    stays seamless), lowered only, or raised as far as its true peak allows."""
    period = np.ascontiguousarray(x[:, total:2 * total])
    del x
    power = loudness.k_weighted_power(period.T, sr)
    gain_db = TARGET_LUFS - loudness.integrated(power, sr)
    room_db = CEILING_DBTP - 20.0 * np.log10(max(loudness.true_peak(period.T), 1e-9))
    gain_db = min(gain_db, room_db - 0.05)
    period *= F32(10.0 ** (gain_db / 20.0))
    power *= F32(10.0 ** (gain_db / 10.0))
    return period, mix._blocks(power, sr)


def ring_out_fade(total: int, sr: int, tail_s: float, sting: bool) -> np.ndarray:
    """The ring-out's fade: the chord decays on its own, this makes the last half second at
    least 40 dB down and the final sample exactly zero."""
    n = min(total, max(2, int(tail_s * sr)))
    t = np.linspace(0.0, 1.0, n, dtype=np.float64)
    if sting:
        shape = np.cos(t * np.pi / 2) ** 2
    else:
        end_quiet = max(0.0, 1.0 - 0.5 / max(tail_s, 0.5))  # where the last 0.5 s begins
        shape = np.where(t < end_quiet, 10.0 ** (-45.0 / 20.0 * t / max(end_quiet, 1e-6)), 0.0056)
        shape *= np.cos(t * np.pi / 2)
    shape[-1] = 0.0
    return shape.astype(F32)


def _vinyl(dry: np.ndarray, sr: int, rng: np.random.Generator, period: int | None = None, phase: int = 0) -> None:
    """Lo-fi texture: sparse clicks and a quiet, dark hiss (repeating every ``period`` samples
    in a loop; ``dry`` starts ``phase`` samples into that period)."""
    n = period or dry.shape[1]
    hiss = rng.standard_normal(n).astype(F32)
    hiss = np.convolve(hiss, np.ones(8, F32) / 8, mode="same") * F32(0.0025)
    pos = rng.integers(0, n - 2, int(rng.poisson(2.5 * n / sr)))
    amp = rng.uniform(-0.04, 0.04, len(pos)).astype(F32)
    hiss[pos] += amp
    hiss[pos + 1] += amp * F32(0.5)
    if phase:
        hiss = np.roll(hiss, -(phase % n))
    for start in range(0, dry.shape[1], n):
        seg = dry[:, start:start + n]
        seg += hiss[None, :seg.shape[1]]
