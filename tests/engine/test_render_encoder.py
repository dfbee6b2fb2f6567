"""The full re-encode's preset is picked from the measured table by a rule, not by hand."""

from __future__ import annotations

import os

from addmusic.engine.render.encoder import (
    FULL_PRESET,
    PRESET_TABLE,
    PresetFigures,
    choose_preset,
    encoder_threads,
    x264_args,
)


def test_the_fastest_preset_that_looks_as_good_as_the_best_is_chosen() -> None:
    table = {
        "quick_but_blocky": PresetFigures(fps=(90, 80), ssim=(0.95, 0.93), mb=(1, 1)),
        "quick": PresetFigures(fps=(40, 30), ssim=(0.991, 0.985), mb=(9, 16)),
        "slow": PresetFigures(fps=(20, 35), ssim=(0.992, 0.986), mb=(2, 5)),
    }
    assert choose_preset(table) == "quick"  # the blocky one is out; "quick" is faster on its slower clip
    assert choose_preset(table, slack=0.0) == "slow"
    assert FULL_PRESET in PRESET_TABLE and FULL_PRESET == choose_preset(PRESET_TABLE)


def test_encoder_threads_match_the_cores_this_process_may_use() -> None:
    assert encoder_threads() == len(os.sched_getaffinity(0))
    args = x264_args("veryfast", 20)
    assert args[args.index("-threads") + 1] == str(encoder_threads())
