"""Clause splitting. Hard separators end a thought; soft ones ("and", commas, "but") may also join
two words of one thought ("calm and dreamy", "rock and roll"), so the reader may rejoin them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import genres

HARD = re.compile(
    r"[;!?。；！？\n]|\s*再(?=加|改|配|换|把|调|做|放|剪)(?<=\s再)|\.(?!\d|(?:mp4|mov|m4v|mkv|webm|avi|jpe?g|png|webp|gif|heic|mp3|wav|m4a|aac|flac|ogg)(?![a-z0-9]))|\b(?:and\s+)?then\b(?!\s+(?:just|only)\s+the\s+original)|\bafter\s+that\b|\bafterwards\b|"
    r"然后|接着|并且|而且|同时|还有|顺便|(?<=[^\s])再(?=[加把做改设调去删变放配换让剪裁弄给用])",
    re.I,
)
SOFT = re.compile(
    r",|、|\band\b|\bn\b|&|\+|\balso\b|\bplus\b|\bas well as\b|\bbut\b(?!\s+not\s+(?:over|during|in|for)\b)|，|"
    r"\s(?=just\s+(?:make|add|lower|raise|move|mute|turn|change|put|cut|keep|use|set|more|less|fade|duck)\b)|"
    r"(?<=[\u4e00-\u9fff\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F])\s+(?=[\u4e00-\u9fff\d])|"
    r"[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F]+(?=[\u4e00-\u9fff])|和(?=最后|前|后|结尾|开头|末尾)|"
    r"(?<=\S)\s+(?=with\s+(?:an?\s+)?(?:[\w.-]+\s+){0,3}(?:cross-?fades?|crossfades?|transitions?|dissolves?)\b)",  # "photo 5s with 1s crossfades"
    re.I,
)
_AND_PAIRS = {("rock", "roll"), ("drum", "bass"), ("rhythm", "blues"), ("r", "b"), ("black", "white"), ("in", "out")}


@dataclass
class Piece:
    start: int
    end: int
    soft_after: bool  # the separator after this piece was soft, so joining across it is allowed
    asked: bool  # a question mark ends it


def _soft_ok(text: str, m: re.Match[str]) -> bool:
    left, right = text[:m.start()].rstrip(), text[m.end():].lstrip()
    lw = re.search(r"([\w'-]+)$", left)
    rw = re.match(r"([\w'-]+)", right)
    left_word = lw.group(1).lower() if lw else ""
    right_word = rw.group(1).lower() if rw else ""
    sep = m.group(0).lower()
    if sep in ("and", "n", "&"):  # "n": "and" as it is typed ("music n a title", "rock n roll")
        if (left_word, right_word) in _AND_PAIRS:
            return False
        if re.search(r"\bbetween\s+\S+\s*$", left, re.I) or left_word == "hundred":
            return False
        if re.match(r"an?\s+half\b", right, re.I):
            return False
        if left_word in ("in", "fade") and right_word in ("out",):
            return False
    if sep == "," and re.match(r"like\s+\d", right):
        return False  # "quieter, like 40%"
    if left_word in genres.MOODS and right_word in genres.MOODS and sep in ("and", "n", ",", "&"):
        return False  # "calm and relaxing music", "happy, upbeat music"
    return True


def split(text: str) -> list[Piece]:
    pieces: list[Piece] = []
    pos = 0
    for hard in [*HARD.finditer(text), None]:
        hard_start = hard.start() if hard else len(text)
        asked = bool(hard and hard.group(0) in "?？")
        part_start = pos
        for soft in SOFT.finditer(text, pos, hard_start):
            if _soft_ok(text[:hard_start], soft):
                pieces.append(Piece(part_start, soft.start(), True, False))
                part_start = soft.end()
        pieces.append(Piece(part_start, hard_start, False, asked))
        pos = hard.end() if hard else len(text)
    pieces = [pc for pc in pieces if text[pc.start:pc.end].strip(" \t,.")]
    merged: list[Piece] = []
    for pc in pieces:
        if merged and _DETAIL.match(text[pc.start:pc.end]) and text[merged[-1].end:pc.start].strip() in ("", ",", "，", "、"):
            merged[-1] = Piece(merged[-1].start, pc.end, pc.soft_after, pc.asked)  # "淡出，五秒钟"
        else:
            merged.append(pc)
    return merged


# A piece that only gives a number belongs to the clause before it ("音乐淡出，五秒钟", "，大概10分贝").
_DETAIL = re.compile(
    r"^\s*(?:大概|大约|约|差不多|about|around|like|maybe)?\s*(?:第?[\d一二两三四五六七八九十半.:]+\s*(?:秒钟?|s|seconds?|分贝|db|%)?\s*"
    r"(?:到|至|-|to)\s*)?(?:第?[\d一二两三四五六七八九十半.:]+\s*(?:秒钟?|s|seconds?|分贝|db|%)|百分之[\d一二两三四五六七八九十]+)\s*(?:左右|就行|吧)?\s*$",
    re.I)
