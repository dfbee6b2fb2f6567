"""The composer makes real music of an exact length: rhythm, harmony, styles, determinism.

The detectors (onset autocorrelation, chroma) are checked against controls — noise and a single
sawtooth — so these tests demonstrably fail on audio that is not music.
"""

from __future__ import annotations

import itertools
import wave
from pathlib import Path

import numpy as np
import pytest

from addmusic.engine.music import STYLES, Composition, compose, peaks, style_for, style_label, write_wav

SR = 48000


# ---------------------------------------------------------------- detectors


def onset_strength(x: np.ndarray, sr: int, n_fft: int = 1024, hop: int = 256) -> tuple[np.ndarray, float]:
    """Spectral flux: summed positive change of the log spectrum, one value per hop."""
    mono = x.mean(axis=1) if x.ndim == 2 else x
    frames = np.lib.stride_tricks.sliding_window_view(mono, n_fft)[::hop] * np.hanning(n_fft)
    logm = np.log1p(100.0 * np.abs(np.fft.rfft(frames, axis=1)))
    return np.maximum(np.diff(logm, axis=0), 0.0).sum(axis=1), sr / hop


def autocorr(x: np.ndarray) -> np.ndarray:
    x = x - x.mean()
    n = 1 << (2 * len(x) - 1).bit_length()
    f = np.fft.rfft(x, n)
    ac = np.fft.irfft(f * np.conj(f), n)[: len(x)]
    return ac / ac[0]


def beat_evidence(samples: np.ndarray, tempo: float, sr: int = SR) -> tuple[float, float, float]:
    """(autocorrelation at the beat period, worst off-grid autocorrelation, best lag / period)."""
    env, fps = onset_strength(samples, sr)
    ac = autocorr(env)
    period = 60.0 / tempo * fps
    at_beat = float(max(ac[int(period) - 1: int(period) + 3]))
    off_grid = float(max(ac[int(round(period * k / 8))] for k in (3, 5, 7, 9, 11)))
    lo, hi = int(0.8 * period), int(1.2 * period) + 1
    return at_beat, off_grid, (lo + int(np.argmax(ac[lo:hi]))) / period


def has_beat(samples: np.ndarray, tempo: float) -> bool:
    at_beat, off_grid, best = beat_evidence(samples, tempo)
    return at_beat > 0.15 and at_beat > 2.0 * off_grid and abs(best - 1.0) < 0.03


def chroma(x: np.ndarray, sr: int = SR) -> np.ndarray:
    """Spectral magnitude (110-1760 Hz) folded onto 12 pitch classes, C = 0, max = 1."""
    mono = x.mean(axis=1) if x.ndim == 2 else x
    spec = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    freqs = np.fft.rfftfreq(len(mono), 1 / sr)
    sel = (freqs > 110) & (freqs < 1760)
    pc = np.round(12 * np.log2(freqs[sel] / 261.63)).astype(int) % 12
    c = np.bincount(pc, weights=spec[sel], minlength=12)
    return c / c.max()


def strong_pitch_classes(x: np.ndarray) -> int:
    return int((chroma(x) >= 0.35).sum())


def band_profile(x: np.ndarray, sr: int = SR) -> np.ndarray:
    """Share of energy in half-octave bands from 40 Hz, in dB."""
    mono = x.mean(axis=1)
    spec = np.abs(np.fft.rfft(mono)) ** 2
    f = np.fft.rfftfreq(len(mono), 1 / sr)
    edges = 40 * 2 ** np.arange(0, 10.5, 0.5)
    bands = np.array([spec[(f >= a) & (f < b)].sum() for a, b in zip(edges[:-1], edges[1:], strict=True)])
    return 10 * np.log10(bands / bands.sum() + 1e-12)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def saw(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (2 * ((freq * t) % 1.0) - 1).astype(np.float32)


@pytest.fixture(scope="module")
def pieces() -> dict[str, Composition]:
    """20 s of every style, rendered once for the module (about 2 s in total)."""
    return {name: compose(20.0, name, seed=1) for name in STYLES}


# ---------------------------------------------------------------- length and level


@pytest.mark.parametrize(("seconds", "style"), [(1.0, "lofi"), (2.5, "upbeat"), (7.3, "cinematic"),
                                                 (13.37, "acoustic"), (60.0, "electronic")])
def test_exact_length_and_format(seconds: float, style: str) -> None:
    c = compose(seconds, style, seed=3)
    assert c.samples.shape == (round(seconds * SR), 2)
    assert c.samples.dtype == np.float32
    assert c.sample_rate == SR and c.style == style
    lo, hi = STYLES[style].tempo
    assert lo <= c.tempo <= hi
    assert c.beats and c.beats[0] == 0.0 and all(0 <= b < seconds for b in c.beats)
    assert np.allclose(np.diff(c.beats), 60.0 / c.tempo, atol=1e-5)
    assert np.isfinite(c.samples).all()
    assert np.abs(c.samples).max() <= 0.98


def test_other_sample_rate_and_unknown_style() -> None:
    c = compose(3.21, "no-such-style", sample_rate=44100)
    assert c.samples.shape == (round(3.21 * 44100), 2)
    assert c.style == "lofi"
    with pytest.raises(ValueError):
        compose(0.0)


def test_level_sane_and_peak_bounded(pieces: dict[str, Composition]) -> None:
    for name, c in pieces.items():
        assert 0.05 < rms(c.samples) < 0.3, name
        assert np.abs(c.samples).max() <= 0.98, name
        assert np.abs(c.samples).max() > 0.3, name


def test_energy_curve_intro_softer_and_tail_decays() -> None:
    c = compose(40.0, "upbeat", seed=2)
    x, beat = c.samples, 60.0 / c.tempo
    first_bar = x[: int(4 * beat * SR)]
    body_end = c.beats[-1]  # the final chord's downbeat
    late_bar = x[int((body_end - 4 * beat) * SR): int(body_end * SR)]
    assert rms(first_bar) < 0.8 * rms(late_bar)
    assert rms(x[-int(0.3 * SR):]) < 0.1 * rms(late_bar)
    assert np.abs(x[-1]).max() < 1e-3
    assert 1.0 < c.duration - body_end < 5.0


# ---------------------------------------------------------------- rhythm and harmony


@pytest.mark.parametrize("style", list(STYLES))
def test_has_rhythm_at_the_reported_tempo(pieces: dict[str, Composition], style: str) -> None:
    c = pieces[style]
    assert has_beat(c.samples, c.tempo), beat_evidence(c.samples, c.tempo)
    assert not has_beat(c.samples, c.tempo * 1.37)  # and not at an arbitrary other tempo


def test_rhythm_detector_rejects_noise_and_a_tone() -> None:
    noise = np.random.default_rng(0).standard_normal(10 * SR).astype(np.float32) * 0.1
    assert not has_beat(noise, 120.0)
    assert not has_beat(saw(130.8, 10.0), 120.0)


@pytest.mark.parametrize("style", list(STYLES))
def test_has_harmony(pieces: dict[str, Composition], style: str) -> None:
    c = pieces[style]
    start, end = c.beats[12], c.beats[16]  # a whole bar after the intro
    assert strong_pitch_classes(c.samples[int(start * SR): int(end * SR)]) >= 3, np.round(chroma(
        c.samples[int(start * SR): int(end * SR)]), 2)


def test_harmony_detector_rejects_a_single_tone() -> None:
    assert strong_pitch_classes(saw(130.81, 2.0)) < 3
    assert strong_pitch_classes(saw(196.0, 2.0) + saw(261.63, 2.0)) < 3


def test_styles_differ(pieces: dict[str, Composition]) -> None:
    feats = {name: (c.tempo, band_profile(c.samples)) for name, c in pieces.items()}
    for a, b in itertools.combinations(feats, 2):
        (ta, pa), (tb, pb) = feats[a], feats[b]
        assert abs(ta - tb) > 5.0 or np.abs(pa - pb).mean() > 1.5, (a, b)


# ---------------------------------------------------------------- determinism


def test_deterministic_per_seed_and_varied_across_seeds() -> None:
    a = compose(6.0, "chill", seed=7)
    b = compose(6.0, "chill", seed=7)
    assert np.array_equal(a.samples, b.samples) and a.tempo == b.tempo and a.beats == b.beats
    others = [compose(6.0, "chill", seed=s) for s in (8, 9)]
    for o in others:
        assert not np.array_equal(a.samples, o.samples)
        corr = np.corrcoef(a.samples[:, 0], o.samples[:, 0])[0, 1]
        assert abs(corr) < 0.9


def test_long_piece_is_whole_and_fast_enough() -> None:
    c = compose(150.0, "lofi", seed=1)
    assert c.samples.shape == (150 * SR, 2)
    assert np.isfinite(c.samples).all() and np.abs(c.samples).max() <= 0.98
    minutes = [rms(c.samples[i * 60 * SR:(i + 1) * 60 * SR]) for i in range(2)]
    assert min(minutes) > 0.05  # no section collapses into silence


# ---------------------------------------------------------------- files and waveforms


def test_write_wav_round_trips(tmp_path: Path) -> None:
    c = compose(2.0, "acoustic", seed=1)
    path = tmp_path / "m.wav"
    write_wav(path, c)
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, SR)
        assert w.getnframes() == len(c.samples)
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    assert np.abs(data / 32767.0 - c.samples).max() <= 1.0 / 32767.0 + 1e-6


def test_peaks_absolute_level() -> None:
    x = np.zeros((48000, 2), dtype=np.float32)
    x[:24000] = 0.5
    x[30000, 1] = -1.0
    p = peaks(x, 10)
    assert len(p) == 10 and all(isinstance(v, int) and 0 <= v <= 100 for v in p)
    assert p[:5] == [50] * 5 and p[6] == 100 and p[9] == 0
    assert peaks(x * 0.1, 10)[0] == 5  # absolute, not normalised to the loudest bucket
    assert len(peaks(np.zeros(5), 120)) == 120 and peaks(np.zeros(0), 3) == [0, 0, 0]
    music = compose(3.0, "upbeat", seed=1).samples
    assert len(peaks(music)) == 120 and max(peaks(music)) > 30


# ---------------------------------------------------------------- moods


@pytest.mark.parametrize(("mood", "style"), [
    (None, "lofi"), ("", "lofi"), ("something unheard of", "lofi"),
    ("happy", "upbeat"), ("Upbeat and fun", "upbeat"), ("epic", "cinematic"), ("Cinematic", "cinematic"),
    ("relaxing", "chill"), ("calm", "chill"), ("lo-fi", "lofi"), ("Lo-Fi", "lofi"), ("lofi", "lofi"),
    ("chillhop", "lofi"), ("energetic", "electronic"), ("EDM", "electronic"), ("sad", "piano"),
    ("romantic", "piano"), ("jazzy", "lofi"), ("chill", "chill"), ("hip hop", "lofi"), ("hip-hop", "lofi"),
    ("acoustic guitar", "acoustic"), ("欢快", "upbeat"), ("轻松", "chill"), ("史诗", "cinematic"),
    ("悲伤", "piano"), ("来点欢快的音乐", "upbeat"), ("ＥＰＩＣ", "cinematic"), ("a fun summer vlog", "upbeat"),
])
def test_style_for(mood: str | None, style: str) -> None:
    assert style_for(mood) == style


def test_style_labels() -> None:
    assert style_label("lofi") == "Lo-fi"
    assert style_label("upbeat") == "Upbeat pop"
    assert style_label("cinematic") == "Cinematic"
    assert len({style_label(s) for s in STYLES}) == len(STYLES) >= 6
