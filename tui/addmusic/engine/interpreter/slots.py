"""Slot readers shared by the families: volumes, times and ranges, positions, fades, ducking."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .vocab import NUM, PCT_RE, ms

_T = rf"(?:({NUM})s?)"  # a time: seconds, the unit optional in a range ("2 to 5")
_TO = r"\s*(?:-|–|—|~|\bto\b|\buntil\b|\btill\b|\btil\b|\bthrough\b|\bthru\b|(?:放|播|播放|显示|持续|一直)?(?:到|至))\s*"
_END_WORDS = r"(?:the\s+)?(?:very\s+)?(?:end|finish)\b|结尾|最后|结束"


@dataclass(frozen=True)
class Span:
    """A stretch of the timeline in ms; `end` None means "until the end"."""

    start: int
    end: int | None
    kind: str  # "range", "from", "until", "first", "last", "at"


def span_in(t: str) -> Span | None:
    """The first time stretch a clause names: 2-5 s, from 0:04 until the end, first 5 s, …"""
    if m := re.search(rf"(?:\bfrom\s+|从\s*第?\s*|第)?{_T}\s*(?:s\b)?{_TO}第?\s*{_T}(?![\d.]*%)(?!\s*(?:bpm|db|lufs|p\b))", t):
        a, b = ms(float(m.group(1))), ms(float(m.group(2)))
        if b > a:
            return Span(a, b, "range")
    if m := re.search(rf"(?:\bfrom\s+|\bafter\s+|\bstarting (?:at|from)\s+|从\s*第?\s*){_T}\s*(?:{_TO}|\bon\b|开始)?\s*(?:{_END_WORDS}|onwards?\b|on\b)?", t):
        if re.search(rf"{_TO}\s*(?:{_END_WORDS})|\bon(?:wards?)?\b|开始|从", m.group(0)) or "from" in m.group(0) \
                or "after" in m.group(0) or "starting" in m.group(0):
            return Span(ms(float(m.group(1))), None, "from")
    if m := re.search(rf"\beverything after\s+{_T}|\bafter\s+{_T}\s*(?:till|to|until) the end|{_T}\s*(?:之后|以后|后)的?(?:所有|全部)?(?:内容|部分)?$", t):
        return Span(ms(float(m.group(1) or m.group(2) or m.group(3))), None, "from")
    if m := re.search(rf"\b(?:until|till|til|up to|upto)\s+{_T}|{_T}\s*(?:之前|以前)|到第?\s*{_T}\s*(?:为止)?$", t):
        return Span(0, ms(float(m.group(1) or m.group(2) or m.group(3))), "until")
    if m := re.search(rf"\bfirst\s+{_T}|前\s*{_T}|开头\s*{_T}", t):
        return Span(0, ms(float(m.group(1) or m.group(2) or m.group(3))), "first")
    if m := re.search(rf"\blast\s+{_T}|(?:最后|后)\s*{_T}|结尾\s*{_T}", t):
        return Span(-ms(float(m.group(1) or m.group(2) or m.group(3))), None, "last")
    return None


def volume_slot(t: str) -> int | None:
    """An explicit volume inside another instruction: "at 30%", "at half volume", "quietly"."""
    if m := PCT_RE.search(t):
        return max(0, min(100, round(float(m.group(1)))))
    if re.search(r"\bhalf(?:\s+the)?\s+volume\b|一半音量|音量减半|半音量", t):
        return 50
    if re.search(r"\b(?:full|max(?:imum)?)\s+volume\b|最大音量", t):
        return 100
    return None


def position_slot(t: str) -> str | None:
    if re.search(r"\b(?:top|upper|above|header)\b|顶部|上方|上面|顶端|顶上|上部|最上", t):
        return "top"
    if re.search(r"\b(?:bottom|lower|below|footer|underneath)\b|底部|下方|下面|底端|底下|下部|最下", t):
        return "bottom"
    if re.search(r"\b(?:center|centre|middle|cent(?:er|re)d|central)\b|中间|居中|中央|正中|中心", t):
        return "center"
    return None


FADE_WORD = re.compile(r"\bfad(?:e|es|ed|ing)\b|\bfadein\b|\bfadeout\b|淡入|淡出|渐入|渐出|渐强|渐弱|淡进")
_FADE_OFF = re.compile(
    r"\b(?:no|without|remove|delete|drop|disable|kill|turn off|don't|do not|dont|never|stop|cancel|lose|"
    r"get rid of)\b[^.]*?\bfad|\bfades?\s+off\b|(?:不要|去掉|取消|删除|关闭|无|别|不用|不需要)(?:音乐的?)?(?:淡|渐)"
)


def fade_slots(t: str) -> dict[str, int] | None:
    """{"fi": ms, "fo": ms} a clause asks for (0 = off); None when it says nothing of fades."""
    if not FADE_WORD.search(t):
        return None
    t = t.replace("fadein", "fade in").replace("fadeout", "fade out")
    obj = r"(?:(?:the\s+|teh\s+)?(?:music|background music|song|track|audio|sound|soundtrack)\s+|it\s+)?"
    found: list[tuple[int, str]] = []
    for m in re.finditer(rf"\bfad(?:e|es|ed|ing)\s+{obj}(in|out)\b|淡入|渐入|渐强|淡进|淡出|渐出|渐弱", t):
        word = m.group(1) or ("in" if m.group(0) in ("淡入", "渐入", "渐强", "淡进") else "out")
        found.append((m.start(), word))
    if m := re.search(r"\bin\s+(?:and|&|/)\s+out\b", t):
        found += [(m.start(), "in"), (m.end() - 3, "out")]
    dirs: list[str] = []
    for _, word in sorted(found):
        if word not in dirs:
            dirs.append(word)
    if not dirs:
        if re.search(r"\b(?:end|ending|outro)\b|结尾|片尾|最后", t):
            dirs = ["out"]
        elif re.search(r"\b(?:start|beginning|intro|opening)\b|开头|片头", t):
            dirs = ["in"]
        else:
            dirs = ["in", "out"]
    if _FADE_OFF.search(t):
        return {f"f{d[0]}": 0 for d in dirs}
    # each direction takes the duration nearest to its word
    values = [(m.start(), float(m.group(1))) for m in re.finditer(rf"({NUM})s(?![a-z])", t)]
    values += [(m.start(), float(m.group(1))) for m in re.finditer(rf"\b(?:over|for|of)\s+({NUM})\b(?![\d.%s])", t)]
    # durations go to the directions in the order both are said ("2s fade in and 3s fade out")
    values.sort()
    out: dict[str, int] = {}
    for i, d in enumerate(dirs):
        if not values:
            out[f"f{d[0]}"] = 2000 if d == "in" else 3000
        else:
            out[f"f{d[0]}"] = ms(values[min(i, len(values) - 1)][1])
    return out


_DUCK_OFF = re.compile(
    r"\b(?:no|without|don't|do not|dont|never|disable|turn off|switch off|stop|remove|cancel)\b[^.]*?\bduck|"
    r"\bduck(?:ing)?\s+off\b|\bturn\s+(?:the\s+)?ducking\s+off\b|"
    r"(?:不要|取消|关闭|关掉|别|不用|不需要)(?:自动)?(?:避让|闪避|躲避|压低)|不避让|避让关|关避让"
)
_DUCK_ON = re.compile(
    r"\bduck(?:s|ing|ed|in)?\b|\bsidechain|\bauto duck|"
    r"\b(?:lower|dip|drop|turn down|quieter)\b.*\b(?:when|while|whenever|during|under)\b.*"
    r"\b(?:talk|talks|talking|speak|speaks|speaking|speech|voice|voices|dialog(?:ue)?|narration|says?|saying|vocals?)\b|"
    r"避让|闪避|躲避|(?:说话|讲话|人声|对白|旁白|解说).*(?:时|时候).*(?:压低|降低|调低|变小|小声|小|低)"
)


def duck_slot(t: str) -> bool | None:
    if _DUCK_OFF.search(t):
        return False
    if _DUCK_ON.search(t):
        return True
    return None


def db_slot(t: str) -> int | None:
    if m := re.search(rf"({NUM})\s*(?:db\b|分贝)", t):
        return max(1, min(40, round(float(m.group(1)))))
    return None
