"""The corpus checker itself: it must catch an edit nobody asked for, a missing edit, and a reply
in the wrong language — otherwise a green corpus would prove nothing."""

from __future__ import annotations

from .flat import Case, check, flat

CLIP = {"t": [{"tt": 0, "sg": [{"id": "v", "src": "a", "st": 0, "d": 10000}]}], "d": 10000, "m": {}}
MUSIC = {"t": [*CLIP["t"], {"tt": 1, "sg": [{"id": "m", "src": "gen_1", "st": 0, "d": 10000, "v": 30, "style": "lofi",
                                            "seed": 7}]}], "d": 10000, "m": {}}
SOURCES = [{"kind": "video", "width": 1920, "height": 1080}]


def case(expect: dict[str, str], *, unchanged: bool = False, lang: str = "en") -> Case:
    return Case(lang, "f", "clip10", ["m"], expect, unchanged, [], 1)


def test_flat_view() -> None:
    view = flat(MUSIC, SOURCES)
    assert (view["video"], view["length"], view["music.volume"], view["canvas"], view["fill"]) == (
        "0-10", "10", "30", "1920x1080", "blur")


def test_unlisted_change_is_a_wrong_edit() -> None:
    before, after = flat(MUSIC, SOURCES), flat({**MUSIC, "m": {"width": 1080, "height": 1920}}, SOURCES)
    verdict = check(case({"music.volume": "30"}), before, after, "ok")
    assert not verdict.passed and verdict.wrong_edit


def test_unchanged_fails_on_any_change_and_missing_edits_fail_without_being_wrong() -> None:
    before, after = flat(CLIP, SOURCES), flat(MUSIC, SOURCES)
    assert check(case({}, unchanged=True), before, after, "").wrong_edit
    missed = check(case({"music": "yes"}), before, before, "")
    assert not missed.passed and not missed.wrong_edit


def test_created_music_may_take_any_unlisted_values_and_new_seed_is_music_new() -> None:
    before, after = flat(CLIP, SOURCES), flat(MUSIC, SOURCES)
    assert check(case({"music": "yes"}), before, after, "").passed
    reseeded = {**MUSIC, "t": [MUSIC["t"][0], {"tt": 1, "sg": [{**MUSIC["t"][1]["sg"][0], "seed": 8}]}]}
    assert check(case({"music.new": "yes"}), flat(MUSIC, SOURCES), flat(reseeded, SOURCES), "").passed
    assert not check(case({"music.new": "yes"}), flat(MUSIC, SOURCES), flat(MUSIC, SOURCES), "").passed


def test_chinese_cases_need_a_chinese_reply() -> None:
    view = flat(CLIP, SOURCES)
    assert not check(case({}, unchanged=True, lang="zh"), view, view, "Okay").passed
    assert check(case({}, unchanged=True, lang="zh"), view, view, "好的").passed
