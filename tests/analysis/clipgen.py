"""Video clips with known scene cuts, made by the wheel's ffmpeg from lavfi sources."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg

# (lavfi source, seconds): shots with motion (a test pattern, a pan, a zoom, automata) and without,
# and two grey shots of the same layout that differ only in light
SHOTS = (
    ("testsrc2=size=320x180:rate={fps}", 1.6),
    ("smptebars=size=320x180:rate={fps}", 1.0),
    ("testsrc2=size=960x540:rate={fps},crop=320:180:x='t*240':y='t*60'", 2.0),  # a fast pan
    ("mandelbrot=size=320x180:rate={fps}", 1.4),
    ("color=c=0x404040:size=320x180:rate={fps}", 0.8),
    ("color=c=0x7a7a7a:size=320x180:rate={fps}", 0.8),
    ("cellauto=size=320x180:rate={fps}:rule=30", 1.2),  # changes everywhere, every frame
    ("testsrc=size=320x180:rate={fps}", 1.2),
)


def make_clip(path: Path, shots=SHOTS, fps: int = 30, size: str = "320x180", ts_offset: float = 0.0,
              codec: tuple[str, ...] = ("-c:v", "libx264", "-preset", "ultrafast", "-crf", "23")) -> list[float]:
    """Write the clip; return the true cut times (the first frame of each new shot)."""
    args = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y"]
    filters = []
    for i, (source, seconds) in enumerate(shots):
        args += ["-f", "lavfi", "-t", f"{seconds}", "-i", source.format(fps=fps)]
        filters.append(f"[{i}:v]scale={size},setsar=1,fps={fps},format=yuv420p[v{i}]")
    joined = "".join(f"[v{i}]" for i in range(len(shots)))
    filters.append(f"{joined}concat=n={len(shots)}:v=1:a=0[out]")
    args += ["-filter_complex", ";".join(filters), "-map", "[out]", *codec]
    if ts_offset:
        args += ["-output_ts_offset", f"{ts_offset}"]
    subprocess.run([*args, str(path)], check=True)
    cuts, t = [], 0.0
    for _, seconds in shots[:-1]:
        t += round(seconds * fps) / fps
        cuts.append(t)
    return cuts
