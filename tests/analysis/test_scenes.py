"""Scene cuts of generated clips whose cut times are known, to within one frame."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from clipgen import SHOTS, make_clip

from addmusic.engine.analysis.scenes import SceneError, detect_cuts, pick_cuts


def match(found: list[float], truth: list[float]) -> np.ndarray:
    """Signed offset of the nearest detection for each true cut."""
    f = np.asarray(found)
    return np.array([f[np.argmin(np.abs(f - t))] - t for t in truth])


@pytest.mark.parametrize("fps", [25, 30])
def test_cuts_found_within_one_frame_and_motion_is_not_a_cut(tmp_path, fps: int) -> None:
    truth = make_clip(tmp_path / "reel.mp4", fps=fps)
    result = detect_cuts(tmp_path / "reel.mp4")
    assert result.fps == pytest.approx(fps)
    assert len(result.cuts) == len(truth), (result.cuts, truth)
    assert np.all(np.abs(match(result.cuts, truth)) <= 1.0 / fps + 1e-6)
    assert result.duration == pytest.approx(sum(round(s * fps) / fps for _, s in SHOTS), abs=1.0 / fps)


def test_times_are_from_the_first_frame_whatever_the_container_says(tmp_path) -> None:
    truth = make_clip(tmp_path / "late.mp4", ts_offset=12.5)
    result = detect_cuts(tmp_path / "late.mp4")
    assert np.all(np.abs(match(result.cuts, truth)) <= 1 / 30 + 1e-6)


def test_a_single_shot_has_no_cut(tmp_path) -> None:
    make_clip(tmp_path / "one.mp4", shots=(("testsrc2=size=320x180:rate={fps}", 3.0),))
    assert detect_cuts(tmp_path / "one.mp4").cuts == []


def test_pick_cuts_rules() -> None:
    times = np.arange(40) / 30
    scores = np.full(40, 0.02)
    scores[10] = 0.5  # a clear cut
    scores[12] = 0.4  # too soon after it (a flash)
    scores[25:31] = 0.3  # sustained change: motion, not a cut
    scores[35] = 0.08  # below the absolute floor
    assert pick_cuts(scores, times, 30.0) == [round(times[10], 6)]


def test_files_without_picture_say_so(tmp_path) -> None:
    audio = tmp_path / "song.wav"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=d=1", str(audio)],
                   check=True)
    with pytest.raises(SceneError, match="no picture"):
        detect_cuts(audio)
    junk = tmp_path / "clip.mp4"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(SceneError, match="clip.mp4"):
        detect_cuts(junk)
