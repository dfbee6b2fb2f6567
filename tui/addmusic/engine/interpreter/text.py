"""The message as typed, prepared for reading: NFKC (full-width forms become ASCII) with a map back
to the raw characters, and quoted text cut out into placeholder characters so a title survives
exactly as typed (case, quotes, colons, `%` and the word "and" included)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PH_FIRST, PH_LAST = 0xE000, 0xF8FF  # private-use characters stand in for quoted text
PH_RE = re.compile("[\ue000-\uf8ff]")

# opening quote -> the characters that may close it
QUOTE_PAIRS: dict[str, str] = {
    '"': '"”“', "“": "”“\"", "”": "”\"", "„": "“”", "‘": "’'", "'": "'’", "「": "」", "『": "』",
    "《": "》", "〈": "〉", "«": "»", "‹": "›", "`": "`",
}
APOSTROPHES = "'‘’"


@dataclass
class Prepared:
    raw: str
    text: str  # NFKC, case kept, quotes replaced by placeholder characters
    origin: list[tuple[int, int]]  # the raw span behind each character of `text`
    quotes: dict[str, str]  # placeholder -> quoted text exactly as typed

    def raw_of(self, start: int, end: int) -> str:
        while start < end and (self.text[start].isspace() or self.text[start] in ",;，、"):
            start += 1
        while end > start and (self.text[end - 1].isspace() or self.text[end - 1] in ",;，、"):
            end -= 1
        if start >= end:
            return ""
        return self.raw[self.origin[start][0]:self.origin[end - 1][1]]


def _quote_close(text: str, i: int) -> int | None:
    """Index of the quote closing the one that opens at `i`, or None if `i` opens nothing."""
    closers = QUOTE_PAIRS.get(text[i])
    if not closers:
        return None
    if text[i] in APOSTROPHES and i > 0 and text[i - 1].isascii() and text[i - 1].isalnum():
        return None  # don't, kids' — an apostrophe, not a quote
    for j in range(i + 1, len(text)):
        if text[j] in closers:
            if text[j] in APOSTROPHES and j + 1 < len(text) and text[j + 1].isascii() and text[j + 1].isalnum():
                continue  # it's, rock 'n' roll — still inside
            return j if j > i + 1 else None
    return None


def prepare(message: str) -> Prepared:
    chars: list[str] = []
    origin: list[tuple[int, int]] = []
    for i, ch in enumerate(message):
        # NFKC turns full-width letters, digits, colons and spaces into ASCII; keep CJK quotes as they are.
        norm = ch if ch in "“”‘’「」『』《》" else unicodedata.normalize("NFKC", ch)
        for c in norm:
            chars.append(c)
            origin.append((i, i + 1))
    text = "".join(chars)
    out: list[str] = []
    out_origin: list[tuple[int, int]] = []
    quotes: dict[str, str] = {}
    i = 0
    while i < len(text):
        close = _quote_close(text, i) if len(quotes) < PH_LAST - PH_FIRST else None
        if close is not None:
            ph = chr(PH_FIRST + len(quotes))
            quotes[ph] = message[origin[i][1]:origin[close][0]]
            out.append(ph)
            out_origin.append((origin[i][0], origin[close][1]))
            i = close + 1
            continue
        out.append(text[i])
        out_origin.append(origin[i])
        i += 1
    prepared = Prepared(message, "".join(out), out_origin, quotes)
    _capture_unquoted_titles(prepared)
    return prepared


# "typo - it should say Summer 2025": the words after a title lead-in are the title, as typed.
_LEAD = re.compile(
    r"(?:\bshould\s+(?:say|read)|\bmake\s+it\s+say|\b(?:title|caption|text)\s*:|\bsaying|\bthat\s+says|"
    r"(?:\btypo\b|\btitle\b|\btext\b)[^.;!?]*?\bshould\s+be|标题(?:改成|改为|应该是|写(?:上|着|成)?)|字幕(?:改成|改为))\s*",
    re.I)
_STOP = re.compile(r"[,;!?。；，！？]|\.(?!\d)|\s+(?:and|then|also|but)\s+|\s+not\s+\S+\s*$|[\U0001F300-\U0001FAFF]", re.I)
_NOT_TEXT = re.compile(r"^(?:at|on|in|from|for|until|till|to|the\s+(?:top|bottom|middle|center)|bigger|smaller|larger|"
                       r"red|white|black|yellow|blue|shorter|longer|louder|quieter)\b|"
                       # what the text should be about, not the text itself: asked for, never guessed
                       r"^(?:(?:today'?s|the)\s+)?date\b|^my\s+name\b|^the\s+time\b|^(?:今天的)?日期|^我的名字|^时间", re.I)


def _capture_unquoted_titles(p: Prepared) -> None:
    m = _LEAD.search(p.text)
    if not m:
        return
    start = m.end()
    if start >= len(p.text) or PH_RE.match(p.text[start]) or _NOT_TEXT.match(p.text[start:]):
        return
    stop = _STOP.search(p.text, start)
    end = stop.start() if stop else len(p.text)
    while end > start and p.text[end - 1].isspace():
        end -= 1
    if end <= start or len(p.quotes) >= PH_LAST - PH_FIRST:
        return
    ph = chr(PH_FIRST + len(p.quotes))
    p.quotes[ph] = p.raw[p.origin[start][0]:p.origin[end - 1][1]]
    p.text = p.text[:start] + ph + p.text[end:]
    p.origin = p.origin[:start] + [(p.origin[start][0], p.origin[end - 1][1])] + p.origin[end:]


def has_cjk(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))
