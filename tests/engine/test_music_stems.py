"""Stems kept beside a composed piece, and layer edits mixed from them (music/stems.py): measured
on the real audio, not assumed. The bus gain (compressor, master, limiter, fade) multiplies every
stem alike, so in a short window the music is a weighted sum of the stems; the weights are
solved for by least squares, and a layer's weight against another is the level the edit set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from music_figures import ebur128

from addmusic.engine.music import compose, stems

SR = 48000


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 20 s rock piece composed with its stems kept, and the stems as the remix reads them."""
    folder = tmp_path_factory.mktemp("stems") / "piece.stems"
    writer = stems.Writer(folder, SR)
    comp = compose(20, "rock", seed=3, stems=writer)
    writer.finish(comp)
    info = stems.manifest(folder)
    assert info is not None
    decoded = {role: sf.read(folder / f"{role}.flac", dtype="float64")[0] * scale
               for role, scale in info["scales"].items()}
    return {"folder": folder, "comp": comp, "stems": decoded}


def weights(music: np.ndarray, parts: dict[str, np.ndarray], window: int = 480) -> dict[str, float]:
    """Each stem's weight in ``music`` against the harmony's: per 10 ms window, least squares of
    the music on the stems (both channels), then the median ratio over the windows where every
    stem sounds."""
    roles = list(parts)
    ratios: dict[str, list[float]] = {r: [] for r in roles}
    for s in range(0, len(music) - window, window):
        cols = np.stack([parts[r][s:s + window].reshape(-1) for r in roles], axis=1)
        if (np.sqrt((cols ** 2).mean(axis=0)) < 1e-3).any():
            continue
        c, *_ = np.linalg.lstsq(cols, music[s:s + window].reshape(-1).astype(np.float64), rcond=None)
        base = c[roles.index("harmony")]
        if abs(base) > 1e-6:
            for r, v in zip(roles, c, strict=True):
                ratios[r].append(v / base)
    assert min(len(v) for v in ratios.values()) > 100  # enough windows to measure on
    return {r: float(np.median(v)) for r, v in ratios.items()}


def _flux(x: np.ndarray) -> np.ndarray:
    """The rise of the spectrum above 200 Hz per 10 ms frame."""
    frames = x.mean(axis=1)[: len(x) // 480 * 480].reshape(-1, 480)
    spec = np.abs(np.fft.rfft(frames * np.hanning(480), axis=1))[:, 2:121]
    return np.maximum(np.diff(spec, axis=0), 0).sum(axis=1)


def onsets_at_drum_hits(music: np.ndarray, drums: np.ndarray) -> float:
    """How much the music rises where the drum stem strikes (its top 5 % of frames), against
    the music's median rise."""
    hits = _flux(drums)
    f = _flux(music)
    return float(f[hits > np.percentile(hits, 95)].mean() / np.median(f))


def test_stems_are_pre_bus_and_remixed_at_full_levels_give_the_piece(kept) -> None:
    comp, parts = kept["comp"], kept["stems"]
    assert set(parts) == {"drums", "bass", "harmony", "melody"}
    for role, x in parts.items():
        assert x.shape == comp.samples.shape and np.abs(x).max() > 1e-3, role
    # pre-bus: their sum is louder than the mastered piece in places (not the piece itself) ...
    assert np.abs(sum(parts.values()) - comp.samples).max() > 1e-2
    # ... and through the bus again, at full levels, they are the piece (to 16-bit FLAC's rounding)
    full = stems.remix(kept["folder"], {})
    assert np.abs(np.asarray(full.samples) - comp.samples).max() < 2e-4
    assert full.beats == comp.beats and full.tempo == comp.tempo and full.sections == comp.sections


def test_no_drums_is_the_stems_without_the_drum_stem(kept) -> None:
    comp, parts = kept["comp"], kept["stems"]
    no_drums = np.asarray(stems.remix(kept["folder"], {"drums": 0}).samples)
    w = weights(no_drums, parts)
    assert abs(w["drums"]) < 0.01
    assert w["bass"] == pytest.approx(1.0, abs=0.01) and w["melody"] == pytest.approx(1.0, abs=0.01)
    # the same as composing "no drums" again (the other layers keep their timing)
    again = compose(20, "rock", seed=3, layers={"drums": 0}).samples
    assert np.abs(no_drums - again).max() < 2e-4
    # what a listener hears: the cymbals' band and the onsets drop
    def high_share(x: np.ndarray) -> float:
        spec = np.abs(np.fft.rfft(x.mean(axis=1))) ** 2
        return float(spec[len(spec) * 8000 // 24000:].sum() / spec.sum())

    assert high_share(no_drums) < 0.5 * high_share(comp.samples)
    assert onsets_at_drum_hits(no_drums, parts["drums"]) < 0.6 * onsets_at_drum_hits(comp.samples, parts["drums"])


def test_less_bass_lowers_the_bass_stem_by_the_level(kept) -> None:
    parts = kept["stems"]
    mixed = np.asarray(stems.remix(kept["folder"], {"drums": 0, "bass": 50}).samples)
    w = weights(mixed, parts)
    assert w["bass"] == pytest.approx(0.5, abs=0.01) and abs(w["drums"]) < 0.01
    assert w["melody"] == pytest.approx(1.0, abs=0.01)
    again = compose(20, "rock", seed=3, layers={"drums": 0, "bass": 50}).samples
    assert np.abs(mixed - again).max() < 2e-4


@pytest.mark.parametrize("layers", [{"drums": 0}, {"drums": 0, "bass": 0, "melody": 0}, {"harmony": 20}])
def test_a_remix_is_mastered_like_a_composed_piece(kept, layers) -> None:
    x = np.asarray(stems.remix(kept["folder"], layers).samples)
    lufs, peak = ebur128(x, SR)
    assert lufs == pytest.approx(-14.0, abs=0.5) and peak <= -1.0
    assert np.abs(x).max() < 1.0 and x[-1].tolist() == [0.0, 0.0]
    body, last = x[: 16 * SR], x[-SR // 2:]
    assert 10 * np.log10(np.mean(last ** 2) / np.mean(body ** 2)) <= -40.0


def test_a_remix_carries_the_loudness_facts_the_export_predicts_from(kept) -> None:
    from addmusic.engine.music import loudness
    from addmusic.engine.render import soundfacts

    mixed = stems.remix(kept["folder"], {"drums": 0, "bass": 50})
    measured = soundfacts.from_samples(np.asarray(mixed.samples)).power.astype(np.float64)
    kept_power = np.asarray(mixed.block_power, np.float64)
    loud = measured > measured.max() * 1e-3
    assert len(kept_power) == len(measured)
    assert np.abs(10 * np.log10(kept_power[loud] / measured[loud])).max() < 0.1  # dB, block by block
    assert loudness.gated(kept_power) == pytest.approx(loudness.gated(measured), abs=0.05)


def test_a_lofi_texture_stays_and_half_made_folders_are_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "lofi.stems"
    writer = stems.Writer(folder, SR)
    comp = compose(16, "lofi", seed=2, stems=writer)
    assert stems.manifest(folder) is None  # nothing there until finish renames it into place
    writer.finish(comp)
    info = stems.manifest(folder)
    assert info is not None and "texture" in info["scales"]
    assert np.abs(np.asarray(stems.remix(folder, {}).samples) - comp.samples).max() < 2e-4
    with pytest.raises(ValueError, match="unknown layer 'vocals'"):  # as compose says it
        stems.remix(folder, {"vocals": 0})
    (folder / "bass.flac").unlink()
    assert stems.manifest(folder) is None
    with pytest.raises(FileNotFoundError):
        stems.remix(folder, {"drums": 0})


def test_stems_are_kept_for_tracks_up_to_the_long_limit_only() -> None:
    assert stems.kept_for(60.0, False) and stems.kept_for(100.0, False)
    assert not stems.kept_for(100.5, False) and not stems.kept_for(30.0, True)
