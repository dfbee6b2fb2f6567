"""A 4-clip, 60 s reel cut to the beat of composed music: the engine's render against bare ffmpeg.

Run: .venv/bin/python benchmarks/bench_reel.py [--runs 3] [--keep DIR] [--crossfade MS] [--size 1920x1080]

Makes four 17 s H.264 + AAC clips (test pictures with moving grain, ~7 Mbit/s like phone footage) and a 60 s
composition of the engine's own composer, places the clips one after the other (each from 1 s
into its media, ~15 s each), moves the boundaries onto the music's beats with beatsync, and times
(median of --runs), all in this one run:
- the engine: build_plan + run_render, mixed and mastered to -14 LUFS (the plan's choice printed);
- bare ffmpeg, concat demuxer and stream copy, the music mixed in (the same in/out points as
  `inpoint`/`outpoint` directives; cuts land on keyframes, so it is not frame-exact);
- bare ffmpeg, one re-encode with the engine's own picture graph (fit, frame rate, pixel format,
  frame-exact trims, concat), the same x264 preset and CRF, and the music mixed in, in one run.
The machine may be shared: compare rows of the same run, not runs of different days.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tui"))

from bench_render import _median  # noqa: E402 - the same timing as the render benchmark

from addmusic.engine.beatsync import ClipSpan, snap_to_beats  # noqa: E402
from addmusic.engine.media import probe  # noqa: E402
from addmusic.engine.music import compose, write_wav  # noqa: E402
from addmusic.engine.render import QUALITY_PRESETS, build_plan, run_render  # noqa: E402
from addmusic.protocol.draft import Draft  # noqa: E402

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
SECONDS = 60
CLIPS = 4
CLIP_SECONDS = 17
MEDIA_IN = 1.0
SOURCES = ("testsrc2", "smptehdbars", "rgbtestsrc", "testsrc")


def _ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_inputs(folder: Path, size: str) -> tuple[list[Path], Path, list[float]]:
    """Four clips and the composed music (with its beats), made once and reused with --keep."""
    clips = []
    for k, source in enumerate(SOURCES[:CLIPS]):
        clip = folder / f"reel_{k}_{size}.mp4"
        clips.append(clip)
        if clip.exists():
            continue
        _ffmpeg("-f", "lavfi", "-i", f"{source}=s={size}:r=30:d={CLIP_SECONDS}",
                "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.2:r=48000:d={CLIP_SECONDS}",
                "-filter_complex", "[0:v]noise=alls=6:allf=t[v];[1:a]bandpass=f=900:width_type=o:w=2,"
                "aformat=channel_layouts=stereo[a]", "-map", "[v]", "-map", "[a]",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "60", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(clip))
    comp = compose(SECONDS, "upbeat", seed=7)
    music = folder / "reel_music.wav"
    if not music.exists():
        write_wav(music, comp)
    return clips, music, list(comp.beats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="folder to make (and reuse) the inputs in")
    parser.add_argument("--crossfade", type=int, default=0, help="xf in ms (0: hard cuts)")
    parser.add_argument("--size", default="1920x1080")
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = opts.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        clips, music, beats = make_inputs(folder, opts.size)
        made = time.perf_counter() - t0
        media = {f"c{k}": probe(p) for k, p in enumerate(clips)}
        out = Path(tmp) / "out.mp4"

        # four ~15 s pieces, boundaries moved onto the music's beats
        length = SECONDS / CLIPS
        spans = [ClipSpan(start=k * length, duration=length, media_in=MEDIA_IN, media_duration=CLIP_SECONDS)
                 for k in range(CLIPS)]
        synced, moves = snap_to_beats(spans, beats, fps=30)
        xf = opts.crossfade
        videos = []
        for k, span in enumerate(synced):
            # with a crossfade each clip starts xf/2 before its beat and the one before ends xf/2 after it
            early = 0.0 if k == 0 else xf / 2000
            late = 0.0 if k == CLIPS - 1 else xf / 2000
            videos.append({"src": f"c{k}", "st": round((span.start - early) * 1000),
                           "in": round((span.media_in - early) * 1000),
                           "d": round((span.duration + early + late) * 1000)})
        end = videos[-1]["st"] + videos[-1]["d"]
        draft = Draft.from_json({"t": [{"tt": 0, "sg": videos},
                                       {"tt": 1, "sg": [{"src": "gen_bench", "st": 0, "d": end, "v": 60,
                                                         "fo": 1500}]}],
                                 "m": {"sync": True, **({"xf": xf} if xf else {})}})
        music_files = {"gen_bench": music}
        described: list[str] = []

        def engine() -> None:
            plan = build_plan(draft, media, music_files, out, workdir=Path(tmp) / "work")
            described[:] = [plan.describe()]
            asyncio.run(run_render(plan, ffmpeg=FFMPEG))

        listing = Path(tmp) / "list.txt"
        listing.write_text("".join(
            f"file '{clips[k]}'\ninpoint {v['in'] / 1000:.3f}\noutpoint {(v['in'] + v['d']) / 1000:.3f}\n"
            for k, v in enumerate(videos)))

        def bare_copy() -> None:
            _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(music),
                    "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0[a]", "-map", "0:v", "-map", "[a]",
                    "-c:v", "copy", "-c:a", "aac", "-b:a", "192k", "-t", f"{end / 1000:.3f}", str(out))

        plan = build_plan(draft, media, music_files, out, workdir=Path(tmp) / "bare")
        picture = plan.video[0] if plan.mode == "encode" else None
        preset, crf = QUALITY_PRESETS["high"]

        def bare_encode() -> None:
            # the engine's own picture graph; the clips' sound cut to the same lengths and joined,
            # and the music mixed in plainly (no measuring, no mastering)
            assert picture is not None
            n = len(picture.inputs)
            cuts = "".join(f"[{k}:a]atrim=duration={v['d'] / 1000:.3f},asetpts=PTS-STARTPTS[s{k}];"
                           for k, v in enumerate(videos))
            sound = (cuts + "".join(f"[s{k}]" for k in range(n)) + f"concat=n={n}:v=0:a=1[clip];"
                     f"[clip][{n}:a]amix=inputs=2:normalize=0:duration=first[a]")
            argv = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y"]
            for one in picture.inputs:  # the same inputs, with their sound this time
                argv += [a for a in one if a != "-an"]
            argv += ["-i", str(music), "-filter_complex", f"{picture.filter_complex};{sound}",
                     *picture.maps, "-map", "[a]", "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
                     "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k", "-t", f"{end / 1000:.3f}", str(out)]
            subprocess.run(argv, check=True)

        rows = [("bare ffmpeg: concat demuxer, -c:v copy, music amix (baseline)", _median(bare_copy, opts.runs))]
        if picture is not None:
            rows.append((f"bare ffmpeg: engine's graph, x264 {preset} crf {crf}, amix",
                         _median(bare_encode, opts.runs)))
        rows.append(("engine: build_plan + run_render (mastered)", _median(engine, opts.runs)))

    baseline = rows[0][1]
    moved = ", ".join(f"{m.delta * 1000:+.0f} ms" for m in moves)
    print(f"inputs: {CLIPS} x {CLIP_SECONDS} s {opts.size} 30 fps H.264 + AAC clips (made in {made:.1f} s), "
          f"{SECONDS} s composed music; reel {end / 1000:.3f} s, boundaries moved onto beats by {moved}; "
          f"crossfade {xf} ms; {os.cpu_count()} cores (shared with other work); ffmpeg {Path(FFMPEG).name}; "
          f"median of {opts.runs}")
    print(f"engine plan: {described[0] if described else '?'}")
    print(f"{'job':<66} {'wall':>8} {'x real time':>12} {'vs baseline':>12}")
    for name, wall in rows:
        print(f"{name:<66} {wall:>7.2f}s {end / 1000 / wall:>12.1f} {wall / baseline:>11.2f}x")
    if len(rows) == 3:
        print(f"engine / bare re-encode with the same graph: {rows[2][1] / rows[1][1]:.2f}x")


if __name__ == "__main__":
    main()
