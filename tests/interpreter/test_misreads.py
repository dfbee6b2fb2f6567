"""The misreads issue 6 names, each pinned on the interpreter directly (the corpus covers them over
HTTP too): what is understood is done exactly, and nothing else changes."""

from __future__ import annotations

import copy
from typing import Any

from addmusic.engine.interpreter import apply_all, interpret
from addmusic.protocol.draft import AUDIO, TEXT, VIDEO, Draft

CLIP = {"t": [{"tt": 0, "sg": [{"id": "v1", "src": "abc", "st": 0, "d": 10000}]}], "d": 10000, "m": {}}
MUSIC = {"t": [*CLIP["t"], {"tt": 1, "sg": [{"id": "m1", "src": "gen_1", "st": 0, "d": 10000, "v": 30, "style": "lofi",
                                             "seed": 1}]}], "d": 10000, "m": {}}
TITLED = {"t": [*MUSIC["t"], {"tt": 7, "sg": [{"id": "t1", "tx": "Summer 2024", "st": 0, "d": 3000, "pos": "top"}]}],
          "d": 10000, "m": {}}


def run(message: str, base: dict[str, Any] = CLIP, language: str = "en") -> tuple[Any, Draft]:
    draft = Draft.from_json(copy.deepcopy(base))
    result = interpret(message, draft, language=language)
    return result, apply_all(draft, result.edits)


def video(d: Draft) -> list[tuple[int, int]]:
    return [(s.source_in, s.source_in + s.duration) for t in d.tracks_of(VIDEO) for s in t.segments]


def music(d: Draft):  # type: ignore[no-untyped-def]
    return next(s for t in d.tracks_of(AUDIO) for s in t.segments)


def test_cut_removes_the_stretch_and_keep_keeps_it() -> None:
    assert video(run("cut 0:02 to 0:05")[1]) == [(0, 2000), (5000, 10000)]
    assert video(run("keep only 2 to 6")[1]) == [(2000, 6000)]
    assert video(run("get rid of the last 5 seconds")[1]) == [(0, 5000)]


def test_a_range_outside_the_clip_is_answered_not_guessed() -> None:
    result, after = run("cut 0:20 to 0:30")
    assert not result.edits and "10 s" in " ".join(result.replies)
    assert video(after) == [(0, 10000)]


def test_durations_belong_to_what_they_qualify() -> None:
    _, after = run("fade out over 3 s", MUSIC)
    assert music(after).fade_out == 3000 and after.end == 10000
    _, after = run('a 2 second title "hello" at the start')
    assert video(after) == [(0, 10000)]
    title = next(s for t in after.tracks_of(TEXT) for s in t.segments)
    assert (title.start, title.end) == (0, 2000)


def test_mute_is_volume_zero_and_stays_zero() -> None:
    _, after = run("mute the music", MUSIC)
    assert music(after).volume == 0
    assert Draft.from_json(after.to_json()).tracks[1].segments[0].volume == 0  # kept as 0 through JSON


def test_cut_to_the_beat_keeps_the_music() -> None:
    result, after = run("cut to the beat", MUSIC)
    assert after.tracks_of(AUDIO) and not result.edits


def test_clock_time_is_not_an_aspect_ratio() -> None:
    _, after = run("music only from 0:05", MUSIC)
    assert music(after).start == 5000 and "width" not in after.meta


def test_a_question_changes_nothing() -> None:
    result, after = run("how do I use my own song?", MUSIC)
    assert not result.edits and after.to_json() == Draft.from_json(copy.deepcopy(MUSIC)).to_json()
    assert "upload" in " ".join(result.replies).lower()


def test_highlight_reel_is_a_video_not_reels() -> None:
    _, after = run("add music to my highlight reel")
    assert after.tracks_of(AUDIO) and "width" not in after.meta


def test_correcting_a_title_edits_it() -> None:
    _, after = run("typo - it should say Summer 2025", TITLED)
    titles = [s for t in after.tracks_of(TEXT) for s in t.segments]
    assert [s.text for s in titles] == ["Summer 2025"]


def test_louder_and_quieter_step() -> None:
    assert music(run("louder", MUSIC)[1]).volume == 45
    assert music(run("quieter", MUSIC)[1]).volume == 20
    assert music(run("music is too loud, turn it down", MUSIC)[1]).volume == 20  # one step per message


def test_not_understood_is_quoted_and_unchanged() -> None:
    result, after = run("stabilize the footage")
    assert result.unmatched == ["stabilize the footage"] and not result.edits


def test_partly_understood_applies_the_safe_part() -> None:
    result, after = run("add music. also add subtitles from speech")
    assert after.tracks_of(AUDIO) and result.unmatched == ["add subtitles from speech"]


def test_chinese_in_chinese_out() -> None:
    result, after = run("剪掉前三秒", language="zh")
    assert video(after) == [(3000, 10000)] and "剪" in result.edits[0].reply


def test_genre_with_only_a_closest_style_says_so() -> None:
    result, after = run("add reggaeton")
    assert music(after).extra["style"] == "upbeat" and "closest" in result.edits[0].reply
