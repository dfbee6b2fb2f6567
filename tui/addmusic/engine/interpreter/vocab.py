"""Vocabulary per language: the nouns and verbs the rules are written with. Each entry is a regex
fragment; rules combine them, so a new synonym is added here once and every rule knows it."""

from __future__ import annotations

import re

from addmusic.protocol.phrases import (
    NEGATIONS_EN,
    NEGATIONS_ZH,
    POLITE_LEAD_EN,
    POLITE_LEAD_ZH,
    POLITE_TAIL_EN,
    POLITE_TAIL_ZH,
    alternation,
)

NUM = r"\d+(?:\.\d+)?"
SECS = rf"(?:{NUM})s(?![a-z])"

EN = {
    "music": r"(?:music|soundtrack|songs?|tunes?|track|beats?|grooves?|melody|instrumental|background music|bgm)",
    "title": r"(?:titles?|captions?|subtitles?|texts?|headings?|headlines?|overlays?|lower thirds?|words?)",
    "video": r"(?:video|clip|footage|it|film|vid|movie)",
    "remove": r"(?:remove|delete|drop|clear|erase|get rid of|take (?:off|out|away|down)|kill|lose|ditch|scrap|"
              r"strip|cut|chop|trim|rid|skip|toss)",
    "keep": r"(?:keep|only|just|leave|retain|preserve|save)",
    "add": r"(?:add|adding|put|insert|include|throw in|drop in|lay(?: down)?|play|give (?:it|me|us|the video|this)|"
           r"want|need|use|generate|compose|create|make|get|score|stick|slap|pop|bring in|with|i'd like|"
           r"i would like|gimme|set)",
    "speech": r"(?:speech|voices?|dialog(?:ue)?|talking|vocals?|narration|voice-?over|speaking|people talking|"
              r"someone talks|someone speaks|i talk|i speak|they talk)",
}
ZH = {
    "music": r"(?:背景音乐|音乐|配乐|bgm|歌曲|歌|曲子|旋律|纯音乐|背景乐)",
    "title": r"(?:标题|字幕|文字|文案|大字)",
    "remove": r"(?:去掉|删除|删掉|移除|去除|取消|拿掉|清除|清空|剪掉|切掉|裁掉|砍掉|不要|删)",
    "keep": r"(?:只保留|保留|只要|只留|留下|留|只)",
    "add": r"(?:加上|添加|加|配上|配|放上|放|来|插入|增加|生成|需要|想要|要|用)",
}

NEGATION = re.compile(
    rf"^(?:(?:i|we|please)\s+)?(?:{alternation(tuple(w for w in NEGATIONS_EN if w not in ('no', 'stop', 'cancel', 'wait')))})\s+"
    r"(?!(?:so|too) loud|loud enough|(?:that|very|too) (?:loud|quiet))"
    rf"|^(?:先)?(?:{alternation(tuple(w for w in NEGATIONS_ZH if w != '不'))})"
)
# Chinese puts the negation after the subject: "原声别静音", "标题不要放上面"; "不是" corrects.
ZH_NEGATION = re.compile(r"(?:别|不要|不用|无需|不需要|没必要|先不|甭|^不是|不想要?)(?!了?$)(?!.*(?:就行|就好|即可))")
POLITE_LEAD = re.compile(
    rf"^(?:(?:{alternation(POLITE_LEAD_EN)})\b[\s,]*)+|^(?:{alternation(POLITE_LEAD_ZH)})+"
)
POLITE_TAIL = re.compile(
    rf"(?:[\s,]*(?:\b(?:{alternation(POLITE_TAIL_EN)})\b|{alternation(POLITE_TAIL_ZH)}|[!.?~]|"
    r"[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F]))+$"
)
EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]")
NOISE = re.compile(
    r"^(?:please|pls|thanks?|thank you|thx|ty|ok|okay|cool|great|nice|perfect|awesome|hi|hello|hey|yes|yeah|"
    r"yep|sure|lol|and|also|then|so|love it|looks good|谢谢|谢了|好的|好|你好|嗯|请|麻烦了|可以|行|太好了|不错)?$"
)

MUSIC_ANY = re.compile(rf"\b{EN['music']}\b|{ZH['music']}")
TITLE_ANY = re.compile(rf"\b{EN['title']}\b|{ZH['title']}")
SECS_RE = re.compile(rf"(-?{NUM})s(?![a-z])")
PCT_RE = re.compile(rf"({NUM})%")


def mentions_music(t: str) -> bool:
    return bool(MUSIC_ANY.search(t))


def seconds_in(t: str) -> list[float]:
    return [float(m.group(1)) for m in SECS_RE.finditer(t)]


def ms(seconds: float) -> int:
    return int(round(seconds * 1000))
