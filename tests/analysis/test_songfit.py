"""Fitting a song to the video: generated songs longer and shorter than the timeline, rendered
and checked sample by sample against the song, and re-analysed from the rendered audio."""

from __future__ import annotations

import subprocess

import av
import imageio_ffmpeg
import numpy as np
import pytest
from songgen import hit_rate, make_song, write_wav

from addmusic.engine.analysis.beats import analyse
from addmusic.engine.music import compose
from addmusic.engine.songfit import CROSSFADE_S, START_FADE_S, FitError, fit_file, plan_fit, render_fit

SR = 48000


@pytest.fixture(scope="module")
def song90():
    song = make_song(90, 16, seed=9, sr=SR)  # 42.7 s of bars + a 1.5 s tail
    return song, analyse(song.samples, SR)


@pytest.fixture(scope="module")
def song128():
    song = make_song(128, 20, seed=12, sr=SR)  # 37.5 s + tail
    return song, analyse(song.samples, SR)


def nearest(times: np.ndarray, t: float) -> float:
    return float(np.min(np.abs(np.asarray(times) - t)))


def best_level(downbeats: np.ndarray, start: float, lo: float, hi: float) -> int:
    """The longest phrase (8, 4, 2, 1 bars from the first downbeat after ``start``) that has a
    boundary in the output window [lo, hi]."""
    levels = [next(p for p in (8, 4, 2, 1) if k % p == 0) for k, t in enumerate(downbeats[downbeats >= start - 1e-6])
              if lo <= t - start <= hi]
    return max(levels, default=0)


def assert_fades_to_silence(out: np.ndarray, plan) -> None:
    """The last 0.3 s fade out: the gain the plan applies (rendered on a constant signal) falls
    steadily to exactly 0 on the last sample, and the rendered song's last sample is 0."""
    if plan.mode == "end_early":
        assert np.all(out[-int(0.3 * SR):] == 0.0)
        return
    assert plan.fade_end == plan.timeline and plan.fade_start <= plan.timeline - 0.3
    gain = render_fit(np.ones(int((plan.in_point + plan.timeline + 200) * SR), np.float32), plan)[:, 0]
    tail = gain[-int(0.3 * SR):]
    assert np.all(np.diff(tail) <= 0) and tail[0] < 1.0 and tail[-1] == 0.0
    assert np.all(out[-1] == 0.0)


@pytest.mark.parametrize("which", ["song90", "song128"])
@pytest.mark.parametrize("timeline,start", [(23.3, 0.0), (31.7, 0.0), (19.9, 7.3)])
def test_longer_song_is_cut_at_a_phrase_boundary(request, which: str, timeline: float, start: float) -> None:
    song, a = request.getfixturevalue(which)
    plan = plan_fit(a, timeline, start=start, sample_rate=SR)
    out = render_fit(song.samples, plan)
    assert plan.mode == "cut" and len(plan.pieces) == 1
    assert out.shape == (round(timeline * SR), 1)  # the video's length, to the sample
    # untouched up to the fade (after the short fade-in of a song started mid-way)
    i0, f0 = int(start * SR), int(round(plan.fade_start * SR))
    skip = int(START_FADE_S * SR) if start else 0
    assert np.array_equal(out[skip:f0, 0], song.samples[i0 + skip:i0 + f0])
    assert np.all(np.abs(out[f0:, 0]) <= np.abs(song.samples[i0 + f0:i0 + len(out)]) + 1e-7)
    assert_fades_to_silence(out, plan)
    # the fade starts on a true downbeat, on the longest phrase boundary the fade window allows
    cut = plan.song_time(plan.fade_start)
    assert nearest(song.downbeats, cut) < 0.015
    level = best_level(song.downbeats, start, timeline - min(5.0, timeline / 3), timeline - 1.0)
    assert plan.phrase_bars % level == 0, (plan.phrase_bars, level)
    assert 1.0 <= timeline - plan.fade_start <= 5.0


@pytest.mark.parametrize("which", ["song90", "song128"])
def test_shorter_song_loops_on_bars_with_an_equal_power_crossfade(request, which: str) -> None:
    song, a = request.getfixturevalue(which)
    timeline = 101.3
    plan = plan_fit(a, timeline, sample_rate=SR)
    out = render_fit(song.samples, plan)
    assert plan.mode == "loop" and plan.loops >= 2
    assert out.shape == (round(timeline * SR), 1)
    assert_fades_to_silence(out, plan)
    bar = 4 * 60.0 / song.main_bpm
    for prev, piece in zip(plan.pieces, plan.pieces[1:], strict=False):
        end, start = prev.src + prev.length, piece.src
        assert nearest(song.downbeats, end) < 0.015 and nearest(song.downbeats, start) < 0.015
        bars = (end - start) / bar
        assert abs(bars - round(bars)) < 0.02 and round(bars) % 4 == 0
        # the join: outgoing × cos + incoming × sin over the crossfade, centred on the downbeat
        half = int(round(CROSSFADE_S * SR / 2))
        d = int(round(piece.dst * SR))
        x = (np.arange(2 * half) + 0.5) / (2 * half)
        s_out = song.samples[int(round(end * SR)) - half:int(round(end * SR)) + half]
        s_in = song.samples[int(round(start * SR)) - half:int(round(start * SR)) + half] if start * SR >= half else None
        if s_in is not None:
            expect = s_out * np.cos(np.pi / 2 * x) + s_in * np.sin(np.pi / 2 * x)
            assert np.allclose(out[d - half:d + half, 0], expect, atol=1e-6)
    # the beat never stumbles across a join: every interval is one beat (to the analysis' precision)
    grid = plan.output_times(song.beats)
    assert np.allclose(np.diff(grid), 60.0 / song.main_bpm, atol=0.01)
    # and the rendered file has its beats where the plan says
    heard = analyse(out[:, 0], SR)
    assert hit_rate(heard.beats, grid[grid < plan.fade_start]) >= 0.9


def test_end_early_plays_once_and_fades_at_the_song_end(song128) -> None:
    song, a = song128
    plan = plan_fit(a, 60.0, mode="end_early", sample_rate=SR)
    out = render_fit(song.samples, plan)
    assert plan.mode == "end_early" and out.shape == (60 * SR, 1)
    f0, f1 = int(round(plan.fade_start * SR)), int(round(plan.fade_end * SR))
    assert f1 <= len(song.samples) and plan.fade_end > song.duration - 1.0
    assert np.array_equal(out[:f0, 0], song.samples[:f0])
    assert np.all(out[f1 - 1:] == 0.0) and np.abs(out[f1 - SR // 10:f1]).max() < 0.01
    assert "before the video" in plan.notes[0]


def test_chorus_in_point_and_a_late_start(song90) -> None:
    loud = make_song(120, 36, loud_bars=(18, 26), seed=4, sr=SR)
    a = analyse(loud.samples, SR)
    plan = plan_fit(a, 15.0, start="chorus", sample_rate=SR)
    assert abs(plan.in_point - loud.loud[0]) < 0.02 and plan.mode == "cut"
    out = render_fit(loud.samples, plan)
    k = int(START_FADE_S * SR)
    i0 = int(round(plan.in_point * SR))
    assert np.array_equal(out[k:SR, 0], loud.samples[i0 + k:i0 + SR])
    # a late in-point on a short song loops back to the downbeat at the in-point
    song, a90 = song90
    plan = plan_fit(a90, 40.0, start=30.0, sample_rate=SR)
    assert plan.mode == "loop" and plan.pieces[0].src == 30.0
    assert nearest(song.downbeats, plan.pieces[1].src) < 0.015 and plan.pieces[1].src >= 30.0 - 0.05


def test_impossible_fits_say_why(song90) -> None:
    _, a = song90
    with pytest.raises(FitError, match=r"only 0:4\d long, so it cannot start at 1:30"):
        plan_fit(a, 20.0, start=90.0)
    with pytest.raises(FitError, match="no length"):
        plan_fit(a, 0.0)
    silent = analyse(np.zeros(SR * 5, np.float32), SR)
    with pytest.raises(FitError, match="silent"):
        plan_fit(silent, 10.0)
    blip = np.zeros(SR * 3, np.float32)
    blip[SR // 10:SR // 2] = 0.5
    with pytest.raises(FitError, match="under a second"):
        plan_fit(analyse(blip, SR), 10.0)


def test_a_song_without_a_beat_fits_on_plain_time() -> None:
    t = np.arange(int(12 * SR)) / SR
    pad = (0.2 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.07 * t))).astype(np.float32)
    a = analyse(pad, SR)
    for timeline in (7.5, 30.0):
        plan = plan_fit(a, timeline, sample_rate=SR)
        out = render_fit(pad, plan)
        assert out.shape == (round(timeline * SR), 1)
        assert_fades_to_silence(out, plan)
        assert "no steady beat" in plan.notes[0]
        if plan.mode == "loop":
            assert plan.crossfade >= 0.3  # no downbeat to hide a short join behind


@pytest.mark.parametrize("timeline", [20.0, 47.5])
def test_composer_output_fits(timeline: float) -> None:
    comp = compose(30, "upbeat", seed=3)
    truth = np.asarray(comp.beats)
    a = analyse(comp.samples, comp.sample_rate)
    plan = plan_fit(a, timeline, sample_rate=comp.sample_rate)
    out = render_fit(comp.samples, plan)
    assert out.shape == (round(timeline * comp.sample_rate), 2)
    assert nearest(truth[::4], plan.song_time(plan.fade_start)) < 0.035
    for piece in plan.pieces[1:]:
        assert nearest(truth[::4], piece.src) < 0.035


def test_fit_file_writes_exactly_the_timeline(tmp_path) -> None:
    song = make_song(110, 12, seed=2, sr=44100)
    wav = write_wav(tmp_path / "mine.wav", song.samples, 44100)
    m4a = tmp_path / "mine.m4a"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(wav), "-ac", "2", "-c:a", "aac",
                    str(m4a)], check=True)
    out = tmp_path / "fitted.wav"
    plan = fit_file(m4a, 61.25, out)
    with av.open(str(out)) as c:
        frames = [f.to_ndarray() for f in c.decode(audio=0)]
    pcm = np.concatenate(frames, axis=1).T  # s16 packed → (n, 2)
    pcm = pcm.reshape(-1, 2) if pcm.shape[1] != 2 else pcm
    assert len(pcm) == round(61.25 * 48000) and plan.mode == "loop"
    assert np.all(pcm[-1] == 0)
    # read back from the file: the last 50 ms are far quieter than the second before the fade
    before = np.abs(pcm[int((plan.fade_start - 1.0) * 48000):int(plan.fade_start * 48000)]).max()
    assert np.abs(pcm[-2400:]).max() < 0.1 * before
