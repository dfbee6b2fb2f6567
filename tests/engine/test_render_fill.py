"""The blurred fill (graph.fit_chain) run through the real ffmpeg: the picture is scaled once into
the middle, untouched by the bands, and the bands beside it are a blurred, darkened copy of it, for
wide pictures in tall frames, tall pictures in wide frames, small frames and thin bands."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from addmusic.engine.render.graph import fit_chain

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def _frame(chain: str, size: tuple[int, int], out: tuple[int, int]) -> np.ndarray:
    """One frame of testsrc2 at `size` through `chain`, as rgb24 rows."""
    done = subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         f"testsrc2=s={size[0]}x{size[1]}:r=25:d=0.2", "-filter_complex", f"{chain},format=rgb24[v]",
         "-map", "[v]", "-frames:v", "1", "-f", "rawvideo", "-"],
        check=True, capture_output=True)
    return np.frombuffer(done.stdout, np.uint8).reshape(out[1], out[0], 3).astype(int)


@pytest.mark.parametrize(("size", "out", "bands"), [
    ((1920, 1080), (1080, 1920), (656, 656)),  # 16:9 into 9:16: above and below
    ((1080, 1920), (1920, 1080), (656, 656)),  # 9:16 into 16:9: left and right
    ((640, 360), (202, 360), (122, 124)),  # a preview-sized tall frame
    ((1920, 1080), (1920, 1200), (60, 60)),  # 16:10: thin bands
])
def test_blur_fill_puts_the_picture_between_blurred_bands(size, out, bands) -> None:
    frame = _frame(fit_chain("[0:v:0]", size, out, "0", "blur"), size, out)
    wide = size[0] * out[1] >= size[1] * out[0]
    first, second = bands
    # the reference: the picture scaled to the same size, on black, at the same place
    if wide:
        fit, place = f"{out[0]}:{out[1] - first - second}", f"0:{first}"
    else:
        fit, place = f"{out[0] - first - second}:{out[1]}", f"{first}:0"
    plain = _frame(f"[0:v:0]scale={fit},pad={out[0]}:{out[1]}:{place}:black", size, out)
    assert frame.shape == (out[1], out[0], 3)
    if not wide:  # compare columns as rows
        frame, plain = frame.transpose(1, 0, 2), plain.transpose(1, 0, 2)
    length = frame.shape[0]
    middle = slice(first + 2, length - second - 2)
    # the picture: where the plain fit has it, and the same picture (scalers may round a level)
    assert np.abs(frame[middle] - plain[middle]).mean() < 3
    for band in (frame[:first - 1], frame[length - second + 1:]):
        assert band.mean() > 20  # a picture, not black bars
        # blurred: neighbouring pixels differ far less than in the sharp test pattern
        assert np.abs(np.diff(band, axis=1)).mean() < np.abs(np.diff(frame[middle], axis=1)).mean() / 3
    assert plain[:first - 1].max() < 20 and plain[length - second + 1:].max() < 20  # the reference's bars


def test_a_band_under_two_pixels_is_a_stretch() -> None:
    # 1920x1080 into 1920x1084 differs in aspect by 0.4%: same_aspect already stretches; one
    # just past its 1% tolerance leaves bands of 2 pixels or more
    assert "vstack" not in fit_chain("[0:v:0]", (1920, 1080), (1920, 1084), "0", "blur")
    chain = fit_chain("[0:v:0]", (1920, 1080), (1920, 1102), "0", "blur")
    assert "vstack" in chain
    assert _frame(chain, (1920, 1080), (1920, 1102)).shape == (1102, 1920, 3)
