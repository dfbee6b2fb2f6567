"""The x264 settings of the full re-encode: which preset, how many threads.

The preset comes from a speed/quality table measured by benchmarks/bench_presets.py; the table is
data, and the rule that picks from it is code, so a new measurement changes one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class PresetFigures:
    """One preset on the 9:16 job (1920x1080 30 fps in, 1080x1920 blurred fill out, CRF 20), for
    the ordinary clip and the grainy one: frames per second of the whole run (decode, graph,
    encode), SSIM against the same graph encoded losslessly, and MB per 10 s."""

    fps: tuple[float, float]
    ssim: tuple[float, float]
    mb: tuple[float, float]


# `bench_presets.py --seconds 10 --runs 1`, 2026-11-30, 2 cores shared with other sessions (load
# 5-12, so the fps are rough; ultrafast was also fastest in a second run at load 16: 18.7/9.7 fps
# against 8.4/4.7 for veryfast). The graph was then two changes older than graph.fit_chain now
# (crop first; then bands stacked instead of overlay: graph 801 M instructions on 30 frames against
# 1082 M, bench_presets.py --instructions 30),
# which moves every preset's fps alike and leaves SSIM against the graph's own lossless output
# alone. At one CRF the presets' SSIM differ by under 0.003: the slower
# ones spend their time making the file smaller (veryfast 2.2/4.7 MB against ultrafast's 9.4/16.9
# MB, i.e. about 7.5 and 13.5 Mbit/s for ultrafast at 1080x1920, an upload-friendly rate for the
# social apps a 9:16 export is made for), not better looking.
PRESET_TABLE: dict[str, PresetFigures] = {
    "ultrafast": PresetFigures(fps=(37.7, 44.1), ssim=(0.99288, 0.98866), mb=(9.4, 16.9)),
    "superfast": PresetFigures(fps=(20.5, 10.6), ssim=(0.99291, 0.98981), mb=(6.1, 18.4)),
    "veryfast": PresetFigures(fps=(24.1, 14.7), ssim=(0.99198, 0.98639), mb=(2.2, 4.7)),
    "faster": PresetFigures(fps=(13.2, 4.4), ssim=(0.99211, 0.98652), mb=(2.4, 5.0)),
    "fast": PresetFigures(fps=(7.3, 2.6), ssim=(0.99224, 0.98705), mb=(2.6, 6.4)),
    "medium": PresetFigures(fps=(5.0, 2.5), ssim=(0.99222, 0.98689), mb=(2.5, 5.7)),
}
FULL_CRF = 20
# A preset may look this much worse (SSIM, on either clip) than the best one and still be chosen.
SSIM_SLACK = 0.002


def choose_preset(table: dict[str, PresetFigures], slack: float = SSIM_SLACK) -> str:
    """The fastest preset (by its slower clip) whose pictures are as good as the best, within `slack`."""
    best = [max(f.ssim[i] for f in table.values()) for i in range(2)]
    good = {name: f for name, f in table.items() if all(f.ssim[i] >= best[i] - slack for i in range(2))}
    return max(good, key=lambda name: min(good[name].fps))


FULL_PRESET = choose_preset(PRESET_TABLE)


def encoder_threads() -> int:
    """The cores this process may use (a container or `taskset` may allow fewer than the machine
    has): x264's own default is 1.5× the machine's cores, which oversubscribes a shared box."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def x264_args(preset: str, crf: int) -> list[str]:
    return ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-threads", str(encoder_threads())]
