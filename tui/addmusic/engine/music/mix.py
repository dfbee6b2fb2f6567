"""Mixing and mastering: events onto a stereo bus with a reverb send, a full-rate convolution
reverb, a bus compressor, and a master to a loudness target under a true-peak ceiling.

Each layer (drums, bass, harmony, melody) is a stem in the sense that matters for the sound: its
level, pan, high-pass and send are its own. The high-pass is applied to each note when it is
rendered (a linear filter: the same as filtering the stem, at a fraction of the cost), so the
stems never need buffers of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import loudness

F32 = np.float32


@dataclass
class Event:
    onset: int  # sample
    wave: np.ndarray  # mono float32
    left: float
    right: float
    send: float
    role: str = ""  # the layer (stem) it belongs to: drums, bass, harmony, melody


@lru_cache(maxsize=1024)
def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power pan, unity in the centre."""
    a = (max(-1.0, min(1.0, pan)) + 1.0) * np.pi / 4.0
    return float(np.cos(a) * np.sqrt(2.0)), float(np.sin(a) * np.sqrt(2.0))


def render(events: list[Event], total: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum the events: a stereo dry bus (total, 2) and a mono reverb send."""
    dry = np.zeros((2, total), F32)
    send = np.zeros(total, F32)
    scratch = np.empty(0, F32)
    for ev in events:
        o = ev.onset
        m = min(len(ev.wave), total - o)
        if m <= 0 or o < 0:
            continue
        if len(scratch) < m:
            scratch = np.empty(max(m, 2 * len(scratch)), F32)
        t = scratch[:m]
        w = ev.wave[:m]
        for dst, g in ((dry[0], ev.left), (dry[1], ev.right), (send, ev.send)):
            if g:
                np.multiply(w, F32(g), out=t)
                seg = dst[o:o + m]
                np.add(seg, t, out=seg)
    return dry, send


def _fast_len(n: int) -> int:
    best = 1 << max(0, (n - 1).bit_length())
    p3 = 1
    while p3 < best:
        p2 = p3
        while p2 < n:
            p2 *= 2
        best = min(best, p2)
        p3 *= 3
    return best


def reverb_ir(seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Stereo impulse response at the full rate: decorrelated noise with an exponential decay,
    a short pre-delay, high-passed (no mud) and darkened (air absorbs the highs)."""
    n = int(seconds * sr)
    t = np.arange(n) / sr
    env = np.exp(-6.9 * t / seconds) * np.clip((t - 0.015) / 0.01, 0.0, 1.0)
    ir = rng.standard_normal((2, n)) * env
    nfft = 1 << (2 * n - 1).bit_length()
    spec = np.fft.rfft(ir, nfft, axis=1)
    f = np.fft.rfftfreq(nfft, 1.0 / sr)
    shape = 1.0 / np.sqrt(1.0 + (f / 5000.0) ** 2) / np.sqrt(1.0 + (200.0 / np.maximum(f, 1.0)) ** 4)
    ir = np.fft.irfft(spec * shape, nfft, axis=1)[:, :n]
    ir /= np.sqrt((ir**2).sum(axis=1, keepdims=True))
    return ir.astype(F32)


def add_reverb(dry: np.ndarray, send: np.ndarray, ir: np.ndarray, wet: float,
               ir_spectra: dict[int, np.ndarray] | None = None) -> None:
    """Convolve the send with the stereo IR at the full rate into ``dry``: one FFT of the whole
    send (fewer points transformed than overlap-add blocks for pieces of a few minutes), and
    blocks of a minute for longer ones so memory stays bounded. ``ir_spectra`` keeps the IR's
    spectrum (by FFT length) for the next send through the same room (each stem's)."""
    total = dry.shape[1]
    m = ir.shape[1]
    block = max(total, 1) if total <= 180 * 48000 else 60 * 48000
    nfft = _fast_len(block + m - 1)
    spec_ir = None if ir_spectra is None else ir_spectra.get(nfft)
    if spec_ir is None:
        spec_ir = np.fft.rfft(ir, nfft, axis=1) * F32(wet)
        if ir_spectra is not None:
            ir_spectra[nfft] = spec_ir
    for b0 in range(0, total, block):
        seg = send[b0:b0 + block]
        if not seg.any():
            continue
        spec = np.fft.rfft(seg, nfft)
        e = min(total, b0 + len(seg) + m - 1)
        for c in range(2):
            dry[c, b0:e] += np.fft.irfft(spec * spec_ir[c], nfft)[: e - b0]


def _block_gain_to_samples(gain: np.ndarray, blk: int, total: int) -> np.ndarray:
    """Per-block gains to per-sample gains by linear interpolation between block starts."""
    g_next = np.append(gain[1:], gain[-1])
    ramp = np.arange(blk, dtype=F32) / F32(blk)
    g = (gain[:, None] + (g_next - gain)[:, None] * ramp).reshape(-1)
    return g[:total].astype(F32)


def tone_and_power(x: np.ndarray, sr: int, presence_db: float, low_db: float, power: bool = True) -> np.ndarray:
    """Master tone in place (zero phase): a broad bell around 3.5 kHz and a shelf under 120 Hz,
    zero above 10 kHz by construction (it never adds fizz). Returns the K-weighted power of the
    result (see loudness.py) from the same spectra: one forward transform serves both."""
    nfft, overlap = 1 << 17, 1 << 12
    f = np.fft.rfftfreq(nfft, 1.0 / sr)
    octaves = np.log2(np.maximum(f, 1.0) / 3500.0)
    db = presence_db * np.exp(-0.5 * (octaves / 0.7) ** 2) + low_db / (1.0 + (f / 120.0) ** 2)
    h_tone = (10.0 ** (db / 20.0)).astype(np.complex64)
    h_k = loudness.k_response(sr, nfft) * h_tone
    plain = not presence_db and not low_db
    hop = nfft - 2 * overlap
    total = x.shape[1]
    k_power = np.zeros(total if power else 0, F32)
    for c in range(2):
        padded = np.concatenate([np.zeros(overlap, F32), x[c], np.zeros(nfft, F32)])
        for s in range(0, total, hop):
            spec = np.fft.rfft(padded[s:s + nfft])
            m = min(hop, total - s)
            if not plain:
                x[c, s:s + m] = np.fft.irfft(spec * h_tone, nfft)[overlap:overlap + m]
            if power:
                yk = np.fft.irfft(spec * h_k, nfft)[overlap:overlap + m]
                k_power[s:s + m] += np.square(yk, dtype=F32)
    return k_power


def bus_compress(x: np.ndarray, sr: int, ratio: float = 2.0, knee_db: float = 6.0,
                 threshold: float | None = None) -> tuple[np.ndarray, float]:
    """A gentle RMS compressor in place: 2:1 above a threshold set a few dB under the piece's
    loud passages (or ``threshold``, dB, for pieces mixed in parts), ~10 ms attack, ~150 ms
    release, so sections still differ in level. Returns the gain per sample and the threshold."""
    blk = 256
    total = x.shape[1]
    nb = -(-total // blk)
    p = np.zeros(nb * blk, F32)
    p[:total] = x[0] * x[0] + x[1] * x[1]
    level = p.reshape(nb, blk).mean(axis=1, dtype=np.float64)
    win = max(1, int(0.05 * sr / blk))
    level = np.convolve(level, np.ones(win) / win, mode="same")
    db = 10.0 * np.log10(np.maximum(level, 1e-12))
    loud = db[db > db.max() - 40.0]
    thr = float(np.percentile(loud, 70)) - 3.0 if len(loud) else 0.0
    thr = thr if threshold is None else threshold
    over = db - thr
    in_knee = (over + knee_db / 2) ** 2 / (2 * knee_db)
    soft = np.where(over > knee_db / 2, over, np.where(over > -knee_db / 2, in_knee, 0.0))
    gr = -soft * (1.0 - 1.0 / ratio)
    # release: the gain recovers no faster than ~150 ms; a running minimum over that window does it
    rel = max(1, int(0.15 * sr / blk))
    padded = np.concatenate([np.zeros(rel - 1), gr])
    gr = np.lib.stride_tricks.sliding_window_view(padded, rel).min(axis=1)
    gain = (10.0 ** (np.convolve(gr, np.ones(4) / 4, mode="same") / 20.0)).astype(F32)
    g = _block_gain_to_samples(gain, blk, total)
    x *= g[None, :]
    return g, thr


def sample_true_peaks(x: np.ndarray, floor: float) -> np.ndarray:
    """Per sample, the larger channel's magnitude; where that is above ``floor``, the 4x
    oversampled peak up to the next sample instead (inter-sample peaks only matter near the top)."""
    peak = np.maximum(np.abs(x[0]), np.abs(x[1]))
    near = peak > floor
    near[:-1] |= near[1:]
    idx = np.flatnonzero(near)
    if len(idx):
        peak[idx] = loudness.inter_sample_peaks(x.T, idx)
    return peak


def limiter_gain(peak: np.ndarray, ceiling: float, sr: int) -> np.ndarray:
    """Per-sample gain that keeps ``peak`` (per-sample true peaks) under ``ceiling``: the gain
    each sample needs, held over a 1.5 ms look-ahead, recovering over ~80 ms."""
    total = len(peak)
    blk = 32
    nb = -(-total // blk)
    padded = np.zeros(nb * blk, F32)
    padded[:total] = peak
    over = padded.reshape(nb, blk).max(axis=1)
    gb = np.minimum(1.0, ceiling / np.maximum(over, 1e-12))
    look = max(1, int(0.0015 * sr / blk))
    ext = np.concatenate([np.ones(look), gb, np.ones(look)])
    gb = np.lib.stride_tricks.sliding_window_view(ext, 2 * look + 1).min(axis=1)
    # release: a running minimum of the gain over ~80 ms, then smoothed (never above the minimum)
    rel = max(1, int(0.08 * sr / blk))
    ext = np.concatenate([np.ones(rel - 1), gb])
    held = np.lib.stride_tricks.sliding_window_view(ext, rel).min(axis=1)
    smooth = np.convolve(np.concatenate([np.full(rel, held[0]), held]), np.ones(rel) / rel, mode="valid")[1:]
    gb = np.minimum(gb, smooth[: len(gb)])
    return _block_gain_to_samples(gb.astype(F32), blk, total)


def master(x: np.ndarray, sr: int, power_ref: list[np.ndarray], target_lufs: float, ceiling_dbtp: float,
           fade: np.ndarray | None, fixed_gain_db: float | None = None) -> tuple[np.ndarray, float]:
    """Level ``x`` in place to ``target_lufs`` integrated with true peak under ``ceiling_dbtp``.

    ``power_ref`` holds the K-weighted power of ``x`` (in a list, so it can be freed here).
    Limiting lowers the loudness, so the gain is solved for: the limited loudness is the power
    times the squared gains (a gain that moves slowly next to the K filter's memory commutes
    with it), a few rounds, then checked; ``fixed_gain_db`` skips that (a part of a piece mixed in
    parts gets the gain of the rest). Returns the mastered piece's mean K-weighted power per
    100 ms block (the render predicts the export's loudness from it, render/soundfacts.py) and
    the gain used before limiting (dB)."""
    ceiling = 10.0 ** ((ceiling_dbtp - 0.15) / 20.0)  # a little margin for the gain ramps
    power = power_ref.pop()
    if fade is not None:
        power[len(power) - len(fade):] *= fade * fade
    base = loudness.integrated(power, sr)
    if base <= -69.0 and fixed_gain_db is None:
        return _blocks(power, sr), 0.0
    gain_db = target_lufs - base if fixed_gain_db is None else fixed_gain_db
    a = 10.0 ** (gain_db / 20.0)
    # oversample only near the top: within 2 dB of the ceiling at up to 3 dB more gain (inter-sample
    # overs of this band-limited mix are a fraction of a dB)
    peak = sample_true_peaks(x, 0.8 * ceiling / (1.4 * a))
    g = np.ones(x.shape[1], F32)
    for _ in range(5):
        a = 10.0 ** (gain_db / 20.0)
        g = limiter_gain(peak * F32(a), ceiling, sr)
        if fixed_gain_db is not None:
            break
        level = loudness.integrated(power, sr, g, a * a)
        if abs(level - target_lufs) < 0.03:
            break
        gain_db += target_lufs - level
    g *= F32(10.0 ** (gain_db / 20.0))
    power *= np.square(g)  # (the fade is in the power already)
    if fade is not None:
        g[len(g) - len(fade):] *= fade
    x *= g[None, :]
    del g, peak
    over = loudness.true_peak(x.T, floor=0.85) / (10.0 ** (ceiling_dbtp / 20.0))
    if over > 0.999:  # the ramps let a peak through: trim the whole piece, never clip
        x *= F32(0.999 / over)
        power *= F32((0.999 / over) ** 2)
    return _blocks(power, sr), gain_db


def _blocks(power: np.ndarray, sr: int) -> np.ndarray:
    """Mean power per 100 ms block (the last one partial)."""
    step = sr // 10
    nb = -(-len(power) // step)
    out = np.add.reduceat(power, np.arange(nb) * step, dtype=np.float64) if len(power) else np.zeros(0)
    counts = np.minimum(step, len(power) - np.arange(nb) * step)
    return (out / counts).astype(F32)
