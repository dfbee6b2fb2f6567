"""The interpreter, driven by tables of real phrasings per intent in English and Chinese.

Every case runs `interpret` on a fixture draft, replays the edits with `apply_all` and asserts
both the extracted slots (the functionCall args) and the resulting draft. The composer module is
hidden so style mapping comes from the interpreter's own fallback: these tests must not change
when `addmusic.engine.music` changes its mood table.
"""

from __future__ import annotations

import copy
import re
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

from addmusic.engine import agent
from addmusic.engine.agent import Edit, Interpretation, apply_all, interpret
from addmusic.protocol.draft import AUDIO, TEXT, VIDEO, Draft, Segment

VIDEO_SEG = {"id": "v1", "n": "beach.mp4", "src": "abc", "st": 0, "d": 10000}
PLAIN: dict[str, Any] = {"t": [{"tt": 0, "sg": [VIDEO_SEG]}], "d": 10000, "m": {"title": "beach"}}
MUSIC_SEG = {"id": "bgm_1", "n": "Lo-fi", "src": "gen_000000000001", "st": 0, "d": 10000, "v": 35, "fi": 1000,
             "fo": 2000, "duck": True, "style": "lofi", "mood": None, "seed": 1}
WITH_MUSIC: dict[str, Any] = {"t": [{"tt": 0, "sg": [VIDEO_SEG]}, {"tt": 1, "sg": [MUSIC_SEG]}], "d": 10000, "m": {}}
TITLE_SEG = {"id": "t1", "tx": "Hello", "st": 0, "d": 3000, "pos": "center"}
WITH_TITLE: dict[str, Any] = {"t": [{"tt": 0, "sg": [VIDEO_SEG]}, {"tt": 7, "sg": [TITLE_SEG]}], "d": 10000, "m": {}}
EMPTY: dict[str, Any] = {"t": [], "d": 0, "m": {}}
NO_MUSIC_REPLY = "There is no music yet — say 'add background music' first."


@pytest.fixture(autouse=True)
def no_composer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide `addmusic.engine.music` (a None entry makes the import fail) so the fallback maps styles."""
    monkeypatch.setitem(sys.modules, "addmusic.engine.music", None)


def run(message: str, base: dict[str, Any] = PLAIN, language: str = "en") -> tuple[Interpretation, Draft]:
    draft = Draft.from_json(copy.deepcopy(base))
    interp = interpret(message, draft, language=language)
    return interp, apply_all(draft, interp.edits)


def tools(interp: Interpretation) -> list[str]:
    return [e.tool for e in interp.edits]


def music(draft: Draft) -> Segment:
    segs = [s for t in draft.tracks_of(AUDIO) for s in t.segments]
    assert len(segs) == 1, draft.summary()
    return segs[0]


def titles(draft: Draft) -> list[Segment]:
    return [s for t in draft.tracks_of(TEXT) for s in t.segments]


def video(draft: Draft) -> Segment:
    return draft.tracks_of(VIDEO)[0].segments[0]


# ---------------------------------------------------------------------------------------------
# 1. Add background music: (message, mood, style, volume)
# ---------------------------------------------------------------------------------------------

ADD_MUSIC = [
    ("add background music", None, "lofi", 35),
    ("add some upbeat music", "upbeat", "upbeat", 35),
    ("put lofi music under it", "lofi", "lofi", 35),
    ("add bgm", None, "lofi", 35),
    ("music please", None, "lofi", 35),
    ("add background music to my best moments video", None, "lofi", 35),
    ("add epic music at 30%", "epic", "cinematic", 30),
    ("add lo-fi music at 30%", "lo-fi", "lofi", 30),
    ("Add some chill background music", "chill", "chill", 35),
    ("please add calm and relaxing music", "calm and relaxing", "chill", 35),
    ("can you add some happy music quietly?", "happy", "upbeat", 20),
    ("add loud electronic music", "electronic", "electronic", 80),
    ("add an acoustic guitar track at 25 percent", "acoustic guitar", "acoustic", 25),
    ("add music at thirty percent", None, "lofi", 30),
    ("add music at 40 per cent", None, "lofi", 40),
    ("add background music at twenty-five percent volume", None, "lofi", 25),
    ("add dramatic music with 45% volume", "dramatic", "cinematic", 45),
    ("I want some jazzy music", "jazzy", "lofi", 35),
    ("give it some energetic music", "energetic", "electronic", 35),
    ("upbeat music please", "upbeat", "upbeat", 35),
    ("lofi beats", "lofi", "lofi", 35),
    ("add a soundtrack", None, "lofi", 35),
    ("add music that sounds cinematic", "cinematic", "cinematic", 35),
    ("add music with a chill vibe", "chill", "chill", 35),
    ("add music at 30% volume", None, "lofi", 30),
    ("add piano music", "piano", "acoustic", 35),
    ("add rock music", "rock", "upbeat", 35),
    ("add techno beats at 60%", "techno", "electronic", 60),
    ("add some nice background music", None, "lofi", 35),
    ("ADD BACKGROUND MUSIC", None, "lofi", 35),
    ("add ｍｕｓｉｃ ａｔ ３０％", None, "lofi", 30),
    ("add a song at 15 %", None, "lofi", 15),
    ("let's add some dreamy music", "dreamy", "chill", 35),
    ("could you put some happy, upbeat music on it", "happy upbeat", "upbeat", 35),
    ("add music softly", None, "lofi", 20),
    ("加背景音乐", None, "lofi", 35),
    ("配上欢快的音乐", "欢快", "upbeat", 35),
    ("加一段轻松的背景音乐", "轻松", "chill", 35),
    ("来点电子音乐", "电子", "electronic", 35),
    ("我想要欢快的音乐", "欢快", "upbeat", 35),
    ("给视频配个音乐", None, "lofi", 35),
    ("添加史诗感的配乐", "史诗感", "cinematic", 35),
    ("加上吉他音乐", "吉他", "acoustic", 35),
    ("加一首安静的歌", "安静", "chill", 35),
    ("请帮我加个背景音乐", None, "lofi", 35),
    ("加背景音乐音量百分之三十", None, "lofi", 30),
    ("背景音乐", None, "lofi", 35),
    ("放一首动感的音乐", "动感", "electronic", 35),
    ("加点小声的背景音乐", None, "lofi", 20),
]


@pytest.mark.parametrize(("message", "mood", "style", "volume"), ADD_MUSIC)
def test_add_background_music(message: str, mood: str | None, style: str, volume: int) -> None:
    interp, draft = run(message)
    assert tools(interp) == ["add_background_music"], (interp.unmatched, interp.replies)
    assert not interp.unmatched
    args = interp.edits[0].args
    assert (args["mood"], args["style"], args["volume"]) == (mood, style, volume)
    seg = music(draft)
    assert (seg.start, seg.duration, seg.volume) == (0, 10000, volume)
    assert re.fullmatch(r"gen_[0-9a-f]{12}", seg.src)
    assert seg.extra["style"] == style and seg.extra["mood"] == mood and isinstance(seg.extra["seed"], int)
    assert seg.label == agent._FALLBACK_LABELS[style]
    assert (seg.fade_in, seg.fade_out, seg.duck) == (1000, 2000, True)
    assert [t.type for t in draft.tracks] == [VIDEO, AUDIO]


ADD_MUSIC_SLOTS = [
    ("add music with a 3 second fade in", 3000, 2000, True),
    ("add music with a four second fade-out", 1000, 4000, True),
    ("add music with no fades", 0, 0, True),
    ("add music without fading", 0, 0, True),
    ("add music without ducking", 1000, 2000, False),
    ("add music but don't duck it", 1000, 2000, False),
    ("add music that ducks under speech", 1000, 2000, True),
    ("加背景音乐，不要避让", 1000, 2000, False),
]


@pytest.mark.parametrize(("message", "fade_in", "fade_out", "duck"), ADD_MUSIC_SLOTS)
def test_add_music_fade_and_duck_slots(message: str, fade_in: int, fade_out: int, duck: bool) -> None:
    interp, draft = run(message)
    assert tools(interp)[0] == "add_background_music" and not interp.unmatched
    seg = music(draft)
    assert (seg.fade_in, seg.fade_out, seg.duck) == (fade_in, fade_out, duck)


def test_add_music_reply_sentence_and_default_volume() -> None:
    interp, _ = run("add lo-fi music at 30%")
    assert interp.edits[0].reply == "Added Lo-fi background music at 30% (0-10s)."
    interp, draft = run("add background music")
    assert interp.edits[0].reply == "Added Lo-fi background music at 35% (0-10s)."
    assert draft.summary() == "Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 35%)"


def test_add_music_spans_the_whole_timeline_and_replaces_existing_music() -> None:
    base = copy.deepcopy(WITH_MUSIC)
    base["t"][0]["sg"].append({"id": "v2", "n": "b.mp4", "src": "def", "st": 10000, "d": 6500})
    base["d"] = 16500
    interp, draft = run("add upbeat music", base)
    seg = music(draft)
    assert (seg.start, seg.duration, seg.extra["style"]) == (0, 16500, "upbeat")
    assert seg.src != MUSIC_SEG["src"]
    assert interp.edits[0].reply == "Replaced the music with Upbeat background music at 35% (0-16.5s)."


def test_add_music_without_a_video_asks_for_a_clip() -> None:
    interp, draft = run("add background music", EMPTY)
    assert interp.edits == [] and not interp.unmatched
    assert interp.replies[0].startswith("Upload a clip first")
    assert draft.tracks == []


def test_each_added_track_gets_a_fresh_id_and_seed() -> None:
    first, _ = run("add music")
    second, _ = run("add music")
    a, b = first.edits[0], second.edits[0]
    draft = Draft.from_json(copy.deepcopy(PLAIN))
    assert music(a.apply(draft)).src != music(b.apply(draft)).src
    assert music(a.apply(draft)).src == music(a.apply(draft)).src  # one edit, one id: replays agree


def test_the_composer_module_maps_styles_when_it_is_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("addmusic.engine.music")
    fake.style_for = lambda mood: "jazz" if mood and "jazz" in mood else "lofi"  # type: ignore[attr-defined]
    fake.style_label = lambda style: {"jazz": "Jazz trio", "lofi": "Lo-fi"}[style]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "addmusic.engine.music", fake)
    interp, draft = run("add some jazz music")
    assert interp.edits[0].args["style"] == "jazz"
    assert (music(draft).label, music(draft).extra["style"]) == ("Jazz trio", "jazz")


def test_a_broken_composer_module_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("addmusic.engine.music")

    def boom(mood: str) -> str:
        raise RuntimeError("half-written")

    fake.style_for = boom  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "addmusic.engine.music", fake)
    interp, draft = run("add epic music")
    assert music(draft).extra["style"] == "cinematic" and music(draft).label == "Cinematic"


def test_an_unknown_mood_is_passed_through_and_named_in_the_reply() -> None:
    interp, draft = run("add some polka music")
    assert interp.edits[0].args["mood"] == "polka"
    assert music(draft).extra["mood"] == "polka"
    assert '(the closest style to "polka")' in interp.edits[0].reply


# ---------------------------------------------------------------------------------------------
# 1b. Change the style of existing music: (message, mood, style); None mood = a new take.
# ---------------------------------------------------------------------------------------------

CHANGE_STYLE = [
    ("change the music to jazz", "jazz", "lofi"),
    ("use something calmer", "calmer", "chill"),
    ("switch to something more upbeat", "upbeat", "upbeat"),
    ("change the music to something epic", "epic", "cinematic"),
    ("swap the song for an upbeat one", "upbeat", "upbeat"),
    ("replace the music with electronic", "electronic", "electronic"),
    ("change the style to acoustic", "acoustic", "acoustic"),
    ("make the music more cinematic", "cinematic", "cinematic"),
    ("something happier", "happier", "upbeat"),
    ("make it epic", "epic", "cinematic"),
    ("try something chill instead", "chill", "chill"),
    ("switch the music to lofi", "lofi", "lofi"),
    ("换成欢快的音乐", "欢快", "upbeat"),
    ("音乐换成爵士", "爵士", "lofi"),
    ("音乐欢快一点", "欢快", "upbeat"),
    ("换成轻松的风格", "轻松", "chill"),
    ("背景音乐改成电子风格", "电子", "electronic"),
    ("try a different song", None, "lofi"),
    ("another one", None, "lofi"),
    ("换一首", None, "lofi"),
    ("换首歌", None, "lofi"),
    ("regenerate the music", None, "lofi"),
    ("give me a different track", None, "lofi"),
]


@pytest.mark.parametrize(("message", "mood", "style"), CHANGE_STYLE)
def test_change_music_style_keeps_volume_and_fades(message: str, mood: str | None, style: str) -> None:
    interp, draft = run(message, WITH_MUSIC)
    assert tools(interp) == ["change_music_style"], (interp.unmatched, interp.replies)
    assert interp.edits[0].args == {"mood": mood, "style": style}
    seg = music(draft)
    assert seg.src != MUSIC_SEG["src"] and re.fullmatch(r"gen_[0-9a-f]{12}", seg.src)
    assert (seg.volume, seg.fade_in, seg.fade_out, seg.duck, seg.id) == (35, 1000, 2000, True, "bgm_1")
    assert seg.extra["style"] == style and seg.label == agent._FALLBACK_LABELS[style]


def test_changing_style_with_no_music_adds_it() -> None:
    interp, draft = run("change the music to something epic")
    assert tools(interp) == ["add_background_music"]
    assert music(draft).extra["style"] == "cinematic"


def test_a_new_take_with_no_music_says_so() -> None:
    interp, _ = run("try a different song")
    assert interp.edits == [] and interp.replies == [NO_MUSIC_REPLY]


# ---------------------------------------------------------------------------------------------
# 2. Music volume: (message, args, resulting volume) on music at 35%.
# ---------------------------------------------------------------------------------------------

VOLUME = [
    ("lower the music to 20%", {"volume": 20}, 20),
    ("music volume 50%", {"volume": 50}, 50),
    ("set the volume to 80 percent", {"volume": 80}, 80),
    ("make the music quieter", {"delta": -15}, 20),
    ("louder", {"delta": 15}, 50),
    ("make it louder", {"delta": 15}, 50),
    ("turn it down", {"delta": -15}, 20),
    ("turn the music up a bit", {"delta": 15}, 50),
    ("reduce the music by 10%", {"delta": -10}, 25),
    ("raise the music by 20 percent", {"delta": 20}, 55),
    ("mute the music", {"volume": 0}, 0),
    ("music at 20%", {"volume": 20}, 20),
    ("the music is too loud", {"delta": -15}, 20),
    ("the music is too quiet", {"delta": 15}, 50),
    ("I can't hear the music", {"delta": 15}, 50),
    ("set the music volume to twenty percent", {"volume": 20}, 20),
    ("bring the music down to 15%", {"volume": 15}, 15),
    ("music to 60%", {"volume": 60}, 60),
    ("volume 45", {"volume": 45}, 45),
    ("set bgm volume to 70", {"volume": 70}, 70),
    ("half volume", {"volume": 50}, 50),
    ("full volume", {"volume": 100}, 100),
    ("a bit quieter please", {"delta": -15}, 20),
    ("softer", {"delta": -15}, 20),
    ("make the music quiet", {"volume": 20}, 20),
    ("lower the volume", {"delta": -15}, 20),
    ("increase the volume", {"delta": 15}, 50),
    ("turn the music down to ten percent", {"volume": 10}, 10),
    ("quietly", {"volume": 20}, 20),
    ("音乐音量调到30%", {"volume": 30}, 30),
    ("背景音乐小一点", {"delta": -15}, 20),
    ("音乐太大声了", {"delta": -15}, 20),
    ("音量调到百分之五十", {"volume": 50}, 50),
    ("把音乐调小", {"delta": -15}, 20),
    ("音乐大声点", {"delta": 15}, 50),
    ("音乐声音小一点", {"delta": -15}, 20),
    ("音量调低", {"delta": -15}, 20),
    ("音量调高10%", {"delta": 10}, 45),
    ("音量三成", {"volume": 30}, 30),
    ("背景音乐音量设为20", {"volume": 20}, 20),
    ("音乐太小声了", {"delta": 15}, 50),
    ("set music to 10 percent", {"volume": 10}, 10),
    ("music up", {"delta": 15}, 50),
    ("crank it up", {"delta": 15}, 50),
    ("bring the music down", {"delta": -15}, 20),
]


@pytest.mark.parametrize(("message", "args", "volume"), VOLUME)
def test_set_music_volume(message: str, args: dict[str, int], volume: int) -> None:
    interp, draft = run(message, WITH_MUSIC)
    assert tools(interp) == ["set_music_volume"], (interp.unmatched, interp.replies)
    assert interp.edits[0].args == args
    assert music(draft).volume == volume
    assert interp.edits[0].reply.endswith(f"{volume}%.")


@pytest.mark.parametrize(("start", "message", "expected"), [
    (10, "quieter", 5), (5, "make it quieter", 5), (3, "quieter", 3), (95, "louder", 100), (100, "louder", 100),
])
def test_relative_volume_is_clamped(start: int, message: str, expected: int) -> None:
    base = copy.deepcopy(WITH_MUSIC)
    base["t"][1]["sg"][0]["v"] = start
    _, draft = run(message, base)
    assert music(draft).volume == expected


@pytest.mark.parametrize("message", ["lower the music to 20%", "make the music quieter", "背景音乐小一点", "louder"])
def test_volume_without_music_says_so(message: str) -> None:
    interp, draft = run(message)
    assert interp.edits == [] and interp.replies == [NO_MUSIC_REPLY] and not interp.unmatched
    assert draft.tracks_of(AUDIO) == []


def test_volume_reply_sentences() -> None:
    assert run("lower the music to 20%", WITH_MUSIC)[0].edits[0].reply == "Set the music volume to 20%."
    assert run("quieter", WITH_MUSIC)[0].edits[0].reply == "Lowered the music to 20%."
    assert run("louder", WITH_MUSIC)[0].edits[0].reply == "Raised the music to 50%."


# ---------------------------------------------------------------------------------------------
# 3. Remove music.
# ---------------------------------------------------------------------------------------------

REMOVE_MUSIC = [
    "remove the music", "no music", "delete the bgm", "get rid of the music", "take out the background music",
    "drop the soundtrack", "I don't want music", "without music", "music off", "turn off the music",
    "stop the music", "remove the song", "kill the music", "no more music please", "Remove the background music.",
    "去掉音乐", "删除背景音乐", "把音乐去掉", "不要音乐", "不要背景音乐", "删掉bgm", "关掉音乐", "移除配乐",
    "取消背景音乐", "把背景音乐删了",
]


@pytest.mark.parametrize("message", REMOVE_MUSIC)
def test_remove_music(message: str) -> None:
    interp, draft = run(message, WITH_MUSIC)
    assert tools(interp) == ["remove_music"], (interp.unmatched, interp.replies)
    assert interp.edits[0].args == {} and interp.edits[0].reply == "Removed the background music."
    assert draft.tracks_of(AUDIO) == []
    assert draft.summary() == "Timeline (1 track): 1. Video: beach.mp4 (0-10s)"


def test_remove_music_when_there_is_none() -> None:
    interp, _ = run("remove the music")
    assert interp.edits == [] and interp.replies == ["There is no music to remove."]


# ---------------------------------------------------------------------------------------------
# 4. Titles: (message, text, start, stop, position).
# ---------------------------------------------------------------------------------------------

ADD_TITLE = [
    ('add a title "Summer 2024" for 3 seconds', "Summer 2024", 0, 3000, "center"),
    ("title 'Urban Dreams'", "Urban Dreams", 0, 3000, "center"),
    ('put the text "GOAL!" at the bottom from 5s to 8s', "GOAL!", 5000, 8000, "bottom"),
    ("加标题“夏日回忆”5秒", "夏日回忆", 0, 5000, "center"),
    ('add a title "It\'s 100%: done, and dusted" at the top', "It's 100%: done, and dusted", 0, 3000, "top"),
    ("add the title “Don't stop: 100% fun” at the bottom", "Don't stop: 100% fun", 0, 3000, "bottom"),
    ("put 「你好」 at the top", "你好", 0, 3000, "top"),
    ("在底部加字幕「加油」", "加油", 0, 3000, "bottom"),
    ("加标题《夏日》从5秒到8秒", "夏日", 5000, 8000, "center"),
    ('add a title "End" at the end', "End", 7000, 10000, "center"),
    ('add a title "Hello" for the whole video', "Hello", 0, 10000, "center"),
    ("add a title 'Late' at 9 seconds for 3 seconds", "Late", 9000, 10000, "center"),
    ('add a title "Intro" for the first 4 seconds', "Intro", 0, 4000, "center"),
    ('add a title "Outro" for the last 4 seconds', "Outro", 6000, 10000, "center"),
    ('add title "Yo" from two to five seconds', "Yo", 2000, 5000, "center"),
    ('add a title "A" between 2 and 4 seconds', "A", 2000, 4000, "center"),
    ('add a title "x" for 2.5 seconds', "x", 0, 2500, "center"),
    ('add a title "x" for two and a half seconds', "x", 0, 2500, "center"),
    ("add a title saying Rock and Roll for 3 seconds", "Rock and Roll", 0, 3000, "center"),
    ("title: Summer Vibes", "Summer Vibes", 0, 3000, "center"),
    ('add a caption "see you" at the bottom', "see you", 0, 3000, "bottom"),
    ('add a title "Far" at 20 seconds', "Far", 7000, 10000, "center"),
    ('add a title "Long" for 30 seconds', "Long", 0, 10000, "center"),
    ("add a title 'Rock and Roll'", "Rock and Roll", 0, 3000, "center"),
    ("add a title 'Then and Now; a story, in parts'", "Then and Now; a story, in parts", 0, 3000, "center"),
    ("add a title \"He said 'hi'\"", "He said 'hi'", 0, 3000, "center"),
    ("标题是夏日回忆", "夏日回忆", 0, 3000, "center"),
    ("在第5秒加标题“开始”", "开始", 5000, 8000, "center"),
    ('add a text overlay "Day 1" in the middle', "Day 1", 0, 3000, "center"),
    ('show "Welcome" at the top for 2s', "Welcome", 0, 2000, "top"),
    ('add a lower third "Jane Doe"', "Jane Doe", 0, 3000, "bottom"),
    ("add a title 'MiXeD CaSe and 50% OFF: today only'", "MiXeD CaSe and 50% OFF: today only", 0, 3000, "center"),
    ("加字幕『第一天』在顶部持续两秒", "第一天", 0, 2000, "top"),
    ("add a title ＂Full width＂", "Full width", 0, 3000, "center"),
    ('add a title "Kickoff" starting at 1.5 seconds', "Kickoff", 1500, 4500, "center"),
    ('add a title "Recap" at the end for 2 seconds', "Recap", 8000, 10000, "center"),
]


@pytest.mark.parametrize(("message", "text", "start", "stop", "position"), ADD_TITLE)
def test_add_title(message: str, text: str, start: int, stop: int, position: str) -> None:
    interp, draft = run(message)
    assert tools(interp) == ["add_title"], (interp.unmatched, interp.replies)
    assert not interp.unmatched
    assert interp.edits[0].args == {"text": text, "start_ms": start, "duration_ms": stop - start, "position": position}
    [seg] = titles(draft)
    assert (seg.text, seg.start, seg.end, seg.position) == (text, start, stop, position)
    assert draft.tracks[-1].type == TEXT


def test_title_reply_uses_the_api_number_format() -> None:
    interp, draft = run('add a title "x" for 2.5 seconds at the bottom')
    assert interp.edits[0].reply == 'Added the title "x" at the bottom (0-2.5s).'
    assert draft.summary() == 'Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. Title: "x" (0-2.5s)'


def test_each_title_is_a_new_segment_with_its_own_id() -> None:
    interp, draft = run("add a title 'A', then add a title 'B' at 5s")
    segs = titles(draft)
    assert [s.text for s in segs] == ["A", "B"] and len({s.id for s in segs}) == 2
    assert len(draft.tracks_of(TEXT)) == 1


@pytest.mark.parametrize("message", ["add a title", "加个标题", "put some text on it"])
def test_a_title_without_text_asks_for_it(message: str) -> None:
    interp, draft = run(message)
    assert interp.edits == [] and not interp.unmatched
    assert "quote" in interp.replies[0] or "引号" in interp.replies[0]
    assert titles(draft) == []


EDIT_TITLE = [
    ("change the title to 'Goodbye'", "Goodbye", 0, 3000, "center"),
    ("move the title to the top", "Hello", 0, 3000, "top"),
    ("put the title at the bottom", "Hello", 0, 3000, "bottom"),
    ("make the title last 5 seconds", "Hello", 0, 5000, "center"),
    ("rename the title 'Hello' to 'Hi'", "Hi", 0, 3000, "center"),
    ("show the title from 4s to 6s", "Hello", 4000, 6000, "center"),
    ("标题改成“再见”", "再见", 0, 3000, "center"),
    ("把标题放在底部", "Hello", 0, 3000, "bottom"),
]


@pytest.mark.parametrize(("message", "text", "start", "stop", "position"), EDIT_TITLE)
def test_edit_title(message: str, text: str, start: int, stop: int, position: str) -> None:
    interp, draft = run(message, WITH_TITLE)
    assert tools(interp) == ["edit_title"], (interp.unmatched, interp.replies)
    [seg] = titles(draft)
    assert (seg.text, seg.start, seg.end, seg.position, seg.id) == (text, start, stop, position, "t1")


REMOVE_TITLES = [
    "remove the title", "remove the titles", "delete the text", "no titles", "get rid of the caption",
    "remove the title 'Hello'", "hide the title", "clear all the titles", "去掉标题", "删除字幕", "把标题删掉",
    "不要标题",
]


@pytest.mark.parametrize("message", REMOVE_TITLES)
def test_remove_titles(message: str) -> None:
    interp, draft = run(message, WITH_TITLE)
    assert tools(interp) == ["remove_titles"], (interp.unmatched, interp.replies)
    assert draft.tracks_of(TEXT) == []
    assert interp.edits[0].reply == 'Removed the title "Hello".'


def test_remove_one_title_by_its_text() -> None:
    interp, draft = run('add a title "B" at 5s, then remove the title "Hello"', WITH_TITLE)
    assert tools(interp) == ["add_title", "remove_titles"]
    assert [s.text for s in titles(draft)] == ["B"]
    interp, _ = run('remove the title "Nope"', WITH_TITLE)
    assert interp.edits == [] and interp.replies == ['There is no title "Nope".']


# ---------------------------------------------------------------------------------------------
# 5. Fades: (message, resulting fade-in, resulting fade-out) on music with 1 s in, 2 s out.
# ---------------------------------------------------------------------------------------------

FADES = [
    ("fade the music in over 2 seconds", 2000, 2000),
    ("fade out at the end", 1000, 3000),
    ("no fade", 0, 0),
    ("no fades", 0, 0),
    ("fade in and out", 2000, 3000),
    ("fade in over 1s and out over 3s", 1000, 3000),
    ("fade-in 4 seconds", 4000, 2000),
    ("add a 5 second fade out", 1000, 5000),
    ("fade the music out over the last 4 seconds", 1000, 4000),
    ("fade in the music over half a second", 500, 2000),
    ("3 second fade in", 3000, 2000),
    ("fade out over two and a half seconds", 1000, 2500),
    ("don't fade", 0, 0),
    ("without fades", 0, 0),
    ("remove the fade in", 0, 2000),
    ("turn off the fade out", 1000, 0),
    ("fade the music out", 1000, 3000),
    ("fade in at the start", 2000, 2000),
    ("fade in for 20 seconds", 10000, 2000),
    ("淡入淡出", 2000, 3000),
    ("音乐淡出3秒", 1000, 3000),
    ("不要淡入淡出", 0, 0),
    ("淡入2秒", 2000, 2000),
    ("音乐开头渐入", 2000, 2000),
    ("结尾淡出五秒", 1000, 5000),
    ("取消淡入", 0, 2000),
]


@pytest.mark.parametrize(("message", "fade_in", "fade_out"), FADES)
def test_fades(message: str, fade_in: int, fade_out: int) -> None:
    interp, draft = run(message, WITH_MUSIC)
    assert set(tools(interp)) == {"set_music_fades"}, (interp.unmatched, interp.replies)
    assert not interp.unmatched
    seg = music(draft)
    assert (seg.fade_in, seg.fade_out) == (fade_in, fade_out)


def test_fade_slots_and_replies() -> None:
    edit = run("fade the music in over 2 seconds", WITH_MUSIC)[0].edits[0]
    assert (edit.args, edit.reply) == ({"fade_in_ms": 2000}, "The music now fades in over 2s.")
    edit = run("fade out at the end", WITH_MUSIC)[0].edits[0]
    assert (edit.args, edit.reply) == ({"fade_out_ms": 3000}, "The music now fades out over the last 3s.")
    edit = run("no fade", WITH_MUSIC)[0].edits[0]
    assert (edit.args, edit.reply) == ({"fade_in_ms": 0, "fade_out_ms": 0}, "Turned the music fades off.")


def test_fades_without_music_say_so() -> None:
    interp, _ = run("fade out at the end")
    assert interp.edits == [] and interp.replies == [NO_MUSIC_REPLY]


# ---------------------------------------------------------------------------------------------
# 6. Ducking: (message, duck). Each runs on music ducking the other way, so it must change.
# ---------------------------------------------------------------------------------------------

DUCKING = [
    ("duck the music under speech", True),
    ("lower music when people talk", True),
    ("duck the music", True),
    ("turn on ducking", True),
    ("enable ducking", True),
    ("auto-duck the music", True),
    ("make the music quieter when someone speaks", True),
    ("lower the music while they're talking", True),
    ("keep the music under the voices", True),
    ("duck under dialogue", True),
    ("说话时降低音乐", True),
    ("有人说话的时候音乐小一点", True),
    ("人声出现时自动避让", True),
    ("don't duck", False),
    ("no ducking", False),
    ("turn off ducking", False),
    ("disable ducking", False),
    ("stop ducking the music", False),
    ("don't lower the music when people talk", False),
    ("keep the music at the same level when people talk", False),
    ("不要避让", False),
    ("关闭闪避", False),
    ("说话时不要降低音乐", False),
]


@pytest.mark.parametrize(("message", "duck"), DUCKING)
def test_ducking(message: str, duck: bool) -> None:
    base = copy.deepcopy(WITH_MUSIC)
    base["t"][1]["sg"][0]["duck"] = not duck
    interp, draft = run(message, base)
    assert tools(interp) == ["set_ducking"], (interp.unmatched, interp.replies)
    assert interp.edits[0].args == {"duck": duck}
    assert music(draft).duck is duck
    assert music(draft).volume == 35  # ducking is not a volume change


# ---------------------------------------------------------------------------------------------
# 7. Aspect ratio: (message, width, height).
# ---------------------------------------------------------------------------------------------

ASPECT = [
    ("make it vertical for Reels", 1080, 1920),
    ("make it vertical for TikTok", 1080, 1920),
    ("vertical for YouTube Shorts", 1080, 1920),
    ("portrait mode", 1080, 1920),
    ("9:16", 1080, 1920),
    ("make it 9 by 16", 1080, 1920),
    ("for instagram stories", 1080, 1920),
    ("1080x1920", 1080, 1920),
    ("竖屏", 1080, 1920),
    ("改成竖屏", 1080, 1920),
    ("做成抖音竖版", 1080, 1920),
    ("square for Instagram", 1080, 1080),
    ("make it square", 1080, 1080),
    ("1:1", 1080, 1080),
    ("方形", 1080, 1080),
    ("widescreen", 1920, 1080),
    ("16:9", 1920, 1080),
    ("landscape please", 1920, 1080),
    ("make it horizontal for YouTube", 1920, 1080),
    ("横屏", 1920, 1080),
    ("改成横屏", 1920, 1080),
    ("4:5", 1080, 1350),
    ("make it 4:5 for the instagram feed", 1080, 1350),
    ("16：9", 1920, 1080),
    ("４：５", 1080, 1350),
    ("Make It Vertical!", 1080, 1920),
]


@pytest.mark.parametrize(("message", "width", "height"), ASPECT)
def test_aspect_ratio(message: str, width: int, height: int) -> None:
    interp, draft = run(message)
    assert tools(interp) == ["set_aspect_ratio"], (interp.unmatched, interp.replies)
    assert (interp.edits[0].args["width"], interp.edits[0].args["height"]) == (width, height)
    assert (draft.meta["width"], draft.meta["height"], draft.meta["title"]) == (width, height, "beach")


def test_aspect_reply_and_unsupported_ratio() -> None:
    assert run("make it vertical")[0].edits[0].reply == "Set the canvas to 9:16 vertical (1080x1920)."
    interp, draft = run("make it 21:9")
    assert interp.edits == [] and interp.replies == ["I can make it 9:16, 16:9, 1:1, 4:5 or 4:3."]
    assert "width" not in draft.meta


# ---------------------------------------------------------------------------------------------
# 8. Trim: (message, kept window start, kept window end) on the 10 s clip.
# ---------------------------------------------------------------------------------------------

TRIM = [
    ("make it 5 seconds", 0, 5000),
    ("cut it to the first 8s", 0, 8000),
    ("trim to 7 seconds", 0, 7000),
    ("make it five and a half seconds long", 0, 5500),
    ("shorten it to 7.5s", 0, 7500),
    ("cut the first 2 seconds", 2000, 10000),
    ("cut the last 3 seconds", 0, 7000),
    ("keep only 2s to 8s", 2000, 8000),
    ("keep the last 4 seconds", 6000, 10000),
    ("trim it down to six seconds", 0, 6000),
    ("make the video 9 seconds long", 0, 9000),
    ("limit it to 6s", 0, 6000),
    ("make it last 5 seconds", 0, 5000),
    ("make it 4 secs", 0, 4000),
    ("trim to 3 sec", 0, 3000),
    ("剪到5秒", 0, 5000),
    ("只保留前8秒", 0, 8000),
    ("去掉前两秒", 2000, 10000),
    ("裁剪成6秒", 0, 6000),
    ("缩短到八秒", 0, 8000),
    ("时长改成5秒", 0, 5000),
    ("剪掉最后3秒", 0, 7000),
]


@pytest.mark.parametrize(("message", "start", "end"), TRIM)
def test_trim(message: str, start: int, end: int) -> None:
    interp, draft = run(message)
    assert tools(interp) == ["trim_video"], (interp.unmatched, interp.replies)
    assert interp.edits[0].args == {"start_ms": start, "end_ms": end}
    seg = video(draft)
    assert (seg.start, seg.duration, seg.source_in) == (0, end - start, start)
    assert draft.duration == end - start


def test_trim_shortens_music_and_titles_with_the_video() -> None:
    base = copy.deepcopy(WITH_MUSIC)
    base["t"].append({"tt": 7, "sg": [dict(TITLE_SEG), {"id": "t2", "tx": "Late", "st": 5000, "d": 3000}]})
    interp, draft = run("cut the first 2 seconds", base)
    assert tools(interp) == ["trim_video"]
    assert draft.summary() == ('Timeline (3 tracks): 1. Video: beach.mp4 (0-8s) 2. BGM: Lo-fi (0-8s, 35%) '
                               '3. Title: "Hello" (0-1s), "Late" (3-6s)')
    assert music(draft).source_in == 2000 and titles(draft)[0].source_in == 0
    interp, draft = run("make it 4 seconds", base)
    assert [s.text for s in titles(draft)] == ["Hello"] and music(draft).duration == 4000


@pytest.mark.parametrize(("message", "reply"), [
    ("make it 30 seconds", "The video is only 10s long — I can make it shorter, not longer."),
    ("trim to 20 seconds", "The video is only 10s long — I can make it shorter, not longer."),
    ("make it one minute", "The video is only 10s long — I can make it shorter, not longer."),
    ("make it 10 seconds", "The video is already 10s long."),
])
def test_trim_never_makes_it_longer(message: str, reply: str) -> None:
    interp, draft = run(message)
    assert interp.edits == [] and interp.replies == [reply]
    assert video(draft).duration == 10000


# ---------------------------------------------------------------------------------------------
# 9. Loudness: (message, LUFS).
# ---------------------------------------------------------------------------------------------

LOUDNESS = [
    ("normalize loudness", -14),
    ("make it loud enough for TikTok", -14),
    ("normalise the audio", -14),
    ("normalize to -16 LUFS", -16),
    ("loudness normalization please", -14),
    ("make it loud enough for YouTube", -14),
    ("normalize to minus sixteen lufs", -16),
    ("响度标准化", -14),
    ("音量均衡", -14),
    ("even out the audio", -14),
]


@pytest.mark.parametrize(("message", "lufs"), LOUDNESS)
def test_loudness(message: str, lufs: int) -> None:
    interp, draft = run(message)
    assert tools(interp) == ["normalize_loudness"], (interp.unmatched, interp.replies)
    assert interp.edits[0].args == {"lufs": lufs}
    assert draft.meta["loudness"] == lufs
    assert "width" not in draft.meta  # "for TikTok" here is about loudness, not the shape


# ---------------------------------------------------------------------------------------------
# Negation, unmatched clauses, several clauses in one message.
# ---------------------------------------------------------------------------------------------

NEGATED = [
    ("don't add music", PLAIN),
    ("do not add any music", PLAIN),
    ("please don't add music", PLAIN),
    ("let's not add music yet", PLAIN),
    ("no need to add music", PLAIN),
    ("don't add background music to my video", PLAIN),
    ("不要加音乐", PLAIN),
    ("别加背景音乐", PLAIN),
    ("don't make it vertical", PLAIN),
    ("don't add a title", PLAIN),
    ("别加标题", PLAIN),
    ("don't trim it", PLAIN),
    ("don't normalize the loudness", PLAIN),
    ("don't export yet", PLAIN),
    ("don't change the music", WITH_MUSIC),
    ("don't remove the music", WITH_MUSIC),
    ("don't make the music louder", WITH_MUSIC),
]


@pytest.mark.parametrize(("message", "base"), NEGATED)
def test_negation_changes_nothing(message: str, base: dict[str, Any]) -> None:
    interp, draft = run(message, base)
    assert interp.edits == [] and not interp.unmatched
    assert interp.replies and interp.replies[0].startswith("Okay")
    assert draft.to_json() == Draft.from_json(copy.deepcopy(base)).to_json()


def test_negated_clause_next_to_a_real_one() -> None:
    interp, draft = run("don't add music, just make it vertical")
    assert tools(interp) == ["set_aspect_ratio"] and interp.replies == ["Okay, no music."]
    assert draft.tracks_of(AUDIO) == []


UNMATCHED = [
    ("add music, then blorp the frobnicator", ["add_background_music"], ["blorp the frobnicator"]),
    ("flibbertigibbet", [], ["flibbertigibbet"]),
    ("ａｄｄ ｍｕｓｉｃ，ｆｏｏ ｂａｒ", ["add_background_music"], ["ｆｏｏ ｂａｒ"]),
    ("make it vertical; Paint It Black", ["set_aspect_ratio"], ["Paint It Black"]),
    ("加背景音乐，然后跳个舞", ["add_background_music"], ["跳个舞"]),
    ("Make The Colours Pop and make it square", ["set_aspect_ratio"], ["Make The Colours Pop"]),
]


@pytest.mark.parametrize(("message", "edit_tools", "unmatched"), UNMATCHED)
def test_unmatched_clauses_are_named_as_typed(message: str, edit_tools: list[str], unmatched: list[str]) -> None:
    interp, _ = run(message)
    assert tools(interp) == edit_tools
    assert interp.unmatched == unmatched


@pytest.mark.parametrize("message", ["thanks!", "ok", "hi", "谢谢", "please"])
def test_pleasantries_are_neither_edits_nor_unmatched(message: str) -> None:
    interp, _ = run(message)
    assert interp == Interpretation([], [], [])


@pytest.mark.parametrize(("message", "base"), [
    ("speed it up", WITH_MUSIC), ("make it pop", PLAIN), ("make the intro title bigger", WITH_TITLE),
])
def test_near_misses_are_not_guessed(message: str, base: dict[str, Any]) -> None:
    """Words that look like an intent ("up", a mood word, "title") must not trigger one on their own."""
    interp, draft = run(message, base)
    assert interp.edits == [] and interp.unmatched == [message]
    assert draft.to_json() == Draft.from_json(copy.deepcopy(base)).to_json()


def test_export_inside_a_chat_message_is_pointed_to_the_command() -> None:
    interp, _ = run("add music and export")
    assert tools(interp) == ["add_background_music"] and not interp.unmatched
    assert interp.replies == ["When you're happy with it, send 'export' on its own and I'll render it."]


MULTI: list[tuple[str, dict[str, Any], list[str], str, Callable[[Draft], bool]]] = [
    ("add lo-fi music at 30% and a title 'Hi' for 2 seconds, then make it vertical", PLAIN,
     ["add_background_music", "add_title", "set_aspect_ratio"],
     'Timeline (3 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 30%) 3. Title: "Hi" (0-2s)',
     lambda d: (d.meta["width"], d.meta["height"]) == (1080, 1920)),
    ("add music and lower it to 20%", PLAIN, ["add_background_music", "set_music_volume"],
     "Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 20%)", lambda d: True),
    ("add upbeat music, then make it quieter", PLAIN, ["add_background_music", "set_music_volume"],
     "Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Upbeat (0-10s, 20%)", lambda d: True),
    ("add cinematic music, 50% volume", PLAIN, ["add_background_music", "set_music_volume"],
     "Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Cinematic (0-10s, 50%)", lambda d: True),
    ("加背景音乐，音量百分之三十，然后加标题“夏日回忆”5秒，再改成竖屏", PLAIN,
     ["add_background_music", "set_music_volume", "add_title", "set_aspect_ratio"],
     'Timeline (3 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 30%) 3. Title: "夏日回忆" (0-5s)',
     lambda d: d.meta["height"] == 1920),
    ('add music and a title "x", then remove the music and titles', PLAIN,
     ["add_background_music", "add_title", "remove_music", "remove_titles"],
     "Timeline (1 track): 1. Video: beach.mp4 (0-10s)", lambda d: True),
    ("add a title 'Hi', at the bottom, for 2 seconds", PLAIN, ["add_title", "edit_title", "edit_title"],
     'Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. Title: "Hi" (0-2s)',
     lambda d: titles(d)[0].position == "bottom"),
    ('add a title "Hi" and make it last 5 seconds', PLAIN, ["add_title", "edit_title"],
     'Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. Title: "Hi" (0-5s)', lambda d: d.duration == 10000),
    ("make it vertical and 5 seconds long", PLAIN, ["set_aspect_ratio", "trim_video"],
     "Timeline (1 track): 1. Video: beach.mp4 (0-5s)", lambda d: d.meta["width"] == 1080),
    ("add music with a 3 second fade in and don't duck it", PLAIN, ["add_background_music", "set_ducking"],
     "Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 35%)",
     lambda d: (music(d).fade_in, music(d).duck) == (3000, False)),
    ("fade the music in and out, then normalize loudness", WITH_MUSIC, ["set_music_fades", "normalize_loudness"],
     "Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 35%)",
     lambda d: (music(d).fade_in, music(d).fade_out, d.meta["loudness"]) == (2000, 3000, -14)),
    ("cut the first 2 seconds then add music", PLAIN, ["trim_video", "add_background_music"],
     "Timeline (2 tracks): 1. Video: beach.mp4 (0-8s) 2. BGM: Lo-fi (0-8s, 35%)", lambda d: True),
    ('add music; make it square. Then add a title "x"', PLAIN,
     ["add_background_music", "set_aspect_ratio", "add_title"],
     'Timeline (3 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "x" (0-3s)',
     lambda d: d.meta["width"] == d.meta["height"] == 1080),
    ("remove the music and titles", {**WITH_MUSIC, "t": [*WITH_MUSIC["t"], {"tt": 7, "sg": [TITLE_SEG]}]},
     ["remove_music", "remove_titles"], "Timeline (1 track): 1. Video: beach.mp4 (0-10s)", lambda d: True),
    ("add a title saying Rock and Roll for 3 seconds, then make it vertical", PLAIN,
     ["add_title", "set_aspect_ratio"],
     'Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. Title: "Rock and Roll" (0-3s)', lambda d: True),
    ("添加欢快的音乐并且去掉淡入淡出", PLAIN, ["add_background_music", "set_music_fades"],
     "Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Upbeat (0-10s, 35%)",
     lambda d: (music(d).fade_in, music(d).fade_out) == (0, 0)),
    ("加背景音乐然后音乐小一点", PLAIN, ["add_background_music", "set_music_volume"],
     "Timeline (2 tracks): 1. Video: beach.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 20%)", lambda d: True),
]


@pytest.mark.parametrize(("message", "base", "edit_tools", "summary", "check"), MULTI)
def test_several_clauses_apply_in_order(message: str, base: dict[str, Any], edit_tools: list[str], summary: str,
                                        check: Callable[[Draft], bool]) -> None:
    before = copy.deepcopy(base)
    draft = Draft.from_json(copy.deepcopy(base))
    interp = interpret(message, draft)
    assert tools(interp) == edit_tools, (interp.unmatched, interp.replies)
    assert not interp.unmatched
    final = apply_all(draft, interp.edits)
    assert final.summary() == summary
    assert check(final)
    # Pure: the input draft is untouched, and replaying gives the same result.
    assert draft.to_json() == Draft.from_json(before).to_json()
    assert apply_all(draft, interp.edits).to_json() == final.to_json()


def test_each_reply_describes_the_draft_its_edit_sees() -> None:
    interp, _ = run("add music at 50%, then make it quieter, then quieter")
    assert [e.reply for e in interp.edits] == [
        "Added Lo-fi background music at 50% (0-10s).", "Lowered the music to 35%.", "Lowered the music to 20%.",
    ]


def test_edits_never_mutate_their_input() -> None:
    base = Draft.from_json({**copy.deepcopy(WITH_MUSIC), "t": [*copy.deepcopy(WITH_MUSIC["t"]),
                                                                {"tt": 7, "sg": [dict(TITLE_SEG)]}]})
    snapshot = base.to_json()
    messages = [
        "add upbeat music", "change the music to jazz", "lower the music to 20%", "louder", "remove the music",
        "add a title 'x'", "change the title to 'y'", "remove the titles", "fade in and out", "don't duck",
        "make it vertical", "cut the first 2 seconds", "normalize loudness",
    ]
    for message in messages:
        interp = interpret(message, base)
        assert interp.edits, message
        for edit in interp.edits:
            out = edit.apply(base)
            assert out is not base
            assert base.to_json() == snapshot, message


def test_edit_is_a_plain_record() -> None:
    edit = run("make it square")[0].edits[0]
    assert isinstance(edit, Edit) and callable(edit.apply)
    assert edit.tool == "set_aspect_ratio" and edit.args == {"aspect": "1:1", "width": 1080, "height": 1080}


def test_chinese_replies() -> None:
    interp, _ = run("加背景音乐，音量百分之三十，加标题“夏日”", language="zh")
    assert [e.reply for e in interp.edits] == [
        "已添加Lo-fi背景音乐，音量35%（0-10s）。", "音乐音量已设为30%。", "已添加标题“夏日”，位置：居中（0-3s）。",
    ]
    interp, _ = run("音乐小一点", language="zh")
    assert interp.replies == ["还没有音乐——请先说“加背景音乐”。"]


# ---------------------------------------------------------------------------------------------
# Normalisation on its own: number words, units, full-width forms.
# ---------------------------------------------------------------------------------------------

NORMALISE = [
    ("thirty percent", "30%"),
    ("百分之三十", "30%"),
    ("三十", "30"),
    ("two and a half seconds", "2.5s"),
    ("2 and a half secs", "2.5s"),
    ("5 secs", "5s"),
    ("10 sec", "10s"),
    ("3秒", "3s"),
    ("40 per cent", "40%"),
    ("twenty-five percent", "25%"),
    ("一百", "100"),
    ("两秒半", "2.5s"),
    ("one hundred and five", "105"),
    ("1 minute 30 seconds", "90s"),
    ("half a second", "0.5s"),
    ("ＳＥＴ　ＩＴ　ＴＯ　３０％", "set it to 30%"),
    ("五点五秒", "5.5s"),
    ("一分半", "90s"),
    ("500 ms", "0.5s"),
    ("three point five seconds", "3.5s"),
    ("十五秒钟", "15s"),
    ("another one", "another one"),
    ("one second", "1s"),
    ("小一点", "小"),
    ("一点五秒", "1.5s"),
]


@pytest.mark.parametrize(("raw", "normalised"), NORMALISE)
def test_normalise(raw: str, normalised: str) -> None:
    assert agent._normalise(agent._prepare(raw).text) == normalised
