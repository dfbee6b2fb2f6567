"""How fast the engine renders against bare ffmpeg commands doing the same job, same run.

Run: .venv/bin/python benchmarks/bench_render.py [--runs 3] [--full | --only copy,smart,reel,vertical,preview]
     [--no-full-title] [--keep DIR]

Makes a 60 s 1080p30 H.264 clip with sound (2 s GOPs, B-frames) and a 60 s music WAV, then times
(median of --runs) build_plan + run_render, every export mixed and mastered to -14 LUFS:
- music only (video copied) against `ffmpeg -i clip -i music -filter_complex amix… -c:v copy`;
- music + a 3 s title (smart render) against the same bare copy mux, and against the engine's own
  full re-encode of the same job (`smart=False`, once: it takes about a minute);
- a trim at a non-keyframe (smart) against the bare copy trim `ffmpeg -ss … -c:v copy` (which
  starts at the keyframe before the cut, i.e. is not frame-exact);
- a 4-clip reel (four 15 s clips with the same H.264 settings, each with sound), joined whole
  (copied) and with every clip cut in at a non-keyframe (smart), against the bare concat-demuxer copy
  `ffmpeg -f concat -i list -i music -filter_complex amix… -c:v copy` of the same clips (with the
  same in-points for the cut reel, where the demuxer starts at the keyframe before, not frame-exact);
and prints the fraction of frames each job re-encodes. `--full` adds the 9:16 jobs (the ordinary
clip and a grainy one at 8 Mbit/s, each against the engine's own picture command run bare) and
the preview.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
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


REEL_PICTURES = ("testsrc2", "smptehdbars", "testsrc", "rgbtestsrc")
REEL_CLIP_S = SECONDS // len(REEL_PICTURES)
REEL_IN_S = 0.5  # where each clip of the cut reel starts: not a keyframe (those are every 2 s)


def make_reel(folder: Path) -> list[Path]:
    """Four clips as one camera makes them: the same encoder settings and colour description."""
    clips = []
    for i, picture in enumerate(REEL_PICTURES):
        path = folder / f"reel_{i}_v1.mp4"
        if not path.exists():
            _ffmpeg(
                "-f", "lavfi", "-i", f"{picture}=s=1920x1080:r=30:d={REEL_CLIP_S}",
                "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.2:r=48000:d={REEL_CLIP_S}",
                "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "60",
                "-pix_fmt", "yuv420p", "-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709",
                "-color_trc", "bt709", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-shortest",
                "-movflags", "+faststart", str(path),
            )
        clips.append(path)
    return clips


def make_grainy(folder: Path) -> Path:
    """The hard case for an encoder: the same picture under heavy film grain, at 8 Mbit/s."""
    path = folder / "grainy_1080p30_v1.mp4"
    if not path.exists():
        _ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={SECONDS},noise=alls=22:allf=t+u",
                "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.2:r=48000:d={SECONDS}",
                "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M",
                "-maxrate", "8M", "-bufsize", "16M", "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2",
                "-shortest", "-movflags", "+faststart", str(path))
    return path


def _median(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children: on a shared machine
    the others' load stretches the wall time, far less the work done."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also time the re-encoding jobs (= --only all)")
    parser.add_argument("--only", default="copy,smart,reel",
                        help="groups to time, comma-separated: copy, smart, reel, vertical, preview (or all)")
    parser.add_argument("--no-full-title", action="store_true",
                        help="skip the full re-encode of the title job (about a minute)")
    parser.add_argument("--keep", type=Path, help="folder to make (and reuse) the inputs in")
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = opts.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        clip, music = make_inputs(folder)
        groups = {"copy", "smart", "reel", "vertical", "preview"} if opts.full or opts.only == "all" \
            else set(opts.only.split(","))
        reel = make_reel(folder) if "reel" in groups else []
        grainy = make_grainy(folder) if "vertical" in groups else None
        made = time.perf_counter() - t0
        info = probe(clip)
        media, songs = {"clip": info}, {"song": music}
        media |= {f"reel{i}": probe(path) for i, path in enumerate(reel)}
        if grainy is not None:
            media["grainy"] = probe(grainy)
        out = Path(tmp) / "out.mp4.part"
        ms = SECONDS * 1000

        def draft(duck: bool = False, in_ms: int = 0, title: bool = False, src: str = "clip", **meta: Any) -> Draft:
            d = ms - in_ms
            tracks: list[dict[str, Any]] = [
                {"tt": 0, "sg": [{"id": "v", "src": src, "st": 0, "d": d, "in": in_ms}]},
                {"tt": 1, "sg": [{"id": "m", "src": "song", "st": 0, "d": d, "v": 35,
                                  "fi": 1000, "fo": 2000, "duck": duck}]},
            ]
            if title:
                tracks.append({"tt": 7, "sg": [{"st": 0, "d": 3000, "tx": "Best moments"}]})
            return Draft.from_json({"t": tracks, "m": meta})

        def reel_draft(in_ms: int) -> Draft:
            d = REEL_CLIP_S * 1000 - in_ms
            clips = [{"id": f"v{i}", "src": f"reel{i}", "st": i * d, "d": d, "in": in_ms} for i in range(len(reel))]
            return Draft.from_json({"t": [
                {"tt": 0, "sg": clips},
                {"tt": 1, "sg": [{"id": "m", "src": "song", "st": 0, "d": d * len(reel), "v": 35, "fi": 1000,
                                  "fo": 2000}]}], "m": {}})

        def bare_concat(in_s: float) -> Callable[[], None]:
            listing = Path(tmp) / f"reel_{in_s}.txt"
            listing.write_text("".join(f"file '{p}'\n" + (f"inpoint {in_s}\n" if in_s else "") for p in reel))

            def run() -> None:
                _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(music),
                        "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0[a]",
                        "-map", "0:v", "-map", "[a]", "-c:v", "copy", "-c:a", "aac", "-b:a", "192k",
                        "-f", "mp4", str(out))
            return run

        shares: dict[str, str] = {}

        def engine(name: str, d: Draft, quality: str = "high", mode: str | None = None,
                   smart: bool = True) -> tuple[str, Callable[[], None]]:
            def run() -> None:
                plan = build_plan(d, media, songs, out, quality=quality, workdir=Path(tmp), smart=smart)
                if mode is not None:
                    assert plan.mode == mode, plan.describe()
                shares[name] = f"{plan.share:.1%}" if plan.mode != "encode" else "100%"
                asyncio.run(run_render(plan, ffmpeg=FFMPEG))
            return name, run

        def bare(*coder: str, seek: float = 0.0) -> Callable[[], None]:
            def run() -> None:
                _ffmpeg("-ss", f"{seek:.3f}", "-i", str(clip), "-i", str(music),
                        "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0[a]",
                        "-map", "0:v", "-map", "[a]", "-c:v", "copy", "-c:a", "aac", *coder, "-b:a", "192k",
                        "-t", str(SECONDS - seek), "-f", "mp4", str(out))
            return run

        jobs: list[tuple[str, Callable[[], None]]] = [("bare ffmpeg: amix, -c:v copy, aac (baseline)", bare())]
        if "copy" in groups:
            jobs += [engine("engine: music, video copied, mastered", draft(), mode="copy"),
                     engine("engine: + ducking", draft(duck=True), mode="copy")]
        if "smart" in groups:
            jobs += [
                engine("engine: music + 3 s title, smart", draft(title=True), mode="smart"),
                ("bare ffmpeg: copy trim at 10.5 s (keyframe before)", bare(seek=10.5)),
                engine("engine: trim at 10.5 s (non-keyframe), smart", draft(in_ms=10500), mode="smart"),
            ]
        if "reel" in groups:
            jobs += [
                ("bare ffmpeg: concat demuxer copy, 4 clips", bare_concat(0)),
                engine("engine: 4-clip reel, joined by copying", reel_draft(0), mode="copy"),
                (f"bare ffmpeg: concat copy, 4 clips in at {REEL_IN_S} s", bare_concat(REEL_IN_S)),
                engine(f"engine: 4-clip reel, in at {REEL_IN_S} s, smart", reel_draft(round(REEL_IN_S * 1000)),
                       mode="smart"),
            ]
        if "vertical" in groups:
            for src, label in (("clip", "ordinary"), ("grainy", "grainy")):
                vertical = build_plan(draft(src=src, width=1080, height=1920), media, songs, out, workdir=Path(tmp))
                # the engine's own graph, preset and threads, the picture only, nothing else
                picture_only = vertical.video[0].args(FFMPEG)

                def bare_vertical(argv: list[str] = picture_only) -> None:
                    subprocess.run(argv, check=True, capture_output=True)

                jobs += [
                    (f"bare ffmpeg: the engine's 9:16 graph, {label}", bare_vertical),
                    engine(f"engine: 9:16 1080x1920 canvas, {label}", draft(src=src, width=1080, height=1920)),
                ]
        if "preview" in groups:
            jobs.append(engine("engine: preview 360p ultrafast", draft(), quality="preview"))
        rows: list[tuple[str, float]] = []
        cpu: dict[str, float] = {}
        for name, fn in jobs:
            before = _cpu_seconds()
            rows.append((name, _median(fn, opts.runs)))
            cpu[name] = (_cpu_seconds() - before) / opts.runs
        if "smart" in groups and not opts.no_full_title:
            name, full = engine("engine: music + 3 s title, full re-encode", draft(title=True), mode="encode",
                                smart=False)
            rows.append((name, _median(full, 1)))
        peaks = _median(lambda: audio_peaks(clip), opts.runs)
        probed = _median(lambda: probe(clip), opts.runs)

    times = dict(rows)
    baseline = rows[0][1]
    print(f"inputs: {SECONDS} s 1920x1080 30 fps H.264 + AAC clip, {SECONDS} s WAV (made in {made:.1f} s); "
          f"{os.cpu_count()} cores (shared, load {os.getloadavg()[0]:.1f} at the end); ffmpeg {Path(FFMPEG).name}; "
          f"median of {opts.runs} (full re-encode: 1)")
    print(f"{'job':<52} {'wall':>8} {'x real time':>12} {'vs baseline':>12} {'re-encoded':>11}")
    for name, wall in rows:
        print(f"{name:<52} {wall:>7.2f}s {SECONDS / wall:>12.1f} {wall / baseline:>11.2f}x {shares.get(name, '-'):>11}")
    def ratio(job: str, base: str, target: str, with_cpu: bool = False) -> None:
        if job in times and base in times:
            work = f"; CPU {cpu[job]:.1f} s against {cpu[base]:.1f} s" if with_cpu else ""
            print(f"{job} / {base}: {times[job] / times[base]:.2f}x ({target}{work})")

    ratio("engine: music + 3 s title, smart", rows[0][0], "target <= 2")
    ratio("engine: music + 3 s title, full re-encode", "engine: music + 3 s title, smart", "target >= 5")
    ratio("engine: trim at 10.5 s (non-keyframe), smart", "bare ffmpeg: copy trim at 10.5 s (keyframe before)",
          "target <= 1.5")
    ratio("engine: 4-clip reel, joined by copying", "bare ffmpeg: concat demuxer copy, 4 clips", "target <= 1.5")
    ratio(f"engine: 4-clip reel, in at {REEL_IN_S} s, smart", f"bare ffmpeg: concat copy, 4 clips in at {REEL_IN_S} s",
          "target <= 1.5")
    for label in ("ordinary", "grainy"):
        ratio(f"engine: 9:16 1080x1920 canvas, {label}", f"bare ffmpeg: the engine's 9:16 graph, {label}",
              "target <= 1.15; issue: < 25 s for ordinary footage", with_cpu=True)
    print(f"{'probe() of the clip':<52} {probed:>7.3f}s")
    print(f"{'audio_peaks() of the clip (120 bars)':<52} {peaks:>7.3f}s")


if __name__ == "__main__":
    main()
