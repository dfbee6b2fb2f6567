"""The composer's newer promises: sections that change on given times (a video's cuts), music
that loops seamlessly, and long pieces in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from addmusic.engine.music import compose

SR = 48000


@pytest.mark.parametrize(("style", "seconds", "cuts"), [
    ("upbeat", 50, [4.1, 9.7, 16.3, 17.1, 25.0, 31.2, 44.4]),
    ("cinematic", 30, [7.0, 15.5, 22.0]),
    ("lofi", 12, [2.5, 5.0]),
    ("jazz", 40, [1.0, 13.3, 13.9, 29.5, 37.9, 39.0]),
])
def test_sections_change_on_the_given_times(style, seconds, cuts) -> None:
    comp = compose(seconds, style, seed=1, section_times=cuts)
    beat = 60.0 / comp.tempo
    starts = [t for t, kind in comp.sections[1:] if kind != "ending"]
    for cut in cuts:  # each time is a section change or an accent, within one beat ...
        if cut > seconds - 1.5:
            continue  # ... but in the last 1.5 s the final chord is ringing out (documented)
        marks = starts + comp.hits
        assert min(abs(m - cut) for m in marks) <= beat + 1e-6, (cut, comp.sections, comp.hits)
    # where a section starts on a cut, the music's downbeat is there too
    for start in starts:
        assert min(abs(d - start) for d in comp.downbeats) < 1e-3
    assert comp.samples.shape == (seconds * SR, 2) and comp.samples[-1].tolist() == [0.0, 0.0]
    assert len(comp.beats) >= 2 and np.allclose(np.diff(comp.beats[:-1]), beat, atol=1e-5)


def test_a_tempo_asked_for_is_kept_with_section_times() -> None:
    comp = compose(30, "rock", seed=2, bpm=120, section_times=[8.0, 16.0, 24.0])
    assert comp.tempo == pytest.approx(120.0)
    assert [round(t, 2) for t, _ in comp.sections[1:4]] == [8.0, 16.0, 24.0]


def _hf_share(seg: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(seg[:, 0] * np.hanning(len(seg)))) ** 2
    freqs = np.fft.rfftfreq(len(seg), 1 / SR)
    return float(spectrum[freqs > 8000].sum() / spectrum.sum())


@pytest.mark.parametrize("style", ["upbeat", "lofi", "ambient", "rock"])
def test_a_loop_is_seamless(style) -> None:
    comp = compose(12, style, seed=1, loop=True)
    x = comp.samples.astype(np.float64)
    assert x.shape == (12 * SR, 2)
    steps = np.abs(np.diff(x, axis=0)).max(axis=1)
    seam = float(np.abs(x[0] - x[-1]).max())
    assert seam <= np.percentile(steps, 99)  # the last sample flows into the first: no jump
    # no click: the spectrum across the seam is like the spectrum anywhere inside
    w = 2048
    inside = [_hf_share(x[i:i + 2 * w]) for i in range(0, len(x) - 2 * w, w)]
    assert _hf_share(np.concatenate([x[-w:], x[:w]])) <= np.percentile(inside, 95)
    # whole beats, no ending section, mastered like every piece
    assert comp.tempo * 12 / 60 == pytest.approx(round(comp.tempo * 12 / 60), abs=1e-6)
    assert all(kind != "ending" for _, kind in comp.sections)
    from addmusic.engine.music import loudness

    assert loudness.lufs(comp.samples, SR) == pytest.approx(-14.0, abs=0.5)
    assert loudness.true_peak(comp.samples) <= 10 ** (-1.0 / 20)


def test_a_track_is_not_a_loop() -> None:
    """The seam test can fail: a track ends in silence after its ring-out, far from its start."""
    comp = compose(12, "upbeat", seed=1)
    x = comp.samples.astype(np.float64)
    w = 2048
    inside = [_hf_share(x[i:i + 2 * w]) for i in range(0, len(x) - 2 * w, w)]
    joined = np.concatenate([x[-w:], x[:w]])
    assert _hf_share(joined) > np.percentile(inside, 95) or np.abs(x[:w]).max() > 10 * np.abs(x[-w:]).max()


def test_a_long_piece_is_a_repeated_cycle_with_seamless_joins(tmp_path) -> None:
    import re
    import subprocess

    import imageio_ffmpeg

    from addmusic.engine.music import long, write_wav

    seconds = 400
    comp = compose(seconds, "cinematic", seed=1)
    assert isinstance(comp.samples, long.Long)  # never whole in memory
    assert len(comp.samples) == seconds * SR
    parts = [x for x, _ in comp.samples.parts]
    assert sum(len(x) * times for x, times in comp.samples.parts) == seconds * SR
    assert max(len(x) for x in parts) < 60 * SR  # what is held is a minute or so, whatever the length
    cycle = comp.samples.parts[1][0].astype(np.float64)
    steps = np.abs(np.diff(cycle, axis=0)).max(axis=1)
    joins = [np.abs(b[0].astype(np.float64) - a[-1]).max() for a, b in zip(parts[:-1], parts[1:], strict=True)]
    joins.append(np.abs(cycle[0] - cycle[-1]).max())  # the cycle into itself
    assert max(joins) <= np.percentile(steps, 99), joins
    assert parts[-1][-1].tolist() == [0.0, 0.0]  # it still ends on its ring-out, at the last sample
    assert [kind for _, kind in comp.sections[-2:]] == ["final", "ending"]
    assert comp.beats[-1] <= seconds and len(comp.beats) > seconds * comp.tempo / 60 * 0.9
    path = tmp_path / "long.wav"
    write_wav(path, comp)
    log = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True).stderr
    assert float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1]) == pytest.approx(-14.0, abs=0.5)
    assert float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", log)[-1]) <= -1.0


@pytest.mark.parametrize("style", ["lofi", "rock"])
def test_keeping_stems_does_not_change_the_mix(style) -> None:
    stems: dict[str, np.ndarray] = {}
    comp = compose(20, style, seed=3, stems=lambda role, x: stems.__setitem__(role, x.copy()))
    plain = compose(20, style, seed=3)
    assert np.array_equal(comp.samples, plain.samples)
    assert {"drums", "bass", "harmony", "melody"} <= set(stems)
    assert ("texture" in stems) == (style == "lofi")
    for role, x in stems.items():  # what they add up to is tested in test_music_stems.py
        assert x.shape == comp.samples.shape and np.abs(x).max() > 1e-3, role


def test_stems_are_refused_where_they_are_not_kept() -> None:
    with pytest.raises(ValueError, match="stems"):
        compose(8, "lofi", loop=True, stems=lambda role, x: None)
