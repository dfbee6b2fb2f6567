"""Peak memory and time of composing and writing music of any length, each in a fresh process.

Run: .venv/bin/python benchmarks/bench_music_memory.py [--seconds 60,600,10800] [--style ambient]
     [--old-rev REV]

Each length is composed and written to a WAV (in chunks) in its own Python process; its peak
resident memory (ru_maxrss) and wall times are printed. Pieces over 100 s are a repeated cycle
mixed in bounded memory (engine/music/long.py). With --old-rev, the composer of that git revision
is measured the same way in the same run as the baseline (lengths it cannot afford are skipped
above --old-max seconds). Target: <= 400 MB for any length, 60 s in <= 3 s (on a quiet machine).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from addmusic.engine.music import compose, write_wav
seconds, style, out = float(sys.argv[2]), sys.argv[3], sys.argv[4]
t = time.perf_counter()
comp = compose(seconds, style, seed=1)
composed = time.perf_counter() - t
write_wav(out, comp)
print(json.dumps({"compose_s": composed, "write_s": time.perf_counter() - t - composed,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(tree: Path, seconds: float, style: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(seconds), style, f"{tmp}/x.wav"],
                             capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", default="60,600,10800")
    parser.add_argument("--style", default="ambient")
    parser.add_argument("--old-rev", help="git revision of a composer to measure as the baseline")
    parser.add_argument("--old-max", type=float, default=600.0, help="longest piece asked of the old composer")
    args = parser.parse_args()
    lengths = [float(s) for s in args.seconds.split(",")]
    trees = [("this tree", ROOT / "tui")]
    tmp = None
    if args.old_rev:
        tmp = tempfile.TemporaryDirectory()
        subprocess.run(f"git -C {ROOT} archive {args.old_rev} tui | tar -x -C {tmp.name}", shell=True, check=True)
        trees.append((f"old {args.old_rev}", Path(tmp.name) / "tui"))
    print(f"style {args.style}, seed 1, one fresh process per piece (machine may be shared: times are noisy)")
    print(f"{'composer':<16} {'seconds':>8} {'compose':>9} {'write wav':>10} {'peak RSS':>10}")
    for name, tree in trees:
        for seconds in lengths:
            if name != "this tree" and seconds > args.old_max:
                print(f"{name:<16} {seconds:>8.0f} {'skipped (over --old-max)':>31}")
                continue
            r = measure(tree, seconds, args.style)
            print(f"{name:<16} {seconds:>8.0f} {r['compose_s']:>8.2f}s {r['write_s']:>9.2f}s {r['peak_mb']:>7.0f} MB")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
