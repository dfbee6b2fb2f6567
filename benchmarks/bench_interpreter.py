"""Interpreter time per message over the corpus (tests/corpus/en.txt, zh.txt), with the old
single-module interpreter (engine/agent.py at --base) timed on the same messages and drafts in the
same run as the baseline.

Run: .venv/bin/python benchmarks/bench_interpreter.py [--base 476232e] [--repeat 3]

Each case's setup is built in-process with the engine's own turn code (no audio is composed);
every message of the case is then read by `interpret` against the draft it would meet, timed with
perf_counter (best of --repeat per message), and the session moves on. Prints median, p95 and
worst per message for both interpreters. Timings are noisy on a shared machine: compare the two
columns of one run, not runs with each other.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tui"))
sys.path.insert(0, str(ROOT / "tests"))

from addmusic.engine.interpreter import interpret  # noqa: E402
from addmusic.protocol.draft import Draft  # noqa: E402
from corpus import inproc  # noqa: E402
from corpus.flat import parse  # noqa: E402
from corpus.test_corpus import SETUP_MESSAGES  # noqa: E402


def load_old(base: str) -> ModuleType | None:
    """engine/agent.py as it was at `base`, loaded as a module of its own."""
    try:
        source = subprocess.run(["git", "show", f"{base}:tui/addmusic/engine/agent.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    path = Path("/tmp") / f"addmusic_old_agent_{base}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("addmusic_old_agent", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def best_of(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return (f"{name:28} messages {len(ms):5}  median {statistics.median(ms):7.3f} ms  p95 {p95:7.3f} ms  "
            f"worst {ms[-1]:7.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="476232e", help="commit whose engine/agent.py is the baseline")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inproc.no_audio()
    old = load_old(args.base)
    new_times: list[float] = []
    old_times: list[float] = []
    worst: tuple[float, str] = (0.0, "")
    cases = parse(ROOT / "tests/corpus/en.txt", "en") + parse(ROOT / "tests/corpus/zh.txt", "zh")
    for case in cases:
        session = inproc.Session(case.setup, SETUP_MESSAGES, case.lang)
        for message in case.messages:
            raw = copy.deepcopy(session.state["draft"])
            infos = session.state["video_infos"]
            def new(message: str = message, raw: dict = raw, lang: str = case.lang, infos: list = infos) -> None:
                interpret(message, Draft.from_json(copy.deepcopy(raw)), language=lang, sources=infos)

            def baseline(message: str = message, raw: dict = raw, lang: str = case.lang) -> None:
                old.interpret(message, Draft.from_json(copy.deepcopy(raw)), language=lang)  # type: ignore[union-attr]

            t = best_of(new, args.repeat)
            new_times.append(t)
            worst = max(worst, (t, message))
            if old is not None:
                old_times.append(best_of(baseline, args.repeat))
            session.say(message)
    print(f"{len(cases)} corpus cases (en + zh); each time includes Draft.from_json of the setup draft")
    print(summary("interpreter/ (this branch)", new_times))
    print(f"  slowest message: {worst[1]!r}")
    if old_times:
        print(summary(f"agent.py ({args.base}, baseline)", old_times))
    else:
        print(f"baseline: engine/agent.py not found at {args.base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
