"""Measurements of a composed piece, for tests/engine/test_music.py and benchmarks.

Loudness and true peak come from ffmpeg's `ebur128` filter (the imageio-ffmpeg wheel's binary),
not from the composer's own meter; the rest are small, standard signal measures written out
here so a reader can see exactly what each figure means.
"""

from __future__ import annotations

import re
import subprocess

import imageio_ffmpeg
import numpy as np

# Krumhansl–Kessler key profiles, C = index 0
MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def ebur128(samples: np.ndarray, sr: int) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) measured by ffmpeg."""
    proc = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-f", "f32le", "-ar", str(sr), "-ac", "2",
         "-i", "pipe:0", "-af", "ebur128=peak=true", "-f", "null", "-"],
        input=np.ascontiguousarray(samples, dtype="<f4").tobytes(), capture_output=True, check=True)
    err = proc.stderr.decode(errors="replace")
    summary = err[err.rfind("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return lufs, peak


def power_spectrum(samples: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    mono = samples.mean(axis=1, dtype=np.float64)
    spec = np.abs(np.fft.rfft(mono)) ** 2
    return np.fft.rfftfreq(len(mono), 1.0 / sr), spec


def band_share(freqs: np.ndarray, spec: np.ndarray, lo: float, hi: float) -> float:
    return float(spec[(freqs >= lo) & (freqs < hi)].sum() / spec.sum())


def third_octave(freqs: np.ndarray, spec: np.ndarray, centre: float) -> float:
    return float(spec[(freqs >= centre * 2 ** (-1 / 6)) & (freqs < centre * 2 ** (1 / 6))].sum())


def lowpass(x: np.ndarray, sr: int, hz: float) -> np.ndarray:
    spec = np.fft.rfft(x, axis=0)
    spec[np.fft.rfftfreq(len(x), 1.0 / sr) > hz] = 0.0
    return np.fft.irfft(spec, len(x), axis=0)


def lr_correlation(samples: np.ndarray, sr: int, block_s: float = 0.5) -> float:
    """Median over half-second blocks (not silent ones) of the left/right Pearson correlation."""
    n = int(block_s * sr)
    vals = []
    for s in range(0, len(samples) - n + 1, n):
        left, right = samples[s:s + n, 0].astype(np.float64), samples[s:s + n, 1].astype(np.float64)
        if np.sqrt(np.mean(left**2 + right**2)) < 1e-3:
            continue
        left, right = left - left.mean(), right - right.mean()
        den = np.sqrt((left**2).sum() * (right**2).sum())
        if den > 0:
            vals.append(float((left * right).sum() / den))
    return float(np.median(vals))


def onset_envelope(samples: np.ndarray, sr: int, hop: int = 256, n_fft: int = 1024) -> tuple[np.ndarray, float]:
    """Spectral flux of the log magnitude, one value per hop (frames centred on their time)."""
    mono = samples.mean(axis=1)
    pad = np.concatenate([np.zeros(n_fft // 2, mono.dtype), mono, np.zeros(n_fft // 2, mono.dtype)])
    frames = np.lib.stride_tricks.sliding_window_view(pad, n_fft)[::hop] * np.hanning(n_fft)
    mag = np.abs(np.fft.rfft(frames, axis=1))
    logm = np.log1p(100.0 * mag / (mag.max() + 1e-12))  # relative: quiet ripples do not count
    flux = np.concatenate([[0.0], np.maximum(np.diff(logm, axis=0), 0.0).sum(axis=1)])
    return flux, sr / hop


def onset_times(samples: np.ndarray, sr: int) -> np.ndarray:
    """Peaks of the onset envelope above a moving threshold (median + a fraction of the spread)."""
    env, fps = onset_envelope(samples, sr)
    k = int(fps * 0.5)
    padded = np.pad(env, k, mode="edge")
    med = np.array([np.median(padded[i:i + 2 * k + 1]) for i in range(0, len(env))])
    thr = np.maximum(med + 0.3 * (np.percentile(env, 90) - np.percentile(env, 10)), 0.2 * np.percentile(env, 99))
    peak = (env > thr) & (env >= np.roll(env, 1)) & (env >= np.roll(env, -1))
    kept: list[int] = []
    gap = int(0.05 * fps)  # two onsets closer than 50 ms are one event
    for i in np.flatnonzero(peak):
        if kept and i - kept[-1] < gap:
            if env[i] > env[kept[-1]]:
                kept[-1] = int(i)
            continue
        kept.append(int(i))
    return np.array(kept) / fps


def tempo_estimate(samples: np.ndarray, sr: int) -> float:
    """Tempo from the autocorrelation of the onset envelope, 50–220 bpm, refined by parabola."""
    env, fps = onset_envelope(samples, sr)
    env = env - env.mean()
    n = 1 << (2 * len(env)).bit_length()
    f = np.fft.rfft(env, n)
    ac = np.fft.irfft(f * np.conj(f), n)[: len(env)]
    lags = np.arange(len(ac))
    lo, hi = int(fps * 60 / 220), int(fps * 60 / 50)
    i = lo + int(np.argmax(ac[lo:hi]))
    a, b, c = ac[i - 1], ac[i], ac[i + 1]
    off = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) else 0.0
    return 60.0 * fps / (lags[i] + off)


def tempo_matches(estimate: float, tempo: float, tol: float = 0.02) -> bool:
    return any(abs(estimate * k - tempo) <= tol * tempo for k in (0.5, 1.0, 2.0))


def beats_with_onset(samples: np.ndarray, sr: int, beats: list[float], window: float = 0.035) -> float:
    onsets = onset_times(samples, sr)
    hit = [bool(len(onsets)) and float(np.min(np.abs(onsets - b))) <= window for b in beats]
    return float(np.mean(hit))


def chroma(samples: np.ndarray, sr: int) -> np.ndarray:
    mono = samples.mean(axis=1, dtype=np.float64)
    spec = np.abs(np.fft.rfft(mono))
    freqs = np.fft.rfftfreq(len(mono), 1.0 / sr)
    sel = (freqs > 65) & (freqs < 2000)
    pc = np.round(12 * np.log2(freqs[sel] / 261.6256)).astype(int) % 12
    return np.bincount(pc, weights=spec[sel], minlength=12)


def key_clarity(samples: np.ndarray, sr: int, tonic: int) -> float:
    """Best correlation of the chroma with the major or minor profile on the intended tonic."""
    c = chroma(samples, sr)
    return max(float(np.corrcoef(c, np.roll(p, tonic))[0, 1]) for p in (MAJOR, MINOR))


def bar_features(samples: np.ndarray, sr: int, downbeats: list[float], bar_s: float) -> np.ndarray:
    """Per bar: a 16 (sixteenths) × 24 (log-spaced bands) log-energy grid, flattened."""
    mono = samples.mean(axis=1)
    n_slice = int(bar_s * sr / 16)
    n_fft = 1 << (n_slice - 1).bit_length()
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    edges = np.geomspace(60, 16000, 25)
    band = np.digitize(freqs, edges) - 1
    feats = []
    for t in downbeats:
        s0 = int(t * sr)
        if s0 + 16 * n_slice > len(mono):
            break
        grid = mono[s0:s0 + 16 * n_slice].reshape(16, n_slice)
        spec = np.abs(np.fft.rfft(grid * np.hanning(n_slice), n_fft, axis=1)) ** 2
        e = np.stack([spec[:, band == b].sum(axis=1) for b in range(24)], axis=1)
        feats.append(10 * np.log10(e + 1e-10).ravel())
    return np.array(feats)


def repeated_bar_share(samples: np.ndarray, sr: int, downbeats: list[float], bar_s: float,
                       threshold: float = 0.95) -> float:
    """Share of bars whose feature grid correlates ≥ threshold with an earlier bar's."""
    f = bar_features(samples, sr, downbeats, bar_s)
    f = f - f.mean(axis=1, keepdims=True)
    f /= np.linalg.norm(f, axis=1, keepdims=True) + 1e-12
    sim = f @ f.T
    rep = [bool(i and sim[i, :i].max() >= threshold) for i in range(len(f))]
    return float(np.mean(rep)) if rep else 0.0


def centroid(samples: np.ndarray, sr: int) -> float:
    freqs, spec = power_spectrum(samples, sr)
    return float((freqs * spec).sum() / spec.sum())


def onset_rate(samples: np.ndarray, sr: int) -> float:
    return len(onset_times(samples, sr)) / (len(samples) / sr)


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20)


def pitch_cents(wave: np.ndarray, sr: int, midi: float) -> float:
    """Deviation in cents of a held note's pitch from ``midi``: a harmonic-sum search (first four
    partials, log magnitudes, +-80 cents in 0.5-cent steps, 8x zero-padded FFT) over one second
    of the note after its attack — ensembles and vibrato make a shorter look unreliable."""
    seg = wave[int(0.15 * sr): int(1.15 * sr)].astype(np.float64)
    seg = seg * np.hanning(len(seg))
    n = 1 << (8 * len(seg) - 1).bit_length()
    spec = np.log(np.abs(np.fft.rfft(seg, n)) + 1e-9)
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    cents = np.arange(-80.0, 80.5, 0.5)
    score = np.zeros(len(cents))
    for k in range(1, 5):
        bins = np.round(k * f0 * 2.0 ** (cents / 1200.0) * n / sr).astype(int)
        if bins[-1] >= len(spec):
            break
        score += spec[bins]
    return float(cents[int(np.argmax(score))])


def figures(comp, sr: int | None = None) -> dict[str, float]:
    x = comp.samples
    sr = sr or comp.sample_rate
    lufs, tp = ebur128(x, sr)
    freqs, spec = power_spectrum(x, sr)
    body_end = comp.beats[-1]
    bar_s = 240.0 / comp.tempo
    return {
        "lufs": lufs, "true_peak": tp,
        "above_16k_db": 10 * np.log10(band_share(freqs, spec, 16000, sr / 2) + 1e-20),
        "third_16k_vs_8k_db": 10 * np.log10((third_octave(freqs, spec, 16000) + 1e-20)
                                            / (third_octave(freqs, spec, 8000) + 1e-20)),
        "presence_2_6k": band_share(freqs, spec, 2000, 6000),
        "lr_corr": lr_correlation(x, sr),
        "lr_corr_low": lr_correlation(lowpass(x.astype(np.float64), sr, 150), sr),
        "key_clarity": key_clarity(x, sr, comp.tonic),
        "tempo_est": tempo_estimate(x, sr),
        "beats_hit": beats_with_onset(x, sr, comp.beats[:-1]),
        "repeated_bars": repeated_bar_share(x, sr, comp.downbeats, bar_s),
        "tail_db": rms_db(x[-sr // 2:]) - rms_db(x[: int(body_end * sr)]),
        "last_sample": float(np.abs(x[-1]).max()),
        "centroid": centroid(x, sr), "onset_rate": onset_rate(x, sr),
    }
