"""The clip's own sound (video segment `v`), separate from the music."""

from __future__ import annotations

import re

from addmusic.protocol.draft import AUDIO, Draft, Segment

from ..core import Clause, Edit, Outcome, rule
from ..draftops import has_video, map_video, music_segments
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
        now = 100 if seg is None or seg.volume is None else seg.volume
        return _set_clip(c, d, max(0, int(5 * round(now * 2 / 3 / 5))), "clip_volume")
    if re.search(r"\b(?:louder|up|raise)\b|调高|大一?点", t):
        seg = next(s for t2 in d.tracks if t2.type == 0 for s in t2.segments) if has_video(d) else None
        now = 100 if seg is None or seg.volume is None else seg.volume
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


RULES = (
    rule("mute_all", r"^(?:mute|silence)\s+(?:everything|it all|all(?:\s+(?:the\s+)?(?:audio|sound))?|the whole (?:thing|video))$|"
         r"^(?:全部|全都|所有声音)静音$", _b_mute_all),
    rule("only_original", r"^(?:only|just)\s+(?:the\s+)?(?:original|orignal|clip'?s?|natural)\s+(?:audio|sound)|^(?:only|just) the (?:clip|video)$|"
         r"^(?:the\s+)?original (?:audio|sound) only|^只要原声|^只保留原声|^只用原声", _b_only_original),
    rule("only_music", r"^(?:only|just)\s+(?:the\s+)?music(?:\s*,.*|\s+no\b.*)?$|^music only$|^只要音乐|^只保留音乐|^只有音乐|^只留音乐", _b_only_music),
    rule("clip_sound", CLIP, _b_clip, ("volume",)),
)
