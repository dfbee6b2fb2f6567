"""The draft model: tolerant parsing, the exact summary format of API.md, and the diff."""

from __future__ import annotations

import pytest

from addmusic.protocol.draft import Draft, draft_diff, format_seconds

EXAMPLE = {
    "t": [
        {"tt": 0, "sg": [{"id": "v1", "n": "city timelapse", "src": "abc", "st": 0, "d": 10000}]},
        {"tt": 1, "sg": [{"id": "m1", "n": "Lo-fi", "src": "gen_1", "st": 0, "d": 10000, "v": 35}]},
        {"tt": 7, "sg": [{"id": "t1", "tx": "Urban Dreams", "st": 0, "d": 3000}]},
    ],
    "d": 10000,
    "m": {"title": "city", "width": 1920, "height": 1080},
}


def test_summary_matches_api_md_example() -> None:
    assert Draft.from_json(EXAMPLE).summary() == (
        'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) '
        '3. Title: "Urban Dreams" (0-3s)'
    )


def test_several_segments_are_comma_separated() -> None:
    draft = Draft.from_json({"t": [{"tt": 0, "sg": [
        {"n": "a.mp4", "st": 0, "d": 10000}, {"n": "b.mp4", "st": 10000, "d": 6000}]}]})
    assert draft.summary() == "Timeline (1 track): 1. Video: a.mp4 (0-10s), b.mp4 (10-16s)"


@pytest.mark.parametrize(("ms", "text"), [(0, "0"), (2500, "2.5"), (7000, "7"), (10049, "10"), (10050, "10.1"),
                                          (59999, "60"), (123456, "123.5")])
def test_seconds_format(ms: int, text: str) -> None:
    assert format_seconds(ms) == text


def test_unknown_and_missing_keys_are_tolerated_and_kept() -> None:
    raw = {"t": [{"tt": 1, "zz": 1, "sg": [{"n": "X", "d": "4000", "weird": [1, 2]}, "junk"]}, 5],
           "extra": True}
    draft = Draft.from_json(raw)
    assert draft.tracks[0].segments[0].duration == 4000
    assert draft.tracks[0].segments[0].volume is None
    out = draft.to_json()
    assert out["extra"] is True
    assert out["t"][0]["zz"] == 1
    assert out["t"][0]["sg"][0]["weird"] == [1, 2]
    assert draft.summary().startswith("Timeline (2 tracks): 1. BGM: X (0-4s, 100%)")


@pytest.mark.parametrize("raw", [None, [], "x", {"t": "nope"}, {"t": [{"sg": None}]}])
def test_garbage_drafts_do_not_raise(raw: object) -> None:
    assert Draft.from_json(raw).summary().startswith("Timeline (")


def test_round_trip_is_stable() -> None:
    assert Draft.from_json(Draft.from_json(EXAMPLE).to_json()).to_json() == Draft.from_json(EXAMPLE).to_json()


def test_exportable() -> None:
    assert Draft.from_json(EXAMPLE).exportable
    assert not Draft.from_json({"t": [{"tt": 0, "sg": []}]}).exportable


def test_diff_names_added_changed_removed() -> None:
    before = Draft.from_json({"t": [EXAMPLE["t"][0]], "d": 10000, "m": EXAMPLE["m"]})
    after = Draft.from_json(EXAMPLE)
    assert draft_diff(before, after) == ['BGM added: Lo-fi (0-10s, 35%)', 'Title added: "Urban Dreams" (0-3s)']
    louder = Draft.from_json(EXAMPLE)
    louder.tracks[1].segments[0].volume = 80
    assert draft_diff(after, louder) == ["BGM changed: Lo-fi (0-10s, 35%) → Lo-fi (0-10s, 80%)"]
    assert draft_diff(after, before) == ['BGM removed: Lo-fi (0-10s, 35%)', 'Title removed: "Urban Dreams" (0-3s)']
    assert draft_diff(after, after) == []
    vertical = Draft.from_json(EXAMPLE)
    vertical.meta.update(width=1080, height=1920)
    assert draft_diff(after, vertical) == ["Canvas changed: 1080x1920"]


@pytest.mark.parametrize(("ms", "text"), [(9000, "9s"), (9500, "9.5s"), (0, "0s"), (59_940, "59.9s"),
                                          (59_960, "1:00"), (72_000, "1:12"), (72_400, "1:12"),
                                          (3_723_000, "1:02:03")])
def test_durations_are_written_one_way(ms: int, text: str) -> None:
    from addmusic.protocol.draft import format_duration

    assert format_duration(ms) == text


def test_spans_past_a_minute_are_clocks() -> None:
    from addmusic.protocol.draft import format_span

    assert format_span(2500, 7000) == "2.5-7s"
    assert format_span(50_000, 72_000) == "0:50-1:12"
    draft = Draft.from_json({"t": [{"tt": 1, "sg": [{"n": "Lo-fi", "st": 0, "d": 95_000, "v": 30}]}]})
    assert draft.summary() == "Timeline (1 track): 1. BGM: Lo-fi (0:00-1:35, 30%)"
