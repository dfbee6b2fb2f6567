"""The clip's own sound (video segment `v`), separate from the music."""

from __future__ import annotations

import re

from addmusic.protocol.draft import AUDIO, Draft, Segment

from ..clipref import ClipInfo
from ..core import Clause, Edit, Outcome, rule
from ..draftops import has_video, map_video, music_segments, video_segments
from ..reeltalk import clips_of, group, names_of, pick_clips
from ..replies import say
from ..vocab import NUM

CLIP = (r"(?:\b(?:original|orignal|orginal|origional|clip'?s?|video'?s?|camera|own|natural|live|source)\s+(?:audio|sound|volume|noise)\b|"
        r"\bclip (?:itself|audio|sound)\b|\b(?:lower|raise|turn|set|bring|drop|reduce|put)\s+(?:down\s+|up\s+)?the (?:clip|video)\s+(?:down\s+|up\s+)?(?:to|at)\s+\d+(?:\.\d+)?(?![\d.]*s\b)|\b(?:sound|audio)\s+(?:from|of|in|on)\s+(?:the\s+|my\s+|this\s+)?(?:video|clip|footage)\b|\bthe clip$|\bthe original$|\bmute the (?:clip|video)\b|\bwind noise\b|\bmy (?:own )?voice\b|\bambient sound\b|原声|原音|原始声音|视频声音|现场声|视频的声音)")


def _set_clip(c: Clause, d: Draft, volume: int, key: str) -> Outcome:
    tool = "set_clip_volume"
    if not has_video(d):
        return Outcome(tool, note=say("need_video", c.lang))

    def set_v(seg: Segment) -> None:
        seg.volume = None if volume >= 100 else volume

    return Outcome(tool, Edit(tool, {"volume": volume}, map_video(set_v), say(key, c.lang, volume=volume)))


def _b_clip(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    t = c.t
    if re.search(r"\bunmute\b|取消静音|恢复原声", t):
        return _set_clip(c, d, 100, "clip_volume")
    if pct := re.search(rf"({NUM})%|\b(?:to|at)\s+({NUM})(?![\d.s])|(?:volume|音量)\s*({NUM})(?![\d.s])", t):
        return _set_clip(c, d, max(0, min(100, round(float(next(g for g in pct.groups() if g))))), "clip_volume")
    if re.search(r"\b(?:mute|remove|no|without|silence|kill|lose|cut|drop|get rid of|delete|off)\b|静音|去掉|不要|关掉|删除", t):
        return _set_clip(c, d, 0, "clip_muted")
    if re.search(r"\b(?:keep|leave)\b|保留|保持", t):
        return Outcome("set_clip_volume", note=say("clip_kept", c.lang))
    if re.search(r"\b(?:quieter|lower|down|softer|reduce)\b|调低|小一?点|降低", t):
        seg = next(s for t2 in d.tracks if t2.type == 0 for s in t2.segments) if has_video(d) else None
        now = 100 if seg is None else seg.level
        return _set_clip(c, d, max(0, int(5 * round(now * 2 / 3 / 5))), "clip_volume")
    if re.search(r"\b(?:louder|up|raise)\b|调高|大一?点", t):
        seg = next(s for t2 in d.tracks if t2.type == 0 for s in t2.segments) if has_video(d) else None
        now = 100 if seg is None else seg.level
        return _set_clip(c, d, min(100, int(5 * round(now * 1.5 / 5))), "clip_volume")
    return None


def _b_only_music(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if not music_segments(d):
        from .music import build_add

        return build_add(c, d)  # "no title, just music": music is what is asked for
    return _set_clip(c, d, 0, "only_music")


def _b_only_original(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "remove_music"
    if not music_segments(d):
        return Outcome(tool, note=say("clip_kept", c.lang))

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        out.tracks = [t for t in out.tracks if t.type != AUDIO]
        return out

    return Outcome(tool, Edit(tool, {}, apply, say("only_original", c.lang)))


def _b_mute_all(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """"mute everything": the clip's own sound and the music, both kept at 0."""
    clip = _set_clip(c, d, 0, "clip_muted")
    if clip.edit is None or not music_segments(d):
        return clip
    from .music import RULES_BY_NAME

    music = RULES_BY_NAME["music_mute"].build(m, c, d)  # type: ignore[attr-defined]
    if music is None or music.edit is None:
        return clip
    first, second = clip.edit, music.edit
    return Outcome("set_clip_volume", Edit("mute_all", {"clip_volume": 0, "music_volume": 0},
                                           lambda draft: second.apply(first.apply(draft)), f"{first.reply} {second.reply}"))


# One clip's own sound, named by its name, position or property ("mute the second clip", "turn the
# beach sound down to 20", 把海滩的声音调到20%). Tried before the clip-order rules, which would read
# "mute the second clip" as "the muted clip goes second".
_SOUND = r"(?:own\s+|original\s+)?(?:sound|audio|volume|noise)"
_OF = r"(?:'s|s')?(?:\s+clip)?"
ONE_CLIP_EN = (
    rf"^(?P<verb>mute|unmute|silence|hush)\s+(?:the\s+{_SOUND}\s+(?:of|on|in|from)\s+)?(?P<a>.+?)(?:{_OF}\s+{_SOUND})?$|"
    rf"^(?:turn|set|bring|put|lower|raise|drop|reduce|change|make)\s+(?:down\s+|up\s+)?(?P<b>.+?){_OF}\s+{_SOUND}\s*"
    rf"(?:(?P<down>down)\s*|(?P<up>up)\s*)?(?:(?:to|at)\s+(?P<n1>{NUM})\s*%?|(?P<back>back))?$|"
    rf"^(?P<c>.+?){_OF}\s+{_SOUND}\s+(?:(?:to|at)\s+)?(?P<n2>{NUM})\s*%$|"
    rf"^make\s+(?P<d>.+?)(?:{_OF}\s+{_SOUND})?\s+(?P<dir>louder|quieter|softer|lower|more quiet)$|"
    rf"^(?P<e>.+?)(?:{_OF}\s+{_SOUND})?\s+(?:is|'s|are)\s+(?:way\s+|a bit\s+|kinda\s+|much\s+)?too\s+(?P<dir2>loud|noisy|quiet|soft)$")
ONE_CLIP_ZH = (
    rf"^(?:把|将)?(?P<z1>.+?)(?:的)?(?:原声|声音|音量)(?:调到|调成|设为|设成|改成|改为|降到|调低到|调小到)(?P<zn>{NUM})%?$|"
    r"^(?:把|将)?(?P<z2>.+?)(?:的声音|的原声)?(?P<zverb>静音|取消静音|恢复原声|关掉声音|去掉声音)$|"
    r"^(?:把|将)?(?P<z3>.+?)(?:的)?(?:原声|声音|音量)(?P<zdir>(?:调)?(?:小|低|轻|大|高)(?:一?点)?)$")
# What the whole clip's sound rules read ("mute the clip", "mute it"): not one clip of several.
_WHOLE = re.compile(r"^(?:the |this |my |that |all (?:the |my )?|all of the |every )?(?:clip|clips|video|videos|footage|original|"
                    r"vid|视频|原声|片段|所有视频|所有片段)$")
# The whole output ("make the whole video louder", "mute everything"): the loudness and mute-all rules'.
_THE_OUTPUT = re.compile(r"\b(?:whole|entire|everything|overall|final|output|export)\b|整个|全部")
_NOT_A_CLIP = re.compile(r"\b(?:music|song|track|beat|soundtrack|title|noise|wind|voice|voices|talking|speech|sound|audio)\b|"
                         r"背景音乐|音乐|歌|噪音|风声|人声")


def _level_for(m: re.Match[str], now: int) -> int:
    """The level asked for, from the clip's level now (relative words work as the whole-clip rule's)."""
    number = group(m, "n1", "n2", "zn")
    if number:
        return max(0, min(100, round(float(number))))
    verb = group(m, "verb", "zverb")
    if verb in ("unmute", "取消静音", "恢复原声") or group(m, "back"):
        return 100
    if verb:
        return 0
    louder = group(m, "up") or group(m, "dir") == "louder" or group(m, "dir2") in ("quiet", "soft") \
        or re.search("大|高", group(m, "zdir"))
    return min(100, int(5 * round(now * 1.5 / 5))) if louder else max(0, int(5 * round(now * 2 / 3 / 5)))


def _b_one_clip(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    phrase = group(m, "a", "b", "c", "d", "e", "z1", "z2", "z3").strip()
    phrase = re.sub(r"^(?:the|this|that|my)\s+", "", phrase) if phrase.count(" ") else phrase
    if not phrase or phrase == "it" or _NOT_A_CLIP.search(phrase) or _THE_OUTPUT.search(phrase):
        return None
    if _WHOLE.match(phrase):  # "mute the videos", 视频静音: every clip, as the whole-clip rule does
        if not group(m, "verb", "zverb"):
            return None  # "make the video louder" is the loudness rule's
        first = next(iter(video_segments(d)), None)
        volume = _level_for(m, 100 if first is None else first.level)
        return _set_clip(c, d, volume, "clip_muted" if volume == 0 else "clip_volume")
    cat, _ = clips_of(c, d)
    tool = "set_clip_volume"
    refused, named = pick_clips(phrase, cat, tool, c.lang)
    if not named:
        return refused
    on_reel = {s.src for s in video_segments(d)}
    off = [x for x in named if x.media_id not in on_reel]
    if off:
        return Outcome(tool, note=say("clip_sound_off_reel", c.lang, name=off[0].name))
    with_sound = [x for x in named if x.has_audio]
    if not with_sound:
        return Outcome(tool, note=say("clip_sound_none", c.lang, names=names_of(named, c.lang)))
    return _set_clips(m, c, d, with_sound, several=len(on_reel) > 1)


def _set_clips(m: re.Match[str], c: Clause, d: Draft, clips: list[ClipInfo], several: bool) -> Outcome:
    tool = "set_clip_volume"
    srcs = {x.media_id for x in clips}
    now = next(s.level for s in video_segments(d) if s.src in srcs)
    volume = _level_for(m, now)
    names = names_of(clips, c.lang)
    levels = {s.level for s in video_segments(d) if s.src in srcs}
    if levels == {volume}:
        return Outcome(tool, note=say("clip_sound_same", c.lang, names=names, volume=volume))

    def set_v(seg: Segment) -> None:
        if seg.src in srcs:
            seg.volume = None if volume >= 100 else volume

    key = "clip_sound_muted" if volume == 0 else "clip_sound_set"
    reply = say(key, c.lang, names=names, volume=volume) + (say("clip_sound_others", c.lang) if several else "")
    return Outcome(tool, Edit(tool, {"clips": [x.name for x in clips], "volume": volume}, map_video(set_v), reply))


RULES_EARLY = (rule("one_clip_sound", rf"{ONE_CLIP_EN}|{ONE_CLIP_ZH}", _b_one_clip, ("clip", "volume")),)

RULES = (
    rule("mute_all", r"^(?:mute|silence)\s+(?:everything|it all|all(?:\s+(?:the\s+)?(?:audio|sound))?|the whole (?:thing|video))$|"
         r"^(?:全部|全都|所有声音)静音$", _b_mute_all),
    rule("only_original", r"^(?:only|just)\s+(?:the\s+)?(?:original|orignal|clip'?s?|natural)\s+(?:audio|sound)|^(?:only|just) the (?:clip|video)$|"
         r"^(?:the\s+)?original (?:audio|sound) only|^只要原声|^只保留原声|^只用原声", _b_only_original),
    rule("only_music", r"^(?:only|just)\s+(?:the\s+)?music(?:\s*,.*|\s+no\b.*)?$|^music only$|^只要音乐|^只保留音乐|^只有音乐|^只留音乐", _b_only_music),
    rule("clip_sound", CLIP, _b_clip, ("volume",)),
)
