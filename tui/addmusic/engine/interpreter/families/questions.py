"""Questions change nothing: they get an answer from the current draft and a few things to try."""

from __future__ import annotations

import re

from addmusic.engine import styles
from addmusic.protocol.draft import Draft, format_seconds

from ..core import Clause, Outcome, rule
from ..draftops import music_segments, titles, video_segments
from ..replies import examples, say
from . import clips
from .shape import canvas

# "what clips do I have", 我有哪些素材: answered with the listing (several uploads, or asked in the plural)
CLIPS_ASKED = (r"\b(?:clips|files|uploads?|uploaded|footage|media)\b|哪个(?:片段|视频|素材)?(?:是|有|没)|\bin (?:the|my) reel\b|\b(?:clip )?order\b|传了|上传|顺序|\bwhich (?:clip|video|one|file)s?\b|\bhow many (?:clips|videos)\b|"
               r"素材|片段|哪些视频|几个视频|哪几个")

QUESTION_START = (r"^(?:how|what|what's|whats|which|where|why|when|who|is|are|does|do|did|was|will|would|should|could i|can i|"
                  r"can it|could it|is there|are there|isn'?t|aren'?t|is it possible|tell me|help|what can you do)\b|^(?:怎么|如何|怎样|什么|哪|为什么|是否|有没有|能做什么|你能做什么|帮助)")


def _ratio(w: int, h: int) -> str:
    from math import gcd

    g = gcd(w, h) or 1
    return f"{w // g}:{h // g}"


def answer(c: Clause, d: Draft) -> str:
    t, lang = c.t, c.lang
    zh = lang == "zh"
    facts: list[str] = []
    music = music_segments(d)
    if re.search(r"\b(?:long|length|duration)\b|多长|时长|几秒", t):
        facts.append(("视频时长{0}秒" if zh else "the video is {0} s long").format(format_seconds(d.end)))
    if re.search(r"\b(?:aspect|ratio|shape|size|resolution|dimensions?|format|vertical|output)\b|比例|尺寸|分辨率|横屏|竖屏", t) and video_segments(d):
        w, h = canvas(d, c)
        facts.append(("画面{0}（{1}x{2}）" if zh else "the output is {0}, {1}x{2}").format(_ratio(w, h), w, h))
    if re.search(r"\b(?:music|song|track|loud|volume|ducking|duck|bpm|tempo)\b|音乐|歌|音量|配乐", t):
        if music:
            seg = music[0]
            volume = seg.level
            # the user's own song is named by its file, composed music by its style
            label = seg.label if not seg.src.startswith("gen_") else styles.label(str(seg.extra.get("style") or ""))
            duck = ("开" if seg.duck else "关") if zh else ("on" if seg.duck else "off")
            facts.append(("音乐：{0}，音量{1}%，自动避让{2}" if zh else "the music is {0} at {1}%, ducking {2}").format(label, volume, duck))
        else:
            facts.append("还没有音乐" if zh else "there is no music yet")
        for song in (i for i in c.sources if i.get("kind") == "audio"):  # offered, not applied
            bpm = f"，约{float(song['bpm']):g} bpm" if zh and song.get("bpm") else (
                f", about {float(song['bpm']):g} bpm" if song.get("bpm") else "")
            facts.append(("已上传{0}{1}（说“用我的歌”即可使用）" if zh else "{0} is uploaded{1} (say 'use my song' to use it)")
                         .format(song.get("filename"), bpm))
    if re.search(r"\b(?:title|text|caption|say)\b|标题|字幕|文字", t):
        ts = titles(d)
        if ts:
            facts.append(("标题：" if zh else "the title says ") + "、".join(f"“{s.text}”" if zh else f'"{s.text}"' for s in ts))
        else:
            facts.append("还没有标题" if zh else "there are no titles yet")
    if re.search(r"\bown (?:song|music|track|audio)\b|\bmy (?:own )?(?:song|music|track|mp3)\b|自己的(?:歌|音乐)", t):
        facts.append(say("how_own_song", lang).rstrip("。."))
    if re.search(r"\bexport|\bformats?\b|\bdownload|\bsave\b|导出|格式|下载", t):
        facts.append(say("how_export", lang).rstrip("。.") + (" (MP4, H.264 + AAC)" if not zh else "（MP4，H.264 + AAC）"))
    if c.sources and (named := clips.describe_named(c, d)):
        facts.append(named)
    elif c.sources and re.search(CLIPS_ASKED, t):
        facts.append(clips.listing(c, d).rstrip("。."))
    if not video_segments(d) and not facts:
        facts.append(say("need_video", lang).rstrip("。."))
    if not facts:
        facts.append(say("help", lang).rstrip("。."))
        if d.exportable:
            facts.append(("现在：" if zh else "right now: ") + d.summary())
    body = ("；".join(facts) + "。") if zh else ("; ".join(facts) + ".")
    body = body[0].upper() + body[1:] if not zh else body
    return f"{body} {say('try', lang, examples=examples(lang))}"


def _b_question(m: re.Match[str], c: Clause, d: Draft) -> Outcome:
    return Outcome("question", note=answer(c, d))


RULES = (
    rule("help", r"^(?:help|\?+|what can you do|what do you do|what can i (?:do|say|ask)|commands|options|帮助|你能做什么|能做什么|怎么用)(?:\b|$)", _b_question),
    rule("question", QUESTION_START, _b_question),
)
