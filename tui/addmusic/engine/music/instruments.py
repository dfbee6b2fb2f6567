"""Every instrument the recipes name, sampled or synthesised, behind one cached ``note`` call,
with the per-instrument level calibration that keeps any one part from jumping out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from . import sampler, synth

F32 = np.float32


@dataclass(frozen=True)
class Voice:
    source: str  # "sample" (a name in samples/index.json) or "synth" (a synth.PATCHES name)
    name: str
    trim_db: float = 0.0  # calibration: level after normalising every instrument to one loudness
    attack: float = 0.003
    release: float = 0.3
    highpass: float | None = None  # Hz; the bass and kick own the low end
    max_s: float = 6.0  # longest a note may ring


VOICES: dict[str, Voice] = {
    "piano": Voice("sample", "piano", 0.0, 0.002, 0.6, 90.0),
    "epiano": Voice("sample", "epiano", 0.0, 0.002, 0.4, 110.0),
    "vibes": Voice("sample", "vibes", -1.0, 0.002, 0.8, 150.0),
    "nylon": Voice("sample", "nylon", 0.0, 0.002, 0.3, 110.0),
    "steel": Voice("sample", "steel", 0.0, 0.002, 0.3, 130.0),
    "overdrive": Voice("sample", "overdrive", -2.0, 0.003, 0.12, 110.0),
    "acoustic_bass": Voice("sample", "acoustic_bass", 0.0, 0.003, 0.12),
    "electric_bass": Voice("sample", "electric_bass", 0.0, 0.003, 0.1),
    "strings": Voice("sample", "strings", 0.0, 0.12, 0.8, 120.0),
    "brass": Voice("sample", "brass", 0.0, 0.03, 0.25, 150.0),
    "flute": Voice("sample", "flute", 0.0, 0.03, 0.2, 200.0),
    "saw_lead": Voice("sample", "saw_lead", -2.0, 0.005, 0.15, 200.0),
    "fm_keys": Voice("synth", "fm_keys", 0.0, highpass=110.0),
    "supersaw": Voice("synth", "supersaw", -1.0, highpass=150.0),
    "pad": Voice("synth", "pad", -1.0, highpass=150.0),
    "pluck": Voice("synth", "pluck", 0.0, highpass=150.0),
    "lead": Voice("synth", "lead", -2.0, highpass=200.0),
    "sub": Voice("synth", "sub", 0.0),
    "synth_bass": Voice("synth", "synth_bass", 0.0),
}

# Drums: trim per kit piece (dB), pan, and a gentle low-pass so cymbals do not fizz above 16 kHz.
DRUMS: dict[str, tuple[float, float]] = {
    "kick": (0.0, 0.0), "snare": (-3.0, 0.0), "snare2": (-3.0, 0.05), "clap": (-5.0, 0.1),
    "rim": (-8.0, 0.15), "hat": (-11.0, 0.35), "hat_pedal": (-12.0, 0.35), "ohat": (-13.0, 0.35),
    "ride": (-13.0, -0.35), "crash": (-12.0, -0.3), "tom_low": (-3.0, -0.3), "tom_mid": (-4.0, 0.1),
    "tom_high": (-5.0, 0.3), "shaker": (-12.0, -0.4), "tambourine": (-13.0, 0.45), "maracas": (-12.0, -0.4),
}
DRUM_CUTOFF_HZ = 11000.0
_REFERENCE_RMS = 0.1


def _hp_moving_average(x: np.ndarray, sr: int, hz: float) -> np.ndarray:
    """High-pass as the signal minus two cascaded moving averages (a triangular low-pass):
    linear, O(n), good enough to keep a synth's rumble out of the bass's range."""
    k = max(2, int(sr / hz))
    low = x
    for _ in range(2):
        c = np.cumsum(np.concatenate([np.zeros(k, np.float64), low]))
        low = ((c[k:] - c[:-k]) / k)[: len(x)]
    shift = k - 1  # the two averages delay by (k-1)/2 each
    aligned = np.zeros_like(x)
    aligned[: len(x) - shift] = low[shift:]
    return (x - aligned).astype(F32)


class Instruments:
    """Renders notes and drum hits for one composition; everything is cached by its arguments."""

    def __init__(self, sr: int, rng: np.random.Generator) -> None:
        self.sr = sr
        self.rng = rng
        self._notes: dict[tuple, np.ndarray] = {}

    def note(self, instrument: str, midi: int, velocity: float, gate_s: float,
             release_s: float | None = None) -> np.ndarray:
        vel = sampler.bucket(velocity)
        gate_q = round(gate_s, 2)  # notes within 10 ms of each other share a rendering
        rel = None if release_s is None else round(release_s, 2)
        key = (instrument, midi, vel, gate_q, rel)
        w = self._notes.get(key)
        if w is None:
            w = self._render(VOICES[instrument], midi, vel, gate_q, rel)
            self._notes[key] = w
        return w

    def _render(self, v: Voice, midi: int, vel: int, gate_s: float, rel: float | None) -> np.ndarray:
        release = v.release if rel is None else rel
        if v.source == "sample":
            zone = sampler.pick_zone(sampler.instrument_zones(v.name), midi, vel)
            top = sampler.pick_zone(sampler.instrument_zones(v.name), midi, 127)
            w = sampler.play(zone, midi, self.sr, gate_s, attack_s=v.attack, release_s=release,
                             highpass=v.highpass, max_s=max(v.max_s, gate_s + release))
            # the layer's own attenuation is relative: the loudest layer is calibrated to 0 dB
            w *= F32(10.0 ** (top.attenuation_db / 20.0))
        else:
            w = synth.render(v.name, midi, self.sr, gate_s, self.rng, release)
            if v.highpass:
                w = _hp_moving_average(w, self.sr, v.highpass)
            w *= F32((vel / 127.0) ** 0.7)
        w *= F32(calibration(v.source, v.name, self.sr) * 10.0 ** (v.trim_db / 20.0))
        w *= F32((vel / 127.0) ** 0.8)
        return w

    def drum(self, name: str, velocity: float) -> np.ndarray:
        return drum_hit(name, sampler.bucket(velocity), self.sr)


@lru_cache(maxsize=256)
def drum_hit(name: str, vel: int, sr: int) -> np.ndarray:
    """One kit piece at one velocity layer, levelled against the kick; shared by all pieces."""
    zone = sampler.pick_zone(sampler.drum_zones(name), 60, vel)
    top = sampler.pick_zone(sampler.drum_zones(name), 60, 127)
    w = sampler.play(zone, zone.root, sr, 4.0, release_s=0.3,
                     highpass=None if name.startswith(("kick", "tom")) else 60.0, max_s=4.0)
    if name in _BRIGHT:
        w = _lowpass(w, sr, DRUM_CUTOFF_HZ)
    w *= F32(10.0 ** ((top.attenuation_db + DRUMS[name][0]) / 20.0) * (vel / 127.0) ** 1.2)
    w *= F32(_kick_reference(sr))
    w.flags.writeable = False
    return w


_BRIGHT = frozenset(("crash", "ride", "ohat", "hat", "tambourine", "shaker", "maracas", "hat_pedal"))


def _lowpass(x: np.ndarray, sr: int, hz: float) -> np.ndarray:
    n = len(x)
    nfft = 1 << (n + 8192).bit_length()  # a fast FFT size with room for the filter's tail
    spec = np.fft.rfft(x, nfft)
    f = np.fft.rfftfreq(nfft, 1.0 / sr)
    return np.fft.irfft(spec / np.sqrt(1.0 + (f / hz) ** 8), nfft)[:n].astype(F32)


@cache
def calibration(source: str, name: str, sr: int) -> float:
    """Gain that brings a held middle note of the instrument to one reference RMS (its first
    second, loudest velocity): measured, not guessed, so a new sample set needs no retuning."""
    midi = 40 if "bass" in name or name == "sub" else 62
    if source == "sample":
        zone = sampler.pick_zone(sampler.instrument_zones(name), midi, 127)
        w = sampler.play(zone, midi, sr, 1.0, release_s=0.05, max_s=1.0)
        w = w * F32(10.0 ** (zone.attenuation_db / 20.0))
    else:
        w = synth.render(name, midi, sr, 1.0, np.random.default_rng(0), 0.05)[:sr]
    rms = float(np.sqrt(np.mean(np.square(w, dtype=np.float64)))) or 1e-9
    return _REFERENCE_RMS / rms


@cache
def _kick_reference(sr: int) -> float:
    zone = sampler.pick_zone(sampler.drum_zones("kick"), 60, 127)
    w = sampler.play(zone, zone.root, sr, 0.3, release_s=0.05, max_s=0.3)
    w = w * F32(10.0 ** (zone.attenuation_db / 20.0))
    rms = float(np.sqrt(np.mean(np.square(w, dtype=np.float64)))) or 1e-9
    return 1.6 * _REFERENCE_RMS / rms
