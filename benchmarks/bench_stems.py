"""Turn times with and without kept stems (music/stems.py), on a 60 s clip, in one run.

Run: .venv/bin/python benchmarks/bench_stems.py [--seconds 60] [--style upbeat] [--repeats 2]

The chat turn is run in-process (engine/turns.py run_turn, the code the engine runs, with a fresh
music folder each time), so what is timed is the turn's own work: interpreting, composing or
remixing, writing the cache. Cases:
- "add upbeat background music" as the engine does it (stems made afterwards, in the background),
  and the time until those stems are there;
- the same piece composed with its stems in the turn itself (the alternative: every reply pays it);
- "no drums" after it: mixed from the stems, against composing the piece again (the old way, and
  still the way for loops and pieces over 100 s), and against making the stems in that turn;
- the stems' size on disk.
Each figure is the median of --repeats runs; the machine's load average is printed before and
after (timings on a shared machine are noisy: compare the figures of one run with each other).
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time
from pathlib import Path

from addmusic.engine import turns
from addmusic.engine.music import compose, stems
from addmusic.protocol.draft import Draft, Segment, Track


def _state(seconds: float) -> dict:
    info = {"media_id": "trip00000000000", "filename": "trip.mp4", "kind": "video", "duration": seconds,
            "width": 1920, "height": 1080, "fps": 30, "has_audio": True}
    ms = int(seconds * 1000)
    draft = Draft(tracks=[Track(0, [Segment(id="v_1", label="trip.mp4", src=info["media_id"], duration=ms)])],
                  duration=ms, meta={})
    return {"video_infos": [info], "draft": draft.to_json(), "canvas_config": {}, "generated_media": {}}


# CPU seconds of the process per case (a remix's decoding threads too; nothing runs ahead meanwhile,
# but for the last moments of the reply case): far steadier than wall time on a loaded machine
CPU: dict[str, list[float]] = {}


def _turn(message: str, state: dict, music_dir: Path, case: str) -> tuple[float, dict]:
    t, c = time.perf_counter(), time.process_time()
    result = turns.run_turn(message, copy.deepcopy(state), "en", music_dir, [])
    CPU.setdefault(case, []).append(time.process_time() - c)
    return time.perf_counter() - t, result.state


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--style", default="upbeat")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    add = f"add {args.style} background music"
    print(f"{args.seconds:g} s clip, '{add}' then 'no drums'; {_load()}")
    compose(5, args.style, seed=9)  # samples decoded, caches warm, as in a running engine
    with tempfile.TemporaryDirectory() as tmp:  # the interpreter's tables loaded, as in a running engine
        turns.AHEAD.enabled = False
        turns.run_turn("add calm music", _state(5.0), "en", Path(tmp), [])
    times: dict[str, list[float]] = {}
    sizes: list[int] = []
    kept_for = stems.kept_for
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            music = Path(tmp) / "music"
            turns.AHEAD.enabled = True
            t_add, state = _turn(add, _state(args.seconds), music, "add music: reply (stems made afterwards)")
            t = time.perf_counter()
            assert turns.AHEAD.idle(600)
            times.setdefault("add music: reply (stems made afterwards)", []).append(t_add)
            times.setdefault("  then stems ready after the reply", []).append(time.perf_counter() - t)
            folder = next((music / "cache").glob("*.stems"))
            sizes.append(stems.size_bytes(folder))
            t_remix, _ = _turn("no drums", state, music, "no drums: mixed from the stems")
            times.setdefault("no drums: mixed from the stems", []).append(t_remix)
        with tempfile.TemporaryDirectory() as tmp:
            music = Path(tmp) / "music"
            turns.AHEAD.enabled = False
            t_plain, state = _turn(add, _state(args.seconds), music, "add music: no stems (before this change)")
            times.setdefault("add music: no stems (before this change)", []).append(t_plain)
            stems.kept_for = lambda *_a: False  # the old way: compose the piece again (its own cache)
            try:
                t_again, _ = _turn("no drums", state, Path(tmp) / "music-again",
                                   "no drums: composed again (before this change)")
            finally:
                stems.kept_for = kept_for
            times.setdefault("no drums: composed again (before this change)", []).append(t_again)
            t_demand, _ = _turn("no drums", state, music, "no drums: stems made in that turn, then mixed")
            times.setdefault("no drums: stems made in that turn, then mixed", []).append(t_demand)
        with tempfile.TemporaryDirectory() as tmp:
            piece = turns._Piece(Path(tmp), "k", args.seconds, args.style, 1, "{}")
            t, c = time.perf_counter(), time.process_time()
            piece.make_stems()  # compose with stems + FLAC + the piece's wav: what an inline reply would pay
            case = "add music: stems composed in the reply (compose+stems+wav)"
            times.setdefault(case, []).append(time.perf_counter() - t)
            CPU.setdefault(case, []).append(time.process_time() - c)
    print(f"{'case':62s} {'wall s':>7s} {'CPU s':>6s}  (wall of each run)")
    for name, values in times.items():
        cpu = f"{statistics.median(CPU[name]):6.2f}" if name in CPU else "     -"
        print(f"{name:62s} {statistics.median(values):7.2f} {cpu}  ({', '.join(f'{v:.2f}' for v in values)})")
    print(f"stems on disk (FLAC 16-bit, all layers): {statistics.median(sizes) / 1e6:.1f} MB; "
          f"the piece's own wav: {args.seconds * 48000 * 4 / 1e6:.1f} MB")
    print(_load())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
