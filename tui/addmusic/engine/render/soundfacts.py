"""What the master needs to know about each sound before the mix exists, so the export is
mixed, mastered and encoded in one ffmpeg run.

Every input (a clip's own sound, a composed piece, a song) is measured once, where it is made or
first used, into 100 ms blocks: the K-weighted power (ITU-R BS.1770, the same filter and gating
as ffmpeg's `ebur128`, see music/loudness.py) and the RMS of the voice band the ducking gate
listens to. The facts are kept next to the file (``<file>.facts.npz``, tied to its size and
modification time). From them the mix's integrated loudness is predicted: block powers add
(unrelated sounds), music under a ducked segment is lowered where the clip's voice band opens the
gate, fades and levels scale the blocks, and the BS.1770 gates are applied. The render measures
the result with `ebur128` as it encodes it and corrects with another run when the prediction
missed (run.py), so a wrong prediction costs time, never a wrong level.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..music import loudness
from .audio import DUCK_THRESHOLD

RATE = 48000
BLOCK = RATE // 10  # 100 ms
VOICE_BAND = (200.0, 4000.0)  # what the ducking gate listens to (audio.py)
SUFFIX = ".facts.npz"


@dataclass
class Facts:
    power: np.ndarray  # per 100 ms block: mean K-weighted power, channels summed
    voice: np.ndarray  # every 10 ms: the level the ducking gate's detector follows (audio.py)
    peak: np.ndarray  # per block: the largest sample magnitude
    gate_level: float = 0.0  # the detector's state at the end (for the next piece of a long sound)


@dataclass
class Layer:
    """One sound on the timeline, as the mix graph places it (plan.py)."""

    path: Path
    start_ms: int  # timeline position
    source_in_ms: int
    duration_ms: int
    gain: float  # linear
    fade_in_ms: int = 0
    fade_out_ms: int = 0
    duck_db: float | None = None  # music lowered under the clip's voice by this much
    is_clip: bool = False  # the clips' own sound (the ducking gate listens to it)


def decode_command(ffmpeg: str, path: Path) -> list[str]:
    """ffmpeg decoding the first sound stream to raw 48 kHz stereo float on stdout."""
    return [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-vn",
            "-ac", "2", "-ar", str(RATE), "-f", "f32le", "-"]


_NFFT, _OVERLAP = 1 << 16, 1 << 13  # as loudness.k_weighted_power: filter tails die long before 8192


@lru_cache(maxsize=2)
def _responses(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The K weighting's response, and that of ffmpeg's `highpass=f=200,lowpass=f=4000`
    (cookbook biquads, Q 0.707) that the ducking gate listens through."""
    w = np.pi * np.arange(n // 2 + 1) / (n // 2)
    z = np.exp(-1j * w)
    h = np.ones(len(w), np.complex128)
    for f0, high in ((VOICE_BAND[0], True), (VOICE_BAND[1], False)):
        w0 = 2 * np.pi * f0 / RATE
        alpha = np.sin(w0) / (2 * 0.7071)
        c = np.cos(w0)
        b = ((1 + c) / 2, -(1 + c), (1 + c) / 2) if high else ((1 - c) / 2, 1 - c, (1 - c) / 2)
        a = (1 + alpha, -2 * c, 1 - alpha)
        h *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return loudness.k_response(RATE, n), h.astype(np.complex64)


def _filtered(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """K-weighted power per sample (channels summed) and the voice band (n, 2), from one
    forward transform per overlap-save block."""
    n = len(x)
    hk, hb = _responses(_NFFT)
    hop = _NFFT - _OVERLAP
    power = np.zeros(n, np.float32)
    band = np.zeros((n, 2), np.float32)
    for c in range(2):
        padded = np.concatenate([np.zeros(_OVERLAP, np.float32), x[:, c], np.zeros(_NFFT, np.float32)])
        for s in range(0, n, hop):
            spec = np.fft.rfft(padded[s:s + _NFFT])
            m = min(hop, n - s)
            yk = np.fft.irfft(spec * hk, _NFFT)[_OVERLAP:_OVERLAP + m]
            power[s:s + m] += np.square(yk, dtype=np.float32)
            band[s:s + m, c] = np.fft.irfft(spec * hb, _NFFT)[_OVERLAP:_OVERLAP + m]
    return power, band


def _gate_envelope(band: np.ndarray, start: float) -> tuple[np.ndarray, float]:
    """The level ffmpeg's gate detector follows every 10 ms (rms detection, channels linked by
    their mean): af_agate.c tracks each squared sample with a fast rise (the attack) and a slow
    fall (the release), so on a busy signal it settles above the mean power, where the rises
    and the falls balance. That balance is solved for in each 10 ms window (bisection on the
    window's samples), and the windows are joined by the same rise and fall per 10 ms."""
    from .audio import DUCK_ATTACK_MS, DUCK_RELEASE_MS

    win = RATE // 100
    n = len(band) // win
    # every 4th sample is plenty to find where rises and falls balance
    power = np.square(np.abs(band[: n * win:4]).mean(axis=1)).reshape(n, win // 4)
    up = min(1.0, 1.0 / (DUCK_ATTACK_MS * RATE / 4000.0))
    down = min(1.0, 1.0 / (DUCK_RELEASE_MS * RATE / 4000.0))
    lo = power.mean(axis=1)  # a fast rise and a slow fall settle above the mean ...
    hi = power.max(axis=1) if n else lo  # ... and under the top
    for _ in range(16):
        mid = (lo + hi) / 2
        diff = power - mid[:, None]
        rises = up * np.maximum(diff, 0.0).sum(axis=1)
        falls = down * np.maximum(-diff, 0.0).sum(axis=1)
        above = rises > falls
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    settled = (lo + hi) / 2
    up_w, down_w = 1 - (1 - up) ** win, 1 - (1 - down) ** win
    env = np.empty(n)
    level = start
    for i, p in enumerate(settled.tolist()):
        level += (p - level) * (up_w if p > level else down_w)
        env[i] = level
    return np.sqrt(env), level


def from_samples(x: np.ndarray, preroll: np.ndarray | None = None, gate_start: float = 0.0) -> Facts:
    """Facts of (n, 2) float32 samples at 48 kHz; ``preroll`` (the samples just before, if
    any) only warms the filters, ``gate_start`` is the gate detector's level before ``x``."""
    x = np.asarray(x, np.float32)
    n = len(x)
    nb = -(-n // BLOCK)
    pre = 0 if preroll is None else len(preroll)
    both = np.concatenate([preroll, x]) if pre else x
    power, band = _filtered(both)
    power, band = power[pre:], band[pre:]
    padded = np.zeros(nb * BLOCK, np.float32)
    padded[:n] = power
    block_power = padded.reshape(nb, BLOCK).mean(axis=1, dtype=np.float64)
    padded_band = np.zeros((nb * BLOCK, 2))
    padded_band[:n] = band
    voice, level = _gate_envelope(padded_band, gate_start)
    peaks = np.zeros((nb * BLOCK,), np.float32)
    peaks[:n] = np.abs(x).max(axis=1)
    facts = Facts(block_power.astype(np.float32), voice.astype(np.float32),
                  peaks.reshape(nb, BLOCK).max(axis=1))
    facts.gate_level = level
    return facts


def of_music(block_power: np.ndarray, chunks: Iterable[np.ndarray]) -> Facts:
    """Facts of a composed piece from what the composer measured while mastering it (no second
    look at the samples but their peaks, read in ``chunks``; music is never a ducking gate's
    sidechain)."""
    nb = len(block_power)
    peak = np.zeros(nb, np.float32)
    at = 0
    for chunk in chunks:
        for s in range(0, len(chunk), 60 * RATE):  # a minute at a time: no full-length temporary
            part = np.abs(np.asarray(chunk[s:s + 60 * RATE], np.float32)).max(axis=1)
            blocks = (at + np.arange(len(part))) // BLOCK
            starts = np.flatnonzero(np.diff(blocks, prepend=-1))  # where each block begins in this part
            np.maximum.at(peak, np.minimum(blocks[starts], nb - 1), np.maximum.reduceat(part, starts))
            at += len(part)
    return Facts(np.asarray(block_power, np.float32), np.zeros(nb * 10, np.float32), peak)


def link(source: Path, target: Path) -> None:
    """The facts of ``source`` for its hard link ``target`` (same size and time, same facts)."""
    src, dst = _sidecar(Path(source)), _sidecar(Path(target))
    with contextlib.suppress(OSError):
        dst.unlink(missing_ok=True)
        os.link(src, dst)


def remove(path: Path) -> None:
    """Remove a media file and the facts kept beside it (they must not outlive it: a new file
    at the same name could match their stamp)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        _sidecar(path).unlink(missing_ok=True)


def from_pcm(raw: bytes) -> Facts:
    x = np.frombuffer(raw, "<f4")
    return from_samples(x[: len(x) // 2 * 2].reshape(-1, 2))


class Builder:
    """Facts of a long sound fed in pieces (memory bounded by the piece, not the sound): each
    piece is measured after the last 8192 samples of the one before, so the K filter's memory
    carries across (loudness.py keeps its overlap at that length)."""

    CHUNK_BLOCKS = 300  # 30 s
    PREROLL = 8192

    def __init__(self) -> None:
        self.parts: list[Facts] = []
        self.tail = np.zeros((0, 2), np.float32)
        self.pending = b""

    def feed(self, raw: bytes) -> None:
        self.pending += raw
        size = self.CHUNK_BLOCKS * BLOCK * 8
        while len(self.pending) >= size:
            self._take(self.pending[:size])
            self.pending = self.pending[size:]

    def _take(self, raw: bytes) -> None:
        x = np.frombuffer(raw, "<f4")
        x = x[: len(x) // 2 * 2].reshape(-1, 2)
        if not len(x):
            return
        start = self.parts[-1].gate_level if self.parts else 0.0
        self.parts.append(from_samples(x, self.tail if len(self.tail) else None, start))
        self.tail = np.array(x[-self.PREROLL:])

    def finish(self) -> Facts:
        self._take(self.pending)
        self.pending = b""
        if not self.parts:
            return Facts(np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32))
        return Facts(*(np.concatenate([getattr(p, k) for p in self.parts]) for k in ("power", "voice", "peak")))


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def _stamp(path: Path) -> np.ndarray:
    st = path.stat()
    return np.array([st.st_size, st.st_mtime_ns], np.int64)


def save(path: Path, facts: Facts) -> None:
    """Keep the facts next to ``path`` (written aside, then renamed: readers never see half)."""
    path = Path(path)
    target = _sidecar(path)
    part = target.with_name(f"{target.name}.{os.getpid()}.part.npz")
    np.savez(part, power=facts.power, voice=facts.voice, peak=facts.peak, stamp=_stamp(path))
    os.replace(part, target)


def load(path: Path) -> Facts | None:
    """The kept facts of ``path``, or None when there are none or the file changed since."""
    path = Path(path)
    with contextlib.suppress(OSError, ValueError, KeyError):
        with np.load(_sidecar(path)) as data:
            if not np.array_equal(data["stamp"], _stamp(path)):
                return None
            return Facts(data["power"], data["voice"], data["peak"])
    return None


def _place(values: np.ndarray, layer: Layer, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """The layer's blocks on the timeline's blocks (zeros elsewhere), and its level per block
    (gain and fades)."""
    out = np.zeros(nb)
    level = np.zeros(nb)
    first = int(round(layer.start_ms / 100))
    src = int(round(layer.source_in_ms / 100))
    count = min(int(round(layer.duration_ms / 100)), nb - first, max(0, len(values) - src))
    if count <= 0:
        return out, level
    out[first:first + count] = values[src:src + count]
    t = (np.arange(count) + 0.5) * 100.0  # ms into the segment, block centres
    g = np.full(count, layer.gain)
    fi, fo = layer.fade_in_ms, layer.fade_out_ms
    if fi + fo > layer.duration_ms and fi + fo > 0:
        scale = layer.duration_ms / (fi + fo)
        fi, fo = fi * scale, fo * scale
    if fi > 0:
        g *= np.clip(t / fi, 0.0, 1.0)
    if fo > 0:
        g *= np.clip((layer.duration_ms - t) / fo, 0.0, 1.0)
    level[first:first + count] = g
    return out, level


def predict(layers: list[Layer], facts: dict[Path, Facts], end_ms: int) -> tuple[float, float] | None:
    """(integrated LUFS, a bound on the sample peak in dBFS) of the mix before the master, or
    None when a layer has no facts."""
    nb = max(1, -(-int(end_ms) // 100))
    power = np.zeros(nb)
    peak = np.zeros(nb)
    detector = np.zeros(nb * 10)  # the gate's detector level every 10 ms, clips' sound summed
    for layer in layers:
        if layer.is_clip:
            f = facts.get(layer.path)
            if f is None:
                return None
            p, g = _place(f.power, layer, nb)
            power += p * g * g
            pk, _ = _place(f.peak, layer, nb)
            peak += pk * g
            fine = Layer(layer.path, layer.start_ms * 10, layer.source_in_ms * 10, layer.duration_ms * 10,
                         layer.gain)
            v, gv = _place(f.voice, fine, nb * 10)
            detector += v * gv
    threshold = DUCK_THRESHOLD
    open_share = (detector > threshold).reshape(nb, 10).mean(axis=1)
    for layer in layers:
        if layer.is_clip:
            continue
        f = facts.get(layer.path)
        if f is None:
            return None
        p, g = _place(f.power, layer, nb)
        pk, _ = _place(f.peak, layer, nb)
        p = p * g * g
        if layer.duck_db is not None and any(lay.is_clip for lay in layers):
            p = p * (1.0 - open_share + open_share * 10.0 ** (-layer.duck_db / 10.0))
        power += p
        peak += pk * g
    top = float(peak.max()) if len(peak) else 0.0
    return loudness.gated(power), 20.0 * np.log10(max(top, 1e-9))
