"""Time and peak memory of composing 60 s of music, per style, new composer against the old one.

Run: .venv/bin/python benchmarks/bench_music.py [--seconds 60] [--styles a,b] [--old-rev f7e266e]

Each measurement runs in a fresh Python process, so its peak resident memory (ru_maxrss: numpy,
the samples it decoded, the buffers) is its own. "cold" is the first piece in that process
(samples decoded, caches empty, as for the engine's first request); "warm" is a second piece,
another seed, in the same process. The old composer (the single-module synthesiser this package
replaced) is loaded from git (`git show REV:tui/addmusic/engine/music.py`) and measured the same
way in the same run, as the baseline. Targets: <= 3 s and <= 400 MB per 60 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STYLE_KEYS = ("upbeat", "lofi", "cinematic", "acoustic", "electronic", "chill", "piano", "hiphop", "rock",
              "jazz", "corporate", "ambient")

CHILD = r"""
import importlib.util, json, resource, sys, time
which, path, style, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
if which == "old":
    spec = importlib.util.spec_from_file_location("old_music", path)
    music = importlib.util.module_from_spec(spec)
    sys.modules["old_music"] = music  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(music)
else:
    sys.path.insert(0, path)
    from addmusic.engine import music
times, cpu = [], []
for seed in (1, 2):
    t, c = time.perf_counter(), time.process_time()
    comp = music.compose(seconds, style, seed=seed)
    times.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
    assert len(comp.samples) == round(seconds * 48000)
print(json.dumps({"cold": times[0], "warm": times[1], "cpu": cpu[1],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(which: str, path: str, style: str, seconds: float) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, which, path, style, str(seconds)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--styles", default=",".join(STYLE_KEYS))
    ap.add_argument("--old-rev", default="f7e266e")
    args = ap.parse_args()
    old_src = subprocess.run(["git", "-C", str(ROOT), "show", f"{args.old_rev}:tui/addmusic/engine/music.py"],
                             capture_output=True, text=True, check=True).stdout
    old_styles = {"lofi", "upbeat", "cinematic", "acoustic", "electronic", "chill", "piano"}
    with tempfile.TemporaryDirectory() as tmp:
        old_path = Path(tmp) / "old_music.py"
        old_path.write_text(old_src)
        print(f"{args.seconds:g} s per piece; each cell: cold s / warm s / warm CPU s / peak RSS MB "
              "(fresh process)")
        print(f"{'style':11s} {'new composer':>34s}   {'old composer (' + args.old_rev + ')':>34s}")
        worst = {"new": [0.0, 0.0, 0.0, 0.0], "old": [0.0, 0.0, 0.0, 0.0]}
        for style in args.styles.split(","):
            new = measure("new", str(ROOT / "tui"), style, args.seconds)
            old = measure("old", str(old_path), style, args.seconds)
            for key, m in (("new", new), ("old", old)):
                worst[key] = [max(w, m[k]) for w, k in zip(worst[key], ("cold", "warm", "cpu", "rss_mb"), strict=True)]
            note = "" if style in old_styles else " (old: lo-fi)"
            print(f"{style:11s} {new['cold']:7.2f} {new['warm']:7.2f} {new['cpu']:7.2f} {new['rss_mb']:8.0f}   "
                  f"{old['cold']:7.2f} {old['warm']:7.2f} {old['cpu']:7.2f} {old['rss_mb']:8.0f}{note}")
        w_new, w_old = worst["new"], worst["old"]
        print(f"{'worst':11s} {w_new[0]:7.2f} {w_new[1]:7.2f} {w_new[2]:7.2f} {w_new[3]:8.0f}   "
              f"{w_old[0]:7.2f} {w_old[1]:7.2f} {w_old[2]:7.2f} {w_old[3]:8.0f}")
        ok = w_new[1] <= 3.0 and w_new[3] <= 400
        print(f"target <= 3 s (warm) and <= 400 MB: {'met' if ok else 'NOT met'} on this machine "
              f"(shared with other jobs: times are noisy)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
