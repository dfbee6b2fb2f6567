"""The whole job as a user runs it — `addmusic-tui run CLIP -m "add background music" -o OUT` — against
the bare ffmpeg mux of the same inputs, timed in the same run.

Run: python benchmarks/bench_run.py [--runs 5] [--keep DIR]

The CLI run includes everything the user waits for: process start, finding the local engine,
session, upload over loopback, probing, composing 60 s of music, the mix (video copied), the
download. The engine is started once before timing (its cold start is reported on its own line);
the baseline is `ffmpeg -i clip -i music.wav -filter_complex amix -c:v copy -c:a aac`.
Before each timed command the engine is left to finish its background work (the stems it makes
after a reply), which would otherwise slow whichever command ran next.
"export" is the part from the render's submission (the client's debug log's timestamp of its
POST) to the file saved (the command's end); the engine's own split of it (plan, render, output
check, store) is read from its log. The machine's load average is printed: ratios from one run
are what counts on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_render import FFMPEG, make_inputs  # noqa: E402


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-run-"))
    folder.mkdir(parents=True, exist_ok=True)
    clip, music = make_inputs(folder)
    home = Path(tempfile.mkdtemp(prefix="bench-home-"))
    env = {**os.environ, "ADDMUSIC_HOME": str(home)}
    cli = [sys.executable, "-m", "addmusic.cli"]
    out = folder / "out.mp4"

    log = home / "log" / "run.log"
    exports: list[float] = []

    def run_job() -> float:
        wall = timed([*cli, "run", str(clip), "-m", "add background music", "-o", str(out), "--overwrite",
                      "--debug"], env)
        ended = time.time()
        submits = re.findall(r"^(\S+ \S+) INFO httpx: HTTP Request: POST \S+/api/render/proxy/lambda ",
                             log.read_text(), re.M)
        submitted = datetime.datetime.strptime(submits[-1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        exports.append(ended - submitted)
        return wall

    def run_bare() -> float:
        return timed([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip), "-i", str(music),
                      "-filter_complex", "[0:a][1:a]amix=inputs=2:duration=first:normalize=0[a]",
                      "-map", "0:v", "-map", "[a]", "-c:v", "copy", "-c:a", "aac", "-b:a", "192k",
                      str(folder / "bare.mp4")], env)

    lock = home / "data" / "engine" / "engine.lock"
    cold = run_job()  # starts the engine too
    exports.clear()
    job: list[float] = []
    bare: list[float] = []
    for _ in range(args.runs):  # alternated: a shared machine's load drifts over the whole run
        settle(lock)
        job.append(run_job())
        settle(lock)
        bare.append(run_bare())
    subprocess.run([*cli, "credits"], env=env, stdout=subprocess.DEVNULL)
    if lock.exists() and lock.read_text().strip():
        os.kill(json.loads(lock.read_text())["pid"], 15)
    print(f"60 s 1080p30 H.264 clip with audio, {args.runs} runs each, median wall time")
    print(f"{'job':<58} {'median':>8} {'min':>7} {'max':>7}")
    rows = [("addmusic-tui run -m 'add background music' -o (warm engine)", job),
            ("  of which the export: render submitted -> file saved", exports),
            ("bare ffmpeg: amix, -c:v copy, -c:a aac (baseline)", bare)]
    for name, times in rows:
        print(f"{name:<58} {statistics.median(times):7.2f}s {min(times):6.2f}s {max(times):6.2f}s")
    print(f"{'first run, engine cold start included':<58} {cold:7.2f}s")
    print(f"ratio run/bare: {statistics.median(job) / statistics.median(bare):.2f}x; "
          f"export/bare: {statistics.median(exports) / statistics.median(bare):.2f}x")
    stages = _engine_stages(home / "data" / "engine" / "engine.log")[-args.runs:]
    if stages:
        names = list(stages[0])
        print("engine stages of the export, median: " + ", ".join(
            f"{n} {statistics.median(s.get(n, 0.0) for s in stages):.2f}s" for n in names))
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def settle(lock: Path, quiet_share: float = 0.03, window_s: float = 0.3, limit_s: float = 20.0) -> None:
    """Wait until the engine's background work after a job (the music's stems, made after the
    reply) is done, so it neither slows the next job nor the baseline's run."""
    try:
        stat = Path(f"/proc/{json.loads(lock.read_text())['pid']}/stat")
    except (OSError, ValueError, KeyError):
        return

    def cpu_s() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    deadline = time.monotonic() + limit_s
    try:
        while time.monotonic() < deadline:
            before = cpu_s()
            time.sleep(window_s)
            if cpu_s() - before < quiet_share * window_s:
                return
    except OSError:  # the engine ended
        return


def _engine_stages(log: Path) -> list[dict[str, float]]:
    """Seconds per stage of each render, from the engine's "render ... done:" log lines."""
    runs = []
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        if " done: " in line and "addmusic.engine.jobs" in line:
            runs.append({m[0]: float(m[1]) for m in re.findall(r"(\w+) ([\d.]+) s", line.split(" done: ")[1])})
    return runs


if __name__ == "__main__":
    main()
