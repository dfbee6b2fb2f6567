"""Songs with a known beat grid for the analysis tests: drums or clicks plus one chord per bar.

Every onset is placed exactly on the grid the generator returns, so a detected beat can be
scored against the truth in milliseconds.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 22050
# I - vi - IV - V in C, as MIDI triads
PROGRESSION = ((60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62))


@dataclass
class Song:
    samples: np.ndarray  # mono float32
    sample_rate: int
    beats: np.ndarray  # seconds
    downbeats: np.ndarray
    main_bpm: float
    loud: tuple[float, float] | None = None  # the loud stretch, seconds

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def _hz(m: float) -> float:
    return 440.0 * 2 ** ((m - 69) / 12)


def _kick(sr: int) -> np.ndarray:
    t = np.arange(int(0.25 * sr)) / sr
    f = 50 + 90 * np.exp(-t / 0.03)
    return (np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / 0.12)).astype(np.float32)


def _noise(sr: int, length: float, tau: float, rng: np.random.Generator, hp: bool) -> np.ndarray:
    n = int(length * sr)
    x = rng.standard_normal(n)
    if hp:
        x = np.diff(x, prepend=0.0)
    return (x * np.exp(-np.arange(n) / sr / tau) * 0.5).astype(np.float32)


def _click(sr: int, accent: bool) -> np.ndarray:
    t = np.arange(int(0.03 * sr)) / sr
    return (np.sin(2 * np.pi * (1500 if accent else 1000) * t) * np.exp(-t / 0.006)).astype(np.float32)


def _tone(sr: int, midi: float, length: float, bright: int = 3) -> np.ndarray:
    t = np.arange(int(length * sr)) / sr
    f = _hz(midi)
    x = sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, bright + 1))
    env = np.minimum(1.0, t / 0.005) * np.exp(-t / (length * 0.8))
    return (x * env).astype(np.float32)


def _add(buf: np.ndarray, at: float, sound: np.ndarray, gain: float, sr: int) -> None:
    i = int(round(at * sr))
    j = min(len(buf), i + len(sound))
    if i < j:
        buf[i:j] += gain * sound[: j - i]


def beat_grid(bpm: float, bars: int, intro_bpm: float | None = None, intro_bars: int = 0) -> np.ndarray:
    times = []
    t = 0.0
    for bar in range(bars):
        period = 60.0 / (intro_bpm if intro_bpm and bar < intro_bars else bpm)
        for _ in range(4):
            times.append(t)
            t += period
    times.append(t)  # the final downbeat (the last chord)
    return np.asarray(times)


def make_song(bpm: float, bars: int, *, kind: str = "drums", intro_bpm: float | None = None,
              intro_bars: int = 0, loud_bars: tuple[int, int] | None = None, seed: int = 0,
              sr: int = SR, tail: float = 1.5) -> Song:
    """``kind`` "drums" (kick on 1 and 3, snare on 2 and 4, eighth hats) or "clicks" (an accented
    click on 1). ``loud_bars`` = (first, end) bars played louder with an extra layer."""
    rng = np.random.default_rng(seed)
    grid = beat_grid(bpm, bars, intro_bpm, intro_bars)
    total = grid[-1] + tail
    buf = np.zeros(int(total * sr) + 1, np.float32)
    kick, click_hi, click_lo = _kick(sr), _click(sr, True), _click(sr, False)
    for bar in range(bars):
        b = grid[bar * 4 : bar * 4 + 5]
        loud = loud_bars is not None and loud_bars[0] <= bar < loud_bars[1]
        g = 1.0 if loud else 0.45
        chord = PROGRESSION[bar % len(PROGRESSION)]
        bar_len = b[4] - b[0]
        for m in chord:
            _add(buf, b[0], _tone(sr, m, bar_len, 4 if loud else 2), 0.12 * g, sr)
        _add(buf, b[0], _tone(sr, chord[0] - 24, bar_len / 2, 6), 0.35 * g, sr)
        _add(buf, b[2], _tone(sr, chord[0] - 24, bar_len / 2, 6), 0.3 * g, sr)
        for k in range(4):
            if kind == "drums":
                if k in (0, 2):
                    _add(buf, b[k], kick, 0.9 * g, sr)
                else:
                    _add(buf, b[k], _noise(sr, 0.15, 0.05, rng, False), 0.6 * g, sr)
                half = (b[k + 1] - b[k]) / 2
                for h in (0.0, half):
                    _add(buf, b[k] + h, _noise(sr, 0.04, 0.01, rng, True), 0.15 * g, sr)
                if loud:  # an extra layer: a melody note per beat
                    _add(buf, b[k], _tone(sr, chord[k % 3] + 12, 0.3, 3), 0.15, sr)
            else:
                _add(buf, b[k], click_hi if k == 0 else click_lo, 0.6 * g, sr)
    final = PROGRESSION[0]
    for m in final:
        _add(buf, grid[-1], _tone(sr, m, tail, 2), 0.12, sr)
    peak = np.abs(buf).max()
    buf = buf / peak * 0.9 if peak > 0 else buf
    loud_span = None if loud_bars is None else (float(grid[loud_bars[0] * 4]), float(grid[loud_bars[1] * 4]))
    return Song(samples=buf, sample_rate=sr, beats=grid, downbeats=grid[::4], main_bpm=bpm, loud=loud_span)


def write_wav(path: Path, samples: np.ndarray, sr: int) -> Path:
    data = np.asarray(samples)
    channels = 1 if data.ndim == 1 else data.shape[1]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(np.round(np.clip(data, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def hit_rate(detected: np.ndarray, truth: np.ndarray, tol: float = 0.035) -> float:
    """Share of true beats with a detected beat within ``tol`` seconds."""
    if len(truth) == 0:
        return 1.0
    if len(detected) == 0:
        return 0.0
    d = np.sort(detected)
    idx = np.clip(np.searchsorted(d, truth), 1, len(d) - 1)
    near = np.minimum(np.abs(d[idx] - truth), np.abs(d[idx - 1] - truth))
    return float(np.mean(near <= tol))


def offsets(detected: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Signed offset of each true beat's nearest detection (detected − truth)."""
    d = np.sort(detected)
    idx = np.clip(np.searchsorted(d, truth), 1, len(d) - 1)
    left, right = d[idx - 1] - truth, d[idx] - truth
    return np.where(np.abs(left) < np.abs(right), left, right)
