"""x264 presets for the full re-encode: speed against quality, measured on the 9:16 job.

Run: .venv/bin/python benchmarks/bench_presets.py [--seconds 10] [--crf 20] [--runs 2] [--graphs N]
     [--instructions FRAMES] [--keep DIR]

Makes two 16:9 1080p30 H.264 clips (an ordinary test pattern, and the same picture with heavy
film grain at about 8 Mbit/s, the hard case), then for each preset ultrafast…medium runs the
engine's 9:16 blurred-fill graph (graph.fit_chain, 1080x1920) with `-preset P -crf CRF` and times
it (wall, the fastest of --runs: on a shared machine the others' load only ever adds time;
frames per second of the whole run: decode, graph and encode). Quality is SSIM (ffmpeg's
`ssim` filter, the "All" figure) of each encode against the same graph's output encoded
losslessly (`-qp 0`): the source as it looks in 9:16, so only the encoder's loss is measured.
The engine's table (render/encoder.py) holds the numbers of one run of this script.

`--graphs N` first times the picture graph alone (no encoder, output to null, one thread so the
others' load disturbs it less; fastest of N): a bare decode, the blurred-fill graph as it was
first (full-size bicubic scaling up of the background, the picture scaled to yuva420p for
overlay), as it was next (background cropped first, blurred small, scaled up whole, and laid
under the picture with overlay, which ffmpeg 9 still feeds yuva420p and alpha-blends), and the
engine's graph now. `--instructions FRAMES` counts the instructions the same runs execute on
that many frames under valgrind (callgrind), when valgrind is installed: unlike time, the count
does not depend on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tui"))

from addmusic.engine.render.encoder import encoder_threads  # noqa: E402
from addmusic.engine.render.graph import fit_chain  # noqa: E402

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")
OUT = (1080, 1920)
# the 9:16 blurred fill as graph.fit_chain wrote it before it was made cheaper (for --graphs)
OLD_GRAPH = ("[0:v:0]split=2[bg0][fg0];[bg0]scale=136:240:force_original_aspect_ratio=increase,crop=136:240,"
             "boxblur=luma_radius=6:luma_power=2,eq=brightness=-0.08,scale=1080:1920,setsar=1[bgb0];"
             "[fg0]scale=1080:1920:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[fgs0];"
             "[bgb0][fgs0]overlay=x=(W-w)/2:y=(H-h)/2,format=yuv420p[v]")
# ... and as it was next, the background blurred small and scaled up whole under an overlay
OVERLAY_GRAPH = ("[0:v:0]split=2[bg0][fg0];[bg0]crop=w='min(iw,ih*136/240)':h='min(ih,iw*240/136)',scale=136:240,"
                 "boxblur=luma_radius=6:luma_power=2,eq=brightness=-0.08,scale=1080:1920:flags=fast_bilinear,"
                 "setsar=1[bgb0];[fg0]scale=1080:1920:force_original_aspect_ratio=decrease:force_divisible_by=2,"
                 "format=yuv420p,setsar=1[fgs0];[bgb0][fgs0]overlay=x=(W-w)/2:y=(H-h)/2:format=yuv420,format=yuv420p[v]")


def _ffmpeg(*args: str) -> str:
    done = subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-y", *args], check=True, capture_output=True,
                          text=True)
    return done.stderr


def make_clips(folder: Path, seconds: int) -> dict[str, Path]:
    """`ordinary`: testsrc2 at CRF 23 (the render benchmark's clip); `grainy`: the same picture
    with strong temporal noise, at 8 Mbit/s, which is what costs an encoder most."""
    clips = {"ordinary": folder / f"ordinary_{seconds}s.mp4", "grainy": folder / f"grainy_{seconds}s.mp4"}
    base = f"testsrc2=s=1920x1080:r=30:d={seconds}"
    if not clips["ordinary"].exists():
        _ffmpeg("-loglevel", "error", "-f", "lavfi", "-i", base, "-c:v", "libx264", "-preset", "veryfast",
                "-crf", "23", "-g", "60", "-pix_fmt", "yuv420p", str(clips["ordinary"]))
    if not clips["grainy"].exists():
        _ffmpeg("-loglevel", "error", "-f", "lavfi", "-i", f"{base},noise=alls=22:allf=t+u",
                "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "16M",
                "-g", "60", "-pix_fmt", "yuv420p", str(clips["grainy"]))
    return clips


def graph() -> str:
    return f"{fit_chain('[0:v:0]', (1920, 1080), OUT, '0', 'blur')},format=yuv420p[v]"


def encode(clip: Path, out: Path, codec: list[str]) -> float:
    start = time.perf_counter()
    _ffmpeg("-loglevel", "error", "-i", str(clip), "-filter_complex", graph(), "-map", "[v]", "-an", *codec,
            str(out))
    return time.perf_counter() - start


def graph_variants() -> dict[str, list[str]]:
    return {"decode only": [], "graph first": ["-filter_complex", OLD_GRAPH, "-map", "[v]"],
            "graph overlay": ["-filter_complex", OVERLAY_GRAPH, "-map", "[v]"],
            "graph now": ["-filter_complex", graph(), "-map", "[v]"]}


def count_instructions(clip: Path, frames: int, folder: Path) -> None:
    """Instructions of decode + graph (+ x264 ultrafast), one thread each, on `frames` frames."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind is not installed: no instruction counts")
        return
    found: dict[str, float] = {}
    for name, args in graph_variants().items():
        for coder, output in (("null", ["-f", "null", "-"]),
                              ("x264", ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-threads", "1",
                                        "-f", "mp4", str(folder / "counted.mp4")])):
            if coder == "x264" and name not in ("graph overlay", "graph now"):
                continue
            done = subprocess.run(
                [valgrind, "--tool=callgrind", f"--callgrind-out-file={folder / 'callgrind.out'}", FFMPEG,
                 "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-threads", "1", "-i", str(clip),
                 "-filter_threads", "1", *args, "-an", "-frames:v", str(frames), *output],
                check=True, capture_output=True, text=True)
            total = re.search(r"Collected : (\d+)", done.stderr)
            if total:
                found[f"{name}, {coder}"] = int(total.group(1)) / 1e6
    base = found.get("decode only, null", 0.0)
    for name, mega in found.items():
        extra = f", graph {mega - base:.0f} M" if name.endswith("null") and not name.startswith("decode") else ""
        print(f"{name:<22} {mega:8.0f} M instructions{extra}", flush=True)


def time_graphs(clip: Path, runs: int, frames: int) -> None:
    variants = graph_variants()
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(runs):
        for name, args in variants.items():
            start = time.perf_counter()
            _ffmpeg("-loglevel", "error", "-threads", "1", "-filter_complex_threads", "1", "-i", str(clip), *args,
                    "-an", "-f", "null", "-")
            best[name] = min(best[name], time.perf_counter() - start)
    for name, wall in best.items():
        extra = f", graph {wall - best['decode only']:.2f}s" if name != "decode only" else ""
        print(f"{name:<14} {wall:6.2f}s {frames / wall:6.1f} fps{extra}", flush=True)


def ssim(test: Path, reference: Path) -> float:
    log = _ffmpeg("-i", str(test), "-i", str(reference), "-lavfi", "[0:v][1:v]ssim", "-f", "null", "-")
    found = re.search(r"All:([0-9.]+)", log)
    if not found:
        raise RuntimeError(f"no SSIM in ffmpeg's output: {log[-300:]}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--crf", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--graphs", type=int, default=0, metavar="N", help="time the graph alone first, N runs")
    parser.add_argument("--instructions", type=int, default=0, metavar="FRAMES",
                        help="count the graphs' instructions on FRAMES frames under valgrind first")
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--keep", type=Path, help="folder to make (and reuse) the clips in")
    opts = parser.parse_args()
    threads = encoder_threads()
    with tempfile.TemporaryDirectory() as tmp:
        folder = opts.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        clips = make_clips(folder, opts.seconds)
        frames = opts.seconds * 30
        if opts.instructions:
            print(f"the 9:16 graphs on {opts.instructions} frames of the ordinary clip, one thread, callgrind:")
            count_instructions(clips["ordinary"], opts.instructions, Path(tmp))
        if opts.graphs:
            print(f"the 9:16 graph alone on the ordinary clip, one thread, fastest of {opts.graphs}:")
            time_graphs(clips["ordinary"], opts.graphs, frames)
        print(f"{opts.seconds} s 1920x1080 30 fps clips -> 1080x1920 blurred fill, CRF {opts.crf}, "
              f"-threads {threads}, fastest of {opts.runs}; {os.cpu_count()} cores, shared with other work "
              "(timings are noisy)")
        print(f"{'clip':<9} {'preset':<10} {'wall':>7} {'fps':>6} {'SSIM':>8} {'MB':>6}")
        for name, clip in clips.items():
            reference = Path(tmp) / f"{name}_lossless.mkv"
            encode(clip, reference, ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"])
            for preset in opts.presets.split(","):
                out = Path(tmp) / f"{name}_{preset}.mp4"
                wall = min(encode(clip, out, ["-c:v", "libx264", "-preset", preset, "-crf", str(opts.crf),
                                              "-threads", str(threads)]) for _ in range(opts.runs))
                print(f"{name:<9} {preset:<10} {wall:>6.2f}s {frames / wall:>6.1f} {ssim(out, reference):>8.5f} "
                      f"{out.stat().st_size / 1e6:>6.1f}", flush=True)
                out.unlink()
            reference.unlink()


if __name__ == "__main__":
    main()
