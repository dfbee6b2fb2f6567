"""A preview of a rendered clip that works in any terminal, over SSH too: a few frames pulled out
with the bundled ffmpeg and drawn with half-block characters (two pixels per cell), plus the
option to hand the file to the user's own video player when the app runs on their desktop.

Only ffmpeg as a subprocess is used here — no PyAV, no numpy — so importing this module costs the
app's start-up nothing; `imageio_ffmpeg` itself is imported only when a preview is made."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

UPPER_HALF = "▀"
PROBE_TIMEOUT_S = 15.0
FRAME_TIMEOUT_S = 20.0
MAX_PARALLEL_FFMPEG = 2


class PreviewError(Exception):
    """A preview could not be made; the message is meant for the user as it stands."""


@dataclass(frozen=True)
class VideoInfo:
    """What `ffmpeg -i` says about a file: enough to space frames and keep the picture's shape."""

    duration_s: float | None
    width: int
    height: int

    @property
    def aspect(self) -> float:
        return self.width / self.height


_exe: str | None = None


def _ffmpeg() -> str:
    """The bundled ffmpeg, looked up once (importing imageio_ffmpeg takes tens of milliseconds)."""
    global _exe
    if _exe is None:
        import imageio_ffmpeg

        _exe = imageio_ffmpeg.get_ffmpeg_exe()
    return _exe


async def _run(args: list[str], timeout_s: float, what: str) -> tuple[int, bytes, bytes]:
    """Run ffmpeg and collect its output; a stuck or cancelled ffmpeg is killed, never left behind."""
    try:
        proc = await asyncio.create_subprocess_exec(
            _ffmpeg(), *args, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        raise PreviewError(f"Cannot start ffmpeg: {exc.strerror or exc}.") from None
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        raise PreviewError(f"ffmpeg took longer than {timeout_s:.0f} s to read {what}.") from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out, err


def _ffmpeg_complaint(stderr: bytes) -> str:
    """The line of ffmpeg's log that says what went wrong, without its `[in#0 @ 0x…]` prefix."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    lines = [line for line in lines if "output file must be specified" not in line]
    for line in reversed(lines):
        if "Error opening input" in line and ":" in line:
            return line.rsplit(":", 1)[1].strip()
    if not lines:
        return "ffmpeg gave no reason"
    return re.sub(r"^\[[^\]]*\]\s*", "", lines[-1])


_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO_SIZE = re.compile(r"Stream #\S+.*?: Video: .*?, (\d{1,5})x(\d{1,5})(?:[ ,]|$)(?:\s*\[SAR (\d+):(\d+))?", re.M)
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees", re.I)


async def probe_video(video: Path) -> VideoInfo:
    """Duration and display size from ffmpeg's banner (the bundled ffmpeg has no ffprobe).

    The size is what a player shows: sample aspect ratio applied and width and height swapped
    for phone clips stored sideways with a rotation flag, because ffmpeg rotates while decoding."""
    if not video.is_file():
        raise PreviewError(f"{video.name} does not exist.")
    _, _, err = await _run(["-hide_banner", "-nostdin", "-i", str(video)], PROBE_TIMEOUT_S, video.name)
    text = err.decode("utf-8", "replace")
    size = _VIDEO_SIZE.search(text)
    if size is None:
        if "Stream #" in text:
            raise PreviewError(f"{video.name} has no picture to preview.")
        raise PreviewError(f"Cannot read {video.name}: {_ffmpeg_complaint(err)}.")
    width, height = int(size[1]), int(size[2])
    if size[3] and size[4] and int(size[3]) > 0 and int(size[4]) > 0:
        width = max(1, round(width * int(size[3]) / int(size[4])))
    rotation = _ROTATION.search(text)
    if rotation and round(abs(float(rotation[1]))) % 180 == 90:
        width, height = height, width
    duration = _DURATION.search(text)
    seconds = int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3]) if duration else None
    if width <= 0 or height <= 0:
        raise PreviewError(f"{video.name} has a picture of size {width}x{height}.")
    return VideoInfo(seconds if seconds else None, width, height)


def frame_times(duration_s: float, count: int) -> list[float]:
    """The middle of each of `count` equal stretches: the very first frame is often black
    (a fade-in) and a seek to the very end can land past the last frame."""
    return [(i + 0.5) * duration_s / count for i in range(count)]


async def _grab(video: Path, at_s: float, width_px: int, height_px: int) -> bytes:
    size = width_px * height_px * 3
    scale = f"scale={width_px}:{height_px}:flags=area"
    for seek in (at_s, max(0.0, at_s - 0.5), 0.0):
        args = ["-hide_banner", "-nostdin", "-loglevel", "error", "-ss", f"{seek:.3f}", "-i", str(video),
                "-map", "0:v:0", "-frames:v", "1", "-vf", scale, "-an", "-sn", "-dn",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        code, out, err = await _run(args, FRAME_TIMEOUT_S, video.name)
        if len(out) >= size:
            return out[:size]
        if code != 0:
            raise PreviewError(f"Cannot read {video.name}: {_ffmpeg_complaint(err)}.")
    raise PreviewError(f"{video.name} has no frame near {at_s:.1f} s.")


async def extract_frames(video: Path, count: int, width_px: int, height_px: int,
                         duration_s: float | None = None) -> list[bytes]:
    """`count` raw RGB24 frames of exactly `width_px`×`height_px`, evenly spread over the clip.

    One short ffmpeg per frame that seeks before decoding: for a long clip this is far quicker than
    decoding everything through an `fps` filter, and at most two run at once."""
    if count < 1 or width_px < 1 or height_px < 1:
        raise ValueError("count, width_px and height_px must be positive")
    if duration_s is None:
        duration_s = (await probe_video(video)).duration_s
    if not duration_s or duration_s <= 0:
        raise PreviewError(f"{video.name} has no known length to take frames from.")
    gate = asyncio.Semaphore(MAX_PARALLEL_FFMPEG)

    async def one(at_s: float) -> bytes:
        async with gate:
            return await _grab(video, at_s, width_px, height_px)

    return list(await asyncio.gather(*(one(t) for t in frame_times(duration_s, count))))


def halfblock_image(rgb: bytes, width_px: int, height_px: int) -> Text:
    """One cell per two stacked pixels: "▀" coloured with the top pixel, its background the bottom.

    Styles are truecolor; Rich/Textual bring them down to 256 or 16 colours when the terminal
    has fewer. An odd last pixel row keeps the terminal's own background below it."""
    if len(rgb) < width_px * height_px * 3:
        raise ValueError(f"expected {width_px * height_px * 3} bytes of RGB24, got {len(rgb)}")
    styles: dict[tuple[int, ...], Style] = {}
    text = Text(no_wrap=True, overflow="crop", end="")
    stride = width_px * 3
    for row in range(0, height_px, 2):
        if row:
            text.append("\n")
        top = rgb[row * stride:(row + 1) * stride]
        bottom = rgb[(row + 1) * stride:(row + 2) * stride] if row + 1 < height_px else b""
        for x in range(0, stride, 3):
            key = tuple(top[x:x + 3]) + tuple(bottom[x:x + 3])
            style = styles.get(key)
            if style is None:
                bg = Color.from_rgb(*key[3:]) if bottom else None
                style = styles[key] = Style(color=Color.from_rgb(*key[:3]), bgcolor=bg)
            text.append(UPPER_HALF, style)
    return text


def frame_strip(frames: list[bytes], width_px: int, height_px: int, gap: int = 1) -> Text:
    """Frames side by side, `gap` blank columns apart, as one block of text lines."""
    images = [halfblock_image(frame, width_px, height_px).split("\n") for frame in frames]
    rows = (height_px + 1) // 2
    strip = Text(no_wrap=True, overflow="crop", end="")
    for row in range(rows):
        if row:
            strip.append("\n")
        for index, lines in enumerate(images):
            if index:
                strip.append(" " * gap)
            strip.append_text(lines[row])
    return strip


def _time_label(seconds: float) -> str:
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.1f}s".replace(".0s", "s")


def caption_for(times: list[float], width_cells: int, gap: int) -> Text:
    """Each frame's time centred under it; when frames are too narrow for that, one short line."""
    labels = [_time_label(t) for t in times]
    if all(len(label) <= width_cells for label in labels):
        caption = Text(no_wrap=True, overflow="crop", end="", style="dim")
        caption.append((" " * gap).join(label.center(width_cells) for label in labels).rstrip())
        return caption
    return Text(f"Preview · {len(times)} frames · " + " ".join(labels), style="dim", no_wrap=True,
                overflow="ellipsis", end="")


class PreviewStrip(Static):
    """The frames with their times beneath, exactly as wide and tall as they are drawn."""

    DEFAULT_CSS = """
    PreviewStrip {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, strip: Text, caption: Text, *, video: Path, times: list[float],
                 id: str | None = None, classes: str | None = None) -> None:
        content = Text(no_wrap=True, overflow="crop", end="")
        content.append_text(strip)
        content.append("\n")
        content.append_text(caption)
        super().__init__(content, id=id, classes=classes)
        self.strip = strip
        self.caption = caption
        self.video = video
        self.times = times


def layout_frames(columns: int, frames: int, aspect: float, *, gap: int = 1,
                  max_rows: int = 8, min_width: int = 0) -> tuple[int, int, int]:
    """(frames, width_px, height_px) filling `columns` with square-looking pixels.

    A cell is about twice as tall as wide and holds two pixels, so a pixel per column and two per
    row look square. Tall (vertical) clips are narrowed so the strip stays `max_rows` high, and
    fewer frames are shown when each would be narrower than 4 columns. `min_width` wins over
    `max_rows`: a frame is never narrowed below it (a preview too small to see is no preview)."""
    while frames > 1 and (columns - gap * (frames - 1)) // frames < 4:
        frames -= 1
    width_px = (columns - gap * (frames - 1)) // frames
    if width_px < 2:
        raise PreviewError("The window is too narrow for a preview.")
    height_px = max(2, round(width_px / aspect))
    if height_px > 2 * max_rows:
        capped = max(2, min(width_px, round(2 * max_rows * aspect)))
        width_px = max(capped, min(width_px, min_width))
        height_px = max(2, round(width_px / aspect))
    height_px += height_px % 2
    return frames, width_px, height_px


async def build_preview(video: Path, columns: int, frames: int = 4, duration_s: float | None = None,
                        *, max_rows: int = 8, gap: int = 1, min_width: int = 0) -> PreviewStrip | Text:
    """A ready widget, or a dim one-line Text saying why there is no preview (never raises
    PreviewError: a missing preview must not break the chat)."""
    try:
        info = await probe_video(video)
        duration = duration_s or info.duration_s
        if not duration:
            raise PreviewError(f"{video.name} has no known length to take frames from.")
        count, width_px, height_px = layout_frames(columns, max(1, frames), info.aspect, gap=gap,
                                                   max_rows=max_rows, min_width=min_width)
        images = await extract_frames(video, count, width_px, height_px, duration_s=duration)
    except PreviewError as exc:
        return Text(f"No preview: {exc}", style="dim")
    times = frame_times(duration, count)
    return PreviewStrip(frame_strip(images, width_px, height_px, gap), caption_for(times, width_px, gap),
                        video=video, times=times)


def _over_ssh() -> bool:
    return any(os.environ.get(name) for name in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"))


def _opener_command() -> list[str] | None:
    """The desktop's "open with the default app" command, or None where there is none."""
    if sys.platform == "darwin":
        found = shutil.which("open")
        return [found] if found else None
    if sys.platform.startswith("win"):
        return None  # os.startfile, see open_in_player
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    found = shutil.which("xdg-open")
    return [found] if found else None


def system_player_available() -> bool:
    """Whether "open in your player" can mean anything: over SSH the player would start on the
    remote machine (or nowhere), and a Linux console without a display has nothing to show on."""
    if _over_ssh():
        return False
    if sys.platform.startswith("win"):
        return hasattr(os, "startfile")
    return _opener_command() is not None


def open_in_player(path: Path) -> bool:
    """Hand `path` to the default player, detached so closing the player or the app leaves the
    other running and its chatter never lands on the TUI's screen. True when it was launched."""
    if not system_player_available():
        return False
    if sys.platform.startswith("win"):
        try:
            os.startfile(str(path))  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    command = _opener_command()
    if command is None:
        return False
    try:
        child = subprocess.Popen([*command, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return False
    _launched[:] = [p for p in _launched if p.poll() is None] + [child]  # reap finished openers
    return True


_launched: list[subprocess.Popen[bytes]] = []
