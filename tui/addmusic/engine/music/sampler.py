"""A numpy sampler over the vendored FluidR3Mono subset (see tools/extract_samples.py).

A note is the zone sample nearest in pitch, resampled (linear interpolation) to the asked pitch,
its loop repeated while the note is held, a short attack and an exponential release, then a
velocity layer's low-pass and level. Rendered notes are cached: a piece replays the same few
dozen notes hundreds of times.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import numpy as np
import soundfile

F32 = np.float32
VELOCITY_STEPS = (48, 80, 104, 124)  # velocities are bucketed so notes stay cacheable


@dataclass(frozen=True)
class Zone:
    file: str
    rate: int
    keys: tuple[int, int]
    vel: tuple[int, int]
    root: int
    tune_cents: int
    loop: tuple[int, int] | None
    filter_hz: float | None
    attenuation_db: float
    measured_cents: float = 0.0  # the recording's own detuning, measured at extraction


def _folder():
    return resources.files(__package__).joinpath("samples")


@lru_cache(maxsize=1)
def index() -> dict:
    return json.loads(_folder().joinpath("index.json").read_text())


def _zones(raw: list[dict]) -> list[Zone]:
    return [Zone(z["file"], z["rate"], tuple(z["keys"]), tuple(z["vel"]), z["root"], z["tune_cents"],
                 tuple(z["loop"]) if z["loop"] else None, z["filter_hz"], z["attenuation_db"],
                 z.get("measured_cents") or 0.0) for z in raw]


@cache
def instrument_zones(name: str) -> tuple[Zone, ...]:
    return tuple(_zones(index()["instruments"][name]["zones"]))


@cache
def drum_zones(name: str) -> tuple[Zone, ...]:
    return tuple(_zones(index()["drums"][name]["zones"]))


@lru_cache(maxsize=256)
def _decode(file: str) -> np.ndarray:
    data, _rate = soundfile.read(io.BytesIO(_folder().joinpath(file).read_bytes()), dtype="float32")
    return data if data.ndim == 1 else data.mean(axis=1).astype(F32)


@lru_cache(maxsize=512)
def _filtered(file: str, rate: int, cutoff: float | None, highpass: float | None) -> np.ndarray:
    """The decoded sample through the velocity layer's low-pass (and the part's high-pass),
    done once per sample in the frequency domain: a 2nd-order magnitude response each."""
    x = _decode(file)
    if cutoff is None and highpass is None:
        return x
    n = len(x)
    nfft = 1 << (n + 8192).bit_length()  # room for the filters' short tails; a fast FFT size
    spec = np.fft.rfft(x, nfft)
    f = np.fft.rfftfreq(nfft, 1.0 / rate)
    h = np.ones_like(f)
    if cutoff is not None:
        h /= np.sqrt(1.0 + (f / cutoff) ** 4)
    if highpass is not None:
        h /= np.sqrt(1.0 + (highpass / np.maximum(f, 1e-3)) ** 4)
    return np.fft.irfft(spec * h, nfft)[:n].astype(F32)


def pick_zone(zones: tuple[Zone, ...], midi: float, velocity: int) -> Zone:
    """The zone whose key and velocity range hold the note; else the nearest root."""
    key = int(round(midi))
    fits = [z for z in zones if z.keys[0] <= key <= z.keys[1] and z.vel[0] <= velocity <= z.vel[1]]
    if not fits:
        fits = [z for z in zones if z.vel[0] <= velocity <= z.vel[1]] or list(zones)
        return min(fits, key=lambda z: abs(z.root - midi))
    return fits[0]


def bucket(velocity: float) -> int:
    return min(VELOCITY_STEPS, key=lambda v: abs(v - velocity))


def play(zone: Zone, midi: float, sr: int, gate_s: float, *, attack_s: float = 0.002,
         release_s: float = 0.3, highpass: float | None = None, cutoff_scale: float = 1.0,
         max_s: float | None = None) -> np.ndarray:
    """Render one note from ``zone``: pitched by resampling, looped while held, enveloped."""
    cutoff = None if zone.filter_hz is None else zone.filter_hz * cutoff_scale
    src = _filtered(zone.file, zone.rate, None if cutoff is None else round(cutoff, 1), highpass)
    # SF2: the tuning adds to the pitch played; the measured detuning of the recording is removed
    semis = midi - zone.root + (zone.tune_cents - zone.measured_cents) / 100.0
    step = 2.0 ** (semis / 12.0) * zone.rate / sr  # source frames per output frame
    gate = max(1, int(round(gate_s * sr)))
    n = gate + int(release_s * sr)  # the release reaches -60 dB at release_s
    if max_s is not None:
        n = min(n, int(max_s * sr))
    if zone.loop is None:
        n = min(n, int((len(src) - 1) / step))
    pos = np.arange(n, dtype=np.float64) * step
    if zone.loop is not None:
        ls, le = zone.loop
        over = pos >= le
        pos[over] = ls + np.mod(pos[over] - ls, le - ls)
    i = pos.astype(np.int64)
    np.minimum(i, len(src) - 2, out=i)
    frac = (pos - i).astype(F32)
    a = src[i]
    out = a + (src[i + 1] - a) * frac
    env = np.ones(n, F32)
    na = min(n, max(1, int(attack_s * sr)))
    env[:na] = np.linspace(0.0, 1.0, na, dtype=F32)
    if gate < n:
        t = np.arange(n - gate, dtype=F32) / F32(sr)
        env[gate:] *= np.exp(-t * F32(6.9 / max(release_s, 1e-3)))  # -60 dB at release_s
    tail = min(n, int(0.003 * sr))
    if tail > 1:
        env[-tail:] *= np.linspace(1.0, 0.0, tail, dtype=F32)
    out *= env
    out *= F32(10.0 ** (-zone.attenuation_db / 20.0))
    return out.astype(F32, copy=False)
