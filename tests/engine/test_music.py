"""The composer: the issue's figures per style on 60 s, the sampler's pitch, the meter against
ffmpeg, the interface the engine and the renderer rely on, and the `music` command.

Compositions are cached per module (each 60 s piece costs a few seconds): every style at seed 1,
and three styles (one calm, two energetic) at two more seeds. Loudness and true peak are measured
by ffmpeg's ebur128 filter, not by the composer's own meter.
"""

from __future__ import annotations

import json
import wave
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import soundfile
from music_figures import (
    ebur128,
    figures,
    onset_rate,
    pitch_cents,
    tempo_matches,
)

from addmusic.engine.music import STYLES, Composition, compose, loudness, peaks, write_wav
from addmusic.engine.music.instruments import VOICES, Instruments
from addmusic.engine.styles import STYLE_KEYS

SR = 48000
SEEDS_ALL = (1,)
SEEDS_MORE = {"piano": (2, 3), "electronic": (2, 3), "upbeat": (2, 3)}
CASES = [(s, seed) for s in STYLE_KEYS for seed in SEEDS_ALL] + [
    (s, seed) for s, seeds in SEEDS_MORE.items() for seed in seeds]
CALM = ("ambient", "chill", "piano")
ENERGETIC = ("electronic", "rock", "upbeat")


@pytest.fixture(scope="module")
def pieces() -> dict[tuple[str, int], Composition]:
    return {}


@pytest.fixture(scope="module")
def measured(pieces) -> dict[tuple[str, int], dict[str, float]]:
    return {}


def piece(pieces, style: str, seed: int) -> Composition:
    if (style, seed) not in pieces:
        pieces[(style, seed)] = compose(60.0, style, seed=seed)
    return pieces[(style, seed)]


def figs(pieces, measured, style: str, seed: int) -> dict[str, float]:
    if (style, seed) not in measured:
        measured[(style, seed)] = figures(piece(pieces, style, seed))
    return measured[(style, seed)]


# ------------------------------------------------------------------ the figures, per style


@pytest.mark.parametrize(("style", "seed"), CASES)
def test_mastered_loudness_and_true_peak(pieces, measured, style: str, seed: int) -> None:
    f = figs(pieces, measured, style, seed)
    assert abs(f["lufs"] - -14.0) <= 0.5, f["lufs"]
    assert f["true_peak"] <= -1.0, f["true_peak"]
    assert np.abs(piece(pieces, style, seed).samples).max() < 1.0  # no clipped sample


@pytest.mark.parametrize(("style", "seed"), CASES)
def test_spectrum_no_fizz_and_presence(pieces, measured, style: str, seed: int) -> None:
    f = figs(pieces, measured, style, seed)
    assert f["above_16k_db"] <= -30.0, f["above_16k_db"]
    assert f["third_16k_vs_8k_db"] <= 0.0, f["third_16k_vs_8k_db"]
    assert f["presence_2_6k"] >= 0.02, f["presence_2_6k"]


@pytest.mark.parametrize(("style", "seed"), CASES)
def test_stereo_width_with_a_mono_low_end(pieces, measured, style: str, seed: int) -> None:
    f = figs(pieces, measured, style, seed)
    assert 0.3 <= f["lr_corr"] <= 0.85, f["lr_corr"]
    assert f["lr_corr_low"] >= 0.9, f["lr_corr_low"]


@pytest.mark.parametrize(("style", "seed"), CASES)
def test_in_key(pieces, measured, style: str, seed: int) -> None:
    f = figs(pieces, measured, style, seed)
    assert f["key_clarity"] >= 0.75, (piece(pieces, style, seed).key, f["key_clarity"])


@pytest.mark.parametrize(("style", "seed"), CASES)
def test_tempo_and_beats_line_up(pieces, measured, style: str, seed: int) -> None:
    f = figs(pieces, measured, style, seed)
    comp = piece(pieces, style, seed)
    assert tempo_matches(f["tempo_est"], comp.tempo), (f["tempo_est"], comp.tempo)
    assert f["beats_hit"] >= 0.9, f["beats_hit"]


@pytest.mark.parametrize(("style", "seed"), CASES)
def test_bars_vary(pieces, measured, style: str, seed: int) -> None:
    f = figs(pieces, measured, style, seed)
    assert f["repeated_bars"] <= 0.4, f["repeated_bars"]


@pytest.mark.parametrize(("style", "seed"), CASES)
def test_ends_on_a_ring_out_to_silence(pieces, measured, style: str, seed: int) -> None:
    f = figs(pieces, measured, style, seed)
    comp = piece(pieces, style, seed)
    assert f["tail_db"] <= -40.0, f["tail_db"]
    assert f["last_sample"] == 0.0
    assert comp.sections[-1][1] == "ending" and comp.sections[-1][0] == comp.beats[-1]


def test_calm_styles_darker_and_sparser(pieces, measured) -> None:
    for calm in CALM:
        for loud in ENERGETIC:
            c, e = figs(pieces, measured, calm, 1), figs(pieces, measured, loud, 1)
            assert c["centroid"] < e["centroid"], (calm, loud, c["centroid"], e["centroid"])
            assert c["onset_rate"] < e["onset_rate"], (calm, loud, c["onset_rate"], e["onset_rate"])


def test_sections_build(pieces) -> None:
    comp = piece(pieces, "upbeat", 1)
    kinds = [k for _, k in comp.sections]
    assert kinds[0] == "intro" and kinds[-2] == "final" and kinds[-1] == "ending"
    assert {"main", "lift"} <= set(kinds)
    x = comp.samples
    intro_end = int(comp.sections[1][0] * SR)
    final_start = int(comp.sections[-2][0] * SR)
    body_end = int(comp.sections[-1][0] * SR)
    def level(a, b):
        return 10 * np.log10(np.mean(np.square(x[a:b], dtype=np.float64)))
    assert level(0, intro_end) < level(final_start, body_end) - 2.0
    assert comp.hits and all(0 <= h <= comp.duration for h in comp.hits)


# ------------------------------------------------------------------ the sampler and the meter


def sampled_notes() -> list[tuple[str, int]]:
    """Every sampled instrument at the pitches the recipes play it: its part's register centre
    and a fifth either side."""
    notes = set()
    for recipe in STYLES.values():
        for part in recipe.parts:
            if VOICES[part.instrument].source == "sample":
                notes |= {(part.instrument, part.center + d) for d in (-7, 0, 7)}
    return sorted(notes)


@pytest.mark.parametrize(("instrument", "midi"), list(sampled_notes()))
def test_every_sampled_pitch_within_10_cents(instrument: str, midi: int) -> None:
    wave_ = Instruments(SR, np.random.default_rng(0)).note(instrument, midi, 110, 1.5)
    assert abs(pitch_cents(wave_, SR, midi)) <= 10.0


def test_pitch_detector_sees_a_detuned_tone() -> None:
    t = np.arange(2 * SR) / SR
    f = 440.0 * 2 ** (25 / 1200)
    tone = sum(np.sin(2 * np.pi * k * f * t) / k for k in range(1, 6))
    assert abs(pitch_cents(tone, SR, 69) - 25.0) <= 1.0
    assert abs(pitch_cents(tone, SR, 70) - -75.0) <= 1.0


def test_meter_agrees_with_ffmpeg(pieces) -> None:
    rng = np.random.default_rng(5)
    noise = (rng.standard_normal((10 * SR, 2)) * 0.05).astype(np.float32)
    for x in (piece(pieces, "jazz", 1).samples, piece(pieces, "ambient", 1).samples, noise):
        ours = loudness.lufs(x, SR)
        theirs, tp = ebur128(x, SR)
        assert abs(ours - theirs) <= 0.1, (ours, theirs)
        assert abs(20 * np.log10(loudness.true_peak(x)) - tp) <= 0.3


def test_sample_folder_is_complete() -> None:
    folder = resources.files("addmusic.engine.music").joinpath("samples")
    index = json.loads(folder.joinpath("index.json").read_text())
    files = {z["file"] for group in ("instruments", "drums") for v in index[group].values() for z in v["zones"]}
    assert files == {p.name for p in Path(str(folder)).glob("*.ogg")}
    assert "MIT" in folder.joinpath(index["licence"]).read_text()
    assert sum(Path(str(folder)).joinpath(f).stat().st_size for f in files) < 6_000_000
    data, rate = soundfile.read(str(Path(str(folder)) / sorted(files)[0]))
    assert len(data) > 0 and rate > 0


# ------------------------------------------------------------------ interface and arguments


@pytest.mark.parametrize("seconds", [0.4, 7.0, 14.9, 20.3])
def test_exact_length_and_shape(seconds: float) -> None:
    comp = compose(seconds, "lofi", seed=2)
    assert comp.samples.shape == (round(seconds * SR), 2) and comp.samples.dtype == np.float32
    assert comp.samples[-1].tolist() == [0.0, 0.0]
    assert all(b >= a for a, b in zip(comp.beats, comp.beats[1:], strict=False))
    assert all(0 <= t <= seconds for t in comp.beats + comp.downbeats + comp.hits)


def test_short_clip_gets_a_short_sting() -> None:
    comp = compose(7.0, "upbeat", seed=1)
    tail = comp.duration - comp.beats[-1]
    assert 0 < tail <= 7.0 / 4
    assert abs(ebur128(comp.samples, SR)[0] - -14.0) <= 0.5


def test_other_sample_rate_and_unknown_style() -> None:
    comp = compose(3.0, "no-such-style", sample_rate=44100)
    assert comp.samples.shape == (132300, 2) and comp.style == "lofi"


def test_bpm_is_honoured() -> None:
    comp = compose(30.0, "rock", seed=1, bpm=100)
    assert comp.tempo == 100.0
    assert np.allclose(np.diff(comp.beats), 0.6)
    assert tempo_matches(figures(comp)["tempo_est"], 100.0)


def test_energy_changes_the_arrangement() -> None:
    calm, normal, high = (compose(30.0, "upbeat", seed=1, energy=e) for e in ("calm", None, "high"))
    assert np.mean(calm.bar_energy) < np.mean(normal.bar_energy) < np.mean(high.bar_energy)
    assert onset_rate(calm.samples, SR) < onset_rate(high.samples, SR)  # sparser grooves, fewer parts
    build = compose(40.0, "upbeat", seed=1, energy="build")
    assert all(b > a for a, b in zip(build.bar_energy, build.bar_energy[1:], strict=False))
    x = build.samples
    first, last = x[: 8 * SR], x[int(build.beats[-1] * SR) - 8 * SR: int(build.beats[-1] * SR)]
    assert np.mean(first.astype(np.float64) ** 2) < 0.5 * np.mean(last.astype(np.float64) ** 2)


def test_layers_drop_and_lower_parts() -> None:
    full = compose(20.0, "hiphop", seed=1)
    no_drums = compose(20.0, "hiphop", seed=1, layers={"drums": 0})
    piano_only = compose(20.0, "piano", seed=1, layers={"drums": 0, "bass": 0, "melody": 0})
    assert no_drums.levels["drums"] == 0.0 and piano_only.levels["bass"] == 0.0

    def high_share(x):  # hats and cymbals live up there
        spec = np.abs(np.fft.rfft(x.mean(axis=1))) ** 2
        return spec[len(spec) * 8000 // 24000:].sum() / spec.sum()
    assert high_share(no_drums.samples) < 0.5 * high_share(full.samples)

    def low_share(x):  # the bass lives down there
        spec = np.abs(np.fft.rfft(x.mean(axis=1))) ** 2
        return spec[: len(spec) * 100 // 24000].sum() / spec.sum()
    piano = compose(20.0, "piano", seed=1)
    assert low_share(piano_only.samples) < 0.5 * low_share(piano.samples)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        compose(0, "lofi")
    with pytest.raises(ValueError):
        compose(5, "lofi", energy="loud")
    with pytest.raises(ValueError):
        compose(5, "lofi", layers={"vocals": 0})
    with pytest.raises(ValueError):
        compose(5, "lofi", bpm=5)


def test_deterministic_and_varied_across_seeds() -> None:
    a, b, c = compose(8.0, "jazz", seed=4), compose(8.0, "jazz", seed=4), compose(8.0, "jazz", seed=5)
    assert np.array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)


def test_styles_are_the_shared_vocabulary() -> None:
    assert tuple(STYLES) == STYLE_KEYS


def test_write_wav_round_trips(tmp_path: Path) -> None:
    comp = compose(2.0, "chill", seed=1)
    path = tmp_path / "m.wav"
    write_wav(path, comp)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (2, 2, SR, 2 * SR)


def test_peaks_absolute_level() -> None:
    x = np.zeros((1000, 2), np.float32)
    x[100, 0] = 0.5
    x[900, 1] = -1.0
    bars = peaks(x, 10)
    assert bars[1] == 50 and bars[9] == 100 and bars[0] == 0
    assert peaks(x, 0) == [] and peaks(np.zeros((0, 2)), 3) == [0, 0, 0]


def test_music_command_writes_and_keeps_files(tmp_path: Path, capsys) -> None:
    from addmusic.cli import main

    out = tmp_path / "jazz.wav"
    assert main(["music", "--style", "jazz", "--seconds", "3", "--seed", "2", "--bpm", "120", "-o", str(out)]) == 0
    with wave.open(str(out)) as w:
        assert w.getnframes() == 3 * SR
    before = out.read_bytes()
    assert main(["music", "--style", "rock", "--seconds", "3", "-o", str(out)]) == 1
    assert out.read_bytes() == before and "already exists" in capsys.readouterr().err
    assert main(["music", "--style", "rock", "--seconds", "0", "-o", str(tmp_path / "x.wav")]) == 2
    with pytest.raises(SystemExit):
        main(["music", "--style", "polka", "--seconds", "3", "-o", str(tmp_path / "y.wav")])
