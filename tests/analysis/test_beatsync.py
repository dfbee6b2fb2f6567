"""Snapping a reel's cuts to beats, and composed sections that follow the video's cuts."""

from __future__ import annotations

import numpy as np
import pytest

from addmusic.engine.beatsync import ClipSpan, plan_sections, snap_to_beats


def reel(durations: list[float], media: list[float], ins: list[float] | None = None) -> list[ClipSpan]:
    clips, t = [], 0.0
    for k, (d, m) in enumerate(zip(durations, media, strict=True)):
        clips.append(ClipSpan(start=t, duration=d, media_in=ins[k] if ins else 0.0, media_duration=m))
        t += d
    return clips


BEATS_120 = np.arange(0, 60, 0.5) + 0.013  # a song whose grid starts 13 ms in


def test_every_cut_moves_to_its_nearest_beat_and_the_reel_keeps_its_length() -> None:
    clips = reel([3.37, 4.81, 2.64, 5.18], [10, 10, 10, 10], ins=[0, 1.0, 1.0, 1.0])
    new, moves = snap_to_beats(clips, BEATS_120)
    assert [m.reason for m in moves] == ["", "", ""]
    for m in moves:
        assert abs(m.after - m.beat) < 1e-9
        assert abs(m.delta) <= 0.25 + 1e-9  # half a beat at 120 bpm
        assert m.beat == pytest.approx(BEATS_120[np.argmin(np.abs(BEATS_120 - m.before))])
    assert sum(c.duration for c in new) == pytest.approx(sum(c.duration for c in clips))
    for a, b in zip(new, new[1:], strict=False):
        assert a.end == pytest.approx(b.start)  # still contiguous
    # a roll edit: the clip after starts that much later in its own media
    assert new[1].media_in == pytest.approx(clips[1].media_in + moves[0].delta)


def test_moves_stay_inside_each_clips_media() -> None:
    # the beat after the cut (3.513) needs 0.113 s more of clip 0 than its file has: it stays
    later = snap_to_beats(reel([3.40, 4.0], [3.40, 10], ins=[0.0, 0.0]), BEATS_120)[1]
    assert later[0].beat is None and "footage" in later[0].reason and later[0].delta == 0.0
    # ...and moves when the file has it
    ok_later = snap_to_beats(reel([3.40, 4.0], [3.60, 10], ins=[0.0, 0.0]), BEATS_120)[1]
    assert ok_later[0].after == pytest.approx(3.513)
    # the beat before the cut (3.013) needs clip 1 to start 0.087 s earlier in its file than its first frame
    earlier = snap_to_beats(reel([3.10, 4.0], [10, 10], ins=[0.0, 0.0]), BEATS_120)[1]
    assert earlier[0].beat is None and "footage" in earlier[0].reason
    new, ok_earlier = snap_to_beats(reel([3.10, 4.0], [10, 10], ins=[0.0, 0.5]), BEATS_120)
    assert ok_earlier[0].after == pytest.approx(3.013) and new[1].media_in == pytest.approx(0.413)
    # a clip with no footage to spare on either side keeps its cut and says why
    tight = reel([2.2, 2.0], [2.2, 2.0], ins=[0.0, 0.0])
    kept, why = snap_to_beats(tight, BEATS_120)
    assert why[0].delta == 0.0 and why[0].beat is None and "footage" in why[0].reason
    assert kept == tight


def test_never_more_than_half_a_beat_and_never_below_the_shortest_clip() -> None:
    sparse = np.array([0.0, 2.0, 4.0, 6.0, 8.0])  # 30 bpm: half a beat is a second
    clips = reel([2.9, 0.6, 4.0], [10, 10, 10], ins=[0, 2, 2])
    new, moves = snap_to_beats(clips, sparse, min_clip=0.5)
    # boundary 0 at 2.9 -> 2.0 would be 0.9 s (within half a beat) and leaves clip 1 at 1.5 s: fine
    assert moves[0].after == pytest.approx(2.0)
    # boundary 1 at 3.5 -> 4.0 is within half a beat and keeps both clips >= 0.5 s
    assert moves[1].after == pytest.approx(4.0)
    assert all(c.duration >= 0.5 for c in new)
    off_grid = snap_to_beats(reel([5.0, 5.0], [10, 10], ins=[0, 3]), np.array([0.0, 1.0, 2.0, 3.0]))[1]
    assert off_grid[0].beat is None and "half a beat" in off_grid[0].reason


def test_frame_rate_puts_cuts_on_frames() -> None:
    clips = reel([3.37, 4.81, 2.64], [10, 10, 10], ins=[0, 1, 1])
    new, moves = snap_to_beats(clips, BEATS_120, fps=30)
    for m in moves:
        assert abs(m.after * 30 - round(m.after * 30)) < 1e-9
        assert abs(m.after - m.beat) <= 0.5 / 30 + 1e-9


def test_no_beat_no_move() -> None:
    clips = reel([3.0, 3.0], [5, 5], ins=[0, 1])
    new, moves = snap_to_beats(clips, [])
    assert new == clips and moves[0].reason == "the music has no beat to cut to"


@pytest.mark.parametrize("seed", range(6))
def test_sections_start_within_a_beat_of_every_cut(seed: int) -> None:
    rng = np.random.default_rng(seed)
    duration = 45.0
    cuts = sorted(rng.uniform(2, duration - 2, size=5))
    plan = plan_sections(list(cuts), duration, (84.0, 100.0))
    assert 84.0 <= plan.tempo <= 100.0
    assert all(2 <= b <= 6 for b in plan.bar_beats)
    assert sum(plan.bar_beats) * plan.beat >= duration - 1e-6
    bar_starts = plan.bar_starts()
    for s in plan.section_starts:  # sections start on bar lines
        assert np.min(np.abs(np.asarray(bar_starts) - s)) < 1e-6
    assert len(plan.offsets) == len(cuts)
    assert max(abs(o) for o in plan.offsets) <= plan.beat + 1e-6


def test_sections_prefer_a_steady_four_four() -> None:
    # cuts on the bars of 96 bpm (2.5 s): a tempo in range makes every bar 4 beats
    plan = plan_sections([5.0, 12.5, 20.0], 30.0, (90.0, 100.0))
    assert set(plan.bar_beats) == {4}
    assert max(abs(o) for o in plan.offsets) <= plan.beat


def test_close_cuts_become_accents() -> None:
    plan = plan_sections([8.0, 8.6, 16.0], 24.0, (120.0, 120.0))
    assert len(plan.section_starts) == 3  # 0, ~8, ~16
    assert len(plan.accents) == 1 and abs(plan.accents[0] - 8.6) <= 0.5 / 2 + 1e-9
