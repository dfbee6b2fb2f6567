"""The song analysis against songs whose beat grid is known: generated drum and click songs at
80-160 bpm (some with a slower intro) and the composer's own output (its ``beats`` are the truth)."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from songgen import hit_rate, make_song, offsets, write_wav

from addmusic.engine.analysis.beats import BeatAnalysis, analyse, analyse_file
from addmusic.engine.analysis.decode import AudioDecodeError, decode_audio
from addmusic.engine.music import compose


def tempo_error(found: float, truth: float) -> float:
    """Relative error after the best octave (×½, ×1, ×2): octave errors are allowed."""
    return min(abs(found * k - truth) / truth for k in (0.5, 1.0, 2.0))


@pytest.mark.parametrize("bpm", [80, 97, 120, 143, 160])
@pytest.mark.parametrize("kind", ["drums", "clicks"])
@pytest.mark.parametrize("intro", [False, True])
def test_generated_songs_tempo_and_beats(bpm: int, kind: str, intro: bool) -> None:
    song = make_song(bpm, 24, kind=kind, intro_bpm=bpm * 0.85 if intro else None, intro_bars=2 if intro else 0,
                     seed=bpm)
    a = analyse(song.samples, song.sample_rate)
    assert a.tempo is not None
    assert tempo_error(a.tempo, bpm) < 0.02, a.tempo
    assert hit_rate(a.beats, song.beats) >= 0.9
    # the beats are not early or late on average (the onset lead is calibrated)
    assert abs(np.median(offsets(a.beats, song.beats))) < 0.01
    # every true downbeat has a detected downbeat near it, and most detected ones are true
    assert hit_rate(a.downbeats, song.downbeats) >= 0.9
    if a.tempo < bpm * 1.5:  # no octave error: the bar phase itself must be right
        assert hit_rate(song.downbeats, a.downbeats) >= 0.9


@pytest.mark.parametrize("style,seed", [("lofi", 1), ("lofi", 2), ("upbeat", 1), ("cinematic", 2), ("acoustic", 1),
                                        ("electronic", 2), ("chill", 1), ("piano", 2)])
def test_composer_output(style: str, seed: int) -> None:
    comp = compose(60, style, seed=seed)
    truth = np.asarray(comp.beats)
    a = analyse(comp.samples, comp.sample_rate)
    assert tempo_error(a.tempo, comp.tempo) < 0.02
    assert hit_rate(a.beats, truth) >= 0.9
    assert hit_rate(a.downbeats, truth[::4]) >= 0.9


def test_chorus_is_the_loud_stretch_and_starts_on_a_downbeat() -> None:
    song = make_song(120, 40, loud_bars=(20, 28), seed=3)  # bars of 2 s: loud from 40 s to 56 s
    a = analyse(song.samples, song.sample_rate)
    start = a.chorus_start(16.0)
    assert abs(start - song.loud[0]) < 0.05
    assert np.min(np.abs(a.downbeats - start)) < 1e-9
    # a window longer than the song starts at the top; the last possible window still fits
    assert a.chorus_start(a.duration + 1) == 0.0
    assert a.chorus_start(30.0) + 30.0 <= a.duration


def test_silence_and_noise_have_no_beat() -> None:
    sr = 22050
    a = analyse(np.zeros(sr * 10, np.float32), sr)
    assert a.tempo is None and len(a.beats) == 0 and len(a.downbeats) == 0
    assert a.chorus_start(3.0) == 0.0
    short = analyse(np.zeros(100, np.float32), sr)
    assert short.tempo is None and short.duration == pytest.approx(100 / sr)


def test_analyse_file_reads_compressed_audio_and_round_trips_json(tmp_path) -> None:
    song = make_song(128, 16, seed=5, sr=44100)
    wav = write_wav(tmp_path / "song.wav", song.samples, 44100)
    m4a = tmp_path / "song.m4a"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(wav), "-c:a", "aac", "-b:a", "128k",
                    str(m4a)], check=True)
    a = analyse_file(m4a)
    assert tempo_error(a.tempo, 128) < 0.02
    # AAC adds priming delay that PyAV trims; the grid must still line up
    assert hit_rate(a.beats, song.beats) >= 0.9
    again = BeatAnalysis.from_json(a.to_json())
    assert again.tempo == pytest.approx(a.tempo, abs=1e-3)
    assert np.allclose(again.beats, a.beats, atol=1e-4)
    assert again.chorus_start(8.0) == pytest.approx(a.chorus_start(8.0), abs=1e-3)


def test_decode_refuses_files_without_sound(tmp_path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not media")
    with pytest.raises(AudioDecodeError, match="notes.txt"):
        decode_audio(bad, 11025)
    silent_video = tmp_path / "silent.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x36:d=1",
                    "-pix_fmt", "yuv420p", str(silent_video)], check=True)
    with pytest.raises(AudioDecodeError, match="no sound"):
        decode_audio(silent_video, 11025)


def test_native_mono_decode_averages_the_channels(tmp_path) -> None:
    from addmusic.engine.analysis.decode import decode_mono_native

    rng = np.random.default_rng(1)
    stereo = (rng.uniform(-0.5, 0.5, size=(44100, 2))).astype(np.float32)
    wav = write_wav(tmp_path / "st.wav", stereo, 44100)  # 16-bit: the s16 path
    mono, rate = decode_mono_native(wav)
    assert rate == 44100 and mono.shape == (44100,)
    expect = np.round(stereo * 32767).astype(np.int16).astype(np.float32).mean(axis=1) / 32768
    assert np.allclose(mono, expect, atol=1e-6)
    flac = tmp_path / "st.flac"  # s16 or s32 samples depending on the decoder: another direct path
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(wav), str(flac)], check=True)
    again, _ = decode_mono_native(flac)
    assert np.allclose(again, expect, atol=1e-4)


@pytest.mark.parametrize("rate,channels", [(44100, 2), (44100, 1), (48000, 2), (48000, 1)])
def test_decode_audio_direct_and_resampled_paths_agree(tmp_path, rate: int, channels: int) -> None:
    t = np.arange(44100) / 44100
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)], axis=1)
    wav = write_wav(tmp_path / "tone.wav", stereo.astype(np.float32), 44100)
    out = decode_audio(wav, rate, channels)
    assert out.ndim == (1 if channels == 1 else 2) and abs(len(out) - rate) <= 64  # one second
    # compare with the source on the output's time grid, away from the resampler's edges
    grid = np.arange(len(out)) / rate
    src = stereo.mean(axis=1) if channels == 1 else stereo
    ref = np.interp(grid, t, src) if channels == 1 else np.stack([np.interp(grid, t, src[:, c]) for c in (0, 1)], 1)
    middle = slice(len(out) // 10, len(out) * 9 // 10)
    level = np.sqrt(np.mean(ref[middle] ** 2))
    # swresample's stereo→mono matrix is not a plain mean: compare shapes, not gains, for mono
    if channels == 1:
        gain = np.dot(out[middle], ref[middle]) / np.dot(ref[middle], ref[middle])
        assert 0.9 < gain < 1.5
        ref = ref * gain
    assert np.sqrt(np.mean((out[middle] - ref[middle]) ** 2)) < 0.05 * level
