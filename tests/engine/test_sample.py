"""The generated sample clip: real H.264 + AAC, exact length, and a silent stretch on request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from addmusic.sample import make_sample, speech


def probe(path: Path) -> dict:
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        info = {
            "duration": c.duration / 1e6,
            "vcodec": v.codec_context.name, "size": (v.codec_context.width, v.codec_context.height),
            "pix_fmt": v.codec_context.pix_fmt, "fps": float(v.average_rate),
            "acodec": a.codec_context.name, "rate": a.codec_context.sample_rate,
        }
        pcm = np.concatenate([f.to_ndarray().astype(np.float64) for f in c.decode(audio=0)], axis=1)
    info["audio"] = pcm.mean(axis=0)
    return info


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = make_sample(tmp_path_factory.mktemp("sample") / "deep" / "clip.mp4", 6.0, width=640, height=360,
                       silent=(2.0, 4.0))
    return path, probe(path)


def test_clip_streams_and_size(clip: tuple[Path, dict]) -> None:
    path, info = clip
    assert path.exists() and path.suffix == ".mp4" and path.stat().st_size > 10_000
    assert not list(path.parent.glob("*.part*"))
    assert info["vcodec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["size"] == (640, 360)
    assert info["fps"] == pytest.approx(30.0)
    assert info["acodec"] == "aac" and info["rate"] == 48000
    assert abs(info["duration"] - 6.0) <= 0.05


def test_silent_stretch_is_digitally_silent_and_the_rest_talks(clip: tuple[Path, dict]) -> None:
    _, info = clip
    x, sr = info["audio"], info["rate"]
    assert rms(x[int(2.1 * sr): int(3.9 * sr)]) < 1e-4
    assert rms(x[int(0.0 * sr): int(1.8 * sr)]) > 1e-2
    assert rms(x[int(4.2 * sr): int(5.8 * sr)]) > 1e-2


def test_picture_moves_and_cuts(clip: tuple[Path, dict]) -> None:
    path, _ = clip
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="gray").astype(np.float32) for f in c.decode(video=0)]
    assert len(frames) == 180
    steps = np.array([np.abs(b - a).mean() for a, b in zip(frames, frames[1:], strict=False)])
    assert np.median(steps) > 0.2  # motion within shots
    assert (steps > 8 * np.median(steps)).sum() >= 1  # at least one hard cut


def test_default_size_and_odd_length(tmp_path: Path) -> None:
    info = probe(make_sample(tmp_path / "a.mp4", 2.5))
    assert info["size"] == (1280, 720) and abs(info["duration"] - 2.5) <= 0.05
    info = probe(make_sample(tmp_path / "b.mp4", 3.33, width=320, height=240, fps=25))
    assert info["size"] == (320, 240) and abs(info["duration"] - 3.33) <= 0.05
    assert info["fps"] == pytest.approx(25.0)


def test_speech_is_speech_like() -> None:
    sr = 48000
    x = speech(12.0)
    assert x.dtype == np.float32 and len(x) == 12 * sr and np.abs(x).max() < 1.0
    env = np.sqrt(np.mean(np.square(x.reshape(-1, 480)), axis=1))  # 10 ms frames
    talking = env > 0.02
    assert 0.3 < talking.mean() < 0.9  # talk with pauses
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / sr)
    voice_band = spec[(f > 100) & (f < 4000)].sum() / spec.sum()
    assert voice_band > 0.8
    # syllables: the loudness envelope is modulated at a few Hz
    e = env - env.mean()
    mod = np.abs(np.fft.rfft(e))
    fm = np.fft.rfftfreq(len(e), 1 / 100)
    assert mod[(fm > 1.5) & (fm < 8)].mean() > 2 * mod[(fm > 15) & (fm < 40)].mean()
    assert np.array_equal(x, speech(12.0))  # deterministic


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_sample(tmp_path / "x.mp4", 0)
    with pytest.raises(ValueError):
        make_sample(tmp_path / "x.mp4", 2, width=321)
    with pytest.raises(ValueError):
        make_sample(tmp_path / "x.mp4", 2, silent=(1.5, 1.0))
    assert not (tmp_path / "x.mp4").exists()


def test_import_is_light() -> None:
    code = "import sys, addmusic.sample; assert 'numpy' not in sys.modules, 'numpy imported eagerly'"
    subprocess.run([sys.executable, "-c", code], check=True)
