"""Band-limited synthesis for the sounds that are synthetic in their genres: EDM leads and
basses, supersaw chords, lo-fi FM keys, pads and sub bass.

Wavetables hold only the harmonics below ~0.45 × the sample rate for the note's pitch (no
aliasing); a bright table fades into a darker one as a stand-in for a closing filter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

F32 = np.float32
_TABLE = 2048
_FRAC_BITS = 32 - 11


@dataclass(frozen=True)
class Patch:
    kind: str = "wave"  # "wave" (wavetable) or "fm" (two operators)
    wave: str = "saw"
    harmonics: int = 48
    dark_tilt: float = 1.5
    bright_tau: float = 0.3
    attack: float = 0.005
    decay: float = 0.3
    sustain: float = 0.6
    release: float = 0.2
    voices: int = 1
    detune: float = 0.0  # cents between the outer voices
    vibrato: float = 0.0  # cents
    fm_ratio: float = 1.0
    fm_index: float = 0.0
    fm_tau: float = 0.5


PATCHES: dict[str, Patch] = {
    "fm_keys": Patch(kind="fm", fm_ratio=1.0, fm_index=1.4, fm_tau=0.35, attack=0.003, decay=0.9,
                     sustain=0.3, release=0.3),
    "supersaw": Patch(wave="saw", dark_tilt=1.2, bright_tau=0.3, attack=0.01, decay=0.4, sustain=0.6,
                      release=0.2, voices=5, detune=24),
    "pad": Patch(wave="saw", harmonics=30, dark_tilt=2.2, bright_tau=1e9, attack=0.35, decay=1.0,
                 sustain=0.85, release=0.8, voices=3, detune=12),
    "pluck": Patch(wave="saw", dark_tilt=2.4, bright_tau=0.06, attack=0.002, decay=0.25, sustain=0.0,
                   release=0.12, voices=2, detune=10),
    "lead": Patch(wave="square", harmonics=40, dark_tilt=1.2, bright_tau=0.2, attack=0.008, decay=0.3,
                  sustain=0.65, release=0.12, vibrato=10),
    "sub": Patch(wave="tri", harmonics=9, dark_tilt=0.5, bright_tau=1e9, attack=0.006, decay=0.5,
                 sustain=0.85, release=0.08),
    "synth_bass": Patch(wave="saw", harmonics=40, dark_tilt=2.0, bright_tau=0.07, attack=0.003, decay=0.2,
                        sustain=0.55, release=0.06, voices=2, detune=8),
    "reese": Patch(wave="saw", harmonics=40, dark_tilt=2.4, bright_tau=1e9, attack=0.01, decay=0.5,
                   sustain=0.9, release=0.1, voices=2, detune=18),
}


@lru_cache(maxsize=512)
def _table(wave: str, tilt: float, nh: int) -> np.ndarray:
    k = np.arange(1, nh + 1, dtype=np.float64)
    if wave == "saw":
        amp = 1.0 / k
    elif wave == "square":
        amp = np.where(k % 2 == 1, 1.0 / k, 0.0)
    elif wave == "tri":
        amp = np.where(k % 2 == 1, 1.0 / k**2, 0.0) * np.where((k // 2) % 2 == 0, 1.0, -1.0)
    else:
        amp = (k == 1).astype(np.float64)
    amp = amp * k**-tilt
    ph = np.linspace(0.0, 2 * np.pi, _TABLE + 1)
    tab = np.sin(np.outer(ph, k)) @ amp
    return (tab / max(float(np.abs(tab).max()), 1e-9)).astype(F32)


def _phase(freq: float, n: int, sr: int, phase0: float, vib: np.ndarray | None) -> np.ndarray:
    """Oscillator phase as 32-bit fixed point: wraps for free."""
    inc = freq / sr * 2.0**32
    if vib is None:
        ph = np.arange(n, dtype=np.uint32) * np.uint32(int(inc) & 0xFFFFFFFF)
    else:
        ph = np.cumsum((vib * inc).astype(np.uint32), dtype=np.uint32)
    ph += np.uint32(int(phase0 * 2.0**32) & 0xFFFFFFFF)
    return ph


def _osc(table: np.ndarray, ph: np.ndarray) -> np.ndarray:
    i = ph >> np.uint32(_FRAC_BITS)
    frac = (ph & np.uint32((1 << _FRAC_BITS) - 1)).astype(F32) * F32(1.0 / (1 << _FRAC_BITS))
    a = table[i]
    return a + (table[i + 1] - a) * frac


def _adsr(p: Patch, gate: int, n: int, sr: int) -> np.ndarray:
    t = np.arange(n, dtype=F32) / F32(sr)
    a = max(p.attack, 1e-4)
    env = np.where(t < a, t / a, p.sustain + (1.0 - p.sustain) * np.exp(-(t - a) / p.decay)).astype(F32)
    if gate < n:
        g = env[gate - 1] if gate > 0 else F32(0.0)
        env[gate:] = g * np.exp(-(t[gate:] - t[gate]) * F32(6.9) / max(p.release, 1e-3))
    tail = min(n, int(0.004 * sr))
    if tail > 1:
        env[-tail:] *= np.linspace(1.0, 0.0, tail, dtype=F32)
    return env


def render(patch_name: str, midi: float, sr: int, gate_s: float, rng: np.random.Generator,
           release_s: float | None = None) -> np.ndarray:
    """One synthesised note, peak about 1."""
    p = PATCHES[patch_name]
    if release_s is not None:
        p = replace(p, release=release_s)
    gate = max(1, int(round(gate_s * sr)))
    n = gate + int(min(1.2 * p.release, 6.0) * sr)
    freq = 440.0 * 2.0 ** ((midi - 69) / 12.0)
    t = np.arange(n, dtype=F32) / F32(sr)
    if p.kind == "fm":
        two_pi = F32(2 * np.pi / 2.0**32)
        idx = p.fm_index * np.exp(-t / F32(p.fm_tau))
        mod = np.sin(_phase(freq * p.fm_ratio, n, sr, 0.0, None).astype(F32) * two_pi)
        car = _phase(freq, n, sr, 0.0, None)
        sig = np.sin(car.astype(F32) * two_pi + idx * mod)
        # a bell-like overtone that fades quickly: the tine of an electric piano
        sig += F32(0.2) * np.sin((car * np.uint32(4)).astype(F32) * two_pi) * np.exp(-t / F32(0.15))
    else:
        nh = max(1, min(p.harmonics, int(0.45 * sr / freq)))
        bright = _table(p.wave, 0.0, nh)
        dark = _table(p.wave, p.dark_tilt, nh)
        vib = None
        if p.vibrato > 0:
            depth = (2 ** (p.vibrato / 1200.0) - 1.0) * np.clip((t - 0.2) / 0.4, 0.0, 1.0)
            vib = 1.0 + depth * np.sin(F32(2 * np.pi * 5.2) * t)
        sig = np.zeros(n, F32)
        sig_b = np.zeros(n, F32) if p.bright_tau < 1e8 else None
        for v in range(p.voices):
            cents = 0.0 if p.voices == 1 else p.detune * (v / (p.voices - 1) - 0.5)
            ph = _phase(freq * 2 ** (cents / 1200.0), n, sr, float(rng.random()), vib)
            sig += _osc(dark, ph)
            if sig_b is not None:
                sig_b += _osc(bright, ph)
        if sig_b is not None:
            sig_b -= sig
            sig_b *= np.exp(-t / F32(p.bright_tau))
            sig += sig_b
        sig *= F32(1.0 / np.sqrt(p.voices))
    sig *= _adsr(p, gate, n, sr)
    return sig.astype(F32, copy=False)
