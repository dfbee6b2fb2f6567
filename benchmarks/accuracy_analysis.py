"""The accuracy numbers behind tests/analysis, printed in one table (no timing).

Run: .venv/bin/python benchmarks/accuracy_analysis.py

Uses the tests' own generators (tests/analysis/songgen.py, clipgen.py): songs with a known beat
grid at 80-160 bpm with and without a slower intro, the composer's output (its beat list is the
truth), songs fitted to timelines longer and shorter than themselves, and clips with known cuts.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tui"))
sys.path.insert(0, str(ROOT / "tests" / "analysis"))

from clipgen import make_clip  # noqa: E402
from songgen import hit_rate, make_song, offsets  # noqa: E402

from addmusic.engine.analysis.beats import analyse  # noqa: E402
from addmusic.engine.analysis.scenes import detect_cuts  # noqa: E402
from addmusic.engine.music import compose  # noqa: E402
from addmusic.engine.songfit import plan_fit, render_fit  # noqa: E402
from addmusic.engine.styles import STYLE_KEYS  # noqa: E402


def octave_error(found: float | None, truth: float) -> float:
    if found is None:
        return float("inf")
    return min(abs(found * k - truth) / truth for k in (0.5, 1.0, 2.0))


def beats_table() -> None:
    print("beats on generated songs (24 bars): bpm kind intro | tempo found, octave-adjusted error, "
          "beats within 35 ms, median offset, true downbeats found")
    worst_err, worst_hit = 0.0, 1.0
    for bpm in (80, 97, 120, 143, 160):
        for kind in ("drums", "clicks"):
            for intro in (False, True):
                song = make_song(bpm, 24, kind=kind, intro_bpm=bpm * 0.85 if intro else None,
                                 intro_bars=2 if intro else 0, seed=bpm)
                a = analyse(song.samples, song.sample_rate)
                err, hit = octave_error(a.tempo, bpm), hit_rate(a.beats, song.beats)
                worst_err, worst_hit = max(worst_err, err), min(worst_hit, hit)
                print(f"  {bpm:3} {kind:6} {'intro' if intro else '     '} | {a.tempo:7.2f} {err * 100:5.2f} % "
                      f"{hit * 100:5.1f} % {np.median(offsets(a.beats, song.beats)) * 1000:+5.1f} ms "
                      f"{hit_rate(a.downbeats, song.downbeats) * 100:5.1f} %")
    print(f"  worst: tempo error {worst_err * 100:.2f} %, beat hit rate {worst_hit * 100:.1f} %")
    print("beats on the composer's output (60 s): style seed | bpm true, found, error, hits, downbeats")
    for style in STYLE_KEYS:
        for seed in (1, 2):
            comp = compose(60, style, seed=seed)
            if getattr(comp, "style", style) != style:
                continue  # this composer plays another style in its place: measured under that name
            truth = np.asarray(comp.beats)
            a = analyse(comp.samples, comp.sample_rate)
            err = octave_error(a.tempo, comp.tempo)
            print(f"  {style:10} {seed} | {comp.tempo:7.2f} {a.tempo:7.2f} {err * 100:5.2f} % "
                  f"{hit_rate(a.beats, truth) * 100:5.1f} % {hit_rate(a.downbeats, truth[::4]) * 100:5.1f} %")


def fit_table() -> None:
    sr = 48000
    print("song fit: song, timeline, start | mode, length error (samples), fade-start offset from a true "
          "downbeat, worst loop-join offset")
    for bpm, bars in ((90, 16), (128, 20)):
        song = make_song(bpm, bars, seed=bpm, sr=sr)
        a = analyse(song.samples, sr)
        for timeline, start in ((23.3, 0.0), (31.7, 0.0), (19.9, 7.3), (101.3, 0.0), (61.25, 3.0)):
            plan = plan_fit(a, timeline, start=start, sample_rate=sr)
            out = render_fit(song.samples, plan)
            fade = plan.song_time(plan.fade_start)
            fade_off = np.min(np.abs(song.downbeats - fade)) * 1000
            joins = [np.min(np.abs(song.downbeats - p.src)) * 1000 for p in plan.pieces[1:]]
            joins += [np.min(np.abs(song.downbeats - (p.src + p.length))) * 1000 for p in plan.pieces[:-1]]
            print(f"  {bpm} bpm {song.duration:5.1f} s -> {timeline:6.2f} s from {start:4.1f} | {plan.mode:4} "
                  f"{len(out) - round(timeline * sr):+d} {fade_off:5.1f} ms "
                  f"{max(joins) if joins else 0:5.1f} ms  (fade {plan.timeline - plan.fade_start:.2f} s, "
                  f"phrase {plan.phrase_bars} bars, loops {plan.loops})")


def scenes_table() -> None:
    print("scene cuts on generated clips (8 shots incl. a fast pan, a zoom, cellular automata): fps | "
          "found/true, offsets in frames")
    with tempfile.TemporaryDirectory() as tmp:
        for fps in (24, 25, 30, 60):
            truth = make_clip(Path(tmp) / f"c{fps}.mp4", fps=fps)
            found = detect_cuts(Path(tmp) / f"c{fps}.mp4").cuts
            offs = [round((min(found, key=lambda c, t=t: abs(c - t)) - t) * fps, 2) for t in truth] if found else []
            print(f"  {fps:2} | {len(found)}/{len(truth)} {offs}")


if __name__ == "__main__":
    beats_table()
    fit_table()
    scenes_table()
