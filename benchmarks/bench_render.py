"""How fast the engine renders "music under a clip" against a bare ffmpeg mux of the same inputs.

Run: /work/venv/bin/python benchmarks/bench_render.py [--runs 3] [--full] [--keep DIR]

Makes a 60 s 1080p30 H.264 clip with sound and a 60 s music WAV, then times (median of --runs)
build_plan + run_render for the copy-video cases and, as the baseline measured in the same run,
a hand-written `ffmpeg -i clip -i music -filter_complex amix… -c:v copy -c:a aac`. `--full` adds
the re-encoding jobs (a title at high quality, a 9:16 canvas, a preview), which take minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tui"))

from addmusic.engine.media import audio_peaks, probe  # noqa: E402
from addmusic.engine.render import build_plan, run_render  # noqa: E402
from addmusic.protocol.draft import Draft  # noqa: E402

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
SECONDS = 60


def _ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_inputs(folder: Path) -> tuple[Path, Path]:
    """A clip with speech-like bursts of sound and a music bed, made once and reused with --keep.

    Both are broadband (pink noise, filtered and gated, plus tones): the AAC encoder's speed
    depends on what it encodes, and pure sine waves make it several times slower than real
    sound does, which would measure the encoder's worst case rather than the renderer."""
    clip, music = folder / "clip_1080p30_v2.mp4", folder / "music_v2.wav"
    if not clip.exists():
        _ffmpeg(
            "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={SECONDS}",
            "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.25:r=48000:d={SECONDS}",
            "-filter_complex",
            "[1:a]bandpass=f=800:width_type=o:w=2,volume='gt(sin(2*PI*0.3*t),0)':eval=frame,"
            "aformat=channel_layouts=stereo[a]",
            "-map", "0:v", "-map", "[a]",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "60", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-shortest", "-movflags", "+faststart", str(clip),
        )
    if not music.exists():
        _ffmpeg(
            "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.3:r=48000:d={SECONDS}",
            "-f", "lavfi", "-i",
            f"aevalsrc='0.2*sin(2*PI*220*t)*(1+0.5*sin(2*PI*2*t))|0.2*sin(2*PI*330*t)':s=48000:d={SECONDS}",
            "-filter_complex",
            "[0:a]lowpass=f=6000,aformat=channel_layouts=stereo[n];"
            "[n][1:a]amix=inputs=2:normalize=0,tremolo=f=2:d=0.6[m]",
            "-map", "[m]", "-c:a", "pcm_s16le", str(music),
        )
    return clip, music


def _median(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also time the re-encoding jobs")
    parser.add_argument("--keep", type=Path, help="folder to make (and reuse) the inputs in")
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = opts.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        clip, music = make_inputs(folder)
        made = time.perf_counter() - t0
        info = probe(clip)
        media, songs = {"clip": info}, {"song": music}
        out = Path(tmp) / "out.mp4.part"
        ms = SECONDS * 1000

        def draft(duck: bool = False, **meta: Any) -> Draft:
            return Draft.from_json({
                "t": [
                    {"tt": 0, "sg": [{"id": "v", "src": "clip", "st": 0, "d": ms}]},
                    {"tt": 1, "sg": [{"id": "m", "src": "song", "st": 0, "d": ms, "v": 35,
                                      "fi": 1000, "fo": 2000, "duck": duck}]},
                ],
                "m": meta,
            })

        def engine(d: Draft, quality: str = "high", expect_copy: bool | None = None) -> Callable[[], None]:
            def run() -> None:
                plan = build_plan(d, media, songs, out, quality=quality, workdir=Path(tmp))
                if expect_copy is not None:
                    assert plan.reencode_video is not expect_copy, plan.reason
                asyncio.run(run_render(plan, ffmpeg=FFMPEG))
            return run

        def bare(*coder: str) -> Callable[[], None]:
            def run() -> None:
                _ffmpeg("-i", str(clip), "-i", str(music),
                        "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0[a]",
                        "-map", "0:v", "-map", "[a]", "-c:v", "copy", "-c:a", "aac", *coder, "-b:a", "192k",
                        "-t", str(SECONDS), "-f", "mp4", str(out))
            return run

        def bare_encode() -> None:
            _ffmpeg("-i", str(clip), "-i", str(music),
                    "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0[a]",
                    "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
                    "-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", "-t", str(SECONDS), "-f", "mp4", str(out))

        with_title = draft()
        with_title.tracks.append(Draft.from_json(
            {"t": [{"tt": 7, "sg": [{"st": 0, "d": 3000, "tx": "Best moments"}]}]}).tracks[0])
        jobs: list[tuple[str, Callable[[], None]]] = [
            ("bare ffmpeg: amix, -c:v copy, aac (baseline)", bare()),
            ("bare ffmpeg, with -aac_coder fast (as the engine)", bare("-aac_coder", "fast")),
            ("engine: music mixed, video copied", engine(draft(), expect_copy=True)),
            ("engine: + ducking", engine(draft(duck=True), expect_copy=True)),
            ("engine: + ducking + loudnorm -14", engine(draft(duck=True, loudness=-14), expect_copy=True)),
        ]
        if opts.full:
            jobs += [
                ("bare ffmpeg: re-encode veryfast crf 20, no filters", bare_encode),
                ("engine: title, re-encode veryfast", engine(with_title, expect_copy=False)),
                ("engine: 9:16 1080x1920 canvas, veryfast", engine(draft(width=1080, height=1920))),
                ("engine: preview 360p ultrafast", engine(draft(), quality="preview")),
            ]
        rows = [(name, _median(fn, opts.runs)) for name, fn in jobs]
        peaks = _median(lambda: audio_peaks(clip), opts.runs)
        probed = _median(lambda: probe(clip), opts.runs)

    baseline = rows[0][1]
    print(f"inputs: {SECONDS} s 1920x1080 30 fps H.264 + AAC clip, {SECONDS} s WAV (made in {made:.1f} s); "
          f"{os.cpu_count()} cores; ffmpeg {Path(FFMPEG).name}; median of {opts.runs}")
    print(f"{'job':<52} {'wall':>8} {'x real time':>12} {'vs baseline':>12}")
    for name, wall in rows:
        print(f"{name:<52} {wall:>7.2f}s {SECONDS / wall:>12.1f} {wall / baseline:>11.2f}x")
    print(f"{'probe() of the clip':<52} {probed:>7.3f}s")
    print(f"{'audio_peaks() of the clip (120 bars)':<52} {peaks:>7.3f}s")


if __name__ == "__main__":
    main()
