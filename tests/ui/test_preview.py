"""Preview frames from a real (tiny) video through the bundled ffmpeg, the half-block drawing down
to exact colours, the widget, and when "open in your player" is offered."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App, ComposeResult

from addmusic.ui import preview
from addmusic.ui.preview import (
    PreviewError,
    PreviewStrip,
    build_preview,
    extract_frames,
    frame_strip,
    halfblock_image,
    layout_frames,
    open_in_player,
    probe_video,
    system_player_available,
)


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def red_then_blue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s, 64x36: red for the first second, blue for the second."""
    out = tmp_path_factory.mktemp("preview") / "red-blue.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x36:d=1:r=10",
               "-f", "lavfi", "-i", "color=c=blue:s=64x36:d=1:r=10",
               "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0", "-c:v", "libx264", "-preset", "ultrafast",
               "-pix_fmt", "yuv420p", str(out))
    return out


def mostly(frame: bytes, channel: int) -> bool:
    """More than 90% of the pixels have `channel` clearly above the other two."""
    pixels = [frame[i:i + 3] for i in range(0, len(frame), 3)]
    strong = sum(1 for p in pixels if p[channel] > 150 and all(p[c] < 100 for c in range(3) if c != channel))
    return strong > 0.9 * len(pixels)


async def test_probe_reads_duration_and_size(red_then_blue: Path) -> None:
    info = await probe_video(red_then_blue)
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert (info.width, info.height) == (64, 36)


async def test_probe_swaps_size_for_a_sideways_phone_clip(red_then_blue: Path, tmp_path: Path) -> None:
    rotated = tmp_path / "rotated.mp4"
    run_ffmpeg("-display_rotation", "90", "-i", str(red_then_blue), "-c", "copy", str(rotated))
    info = await probe_video(rotated)
    assert (info.width, info.height) == (36, 64)
    frames = await extract_frames(rotated, 1, 9, 16, duration_s=info.duration_s)
    assert len(frames[0]) == 9 * 16 * 3


async def test_extract_frames_spreads_them_over_the_clip(red_then_blue: Path) -> None:
    frames = await extract_frames(red_then_blue, 4, 16, 10)
    assert len(frames) == 4
    assert all(len(frame) == 16 * 10 * 3 for frame in frames)
    assert mostly(frames[0], 0) and mostly(frames[1], 0)
    assert mostly(frames[-1], 2) and mostly(frames[-2], 2)


async def test_extract_frames_with_a_known_duration_skips_the_probe(red_then_blue: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_probe(video: Path) -> None:
        raise AssertionError("probed although the duration was given")

    monkeypatch.setattr(preview, "probe_video", no_probe)
    frames = await extract_frames(red_then_blue, 2, 8, 4, duration_s=2.0)
    assert mostly(frames[0], 0) and mostly(frames[1], 2)


async def test_a_broken_video_fails_quickly_with_a_readable_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video at all" * 100)
    started = time.monotonic()
    with pytest.raises(PreviewError, match=r"Cannot read broken\.mp4: Invalid data found"):
        await extract_frames(broken, 4, 16, 10)
    with pytest.raises(PreviewError, match=r"Cannot read broken\.mp4"):
        await extract_frames(broken, 4, 16, 10, duration_s=3.0)
    with pytest.raises(PreviewError, match=r"missing\.mp4 does not exist"):
        await extract_frames(tmp_path / "missing.mp4", 4, 16, 10)
    assert time.monotonic() - started < 10
    shown = await build_preview(broken, 80)
    assert isinstance(shown, Text) and shown.plain.startswith("No preview: Cannot read broken.mp4")


async def test_a_sound_file_has_no_picture(tmp_path: Path) -> None:
    sound = tmp_path / "tone.m4a"
    run_ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", str(sound))
    with pytest.raises(PreviewError, match="no picture"):
        await probe_video(sound)


def test_halfblock_image_puts_top_pixel_in_front_and_bottom_behind() -> None:
    # 2x2: top row red, green; bottom row blue, white
    rgb = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
    text = halfblock_image(rgb, 2, 2)
    assert text.plain == "▀▀"
    styles = [next(span.style for span in text.spans if span.start == i and span.end == i + 1) for i in range(2)]
    assert styles[0].color.triplet == (255, 0, 0) and styles[0].bgcolor.triplet == (0, 0, 255)
    assert styles[1].color.triplet == (0, 255, 0) and styles[1].bgcolor.triplet == (255, 255, 255)


def test_halfblock_image_with_an_odd_row_leaves_the_background_alone() -> None:
    rgb = bytes([10, 20, 30]) * 3  # 1 wide, 3 high
    text = halfblock_image(rgb, 1, 3)
    assert text.plain == "▀\n▀"
    last = text.spans[-1].style
    assert last.color.triplet == (10, 20, 30) and last.bgcolor is None


def test_halfblock_image_rejects_a_short_buffer() -> None:
    with pytest.raises(ValueError):
        halfblock_image(b"\x00" * 5, 2, 2)


def test_frame_strip_is_frames_wide_plus_gaps() -> None:
    frames = [bytes([i * 40, 0, 0]) * (5 * 4) for i in range(3)]
    strip = frame_strip(frames, 5, 4, gap=2)
    lines = strip.split("\n")
    assert len(lines) == 2
    assert all(line.cell_len == 3 * 5 + 2 * 2 for line in lines)
    assert lines[0].plain == "▀▀▀▀▀  ▀▀▀▀▀  ▀▀▀▀▀"


def test_layout_keeps_the_picture_shape_and_fits_the_columns() -> None:
    count, width, height = layout_frames(80, 4, 16 / 9)
    assert count == 4 and 4 * width + 3 <= 80 and width == 19
    assert height % 2 == 0 and abs(width / height - 16 / 9) < 0.2
    count, width, height = layout_frames(80, 4, 9 / 16, max_rows=8)  # vertical video: capped height
    assert height == 16 and width == 9
    count, width, height = layout_frames(12, 4, 16 / 9)  # too narrow for 4: fewer frames
    assert count < 4 and count * width + (count - 1) <= 12
    with pytest.raises(PreviewError):
        layout_frames(1, 1, 1.0)


async def test_build_preview_makes_a_widget_sized_to_the_strip(red_then_blue: Path) -> None:
    shown = await build_preview(red_then_blue, 60, frames=4)
    assert isinstance(shown, PreviewStrip)
    lines = shown.strip.split("\n")
    width = (60 - 3) // 4
    assert all(line.cell_len == 4 * width + 3 for line in lines)
    assert shown.times == pytest.approx([0.25, 0.75, 1.25, 1.75], abs=0.01)
    assert "0.2s" in shown.caption.plain or "0.3s" in shown.caption.plain

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield shown

    async with Host().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert shown.size.width == 4 * width + 3
        assert shown.size.height == len(lines) + 1


def test_no_system_player_over_ssh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(preview.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert system_player_available()  # the control: everything else in place
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")
    assert not system_player_available()
    assert not open_in_player(Path("/nonexistent.mp4"))


def test_no_system_player_on_linux_without_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(preview.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert not system_player_available()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert system_player_available()
    monkeypatch.setattr(preview.shutil, "which", lambda name: None)  # no xdg-open
    assert not system_player_available()


def test_open_in_player_launches_detached_and_reports_failure(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    for name in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    marker = tmp_path / "opened"
    opener = tmp_path / "opener"
    opener.write_text(f'#!/bin/sh\necho "$1" > {marker}\n')
    opener.chmod(0o755)
    monkeypatch.setattr(preview.shutil, "which", lambda name: str(opener))
    assert open_in_player(tmp_path / "clip.mp4")
    deadline = time.monotonic() + 5
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.read_text().strip() == str(tmp_path / "clip.mp4")
    monkeypatch.setattr(preview.shutil, "which", lambda name: str(tmp_path / "missing-opener"))
    assert not open_in_player(tmp_path / "clip.mp4")
