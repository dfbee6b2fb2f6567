"""Several clips on the interpreter directly (the reel corpus covers the phrasings over HTTP): which
clip a phrase means, refusals that change nothing, the crossfade overlap, and music and titles kept
in step with a reel edit."""

from __future__ import annotations

import copy
from typing import Any

from addmusic.engine.interpreter import apply_all, interpret
from addmusic.engine.interpreter.clipref import catalogue, only_names, resolve
from addmusic.engine.interpreter.reelops import lay_out
from addmusic.engine.interpreter.reeltalk import pick_clips
from addmusic.protocol.draft import AUDIO, TEXT, VIDEO, Draft

INFOS = [
    {"media_id": "beach", "filename": "beach.mp4", "kind": "video", "duration": 10.0, "width": 1920, "height": 1080,
     "has_audio": True},
    {"media_id": "city", "filename": "City Walk.MOV", "kind": "video", "duration": 6.0, "width": 1080, "height": 1920,
     "has_audio": True},
    {"media_id": "drone", "filename": "drone.mp4", "kind": "video", "duration": 15.0, "width": 1920, "height": 1080,
     "has_audio": False},
    {"media_id": "song", "filename": "summer.mp3", "kind": "audio", "duration": 44.0},
]
REEL = {"t": [{"tt": 0, "sg": [{"id": "v1", "src": "beach", "st": 0, "d": 10000},
                               {"id": "v2", "src": "city", "st": 10000, "d": 6000},
                               {"id": "v3", "src": "drone", "st": 16000, "d": 15000}]}], "d": 31000, "m": {}}
SCORED = {"t": [*REEL["t"],
                {"tt": 1, "sg": [{"id": "m1", "src": "gen_1", "st": 0, "d": 31000, "v": 30, "style": "lofi",
                                  "fo": 2000}]},
                {"tt": 7, "sg": [{"id": "t1", "tx": "Hello", "st": 0, "d": 3000},
                                 {"id": "t2", "tx": "Bye", "st": 28000, "d": 3000},
                                 {"id": "t3", "tx": "Drone!", "st": 20000, "d": 2000}]}], "d": 31000, "m": {}}


def run(message: str, base: dict[str, Any] = REEL, language: str = "en", infos: list[dict[str, Any]] = INFOS):  # type: ignore[no-untyped-def]
    draft = Draft.from_json(copy.deepcopy(base))
    result = interpret(message, draft, language=language, sources=infos)
    return result, apply_all(draft, result.edits)


def clips(d: Draft) -> list[str]:
    return [s.src for t in d.tracks_of(VIDEO) for s in sorted(t.segments, key=lambda s: s.start)]


def ref(phrase: str, base: dict[str, Any] = REEL) -> tuple[list[str], str] | None:
    found = resolve(phrase, catalogue(Draft.from_json(base), INFOS))
    return None if found is None else ([c.media_id for c in found.clips], found.problem)


def test_references_by_position_name_and_property() -> None:
    assert ref("the second clip") == (["city"], "")
    assert ref("clip 3") == (["drone"], "")
    assert ref("the last one") == (["drone"], "")
    assert ref("第2个") == (["city"], "")
    assert ref("最后个") == (["drone"], "")
    assert ref("city walk") == (["city"], "")  # the name with a space, extension left off
    assert ref("City Walk.mov") == (["city"], "")
    assert ref("the drnoe clip") == (["drone"], "")  # a slip in the name
    assert ref("the vertical one") == (["city"], "")
    assert ref("the silent one") == (["drone"], "")
    assert ref("the clip with no sound") == (["drone"], "")
    assert ref("the longest") == (["drone"], "")
    assert ref("the shortest clip") == (["city"], "")
    assert ref("无人机那个") == (["drone"], "")
    assert ref("the 6s clip") == (["city"], "")


def test_an_audio_upload_is_not_a_clip() -> None:
    assert [c.media_id for c in catalogue(Draft.from_json(REEL), INFOS)] == ["beach", "city", "drone"]


def test_ambiguous_and_unknown_references_are_reported_not_guessed() -> None:
    assert ref("the landscape one") == (["beach", "drone"], "ambiguous")
    assert ref("the forest clip") == ([], "unknown")
    assert ref("clip 7") == ([], "range")
    assert ref("the photo") == ([], "unknown")


def test_phrases_about_other_things_are_not_clip_references() -> None:
    for phrase in ("the first 3s", "the music", "the first title", "the audio of the second clip", "the last 2",
                   "the end", "the first part", "it"):
        assert ref(phrase) is None, phrase


def test_pick_clips_names_every_clip_once_or_refuses_with_the_listing() -> None:
    cat = catalogue(Draft.from_json(REEL), INFOS)
    refused, picked = pick_clips("beach, the 3rd clip and beach.mp4", cat, "drop_clips", "en")
    assert refused is None and [x.media_id for x in picked] == ["beach", "drone"]
    assert pick_clips("the music", cat, "drop_clips", "en") == (None, [])  # not about clips: other rules read it
    for phrase, said in (("beach and the forest clip", "couldn't find a clip matching “the forest clip”"),
                         ("the landscape one", "could be beach.mp4 or drone.mp4"), ("clip 7", "only 3 clips")):
        refused, picked = pick_clips(phrase, cat, "drop_clips", "en")
        assert picked == [] and refused is not None and refused.tool == "drop_clips" and refused.edit is None
        note = refused.note or ""
        assert said in note and (phrase == "the landscape one" or "City Walk.MOV" in note), note


def test_only_names_accepts_a_bare_list_item_and_nothing_more() -> None:
    cat = catalogue(Draft.from_json(REEL), INFOS)
    assert only_names("drone", cat) and only_names("the vertical one", cat) and only_names("城市那个", cat)
    assert not only_names("make it vertical", cat) and not only_names("add music", cat)


def test_a_refused_reference_changes_nothing_and_names_the_clips() -> None:
    for message in ("use only the landscape one", "drop the forest clip", "remove clip 5", "put the photo first",
                    "删掉森林那个片段"):
        result, after = run(message, language="zh" if "删" in message else "en")
        assert not result.edits, message
        assert clips(after) == ["beach", "city", "drone"]
        reply = " ".join(result.replies)
        assert "beach.mp4" in reply or "photo" in reply or "3" in reply, (message, reply)


def test_select_drop_and_order() -> None:
    assert clips(run("use only the second clip")[1]) == ["city"]
    assert clips(run("drop the vertical one")[1]) == ["beach", "drone"]
    assert clips(run("use only beach and drone")[1]) == ["beach", "drone"]
    assert clips(run("put drone first")[1]) == ["drone", "beach", "city"]
    assert clips(run("swap the first two")[1]) == ["city", "beach", "drone"]
    assert clips(run("reverse the order")[1]) == ["drone", "city", "beach"]
    assert clips(run("order: drone, beach, city")[1]) == ["drone", "beach", "city"]
    assert clips(run("把海滩放最后", language="zh")[1]) == ["city", "drone", "beach"]


def test_no_picture_left_is_refused() -> None:
    result, after = run("delete all the clips")
    assert not result.edits and "no picture" in " ".join(result.replies)
    assert clips(after) == ["beach", "city", "drone"]


def test_use_all_clips_restores_full_lengths_in_upload_order() -> None:
    _, after = run("drop city")
    _, after = run("put drone first", after.to_json())
    _, after = run("cut the first 2 seconds", after.to_json())
    result, restored = run("use all clips", after.to_json())
    assert result.edits
    segs = sorted((s for t in restored.tracks_of(VIDEO) for s in t.segments), key=lambda s: s.start)
    assert [(s.src, s.source_in, s.duration) for s in segs] == [("beach", 0, 10000), ("city", 0, 6000),
                                                                ("drone", 0, 15000)]
    assert restored.end == 31000


def test_crossfade_overlaps_each_clip_boundary_and_is_clamped() -> None:
    result, after = run("half-second crossfades")
    segs = sorted((s for t in after.tracks_of(VIDEO) for s in t.segments), key=lambda s: s.start)
    assert after.meta["xf"] == 500
    assert [s.start for s in segs] == [0, 9500, 15000]
    assert after.end == 30000 and after.duration == 30000
    result, after = run("5 second transitions")
    assert after.meta["xf"] == 2000 and "outside" in result.edits[0].reply
    result, after = run("no transitions", after.to_json())
    assert "xf" not in after.meta and after.end == 31000


def test_overlap_never_exceeds_half_a_clip_and_pieces_of_one_clip_do_not_overlap() -> None:
    d = Draft.from_json({"t": [{"tt": 0, "sg": [{"id": "a", "src": "beach", "d": 1000},
                                                {"id": "b", "src": "city", "d": 4000},
                                                {"id": "c", "src": "city", "in": 5000, "d": 1000}]}],
                         "m": {"xf": 2000}})
    lay_out(d)
    assert [s.start for s in d.tracks[0].segments] == [0, 500, 4500]


def test_music_and_titles_follow_a_reel_edit() -> None:
    result, after = run("drop the drone clip", SCORED)
    music = next(s for t in after.tracks_of(AUDIO) for s in t.segments)
    titles = {s.text: (s.start, s.end) for t in after.tracks_of(TEXT) for s in t.segments}
    assert after.end == 16000 and (music.start, music.end) == (0, 16000) and music.waveform is None
    assert music.fade_out == 2000
    assert titles == {"Hello": (0, 3000), "Bye": (13000, 16000)}  # the closing title still closes it
    reply = result.edits[0].reply
    assert "16 s" in reply and "Drone!" in reply  # the title past the new end is said to be gone


def test_a_cut_on_a_crossfaded_reel_keeps_the_overlaps() -> None:
    _, after = run("with crossfades")
    _, cut = run("cut the first 2 seconds", after.to_json())
    segs = sorted((s for t in cut.tracks_of(VIDEO) for s in t.segments), key=lambda s: s.start)
    assert [(s.src, s.start, s.duration) for s in segs] == [("beach", 0, 8000), ("city", 7500, 6000),
                                                            ("drone", 13000, 15000)]
    assert cut.end == 28000


def test_a_new_first_clip_of_another_shape_is_said() -> None:
    result, after = run("put city first")
    assert "width" not in after.meta  # no canvas set: the output is the first clip's size (docs/API.md)
    assert "1080x1920" in result.edits[0].reply
    result, after = run("put drone first")
    assert "1080x1920" not in result.edits[0].reply and "follows" not in result.edits[0].reply


def test_photos_length_and_zoom() -> None:
    infos = [INFOS[0], {"media_id": "sun", "filename": "sunset.jpg", "kind": "image", "duration": 0, "width": 1600,
                        "height": 1200, "has_audio": False}]
    base = {"t": [{"tt": 0, "sg": [{"id": "v1", "src": "beach", "st": 0, "d": 10000},
                                   {"id": "v2", "src": "sun", "st": 10000, "d": 3000}]}], "d": 13000, "m": {}}
    _, after = run("show the photo for 5 seconds", base, infos=infos)
    photo = next(s for t in after.tracks_of(VIDEO) for s in t.segments if s.src == "sun")
    assert photo.duration == 5000 and after.end == 15000
    _, after = run("slow zoom on the photo", base, infos=infos)
    assert next(s for t in after.tracks_of(VIDEO) for s in t.segments if s.src == "sun").extra.get("zoom") is True
    result, after = run("slow zoom on the beach clip", base, infos=infos)
    assert not result.edits and "photo" in " ".join(result.replies)
    result, after = run("show the photo for 90 seconds", base, infos=infos)
    assert not result.edits and after.end == 13000


def test_one_clip_sessions_are_left_to_the_other_families() -> None:
    one = {"t": [{"tt": 0, "sg": [{"id": "v1", "src": "beach", "st": 0, "d": 10000}]}], "d": 10000, "m": {}}
    result, after = run("add crossfades", one, infos=INFOS[:1])
    assert not result.edits and "only one clip" in " ".join(result.replies)
    result, after = run("just the original sound", one, infos=INFOS[:1])
    assert all(e.tool != "select_clips" for e in result.edits)
