"""How long the song analysis, the song fit and the scene detection take, against a bare ffmpeg
decode of the same files measured in the same run.

Run: .venv/bin/python benchmarks/bench_analysis.py [--runs 3] [--keep DIR]

Makes a 3-minute composed song encoded as AAC (what a user uploads) and a 60 s 1080p30 H.264 clip
of eight shots, then times (median of --runs):
- song: the decodes alone, the whole analysis (decode + onsets + tempo + beats), and a
  fit to a 60 s timeline (analysis + stereo decode + render + WAV); baseline `ffmpeg -i song -f null -`;
- clip: detect_cuts; baselines `ffmpeg -i clip -f null -` (bare decode) and ffmpeg's own scene
  score filter (`select=gt(scene,0.3)`) on a 64x36 copy.
The machine may be shared: only ratios measured in one run mean anything.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tui"))

from addmusic.engine.analysis.beats import analyse_file  # noqa: E402
from addmusic.engine.analysis.decode import decode_audio, decode_mono_native  # noqa: E402
from addmusic.engine.analysis.scenes import detect_cuts  # noqa: E402
from addmusic.engine.music import compose  # noqa: E402
from addmusic.engine.songfit import fit_file, write_wav  # noqa: E402

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
SONG_S = 180
CLIP_S = 60
SHOTS = ("testsrc2", "smptebars", "mandelbrot", "testsrc", "rgbtestsrc", "cellauto", "testsrc2", "smptehdbars")


def _ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_song(folder: Path) -> Path:
    song = folder / "song_180s.m4a"
    if not song.exists():
        wav = folder / "song_180s.wav"
        comp = compose(SONG_S, "upbeat", seed=1)
        write_wav(wav, comp.samples, comp.sample_rate)
        _ffmpeg("-i", str(wav), "-c:a", "aac", "-b:a", "192k", str(song))
        wav.unlink()
    return song


def make_clip(folder: Path) -> tuple[Path, list[float]]:
    clip = folder / "clip_1080p30_8shots.mp4"
    each = CLIP_S / len(SHOTS)
    cuts = [each * k for k in range(1, len(SHOTS))]
    if not clip.exists():
        args: list[str] = []
        chains = []
        for i, name in enumerate(SHOTS):
            source = f"{name}=size=1920x1080:rate=30" if name != "cellauto" else "cellauto=size=1920x1080:rate=30"
            args += ["-f", "lavfi", "-t", f"{each}", "-i", source]
            chains.append(f"[{i}:v]setsar=1,format=yuv420p[v{i}]")
        joined = "".join(f"[v{i}]" for i in range(len(SHOTS)))
        chains.append(f"{joined}concat=n={len(SHOTS)}:v=1:a=0[out]")
        _ffmpeg(*args, "-filter_complex", ";".join(chains), "-map", "[out]", "-c:v", "libx264", "-preset",
                "veryfast", "-crf", "23", "-g", "60", str(clip))
    return clip, cuts


def _cpu() -> float:
    """CPU seconds of this process and of the ffmpeg children it waited for."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], object], runs: int) -> tuple[tuple[float, float], object]:
    """Median wall and median CPU seconds of ``runs`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        c0, t0 = _cpu(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
    return (statistics.median(walls), statistics.median(cpus)), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder to make the inputs in once and reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        song = make_song(folder)
        clip, cuts = make_clip(folder)
        out = Path(tmp) / "fitted.wav"
        rows: list[tuple[str, tuple[float, float]]] = []

        t, _ = timed(lambda: _ffmpeg("-i", str(song), "-f", "null", "-"), args.runs)
        rows.append(("song  baseline: ffmpeg -i song.m4a -f null -", t))
        t, _ = timed(lambda: decode_mono_native(song), args.runs)
        rows.append(("song  decode to mono at its own rate (PyAV planes)", t))
        t, _ = timed(lambda: decode_audio(song, 48000, channels=2), args.runs)
        rows.append(("song  decode to 48 kHz stereo (PyAV, as fit_file does)", t))
        t, analysis = timed(lambda: analyse_file(song), args.runs)
        rows.append(("song  analyse_file (decode + onsets + tempo + beats + downbeats)", t))
        t, plan = timed(lambda: fit_file(song, 60.0, out, analysis=None), args.runs)
        rows.append(("song  fit_file to 60 s (analysis + stereo decode + render + WAV)", t))

        t, _ = timed(lambda: _ffmpeg("-i", str(clip), "-f", "null", "-"), args.runs)
        rows.append(("clip  baseline: ffmpeg -i clip.mp4 -f null -", t))
        t, _ = timed(lambda: _ffmpeg("-i", str(clip), "-vf", "scale=64:36,select='gt(scene,0.3)'", "-f", "null", "-"),
                     args.runs)
        rows.append(("clip  ffmpeg scale=64:36 + select=gt(scene,0.3)", t))
        t, scenes = timed(lambda: detect_cuts(clip), args.runs)
        rows.append(("clip  detect_cuts (PyAV decode + 64x36 grey + differences)", t))

        width = max(len(name) for name, _ in rows)
        print(f"{SONG_S} s AAC song, {CLIP_S} s 1080p30 H.264 clip; median of {args.runs} runs (shared machine:"
              " CPU time is the steadier figure)")
        print(f"  {'':<{width}}  {'wall':>8}     {'CPU':>8}")
        for name, (wall, cpu) in rows:
            print(f"  {name:<{width}}  {wall * 1000:8.0f} ms  {cpu * 1000:8.0f} ms")
        print(f"  song: tempo {analysis.tempo:.2f} bpm, {len(analysis.beats)} beats, fit mode {plan.mode}, "
              f"fade from {plan.fade_start:.2f} s")
        offsets = [min(abs(c - t) for c in scenes.cuts) for t in cuts] if scenes.cuts else []
        print(f"  clip: {len(scenes.cuts)} cuts found of {len(cuts)}, worst offset "
              f"{max(offsets) * 1000 if offsets else float('nan'):.1f} ms")


if __name__ == "__main__":
    main()
