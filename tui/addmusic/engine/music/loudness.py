"""ITU-R BS.1770-4 integrated loudness and true peak, in numpy.

The K-weighting is the standard's two biquads (high shelf, high pass), applied exactly by
multiplying spectra (the filters' complex responses, zero-padded so the tails do not wrap).
Agreement with ffmpeg's `ebur128` filter is checked in tests/engine/test_music.py.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

F32 = np.float32


def _k_coefficients(sr: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(b, a) of the high shelf and the high pass, derived for any rate from the analog
    prototypes that give the standard's published 48 kHz coefficients."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sr)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh ** 0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = (np.array([(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]),
             np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]))
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sr)
    a0 = 1.0 + k / q + k * k
    highpass = (np.array([1.0, -2.0, 1.0]), np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]))
    return [shelf, highpass]


@lru_cache(maxsize=8)
def k_response(sr: int, nfft: int) -> np.ndarray:
    w = np.pi * np.arange(nfft // 2 + 1) / (nfft // 2)
    z = np.cos(w) - 1j * np.sin(w)
    h = np.ones(len(w), np.complex128)
    for b, a in _k_coefficients(sr):
        h *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return h.astype(np.complex64)


_NFFT = 1 << 16
_OVERLAP = 1 << 13  # the filters' impulse responses are below -150 dB long before 8192 samples


def k_weighted_power(x: np.ndarray, sr: int) -> np.ndarray:
    """Per-sample sum over channels of the squared K-weighted signal, float32 (overlap-save)."""
    x = x if x.ndim == 2 else x[:, None]
    n = len(x)
    h = k_response(sr, _NFFT)
    hop = _NFFT - _OVERLAP
    power = np.zeros(n, F32)
    for c in range(x.shape[1]):
        padded = np.concatenate([np.zeros(_OVERLAP, F32), np.asarray(x[:, c], F32), np.zeros(_NFFT, F32)])
        for s in range(0, n, hop):
            y = np.fft.irfft(np.fft.rfft(padded[s:s + _NFFT]) * h, _NFFT)[_OVERLAP:]
            m = min(hop, n - s)
            power[s:s + m] += np.square(y[:m], dtype=F32)
    return power


def integrated(power: np.ndarray, sr: int, gain: np.ndarray | None = None, scale: float = 1.0) -> float:
    """Gated integrated loudness (LUFS) from ``k_weighted_power``: 400 ms blocks every 100 ms,
    absolute gate -70 LUFS, relative gate -10 LU. ``gain`` (per sample) and ``scale`` give the
    loudness of the signal after those gains, without a full-length temporary."""
    step = int(round(0.1 * sr))
    n_sub = len(power) // step
    if n_sub < 4:
        p = power if gain is None else power * np.square(gain)
        z = np.array([float(p.mean()) * scale if len(p) else 0.0])
    else:
        sub = np.empty(n_sub, np.float64)
        rows = max(1, (1 << 20) // step)
        for r in range(0, n_sub, rows):
            e = min(n_sub, r + rows)
            p = power[r * step:e * step]
            if gain is not None:
                p = p * np.square(gain[r * step:e * step])
            sub[r:e] = p.reshape(e - r, step).mean(axis=1, dtype=np.float64)
        return gated(sub * scale)
    return _gate(z)


def gated(sub: np.ndarray) -> float:
    """Integrated loudness (LUFS) from mean K-weighted powers of consecutive 100 ms blocks."""
    sub = np.asarray(sub, np.float64)
    if len(sub) < 4:
        return _gate(np.array([float(sub.mean()) if len(sub) else 0.0]))
    return _gate(np.convolve(sub, np.full(4, 0.25), mode="valid"))


def _gate(z: np.ndarray) -> float:
    loud = -0.691 + 10.0 * np.log10(np.maximum(z, 1e-20))
    keep = z[loud > -70.0]
    if not len(keep):
        return -70.0
    rel = -0.691 + 10.0 * np.log10(keep.mean()) - 10.0
    keep = keep[-0.691 + 10.0 * np.log10(keep) > rel]
    return float(-0.691 + 10.0 * np.log10(keep.mean()))


def lufs(x: np.ndarray, sr: int) -> float:
    return integrated(k_weighted_power(x, sr), sr)


# 4x oversampling for true peak: three fractional phases of a Kaiser-windowed sinc.
_TAPS = 12
_OFFSETS = np.arange(-_TAPS + 1, _TAPS + 1)
_PHASES = np.stack([np.sinc(_OFFSETS - p / 4.0) * np.kaiser(2 * _TAPS, 7.0) for p in (1, 2, 3)], axis=1).astype(F32)


def inter_sample_peaks(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Largest |value| of the 4x-oversampled signal in [idx, idx+1) for each index, over columns."""
    x = x if x.ndim == 2 else x[:, None]
    out = np.zeros(len(idx), F32)
    pad = np.zeros((_TAPS, x.shape[1]), x.dtype)
    xp = np.concatenate([pad, x, pad])
    for s in range(0, len(idx), 1 << 16):
        j = idx[s:s + (1 << 16)] + _TAPS
        for c in range(x.shape[1]):
            win = xp[j[:, None] + _OFFSETS[None, :], c]
            v = np.abs(win @ _PHASES).max(axis=1)
            out[s:s + len(j)] = np.maximum(out[s:s + len(j)], np.maximum(v, np.abs(xp[j, c])))
    return out


def true_peak(x: np.ndarray, floor: float = 0.6) -> float:
    """True peak (linear, 4x oversampled) over all channels; only samples near the top are
    oversampled (inter-sample overs exceed the neighbouring samples by a few dB at most)."""
    x = x if x.ndim == 2 else x[:, None]
    a = np.abs(x[:, 0])
    for c in range(1, x.shape[1]):  # column by column: no full-size (n, channels) temporary
        np.maximum(a, np.abs(x[:, c]), out=a)
    top = float(a.max()) if len(a) else 0.0
    near = a >= top * floor
    near[:-1] |= near[1:]  # the stretch before a loud sample too
    idx = np.flatnonzero(near)
    return max(top, float(inter_sample_peaks(x, idx).max())) if len(idx) else top
