"""The interpreter: a chat message in, pure draft edits and reply sentences out.

Offline and rule-based on purpose (no LLM): the message is normalised (case, full-width forms,
English and Chinese number words, units), split into clauses, and each clause is matched against
intent patterns that pull out slots. Every intent becomes an `Edit` whose `apply` is a pure
function of the draft, so the server can replay `apply_all(draft, edits)` and get exactly the
draft the reply sentences describe. Clauses are matched against the *running* draft (the draft
after the earlier edits), which is what makes "add music and lower it to 20%" work.

Quoted text is cut out of the message before anything else touches it, so titles survive as
typed: case, quotes, colons, `%` and the word "and" included.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from addmusic.protocol.draft import AUDIO, TEXT, VIDEO, Draft, Segment, Track, format_seconds

__all__ = ["Edit", "Interpretation", "apply_all", "interpret"]


@dataclass
class Edit:
    """One understood instruction: what the stream shows as a functionCall, and how to apply it."""

    tool: str
    args: dict[str, Any]
    apply: Callable[[Draft], Draft]  # pure: returns a new Draft, never mutates its input
    reply: str


@dataclass
class Interpretation:
    edits: list[Edit] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # clauses nothing matched, as typed
    replies: list[str] = field(default_factory=list)  # sentences that come with no edit


def apply_all(draft: Draft, edits: list[Edit]) -> Draft:
    """Apply edits in order; each sees the draft the earlier ones produced."""
    for edit in edits:
        draft = edit.apply(draft)
    return draft


# ---------------------------------------------------------------------------------------------
# Replies (English and Chinese): one table so the wording lives in one place.
# ---------------------------------------------------------------------------------------------

_REPLIES: dict[str, tuple[str, str]] = {
    "need_video": ("Upload a clip first — there is no video to edit yet.", "请先上传视频片段。"),
    "no_music": (
        "There is no music yet — say 'add background music' first.",
        "还没有音乐——请先说“加背景音乐”。",
    ),
    "no_music_to_remove": ("There is no music to remove.", "没有可以删除的音乐。"),
    "added_music": (
        "Added {label} background music at {volume}% ({span}).", "已添加{label}背景音乐，音量{volume}%（{span}）。"
    ),
    "replaced_music": (
        "Replaced the music with {label} background music at {volume}% ({span}).",
        "已把音乐换成{label}背景音乐，音量{volume}%（{span}）。",
    ),
    "changed_style": (
        "Switched the music to {label} ({span}, {volume}%).", "已把音乐换成{label}（{span}，音量{volume}%）。"
    ),
    "new_take": (
        "Swapped in a fresh {label} track ({span}, {volume}%).", "已换一首新的{label}音乐（{span}，音量{volume}%）。"
    ),
    "closest": (' (the closest style to "{mood}")', "（最接近“{mood}”的风格）"),
    "volume_set": ("Set the music volume to {volume}%.", "音乐音量已设为{volume}%。"),
    "volume_down": ("Lowered the music to {volume}%.", "音乐已调低到{volume}%。"),
    "volume_up": ("Raised the music to {volume}%.", "音乐已调高到{volume}%。"),
    "removed_music": ("Removed the background music.", "已删除背景音乐。"),
    "title_added": (
        'Added the title "{text}" at the {position} ({span}).', "已添加标题“{text}”，位置：{position}（{span}）。"
    ),
    "title_updated": ('Updated the title "{text}": {position}, {span}.', "已更新标题“{text}”：{position}，{span}。"),
    "title_need_text": (
        'What should the title say? Put the words in quotes, e.g. add a title "Summer 2024".',
        "标题要写什么？请把文字放在引号里，例如：加标题“夏日回忆”。",
    ),
    "no_titles": ("There are no titles yet.", "还没有标题。"),
    "no_such_title": ('There is no title "{text}".', "没有“{text}”这个标题。"),
    "title_removed": ('Removed the title "{text}".', "已删除标题“{text}”。"),
    "titles_removed": ("Removed {count} titles.", "已删除{count}个标题。"),
    "fade_in": ("The music now fades in over {fi}s.", "音乐现在在开头{fi}秒淡入。"),
    "fade_out": ("The music now fades out over the last {fo}s.", "音乐现在在最后{fo}秒淡出。"),
    "fade_both": ("The music now fades in over {fi}s and out over {fo}s.", "音乐现在{fi}秒淡入、{fo}秒淡出。"),
    "fade_in_off": ("Turned the music fade-in off.", "已取消音乐淡入。"),
    "fade_out_off": ("Turned the music fade-out off.", "已取消音乐淡出。"),
    "fade_both_off": ("Turned the music fades off.", "已取消音乐的淡入淡出。"),
    "duck_on": ("The music now ducks under speech.", "有人说话时音乐会自动压低。"),
    "duck_off": ("The music no longer ducks under speech.", "音乐不再随人声自动压低。"),
    "aspect": (
        "Set the canvas to {aspect} {name} ({width}x{height}).", "画面已改为{aspect}{name}（{width}x{height}）。"
    ),
    "aspect_unknown": ("I can make it 9:16, 16:9, 1:1, 4:5 or 4:3.", "可选的画面比例：9:16、16:9、1:1、4:5、4:3。"),
    "trimmed": ("Trimmed the video to the first {length}s.", "视频已剪到前{length}秒。"),
    "trimmed_window": (
        "Trimmed the video to {span} of the original ({length}s long).",
        "视频已剪成原片的{span}（时长{length}秒）。",
    ),
    "trim_too_long": (
        "The video is only {length}s long — I can make it shorter, not longer.",
        "视频只有{length}秒——只能剪短，不能加长。",
    ),
    "trim_noop": ("The video is already {length}s long.", "视频已经是{length}秒了。"),
    "loudness": ("The export will be normalized to {lufs} LUFS.", "导出时响度会标准化到{lufs} LUFS。"),
    "export_hint": (
        "When you're happy with it, send 'export' on its own and I'll render it.",
        "满意后单独发送“导出”即可渲染。",
    ),
    "neg_add_background_music": ("Okay, no music.", "好的，不加音乐。"),
    "neg_change_music_style": ("Okay, I'll keep the current music.", "好的，保留现在的音乐。"),
    "neg_set_music_volume": ("Okay, I'll leave the music volume as it is.", "好的，音乐音量保持不变。"),
    "neg_remove_music": ("Okay, I'll keep the music.", "好的，保留音乐。"),
    "neg_add_title": ("Okay, no title.", "好的，不加标题。"),
    "neg_edit_title": ("Okay, I'll leave the title as it is.", "好的，标题保持不变。"),
    "neg_remove_titles": ("Okay, I'll keep the titles.", "好的，保留标题。"),
    "neg_set_aspect_ratio": ("Okay, I'll keep the current shape.", "好的，保持现在的画面比例。"),
    "neg_trim_video": ("Okay, I'll keep the full length.", "好的，保持完整长度。"),
    "neg_normalize_loudness": ("Okay, I'll leave the loudness as it is.", "好的，响度保持不变。"),
    "neg_export": ("Okay, not exporting yet.", "好的，暂不导出。"),
    "neg_other": ("Okay, I'll leave that as it is.", "好的，保持不变。"),
}

_POSITION_NAMES = {"top": ("top", "顶部"), "bottom": ("bottom", "底部"), "center": ("center", "居中")}


def _say(key: str, lang: str, **values: Any) -> str:
    en, zh = _REPLIES[key]
    return (zh if lang == "zh" else en).format(**values)


def _span(start: int, end: int) -> str:
    return f"{format_seconds(start)}-{format_seconds(end)}s"


# ---------------------------------------------------------------------------------------------
# Styles: the composer owns the real table; this fallback keeps the interpreter usable (and its
# tests independent) when `addmusic.engine.music` cannot be imported.
# ---------------------------------------------------------------------------------------------

_FALLBACK_DEFAULT = "lofi"
_FALLBACK_LABELS = {
    "lofi": "Lo-fi", "upbeat": "Upbeat", "cinematic": "Cinematic",
    "acoustic": "Acoustic", "electronic": "Electronic", "chill": "Chill",
}
# Checked in order, substring match: "chillhop" must reach lo-fi before "chill" reaches chill.
_FALLBACK_MOODS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lofi", ("lo-fi", "lofi", "lo fi", "chillhop", "chill hop", "hip hop", "hip-hop", "hiphop", "jazz",
              "study", "cozy", "retro", "vintage", "低保真", "嘻哈", "爵士", "复古")),
    ("electronic", ("electronic", "electro", "edm", "techno", "house", "dance", "synth", "club", "dubstep",
                    "trance", "energ", "workout", "gaming", "电子", "电音", "舞曲", "动感", "劲爆")),
    ("cinematic", ("cinematic", "epic", "dramatic", "orchestra", "movie", "film", "trailer", "heroic",
                   "inspir", "powerful", "dark", "intense", "suspense", "grand", "adventur", "史诗",
                   "电影", "大气", "震撼", "激昂", "宏大", "紧张", "悬疑")),
    ("acoustic", ("acoustic", "guitar", "folk", "piano", "country", "warm", "sad", "romantic",
                  "sentimental", "nostalgi", "emotional", "travel", "吉他", "民谣", "钢琴", "温暖",
                  "伤感", "浪漫", "抒情", "怀旧", "清新")),
    ("chill", ("chill", "calm", "relax", "peace", "ambient", "soft", "mellow", "gentle", "slow", "dream",
               "serene", "tranquil", "smooth", "轻松", "放松", "舒缓", "安静", "平静", "柔和", "悠闲", "治愈")),
    ("upbeat", ("upbeat", "happ", "cheer", "fun", "joy", "bright", "positive", "party", "pop", "fast",
                "lively", "summer", "sport", "rock", "uplift", "sunny", "exciting", "hype", "欢快", "开心",
                "快乐", "活泼", "愉快", "轻快", "阳光", "喜庆", "热闹", "激情")),
)


def _fallback_style(mood: str | None) -> str | None:
    if not mood:
        return None
    low = mood.lower()
    for key, words in _FALLBACK_MOODS:
        if any(w in low for w in words):
            return key
    return None


def _is_mood(text: str) -> bool:
    """Whether a word or phrase names a musical mood we know, used to tell moods from other words."""
    return _fallback_style(text) is not None


def _resolve_style(mood: str | None) -> tuple[str, str]:
    """Style key and label for a mood: the composer's own table when it imports, else the fallback."""
    try:
        music = importlib.import_module("addmusic.engine.music")
        key = music.style_for(mood or "")
        label = music.style_label(key)
        if isinstance(key, str) and key and isinstance(label, str) and label:
            return key, label
    except Exception:  # noqa: BLE001 — the composer is written in parallel; any failure falls back
        pass
    key = _fallback_style(mood) or _FALLBACK_DEFAULT
    return key, _FALLBACK_LABELS[key]


def _new_hex() -> str:
    return uuid.uuid4().hex[:12]


# ---------------------------------------------------------------------------------------------
# Preparing the message: NFKC with an origin map (so a clause can be named back as typed),
# quoted text cut out into placeholders, then clauses.
# ---------------------------------------------------------------------------------------------

_PH_FIRST, _PH_LAST = 0xE000, 0xF8FF  # private-use characters stand in for quoted text
_PH_RE = re.compile("[\ue000-\uf8ff]")

_QUOTE_PAIRS: dict[str, str] = {
    '"': '"', "“": "”“", "”": "”", "„": "“”", "‘": "’'", "'": "'", "「": "」", "『": "』",
    "《": "》", "〈": "〉", "«": "»", "‹": "›",
}
_APOSTROPHES = "'‘’"


@dataclass
class _Prepared:
    raw: str
    text: str  # NFKC, case kept, quotes replaced by placeholder characters
    origin: list[tuple[int, int]]  # the raw span behind each character of `text`
    quotes: dict[str, str]  # placeholder -> quoted text exactly as typed

    def raw_of(self, start: int, end: int) -> str:
        while start < end and (self.text[start].isspace() or self.text[start] in ",;"):
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        if start >= end:
            return ""
        return self.raw[self.origin[start][0]:self.origin[end - 1][1]]


def _quote_close(text: str, i: int) -> int | None:
    """Index of the quote closing the one that opens at `i`, or None if `i` opens nothing."""
    closers = _QUOTE_PAIRS.get(text[i])
    if not closers:
        return None
    if text[i] in _APOSTROPHES and i > 0 and text[i - 1].isalnum():
        return None  # don't, kids' — an apostrophe, not a quote
    for j in range(i + 1, len(text)):
        if text[j] in closers:
            if text[j] in _APOSTROPHES and j + 1 < len(text) and text[j + 1].isalnum():
                continue  # it's, rock 'n' roll — still inside
            return j
    return None


_NUM_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred"
)
_TITLE_LEAD = re.compile(
    r"\b(?:titles?|captions?|subtitles?|text|heading)\s*(?::|\bsaying\b|\bthat\s+says\b|\bwhich\s+says\b"
    r"|\breading\b|\bthat\s+reads\b|\bcalled\b|\bnamed\b)\s*|(?:标题|字幕|文字)\s*(?::|是|为|写着|叫)\s*",
    re.I,
)
_TITLE_STOP = re.compile(
    r"[,;!?。；、]|\.(?!\d)|\s+(?:and\s+)?then\b|然后|并且|"
    r"\s+and\s+(?=(?:make|add|put|set|lower|raise|turn|remove|delete|fade|duck|trim|cut|change|use|"
    r"normali[sz]e|export)\b)",
    re.I,
)
_TITLE_TRAILERS = [
    re.compile(p, re.I)
    for p in (
        rf"\s+(?:for|during|lasting)\s+(?:the\s+)?(?:first\s+|last\s+)?(?:\d+(?:\.\d+)?|(?:{_NUM_WORDS})"
        rf"(?:[\s-]+(?:{_NUM_WORDS}|and|a|half))*)\s*-?\s*(?:s|secs?|seconds?)$",
        r"\s+(?:from|between)\s+\S+(?:\s*(?:s|secs?|seconds?))?\s+(?:to|and|until|-)\s+\S+(?:\s*(?:s|secs?|seconds?))?$",
        r"\s+(?:at|on|in|to)\s+(?:the\s+)?(?:very\s+)?(?:top|bottom|center|centre|middle|start|beginning|end"
        r"|lower third)(?:\s+of\s+(?:the\s+)?(?:screen|video|frame|clip))?$",
        r"\s+at\s+\S+\s*(?:s|secs?|seconds?)$",
        r"\s+(?:and|&)$",
        r"\s*(?:\d+(?:\.\d+)?|[一二两三四五六七八九十]+)\s*秒钟?$",
        r"\s*(?:在|放在|放到)?(?:顶部|底部|中间|居中|上方|下方|上面|下面)$",
    )
]


def _prepare(message: str) -> _Prepared:
    chars: list[str] = []
    origin: list[tuple[int, int]] = []
    for i, ch in enumerate(message):
        for c in unicodedata.normalize("NFKC", ch):
            chars.append(c)
            origin.append((i, i + 1))
    text = "".join(chars)
    out: list[str] = []
    out_origin: list[tuple[int, int]] = []
    quotes: dict[str, str] = {}
    i = 0
    while i < len(text):
        close = _quote_close(text, i) if len(quotes) < _PH_LAST - _PH_FIRST else None
        if close is not None:
            ph = chr(_PH_FIRST + len(quotes))
            quotes[ph] = message[origin[i][1]:origin[close][0]]
            out.append(ph)
            out_origin.append((origin[i][0], origin[close][1]))
            i = close + 1
            continue
        out.append(text[i])
        out_origin.append(origin[i])
        i += 1
    prepared = _Prepared(message, "".join(out), out_origin, quotes)
    _capture_unquoted_titles(prepared)
    return prepared


def _capture_unquoted_titles(p: _Prepared) -> None:
    """`title: Rock and Roll` — treat the words after a title lead-in as if they had been quoted."""
    pos = 0
    while True:
        m = _TITLE_LEAD.search(p.text, pos)
        if not m:
            return
        start = m.end()
        if start >= len(p.text):
            return
        if _PH_RE.match(p.text[start]):  # already quoted
            pos = start + 1
            continue
        stop = _TITLE_STOP.search(p.text, start)
        end = stop.start() if stop else len(p.text)
        words = p.text[start:end].rstrip()
        changed = True
        while changed and words:
            changed = False
            for trailer in _TITLE_TRAILERS:
                cut = trailer.sub("", words)
                if cut != words:
                    words, changed = cut.rstrip(), True
        if not words.strip() or len(p.quotes) >= _PH_LAST - _PH_FIRST:
            pos = end if end > start else start + 1
            continue
        end = start + len(words)
        ph = chr(_PH_FIRST + len(p.quotes))
        p.quotes[ph] = p.raw[p.origin[start][0]:p.origin[end - 1][1]]
        p.text = p.text[:start] + ph + p.text[end:]
        p.origin = p.origin[:start] + [(p.origin[start][0], p.origin[end - 1][1])] + p.origin[end:]
        pos = start + 1


# Clause splitting. Hard separators end a thought; soft ones ("and", commas) may join adjectives.
_HARD_SPLIT = re.compile(
    r"[;!?。；！？]|\.(?!\d)|\b(?:and\s+)?then\b|\bafter\s+that\b|\bafterwards\b|然后|接着|并且|而且|同时|"
    r"(?<=[^\s])再(?=[加把做改设调去删变放配换让剪裁弄给用])",
    re.I,
)
_SOFT_SPLIT = re.compile(r",|、|\band\b|&|\balso\b|\bplus\b|\bas well as\b", re.I)
_AND_PAIRS = {("rock", "roll"), ("drum", "bass"), ("rhythm", "blues"), ("r", "b"), ("black", "white"),
              ("in", "out")}


def _soft_split_ok(text: str, m: re.Match[str]) -> bool:
    """Whether a soft separator really separates two instructions."""
    left, right = text[:m.start()].rstrip(), text[m.end():].lstrip()
    lw = re.search(r"([\w'-]+)$", left)
    rw = re.match(r"([\w'-]+)", right)
    left_word = lw.group(1).lower() if lw else ""
    right_word = rw.group(1).lower() if rw else ""
    if m.group(0).lower() in ("and", "&"):
        if (left_word, right_word) in _AND_PAIRS:
            return False
        if re.search(r"\bbetween\s+\S+\s*$", left, re.I) or left_word == "hundred":
            return False
        if re.match(r"an?\s+half\b", right, re.I):
            return False
    if left_word and right_word and _is_mood(left_word) and _is_mood(right_word):
        return False  # "calm and relaxing music", "happy, upbeat music"
    return True


@dataclass
class _Piece:
    start: int
    end: int
    soft_after: bool  # the separator after this piece was soft, so joining across it is allowed


def _split(text: str) -> list[_Piece]:
    """Clauses as spans of the prepared text, so each can be named back exactly as typed."""
    pieces: list[_Piece] = []
    pos = 0
    for hard in [*_HARD_SPLIT.finditer(text), None]:
        hard_start = hard.start() if hard else len(text)
        part_start = pos
        for soft in _SOFT_SPLIT.finditer(text, pos, hard_start):
            if _soft_split_ok(text[:hard_start], soft):
                pieces.append(_Piece(part_start, soft.start(), True))
                part_start = soft.end()
        pieces.append(_Piece(part_start, hard_start, False))
        pos = hard.end() if hard else len(text)
    return [pc for pc in pieces if text[pc.start:pc.end].strip(" \t,.")]


# ---------------------------------------------------------------------------------------------
# Normalising one clause: case, numbers (English and Chinese), units.
# ---------------------------------------------------------------------------------------------

_EN_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_EN_DIGIT = "zero|one|two|three|four|five|six|seven|eight|nine"
_EN_RUN = re.compile(
    rf"\b(?:a\s+(?=hundred\b))?(?:{_NUM_WORDS})\b(?:(?:\s+|-)(?:{_NUM_WORDS})\b)*"
    rf"(?:\s+point(?:\s+(?:{_EN_DIGIT})\b)+)?(?:\s+and\s+an?\s+half\b)?"
)
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_ZH_MULT = {"十": 10, "百": 100, "千": 1000}
_ZH_NUM = "零〇一二两三四五六七八九十百千"
_ZH_RUN = re.compile(rf"[{_ZH_NUM}]+(?:点[零〇一二两三四五六七八九]+)?")
_NUM = r"\d+(?:\.\d+)?"


def _fmt(value: float) -> str:
    return f"{value:g}"


def _en_value(run: str) -> float:
    words = re.findall(r"[a-z]+", run)
    total, half, decimals, in_decimals = 0, False, "", False
    for w in words:
        if w == "point":
            in_decimals = True
        elif in_decimals and w in _EN_UNITS:
            decimals += str(_EN_UNITS[w])
        elif w == "half":
            half = True
        elif w == "hundred":
            total = max(total, 1) * 100
        elif w in _EN_UNITS:
            total += _EN_UNITS[w]
        elif w in _EN_TENS:
            total += _EN_TENS[w]
    value = float(f"{total}.{decimals}") if decimals else float(total)
    return value + (0.5 if half else 0)


def _en_run(m: re.Match[str]) -> str:
    """A number-word run as digits — but a lone "one" only before a unit ("another one" is a pronoun)."""
    run = m.group(0)
    if run == "one" and not re.match(r"\s*-?\s*(?:seconds?|secs?|s\b|minutes?|mins?|percent|per\s*cent|%|pct)",
                                      m.string[m.end():]):
        return run
    return _fmt(_en_value(run))


def _zh_int(s: str) -> int:
    total, num = 0, 0
    for ch in s:
        if ch in _ZH_DIGITS:
            num = _ZH_DIGITS[ch]
        else:
            total += (num or 1) * _ZH_MULT[ch]
            num = 0
    return total + num


def _zh_value(run: str) -> float:
    if "点" in run:
        whole, frac = run.split("点", 1)
        return _zh_int(whole) + float("0." + "".join(str(_ZH_DIGITS[c]) for c in frac))
    return float(_zh_int(run))


def _numbers(t: str) -> str:
    """Number words to digits, so every pattern downstream only has to know `30%` and `2.5s`."""
    # Chinese: fillers first ("小一点" = "a bit quieter", not "1 o'clock"), then 百分之, runs, halves.
    t = re.sub(rf"一(?:点儿?|下|些)(?![{_ZH_NUM}])", "", t)
    t = re.sub(rf"百分之\s*([{_ZH_NUM}点]+|{_NUM})",
               lambda m: (m.group(1) if m.group(1)[0].isdigit() else _fmt(_zh_value(m.group(1)))) + "%", t)
    t = _ZH_RUN.sub(lambda m: _fmt(_zh_value(m.group(0))), t)
    t = re.sub(rf"({_NUM})\s*分半钟?", lambda m: _fmt(float(m.group(1)) * 60 + 30) + "s", t)
    t = re.sub(rf"({_NUM})\s*秒半", lambda m: _fmt(float(m.group(1)) + 0.5) + "s", t)
    t = t.replace("半分钟", "30s").replace("半秒", "0.5s")
    t = re.sub(rf"({_NUM})\s*成(?![功为了])", lambda m: _fmt(float(m.group(1)) * 10) + "%", t)
    # English.
    t = re.sub(r"\bbetween\s+(\S+?)\s*(?:s|secs?|seconds?)?\s+and\s+", r"from \1 to ", t)
    t = re.sub(r"\bhundred\s+and\s+(?=[a-z])", "hundred ", t)
    t = re.sub(r"\b(for|over|in|about|just|after|of|within)\s+a\s+(second|minute)\b", r"\1 1 \2", t)
    t = re.sub(r"\ba\s+minute\b", "1 minute", t)
    t = re.sub(r"\ba\s+couple\s+(?:of\s+)?(seconds?)", r"2 \1", t)
    t = re.sub(r"\ba\s+few\s+(seconds?)", r"3 \1", t)
    t = _EN_RUN.sub(_en_run, t)
    t = re.sub(rf"({_NUM})\s+and\s+an?\s+half\b", lambda m: _fmt(float(m.group(1)) + 0.5), t)
    t = re.sub(r"\b(?:half\s+an?|an?\s+half|half)[\s-]+(second|minute)", r"0.5 \1", t)
    t = re.sub(rf"\bminus\s+({_NUM})", r"-\1", t)
    return t


def _units(t: str) -> str:
    """One spelling per unit (`Ns`, `N%`): minutes and milliseconds become seconds."""
    def secs(value: float) -> str:
        return _fmt(round(value, 3)) + "s"

    t = re.sub(rf"({_NUM})\s*(?:ms|milliseconds?|毫秒)(?![a-z])", lambda m: secs(float(m.group(1)) / 1000), t)
    t = re.sub(rf"({_NUM})\s*(?:minutes?|mins?|分钟?)\s*(?:and\s+)?({_NUM})\s*(?:seconds?|secs?|s|秒钟?)(?![a-z])",
               lambda m: secs(float(m.group(1)) * 60 + float(m.group(2))), t)
    t = re.sub(rf"({_NUM})\s*-?\s*(?:minutes?|mins?|分钟)(?![a-z])", lambda m: secs(float(m.group(1)) * 60), t)
    t = re.sub(rf"({_NUM})\s*-?\s*(?:seconds?|secs?|s|秒钟?)(?![a-z])", lambda m: secs(float(m.group(1))), t)
    t = re.sub(rf"({_NUM})\s*(?:%|percent|per\s*cent|pct)(?![a-z])", r"\1%", t)
    return t


_LEAD = re.compile(
    r"^(?:(?:please|pls|plz|kindly|just|now|also|and|then|so|ok(?:ay)?|hey|hi|hello|oh|um|well|but|"
    r"can you|could you|would you|will you|can we|could we|i'?d like (?:you )?to|i would like (?:you )?to|"
    r"i want you to|i need you to|let'?s|go ahead and|help me|try to|try and)\s+)+"
    r"|^(?:请|帮我|麻烦你?|给我|帮忙|能不能|能否|可不可以|可以|再|也|还要?)+"
)
_TAIL = re.compile(
    r"(?:\s*(?:please|pls|plz|thanks|thank you|thx|for me|for us|now|too|as well|ok(?:ay)?|吧|吗|呢|了|啊|哦|呀|"
    r"好吗|好不好|可以吗|行吗|谢谢|[!.?~]))+$"
)


def _normalise(text: str) -> str:
    """The form every intent pattern matches against: lower case, digits, one unit spelling, no politeness."""
    t = text.lower().replace("’", "'").replace("‘", "'")
    t = re.sub(r"\bfade-?(in|out)\b", r"fade \1", t)
    t = re.sub(r"\bfades?-(in|out)s?\b", r"fade \1", t)
    t = re.sub(r"\bauto-?duck", "auto duck", t)
    t = re.sub(r"\bbg\s+music\b", "background music", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = _units(_numbers(t))
    for _ in range(3):
        t = _TAIL.sub("", _LEAD.sub("", t)).strip()
    return t


@dataclass
class _Clause:
    t: str  # normalised text; quoted text appears as placeholder characters
    quotes: list[str]  # quoted text in order, exactly as typed
    raw: str


# ---------------------------------------------------------------------------------------------
# Vocabulary shared by the intents.
# ---------------------------------------------------------------------------------------------

_MUSIC_NOUN = r"(?:music|bgm|soundtrack|songs?|tunes?|track|beats?|melody|instrumental)"
_MUSIC_EN = re.compile(rf"\b{_MUSIC_NOUN}\b")
_MUSIC_ZH = re.compile(r"背景音乐|音乐|配乐|bgm|歌曲|歌|曲子|旋律|纯音乐")
_TITLE_NOUN = r"(?:titles?|captions?|subtitles?|texts?|headings?|headlines?|overlays?|lower thirds?)"
_TITLE_ANY = re.compile(rf"\b{_TITLE_NOUN}\b|标题|字幕|文字|文案")
_REMOVE_EN = r"remove|delete|drop|clear|erase|get rid of|take (?:off|out|away|down)|kill|lose|ditch|scrap|strip|cut"
_REMOVE_ZH = r"去掉|删除|删掉|移除|去除|取消|拿掉|清除|清空|关掉|关闭|不要|不需要|不用"
_SECS = re.compile(rf"(-?{_NUM})s(?![a-z])")
_PCT = re.compile(rf"({_NUM})%")
_NEGATION = re.compile(
    r"^(?:(?:i|we|please)\s+)?(?:don't|dont|do not|didn't|never|not|no need to|let's not|lets not|"
    r"shouldn't|won't|wouldn't)\s+|^(?:先)?(?:不要|别|不用|无需|不需要|没必要|甭)"
)
_NOISE = re.compile(
    r"^(?:please|pls|thanks?|thank you|thx|ok|okay|cool|great|nice|perfect|awesome|hi|hello|hey|yes|yeah|"
    r"yep|sure|no|nope|and|also|then|谢谢|谢了|好的|好|你好|嗯|请|麻烦了|可以|行)?$"
)


def _mentions_music(t: str) -> bool:
    return bool(_MUSIC_EN.search(t) or _MUSIC_ZH.search(t))


def _seconds(t: str) -> list[tuple[float, tuple[int, int]]]:
    return [(float(m.group(1)), m.span()) for m in _SECS.finditer(t)]


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def _music_segments(d: Draft) -> list[Segment]:
    return [s for t in d.tracks_of(AUDIO) for s in t.segments]


def _has_video(d: Draft) -> bool:
    return any(t.segments for t in d.tracks_of(VIDEO))


def _titles(d: Draft) -> list[Segment]:
    return [s for t in d.tracks_of(TEXT) for s in t.segments]


def _insert_track(d: Draft, track: Track) -> None:
    """Keep tracks in type order (video, music, titles) so the summary reads naturally."""
    index = 0
    for i, existing in enumerate(d.tracks):
        if existing.type <= track.type:
            index = i + 1
    d.tracks.insert(index, track)


def _map_music(fn: Callable[[Segment], None]) -> Callable[[Draft], Draft]:
    def apply(draft: Draft) -> Draft:
        d = draft.copy()
        for seg in _music_segments(d):
            fn(seg)
        return d

    return apply


@dataclass
class _Outcome:
    """What a clause meant: an edit, or only a sentence (no music yet, negated, …)."""

    tool: str
    edit: Edit | None = None
    note: str | None = None


_Matcher = Callable[[_Clause, Draft, str], "_Outcome | None"]


# ---------------------------------------------------------------------------------------------
# Intent: background music (add, change style, remove).
# ---------------------------------------------------------------------------------------------

_ADD_EN = re.compile(
    r"\b(?:add|adding|put|insert|include|throw in|drop in|lay(?: down)?|play|give (?:it|me|us|the video|this)|"
    r"want|need|use|generate|compose|create|make|get|score|stick|slap|pop|bring in|with|"
    r"i'd like|i would like)\b"
    rf"(?P<pre>(?:\s+[^\s]+){{0,6}}?)\s+(?:background\s+|backing\s+)?(?P<noun>{_MUSIC_NOUN})\b(?P<post>.*)$"
)
_ADD_ZH = re.compile(
    r"(?:加上|添加|加|配上|配|放上|放|来|插入|增加|生成|需要|想要|(?<![不别])要|用)(?P<pre>.{0,12}?)"
    r"(?P<noun>背景音乐|音乐|配乐|bgm|歌曲|歌|曲子|纯音乐|曲)(?P<post>.*)$"
)
_NOUN_ONLY = re.compile(
    r"^(?:some\s+|more\s+|an?\s+)?(?P<pre>(?:[\w'-]+,?\s+){0,3}?)(?:background\s+|backing\s+)?"
    r"(?P<noun>music|bgm|soundtrack|songs?|tunes?|beats?)(?P<post>(?:\s+(?:please|to|for|on|under|in|at|with|that|"
    r"which|like)\b.*)?)$"
    r"|^(?:\d*[首段个点些支])?(?P<zpre>.{0,8}?)的?(?P<znoun>背景音乐|音乐|配乐|bgm)(?:吧|啊)?$"
)
_PRE_BLOCK = {"the", "it", "its", "it's", "this", "that", "these", "those", "to", "from", "fade", "fades",
              "fading", "duck", "ducking", "title", "titles", "text", "caption", "volume", "when", "out",
              "off", "down", "up", "than", "rid", "sure", "louder", "quieter"}
_NOT_ADD_VERBS = {"set", "make", "turn", "lower", "raise", "change", "switch", "bring", "keep", "fade", "mute",
                  "remove", "delete", "stop", "cut", "trim", "adjust", "reduce", "increase", "boost", "drop", "swap",
                  "replace"}
_PRE_BLOCK_ZH = re.compile(r"音量|淡|标题|字幕|把|调|避让|说话|降低|压低")
_MOOD_STOP = {"some", "a", "an", "any", "nice", "good", "cool", "little", "bit", "of", "background", "backing",
              "me", "us", "please", "more", "new", "fresh", "my", "our", "royalty-free", "royalty", "free",
              "generated", "original", "great", "fitting", "suitable", "appropriate", "matching", "kind", "sort",
              "type", "piece", "quiet", "quietly", "loud", "loudly", "really", "very", "music", "with",
              "instead", "something", "anything", "one", "style", "vibe", "vibes", "song", "track"}
_VOLUME_WORDS = {"soft", "softly", "quiet", "quietly", "loud", "loudly", "gently", "subtly", "low"}
_MOOD_POST = [
    re.compile(r"\b(?:something|anything)\s+(?:a bit\s+|a little\s+|more\s+)?([\w'-]+(?:\s+[\w'-]+)?)"),
    re.compile(r"\b(?:with|in)\s+an?\s+([\w'-]+(?:\s+[\w'-]+)?)\s+(?:vibe|feel|style|mood|tone|sound)\b"),
    re.compile(r"\b(?:that'?s|that is|that sounds|that feels|which is|sounding|feeling|like)\s+"
               r"(?:really\s+|very\s+|kind of\s+|a bit\s+)?([\w'-]+)"),
]


def _volume_slot(t: str) -> int | None:
    """An explicit volume inside another instruction: "at 30%", "quietly", "loud"."""
    if m := _PCT.search(t):
        return max(0, min(100, round(float(m.group(1)))))
    if m := re.search(r"\bvolume\s*(?:of|at|to|=)?\s*(\d+)(?![\d.%s])|音量\s*(\d+)(?![\d.%s])", t):
        return max(0, min(100, int(m.group(1) or m.group(2))))
    if re.search(r"\b(?:quiet(?:ly)?|softly|low[\s-]volume|barely audible|subtle|subtly|not (?:too|so) loud|"
                 r"gently)\b|小声|轻轻|低音量|轻一点", t):
        return 20
    if re.search(r"\b(?:full|max(?:imum)?) volume\b", t):
        return 100
    if re.search(r"\b(?:loud(?:ly)?|high volume|blasting)\b|大声|响亮", t):
        return 80
    return None


def _clean_mood(words: str) -> str | None:
    kept = [w.strip(",.") for w in words.split()]
    kept = [w for w in kept if w and w not in _MOOD_STOP and not _PCT.fullmatch(w) and not _PH_RE.search(w)]
    while kept and kept[0] in ("and", "&", "or"):
        kept.pop(0)
    while kept and kept[-1] in ("and", "&", "or"):
        kept.pop()
    return " ".join(kept) or None


def _clean_zh_mood(words: str) -> str | None:
    mood = re.sub(r"^\d*(?:首|段|个|点|些|支|曲)?", "", words)
    mood = re.sub(r"(?:风格|感觉|类型|一点|点)?的?$", "", mood).strip()
    mood = re.sub(r"小声|大声|轻轻|低音量|响亮", "", mood).strip("的 ")
    return mood or None


def _post_mood(post: str) -> str | None:
    for pattern in _MOOD_POST:
        if (m := pattern.search(post)) and _is_mood(m.group(1)):
            return _clean_mood(m.group(1))
    for word in re.findall(r"[\w'-]+", post):
        if _is_mood(word) and word not in _VOLUME_WORDS:
            return word
    return None


def _build_add_music(c: _Clause, d: Draft, lang: str, mood: str | None) -> _Outcome:
    tool = "add_background_music"
    if not _has_video(d):
        return _Outcome(tool, note=_say("need_video", lang))
    style, label = _resolve_style(mood)
    volume = _volume_slot(c.t)
    volume = 35 if volume is None else volume
    fades = _parse_fades(c.t) or {}
    fade_in = fades.get("fade_in_ms", 1000)
    fade_out = fades.get("fade_out_ms", 2000)
    duck = _parse_duck(c.t)
    duck = True if duck is None else duck
    hex12 = _new_hex()
    src, seed, seg_id = f"gen_{hex12}", int(hex12[:8], 16), f"bgm_{hex12[:8]}"

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        end = out.end
        if end <= 0:
            return out
        seg = Segment(id=seg_id, label=label, src=src, start=0, duration=end, volume=volume,
                      fade_in=min(fade_in, end), fade_out=min(fade_out, end), duck=duck,
                      extra={"style": style, "mood": mood, "seed": seed})
        audio = out.tracks_of(AUDIO)
        if audio:
            audio[0].segments = [seg]
        else:
            _insert_track(out, Track(AUDIO, [seg]))
        return out

    key = "replaced_music" if _music_segments(d) else "added_music"
    shown = label + _closest(mood, style, label, lang)
    reply = _say(key, lang, label=shown, volume=volume, span=_span(0, d.end))
    args = {"mood": mood, "style": style, "volume": volume, "fade_in_ms": fade_in, "fade_out_ms": fade_out,
            "duck": duck}
    return _Outcome(tool, Edit(tool, args, apply, reply))


def _closest(mood: str | None, style: str, label: str, lang: str) -> str:
    """Say so when the mood asked for is not a style we have, so "jazz" → Lo-fi isn't a surprise."""
    if not mood or _is_mood(mood) or style in mood.lower() or label.lower() in mood.lower():
        return ""
    return _say("closest", lang, mood=mood)


def _build_change_style(c: _Clause, d: Draft, lang: str, mood: str | None) -> _Outcome:
    tool = "change_music_style"
    current = _music_segments(d)
    if not current:
        if mood is None:
            return _Outcome(tool, note=_say("no_music", lang))
        return _build_add_music(c, d, lang, mood)
    first = current[0]
    if mood is None:  # "another one": same style, new take
        style = str(first.extra.get("style") or "") or _resolve_style(None)[0]
        label = first.label or _resolve_style(style)[1]
        old_mood = first.extra.get("mood")
        new_mood = old_mood if isinstance(old_mood, str) else None
    else:
        style, label = _resolve_style(mood)
        new_mood = mood
    hex12 = _new_hex()
    src, seed = f"gen_{hex12}", int(hex12[:8], 16)

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        tracks = out.tracks_of(AUDIO)
        if tracks:
            for seg in tracks[0].segments:
                seg.src, seg.label, seg.waveform = src, label, None
                seg.extra = {**seg.extra, "style": style, "mood": new_mood, "seed": seed}
        return out

    volume = 100 if first.volume is None else first.volume
    span = _span(first.start, first.end)
    if mood is None:
        reply = _say("new_take", lang, label=label, span=span, volume=volume)
    else:
        shown = label + _closest(mood, style, label, lang)
        reply = _say("changed_style", lang, label=shown, span=span, volume=volume)
    return _Outcome(tool, Edit(tool, {"mood": mood, "style": style}, apply, reply))


def _m_music_add(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """"add upbeat music at 30%", "music please", "配上欢快的音乐"."""
    t = c.t
    m = _ADD_EN.search(t)
    if m and not (set(m.group("pre").split()) & _PRE_BLOCK):
        mood = _clean_mood(m.group("pre")) or _post_mood(m.group("post"))
        return _build_add_music(c, d, lang, mood)
    m = _ADD_ZH.search(t)
    if m and not _PRE_BLOCK_ZH.search(m.group("pre")) and not re.search(r"\d+(?:\.\d+)?s", m.group("pre")):
        return _build_add_music(c, d, lang, _clean_zh_mood(m.group("pre")))
    m = _NOUN_ONLY.match(t)
    if m and m.group("znoun"):
        if _PRE_BLOCK_ZH.search(m.group("zpre")):
            return None
        return _build_add_music(c, d, lang, _clean_zh_mood(m.group("zpre")))
    if m and not (set(m.group("pre").replace(",", " ").split()) & (_PRE_BLOCK | _NOT_ADD_VERBS)):
        mood = _clean_mood(m.group("pre")) or _post_mood(m.group("post"))
        if _music_segments(d) and mood is None and _volume_slot(t) is not None:
            return None  # "music at 20%" with music already there: a volume change
        return _build_add_music(c, d, lang, mood)
    return None


_CHANGE_EN = re.compile(
    r"\b(?:change|switch|swap|replace|turn|convert)\b(?:\s+(?:the|my|this|that|our))?\s+(?:background\s+)?"
    rf"(?:{_MUSIC_NOUN}|style|genre|vibe|mood)(?:\s+(?:style|genre|vibe|mood))?\s+(?:to|with|for|into|over to)\s+"
    r"(?P<mood>.+)$"
)
_SWITCH_TO = re.compile(r"^(?:switch|change|go)\s+(?:it\s+)?(?:over\s+)?to\s+(?P<mood>.+)$")
_USE_SOMETHING = re.compile(
    r"\b(?:use|try|pick|choose|go with|want|prefer|give me|play)\s+(?:something|anything|some|an?)\s+(?P<mood>.+)$"
)
_ANOTHER = re.compile(
    r"\b(?:another|different|new|other|fresh)\s+(?:one|song|track|tune|music|take|version|bgm|piece)\b|"
    r"\bregenerate\b|\bre-?roll\b|\bshuffle\b|\btry again\b|换(?:\d+)?首|换个(?:音乐|歌|配乐)|重新生成"
)
_CHANGE_ZH = re.compile(
    r"(?:换|改|切换|替换)(?:成|为|到)?(?P<mood>.*?)(?:的)?(?:风格|音乐|配乐|歌|曲子|bgm)?$"
)
_CHANGE_FILLER = re.compile(
    r"^(?:to\s+)?(?:something|anything|some|an?|the|more|a bit|a little|bit|little|slightly|much)\s+|"
    r"\s+(?:music|song|track|one|instead|vibes?|style|please|version|feel|tune|bgm|type|kind|genre|sound)$"
)


def _change_mood(raw_mood: str) -> str | None:
    mood = raw_mood.strip()
    for _ in range(4):
        mood = _CHANGE_FILLER.sub("", mood).strip()
    return mood or None


def _m_music_change(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """"change the music to jazz", "try a different song", "换成欢快的音乐"."""
    t = c.t
    if _ANOTHER.search(t) and (_mentions_music(t) or re.search(r"\bone\b|换", t) or _music_segments(d)):
        if not re.search(rf"\b{_TITLE_NOUN}\b", t):
            return _build_change_style(c, d, lang, None)
    for pattern, need_known in ((_CHANGE_EN, False), (_SWITCH_TO, True), (_USE_SOMETHING, True)):
        m = pattern.search(t)
        if not m:
            continue
        mood = _change_mood(m.group("mood"))
        if not mood or re.search(r"\d", mood) or _PH_RE.search(mood):
            return None
        if need_known and not _is_mood(mood):
            return None
        return _build_change_style(c, d, lang, mood)
    m = _CHANGE_ZH.search(t)
    if m:
        mood = _clean_zh_mood(m.group("mood"))
        if mood and not re.search(r"\d", mood) and (_mentions_music(t) or _is_mood(mood)):
            mood = _MUSIC_ZH.sub("", mood).strip() or None
            return _build_change_style(c, d, lang, mood)
    return None


_WEAK_FILLER = re.compile(
    r"^(?:make|have|let)\s+(?:it|the music|the bgm|the song|the track|the soundtrack)\s+(?:sound\s+|feel\s+|be\s+)?|"
    r"^(?:the\s+)?(?:music|bgm|song|track|soundtrack)\s+(?:should be\s+|more\s+)?|"
    r"^(?:something|anything|some)\s+|^(?:a bit|a little|slightly|much|way|even)\s+|^more\s+|"
    r"\s+(?:instead|vibes?|style|music|please|one|feel)$|"
    r"^(?:背景音乐|音乐|配乐|bgm|风格)|^(?:要|更|再|换成)|(?:一些|点|的|风格)$"
)


def _m_music_change_weak(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """"make it more cinematic", "something calmer", "音乐欢快" — only for words that are moods."""
    mood = c.t
    for _ in range(6):
        mood = _WEAK_FILLER.sub("", mood).strip()
    if not mood or re.search(r"\d", mood) or _PH_RE.search(mood) or not _is_mood(mood):
        return None
    if len(mood.split()) > 3:
        return None
    if not _music_segments(d) and not _mentions_music(c.t):
        return None  # "make it pop" with no music is not a request for music
    return _build_change_style(c, d, lang, mood)


_REMOVE_MUSIC = re.compile(
    rf"\b(?:{_REMOVE_EN}|stop|turn off|switch off|shut off)\b.*\b{_MUSIC_NOUN}\b|"
    r"\bno\s+(?:more\s+)?(?:background\s+)?(?:music|bgm|soundtrack)\b|\bwithout\s+(?:any\s+)?(?:background\s+)?(?:music|bgm)\b|"
    r"\b(?:music|bgm)\s+off\b|^(?:i\s+|we\s+)?(?:don't|do not|dont)\s+(?:want|need)\s+(?:any\s+)?(?:the\s+)?"
    r"(?:background\s+)?(?:music|bgm)\b|"
    rf"(?:{_REMOVE_ZH})(?:掉)?(?:背景)?(?:音乐|配乐|bgm)|(?:把)?(?:背景)?(?:音乐|配乐|bgm)(?:都)?"
    r"(?:去掉|删除|删掉|移除|拿掉|关掉|关了|删了|去了|不要了|删|关)$"
)


def _m_music_remove(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """"remove the music", "no music", "去掉音乐" — but not "remove the fade" or a title."""
    t = c.t
    if not _REMOVE_MUSIC.search(t) or _PCT.search(t) or _SECS.search(t):
        return None
    if _FADE_WORD.search(t) or re.search(r"\bduck|避让|闪避", t) or _TITLE_ANY.search(t):
        return None
    tool = "remove_music"
    if not _music_segments(d):
        negated = bool(_NEGATION.match(t))
        return _Outcome(tool, note=_say("neg_add_background_music" if negated else "no_music_to_remove", lang))

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        out.tracks = [tr for tr in out.tracks if tr.type != AUDIO]
        return out

    return _Outcome(tool, Edit(tool, {}, apply, _say("removed_music", lang)))


# ---------------------------------------------------------------------------------------------
# Intent: music volume, fades, ducking.
# ---------------------------------------------------------------------------------------------

_DOWN_EN = re.compile(
    r"\b(?:quieter|softer|lower|less loud|decrease|reduce|lessen|drop|too loud|not so loud|not too loud|"
    r"fainter|dim)\b|\b(?:turn|bring|dial|tone|knock|take|volume|music|bgm)\b.*\bdown\b"
)
_UP_EN = re.compile(
    r"\b(?:louder|higher|raise|increase|boost|too quiet|too soft|can't hear|cannot hear|hard to hear|more audible|"
    r"amplify)\b|\b(?:turn|bring|dial|crank|pump|bump|push|volume|music|bgm)\b.*\bup\b"
)
_TOO_LOUD_ZH = re.compile(r"太(?:大声|响|吵|大)|盖过|听不到人声|听不清人声|听不清说话")
_TOO_QUIET_ZH = re.compile(r"太(?:小声|轻|小|低)|听不到|听不见|听不清")
_DOWN_ZH = re.compile(r"调小|调低|降低|减小|减弱|小声|放低|压低|轻|小|低|弱|降|减|安静")
_UP_ZH = re.compile(r"调大|调高|提高|加大|增大|大声|放大|响|大|高|强|提|增")
_VOLUME_REF = re.compile(r"\b(?:volume|it|level|levels|sound|audio)\b|音量|声音|音乐|配乐|bgm")
_BARE_COMPARATIVE = re.compile(
    r"^(?:(?:a bit|a little|slightly|much|a lot|way|even|bit|little)\s+)?(?:quieter|louder|softer|lower|"
    r"higher)(?:\s+still)?$|^(?:at|to|set to|around|about)?\s*\d+(?:\.\d+)?%$|^(?:小声|大声)点?$|"
    r"^(?:quiet|soft|loud)(?:ly)?$"
)


def _m_volume(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """Absolute ("to 20%") or relative ("quieter" is -15, floor 5; "louder" +15) music volume."""
    t = c.t
    has_ref = _mentions_music(t) or bool(_VOLUME_REF.search(t)) or bool(_BARE_COMPARATIVE.match(t))
    if not has_ref or _TITLE_ANY.search(t):
        return None
    if _SECS.search(t) and not (_mentions_music(t) or re.search(r"\bvolume\b|音量", t)):
        return None  # "reduce it to 20 seconds" is a trim
    zh = bool(re.search(r"[\u4e00-\u9fff]", t))
    absolute: int | None = None
    delta: int | None = None
    by = re.search(rf"\bby\s+({_NUM})%|(?:调低|降低|减小|调小|减少|调高|提高|增加|调大|加大)\s*({_NUM})%", t)
    if not by and (_mentions_music(t) or re.search(r"\bvolume\b", t)):
        by = re.search(rf"\bby\s+({_NUM})(?![\d.s])()", t)
    if by:
        amount = round(float(by.group(1) or by.group(2)))
        up = bool(_UP_EN.search(t) or re.search(r"调高|提高|增加|调大|加大", t))
        delta = amount if up else -amount
    elif m := _PCT.search(t):
        absolute = round(float(m.group(1)))
    elif m := re.search(r"\bvolume\b\D{0,12}?\b(\d+)(?![\d.%s])|音量\D{0,6}?(\d+)(?![\d.%s])", t):
        absolute = int(m.group(1) or m.group(2))
    elif re.search(r"\bmute\b|静音", t):
        absolute = 0
    elif re.search(r"\bhalf(?:\s+the)?\s+volume\b|一半", t):
        absolute = 50
    elif re.search(r"\b(?:full|max(?:imum)?)\s+volume\b|最大音量|音量最大", t):
        absolute = 100
    elif zh and _TOO_LOUD_ZH.search(t):
        delta = -15
    elif zh and _TOO_QUIET_ZH.search(t):
        delta = 15
    elif _DOWN_EN.search(t):
        delta = -15
    elif _UP_EN.search(t):
        delta = 15
    elif zh and (_mentions_music(t) or re.search(r"音量|声音|小声|大声", t)) and _DOWN_ZH.search(t):
        delta = -15
    elif zh and (_mentions_music(t) or re.search(r"音量|声音|小声|大声", t)) and _UP_ZH.search(t):
        delta = 15
    elif re.search(r"\b(?:quiet(?:ly)?|soft(?:ly)?|low|subtle|barely audible)\b", t):
        absolute = 20
    elif re.search(r"\bloud(?:ly)?\b", t):
        absolute = 80
    else:
        return None
    tool = "set_music_volume"
    current = _music_segments(d)
    if not current:
        return _Outcome(tool, note=_say("no_music", lang))
    if absolute is not None:
        value = max(0, min(100, absolute))

        def set_abs(seg: Segment) -> None:
            seg.volume = value

        reply = _say("volume_set", lang, volume=value)
        return _Outcome(tool, Edit(tool, {"volume": value}, _map_music(set_abs), reply))
    assert delta is not None
    step = delta
    floor = 5 if step < 0 else 0

    def shift(seg: Segment) -> None:
        old = 100 if seg.volume is None else seg.volume
        seg.volume = max(min(floor, old), min(100, old + step))

    before = 100 if current[0].volume is None else current[0].volume
    after = max(min(floor, before), min(100, before + step))
    key = "volume_down" if step < 0 else "volume_up"
    return _Outcome(tool, Edit(tool, {"delta": step}, _map_music(shift), _say(key, lang, volume=after)))


_FADE_WORD = re.compile(r"\bfad(?:e|es|ed|ing)\b|淡入|淡出|渐入|渐出|渐强|渐弱|淡进|淡")
_FADE_OFF = re.compile(
    r"\b(?:no|without|remove|delete|drop|disable|kill|turn off|don't|do not|dont|never|stop|cancel|lose|"
    r"get rid of)\b[^.]*?\bfad|\bfades?\s+off\b|(?:不要|去掉|取消|删除|关闭|无|别|不用|不需要)(?:音乐的?)?(?:淡|渐)"
)
_FADE_DEFAULTS = {"in": 2000, "out": 3000}


def _parse_fades(t: str) -> dict[str, int] | None:
    """Fade slots a clause mentions: {"fade_in_ms": …, "fade_out_ms": …}; 0 means off."""
    if not _FADE_WORD.search(t):
        return None
    obj = r"(?:(?:the\s+)?(?:music|bgm|song|track|audio|sound|soundtrack)\s+|it\s+)?"
    found: list[tuple[int, str]] = []
    for m in re.finditer(rf"\bfad(?:e|es|ed|ing)\s+{obj}(in|out)\b|淡入|渐入|渐强|淡进|淡出|渐出|渐弱", t):
        word = m.group(1) or ("in" if m.group(0) in ("淡入", "渐入", "渐强", "淡进") else "out")
        found.append((m.start(), word))
    if m := re.search(r"\bin\s+(?:and|&|/)\s+out\b", t):
        found += [(m.start(), "in"), (m.end() - 3, "out")]
    if not found:
        if re.search(r"\b(?:start|beginning|intro|opening)\b|开头|片头", t):
            found.append((0, "in"))
        if re.search(r"\b(?:end|ending|outro|close)\b|结尾|片尾|最后", t):
            found.append((0, "out"))
    dirs: list[str] = []
    for _, word in sorted(found):
        if word not in dirs:
            dirs.append(word)
    if not dirs:
        dirs = ["in", "out"]
    if _FADE_OFF.search(t):
        return {f"fade_{d}_ms": 0 for d in dirs}
    values = [v for v, _ in _seconds(t) if v >= 0]
    values += [float(m.group(1)) for m in re.finditer(rf"\b(?:over|for|of)\s+({_NUM})\b(?![\d.%s])", t)]
    out: dict[str, int] = {}
    for i, d in enumerate(dirs):
        if values:
            out[f"fade_{d}_ms"] = _ms(values[min(i, len(values) - 1)])
        else:
            out[f"fade_{d}_ms"] = _FADE_DEFAULTS[d]
    return out


def _m_fade(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """Music fades; fade-in defaults to 2 s and fade-out to 3 s when no length is said."""
    fades = _parse_fades(c.t)
    if fades is None:
        return None
    tool = "set_music_fades"
    current = _music_segments(d)
    if not current:
        return _Outcome(tool, note=_say("no_music", lang))
    fi, fo = fades.get("fade_in_ms"), fades.get("fade_out_ms")

    def set_fades(seg: Segment) -> None:
        if fi is not None:
            seg.fade_in = min(fi, seg.duration)
        if fo is not None:
            seg.fade_out = min(fo, seg.duration)

    length = current[0].duration
    shown_in = format_seconds(min(fi or 0, length))
    shown_out = format_seconds(min(fo or 0, length))
    if fi is not None and fo is not None:
        key = "fade_both_off" if fi == fo == 0 else "fade_both"
    elif fi is not None:
        key = "fade_in_off" if fi == 0 else "fade_in"
    else:
        key = "fade_out_off" if fo == 0 else "fade_out"
    reply = _say(key, lang, fi=shown_in, fo=shown_out)
    return _Outcome(tool, Edit(tool, dict(fades), _map_music(set_fades), reply))


_DUCK_OFF = re.compile(
    r"\b(?:no|without|don't|do not|dont|never|disable|turn off|switch off|stop|remove|cancel)\b[^.]*?\bduck|"
    r"\b(?:don't|do not|dont|never)\s+(?:lower|drop|reduce|dip|turn down|quiet)\b|\bducking\s+off\b|"
    r"\bkeep the music (?:at the same level|steady|constant|level)|"
    r"(?:不要|取消|关闭|关掉|别|不用|不需要)(?:自动)?(?:避让|闪避|躲避|降低|压低|调低|变小)|不避让"
)
_DUCK_ON = re.compile(
    r"\bduck(?:s|ing|ed)?\b|\bsidechain|\bauto duck|\b(?:under|below|beneath|behind)\s+(?:the\s+)?(?:speech|voices?|"
    r"dialog(?:ue)?|talking|vocals?|narration|voice-?over|speaking|people talking)\b|"
    r"\b(?:when|while|whenever|during|if)\b.*\b(?:talk|talks|talking|speak|speaks|speaking|speech|voice|voices|"
    r"dialog(?:ue)?|narration|narrating|says?|saying|conversation|vocals?)\b|"
    r"避让|闪避|躲避|说话|人声|讲话|对白|旁白|解说|对话"
)


def _parse_duck(t: str) -> bool | None:
    if _DUCK_OFF.search(t):
        return False
    if _DUCK_ON.search(t):
        return True
    return None


def _m_duck(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """Ducking the music under speech on or off."""
    duck = _parse_duck(c.t)
    if duck is None:
        return None
    tool = "set_ducking"
    if not _music_segments(d):
        return _Outcome(tool, note=_say("no_music", lang))

    def set_duck(seg: Segment) -> None:
        seg.duck = duck

    reply = _say("duck_on" if duck else "duck_off", lang)
    return _Outcome(tool, Edit(tool, {"duck": duck}, _map_music(set_duck), reply))


# ---------------------------------------------------------------------------------------------
# Intent: titles.
# ---------------------------------------------------------------------------------------------


def _position(t: str) -> str | None:
    if re.search(r"\b(?:top|upper|above|header)\b|顶部|上方|上面|顶端|顶上|上部", t):
        return "top"
    if re.search(r"\b(?:bottom|lower|below|footer|underneath)\b|底部|下方|下面|底端|底下|下部", t):
        return "bottom"
    if re.search(r"\b(?:center|centre|middle|cent(?:er|re)d|central)\b|中间|居中|中央|正中|中心", t):
        return "center"
    return None


def _has_timing(t: str) -> bool:
    return bool(_SECS.search(t) or re.search(
        r"\b(?:whole|entire|throughout|end|ending|start|beginning)\b|全程|整个|从头到尾|结尾|开头|最后", t))


def _timing(t: str, end: int, default: int = 3000, keep_start: int = 0) -> tuple[int, int] | None:
    """(start, stop) in ms for a title, clamped to the timeline; None when the timeline is empty.

    `keep_start` is where the title starts when the words name only a length ("last 5 seconds").
    """
    if end <= 0:
        return None
    t = re.sub(rf"\b(it|them|they|should|to|{_TITLE_NOUN})\s+last(?:\s+for)?\s+(?=\d)", r"\1 for ", t)
    t = re.sub(r"\blast(?:s|ing)?\s+for\s+", "for ", t)
    start: int | None = None
    length: int | None = None
    at_span: tuple[int, int] | None = None
    if re.search(r"\b(?:whole|entire|full) (?:video|clip|time|thing)\b|\bthroughout\b|\ball the way\b|全程|整个视频|"
                 r"从头到尾|一直|始终", t):
        return 0, end
    if m := re.search(rf"({_NUM})s?\s*(?:-|–|—|~|\bto\b|\buntil\b|\btill\b|\bthrough\b|到|至)\s*第?({_NUM})s(?![a-z])",
                      t):
        a, b = _ms(float(m.group(1))), _ms(float(m.group(2)))
        start, length = min(a, b), abs(b - a)
    elif m := re.search(rf"\bfirst\s+({_NUM})s|前\s*({_NUM})s", t):
        start, length = 0, _ms(float(m.group(1) or m.group(2)))
    elif m := re.search(rf"\blast\s+({_NUM})s|(?:最后|后)\s*({_NUM})s", t):
        length = _ms(float(m.group(1) or m.group(2)))
        start = max(0, end - length)
    else:
        at = re.search(rf"\b(?:at|from|starting at|starting from|start at|begin(?:ning)? at|after|appears? at|in at)"
                       rf"\s+(?:the\s+)?({_NUM})s(?![a-z])|(?:在|从)第?\s*({_NUM})s(?:处|时|开始|的时候)?", t)
        if at:
            start = _ms(float(at.group(1) or at.group(2)))
            at_span = at.span()
        for value, span in _seconds(t):
            if at_span and at_span[0] <= span[0] < at_span[1]:
                continue
            length = _ms(value)
            break
        if length is None:
            length = default
        if start is None:
            at_end = r"\b(?:at|in|near|towards?)\s+the\s+(?:very\s+)?end\b|\bending\b|\boutro\b|结尾|末尾|片尾|最后"
            if re.search(at_end, t):
                start = max(0, end - length)
            else:
                start = keep_start
    assert length is not None
    if start >= end:
        start = max(0, end - length)
    stop = min(start + max(length, 0), end)
    if stop <= start:
        return None
    return start, stop


def _m_title_remove(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """All titles, or the ones whose text is quoted."""
    t = c.t
    en = re.search(rf"\b(?:{_REMOVE_EN}|hide)\b.*\b{_TITLE_NOUN}\b|\bno\s+(?:more\s+)?{_TITLE_NOUN}\b|"
                   rf"\bwithout\s+(?:any\s+)?(?:the\s+)?{_TITLE_NOUN}\b|\b{_TITLE_NOUN}\s+off\b", t)
    zh = re.search(rf"(?:{_REMOVE_ZH})(?:掉)?(?:所有|全部)?的?(?:标题|字幕|文字)|"
                   r"(?:把)?(?:所有|全部)?的?(?:标题|字幕|文字)(?:都)?"
                   r"(?:去掉|删除|删掉|移除|拿掉|清除|删了|去了|不要了|删)", t)
    if not (en or zh):
        return None
    tool = "remove_titles"
    target = c.quotes[0] if c.quotes else None
    titles = _titles(d)
    if not titles:
        return _Outcome(tool, note=_say("no_titles", lang))
    if target is not None:
        hits = [s for s in titles if s.text == target] or [s for s in titles if s.text.casefold() == target.casefold()]
        if not hits:
            return _Outcome(tool, note=_say("no_such_title", lang, text=target))
        ids = {id(s) for s in hits}
        match_text = hits[0].text
    else:
        ids = {id(s) for s in titles}
        match_text = None

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        for track in out.tracks_of(TEXT):
            if match_text is None:
                track.segments = []
            else:
                track.segments = [s for s in track.segments if s.text != match_text]
        out.tracks = [tr for tr in out.tracks if tr.type != TEXT or tr.segments]
        return out

    if len(ids) == 1:
        reply = _say("title_removed", lang, text=titles[0].text if target is None else match_text)
    else:
        reply = _say("titles_removed", lang, count=len(ids))
    return _Outcome(tool, Edit(tool, {"text": target}, apply, reply))


_TITLE_CHANGE_EN = re.compile(
    rf"\b(?:change|rename|edit|update|replace|fix|make|move|put|place|position|shift|show|display|keep|extend|"
    rf"shorten|lengthen|let|set)\b.*\b{_TITLE_NOUN}\b|\b{_TITLE_NOUN}\b.*\b(?:should|to)\b"
)
_TITLE_TEXT_VERB = re.compile(r"\b(?:change|rename|edit|update|replace|fix|make)\b|改成|改为|换成|变成|改")
_TITLE_CHANGE_ZH = re.compile(
    r"(?:标题|字幕|文字)(?:的位置)?(?:都)?(?:改|换|变|移|放|挪|显示|延长|缩短|持续)|(?:改|换|移|放|挪)(?:下)?(?:标题|字幕|文字)"
)


def _m_title_change(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """New text, place or timing for titles that exist ("move the title to the top")."""
    t = c.t
    if not (_TITLE_CHANGE_EN.search(t) or _TITLE_CHANGE_ZH.search(t)):
        return None
    if c.quotes and not _TITLE_TEXT_VERB.search(t):
        return None  # "put the title 'X' at the bottom" adds a title
    if not c.quotes and re.search(r"\b(?:add|insert|include)\b|加上|添加|加", t):
        return None
    if not _titles(d) and c.quotes:
        return _m_title_add(c, d, lang)  # "change the title to 'X'" with no title yet: add it
    if not c.quotes and _position(t) is None and not _has_timing(t):
        return None
    return _edit_titles(c, d, lang, only_last=False)


def _m_title_followup(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """"add a title 'Hi', at the top, for 2 seconds": a bare timing or position refines the last title."""
    if c.quotes or not (_has_timing(c.t) or _position(c.t)):
        return None
    if re.search(r"[a-z\u4e00-\u9fff]", re.sub(
            rf"{_NUM}s(?![a-z])|\b(?:for|at|on|in|to|from|until|the|of|screen|video|frame|top|bottom|center|centre|middle|start|"
            r"beginning|end|first|last|whole|seconds?|lasting|make|let|have|keep|show|put|move|place|it|them|"
            r"long|and|then)\b|持续|显示|放在|放到|在|的|时长|秒|顶部|底部|中间|居中|上方|下方|开头|结尾|最后|前|后|从|到|全程",
            "", c.t)):
        return None
    return _edit_titles(c, d, lang, only_last=True)


def _edit_titles(c: _Clause, d: Draft, lang: str, *, only_last: bool) -> _Outcome | None:
    t = c.t
    tool = "edit_title"
    titles = _titles(d)
    if not titles:
        return _Outcome(tool, note=_say("no_titles", lang))
    match_text: str | None = None
    new_text: str | None = None
    if len(c.quotes) >= 2:
        match_text, new_text = c.quotes[0], c.quotes[1]
    elif c.quotes:
        new_text = c.quotes[0]
    if match_text is not None:
        targets = [i for i, s in enumerate(titles) if s.text == match_text]
        if not targets:
            return _Outcome(tool, note=_say("no_such_title", lang, text=match_text))
    elif new_text is not None or only_last:
        targets = [len(titles) - 1]
    else:
        targets = list(range(len(titles)))
    first = titles[targets[0]]
    position = _position(t)
    timing = _timing(t, d.end, default=first.duration, keep_start=first.start) if _has_timing(t) else None
    if new_text is None and position is None and timing is None:
        return None

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        segs = _titles(out)
        for i in targets:
            if i >= len(segs):
                continue
            seg = segs[i]
            if new_text is not None:
                seg.text = new_text
            if position is not None:
                seg.position = position
            if timing is not None:
                seg.start, seg.duration = timing[0], timing[1] - timing[0]
        return out

    last = titles[targets[-1]]
    shown_text = new_text if new_text is not None else last.text
    shown_pos = position or last.position or "center"
    shown_span = _span(*timing) if timing else _span(last.start, last.end)
    args: dict[str, Any] = {"match": match_text if match_text is not None else (last.text if only_last else None)}
    if new_text is not None:
        args["text"] = new_text
    if position is not None:
        args["position"] = position
    if timing is not None:
        args["start_ms"], args["duration_ms"] = timing[0], timing[1] - timing[0]
    reply = _say("title_updated", lang, text=shown_text, position=_POSITION_NAMES[shown_pos][lang == "zh"],
                 span=shown_span)
    return _Outcome(tool, Edit(tool, args, apply, reply))


def _m_title_add(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """A quoted text becomes a title: 0-3 s at the center unless the clause says otherwise."""
    t = c.t
    title_word = _TITLE_ANY.search(t)
    tool = "add_title"
    if not c.quotes:
        if title_word and re.search(r"\b(?:add|put|insert|include|want|need|give|with)\b|加|添加|放|写|要", t):
            return _Outcome(tool, note=_say("title_need_text", lang))
        return None
    if _mentions_music(t) and not title_word:
        return None
    text = c.quotes[0]
    if not _has_video(d):
        return _Outcome(tool, note=_say("need_video", lang))
    timing = _timing(t, d.end)
    if timing is None:
        return _Outcome(tool, note=_say("need_video", lang))
    start, stop = timing
    position = _position(t) or "center"
    seg_id = f"title_{_new_hex()[:8]}"

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        seg = Segment(id=seg_id, start=start, duration=stop - start, text=text, position=position)
        tracks = out.tracks_of(TEXT)
        if tracks:
            tracks[0].segments.append(seg)
        else:
            _insert_track(out, Track(TEXT, [seg]))
        return out

    args = {"text": text, "start_ms": start, "duration_ms": stop - start, "position": position}
    reply = _say("title_added", lang, text=text, position=_POSITION_NAMES[position][lang == "zh"],
                 span=_span(start, stop))
    return _Outcome(tool, Edit(tool, args, apply, reply))


# ---------------------------------------------------------------------------------------------
# Intent: canvas, length, loudness, export.
# ---------------------------------------------------------------------------------------------

_ASPECTS: dict[str, tuple[int, int, str, str]] = {
    "9:16": (1080, 1920, "vertical", "竖屏"),
    "16:9": (1920, 1080, "widescreen", "横屏"),
    "1:1": (1080, 1080, "square", "方形"),
    "4:5": (1080, 1350, "portrait", "竖版"),
    "4:3": (1440, 1080, "standard", "标准"),
    "3:4": (1080, 1440, "portrait", "竖版"),
}
_ASPECT_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("9:16", re.compile(r"\b(?:vertical|vertically|portrait|reels?|tik ?tok|shorts|stories|story|snapchat|"
                        r"phone|mobile)\b|竖屏|竖版|竖向|竖的|抖音|快手|视频号|小红书")),
    ("1:1", re.compile(r"\b(?:square|instagram|insta|ig)\b|方形|正方形|方屏")),
    ("16:9", re.compile(r"\b(?:widescreen|wide ?screen|landscape|horizontal|horizontally|youtube|wide|tv)\b|"
                        r"横屏|横版|横向|宽屏|横的|b站")),
)
_RATIO = re.compile(r"\b(\d{1,2})\s*(?::|/|\bby\b|比)\s*(\d{1,2})\b|\b(\d{3,4})\s*[x×*]\s*(\d{3,4})\b")


def _m_aspect(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """Canvas size from a ratio, a shape word or a platform ("for Reels" is 9:16)."""
    t = c.t
    aspect: str | None = None
    unknown = False
    if m := _RATIO.search(t):
        if m.group(1):
            aspect = f"{int(m.group(1))}:{int(m.group(2))}"
        else:
            w, h = int(m.group(3)), int(m.group(4))
            aspect = next((k for k, v in _ASPECTS.items() if (v[0], v[1]) == (w, h)), None)
            if aspect is None:
                from math import gcd

                g = gcd(w, h) or 1
                aspect = f"{w // g}:{h // g}"
        if aspect not in _ASPECTS:
            unknown = True
    else:
        aspect = next((key for key, pattern in _ASPECT_WORDS if pattern.search(t)), None)
    if aspect is None:
        return None
    tool = "set_aspect_ratio"
    if unknown:
        return _Outcome(tool, note=_say("aspect_unknown", lang))
    width, height, name_en, name_zh = _ASPECTS[aspect]

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        out.meta = {**out.meta, "width": width, "height": height}
        return out

    reply = _say("aspect", lang, aspect=aspect, name=name_zh if lang == "zh" else name_en, width=width,
                 height=height)
    return _Outcome(tool, Edit(tool, {"aspect": aspect, "width": width, "height": height}, apply, reply))


_TRIM_VERB = re.compile(
    r"\b(?:trim|cut|shorten|shorter|make|keep|limit|reduce|crop|clip|chop|length|long|duration|only|first|last|"
    r"down to|bring|edit)\b|剪|裁|缩短|截|保留|只要|只留|时长|长度|变成|改成|做成|控制在|留|去掉|删掉|切掉|删除|去除"
)


def _trim(start: int, stop: int) -> Callable[[Draft], Draft]:
    """Keep [start, stop) of the timeline on every track; cut audio keeps its place in the source."""
    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        for track in out.tracks:
            kept: list[Segment] = []
            for seg in track.segments:
                s, e = max(seg.start, start), min(seg.end, stop)
                if e <= s:
                    continue
                if (s, e) != (seg.start, seg.end) and track.type != TEXT:
                    seg.source_in += s - seg.start
                    seg.waveform = None  # the peaks described the uncut audio
                seg.start, seg.duration = s - start, e - s
                seg.fade_in, seg.fade_out = min(seg.fade_in, seg.duration), min(seg.fade_out, seg.duration)
                kept.append(seg)
            track.segments = kept
        out.tracks = [tr for tr in out.tracks if tr.segments or tr.type == VIDEO]
        out.duration = stop - start
        return out

    return apply


def _m_trim(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """Shorten the timeline; never longer than the source."""
    t = c.t
    secs = _seconds(t)
    if not secs or _mentions_music(t) or _TITLE_ANY.search(t) or _FADE_WORD.search(t):
        return None
    if not (_TRIM_VERB.search(t) or re.fullmatch(rf"{_NUM}s(?: long| version| clip| video| cut| edit)?", t)):
        return None
    end = d.end
    tool = "trim_video"
    if not _has_video(d):
        return _Outcome(tool, note=_say("need_video", lang))
    cut_verb = r"(?:cut|trim|remove|drop|skip|delete|chop|lose|get rid of)(?:\s+off)?"
    window: tuple[int, int]
    zh_cut = "(?:去掉|删掉|剪掉|切掉|删除|裁掉|去除)"
    if m := re.search(rf"\b{cut_verb}\s+(?:the\s+)?first\s+({_NUM})s|{zh_cut}(?:开头|前)\s*({_NUM})s", t):
        window = (_ms(float(m.group(1) or m.group(2))), end)
    elif m := re.search(rf"\b{cut_verb}\s+(?:the\s+)?last\s+({_NUM})s|{zh_cut}(?:结尾|最后|后)\s*({_NUM})s", t):
        window = (0, end - _ms(float(m.group(1) or m.group(2))))
    elif m := re.search(rf"\b(?:make|let|have)\s+(?:it|the video|the clip)\s+last\s+({_NUM})s", t):
        window = (0, _ms(float(m.group(1))))
    elif m := re.search(rf"\blast\s+({_NUM})s|(?:保留|只要|只留|留)(?:最后|后)\s*({_NUM})s", t):
        window = (max(0, end - _ms(float(m.group(1) or m.group(2)))), end)
    elif m := re.search(rf"({_NUM})s?\s*(?:-|–|—|~|\bto\b|\buntil\b|到|至)\s*({_NUM})s(?![a-z])", t):
        a, b = sorted((_ms(float(m.group(1))), _ms(float(m.group(2)))))
        window = (a, b)
    else:
        window = (0, _ms(secs[-1][0]) if len(secs) > 1 and "first" not in t else _ms(secs[0][0]))
    a, b = window
    if b > end:
        return _Outcome(tool, note=_say("trim_too_long", lang, length=format_seconds(end)))
    if (a, b) == (0, end):
        return _Outcome(tool, note=_say("trim_noop", lang, length=format_seconds(end)))
    if b <= a or a < 0:
        return None
    length = format_seconds(b - a)
    if a == 0:
        reply = _say("trimmed", lang, length=length)
    else:
        reply = _say("trimmed_window", lang, span=_span(a, b), length=length)
    return _Outcome(tool, Edit(tool, {"start_ms": a, "end_ms": b}, _trim(a, b), reply))


_LOUDNESS = re.compile(
    r"\bnormali[sz](?:e|ed|ing|ation)\b|\bloudness\b|\blufs\b|\bloud enough\b|"
    r"\beven out the (?:audio|sound|volume|levels)\b|\blevel(?:l)?ing\b|响度|标准化|归一化|音量均衡|均衡音量"
)


def _m_loudness(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """Loudness target for the export (-14 LUFS, what the short-video platforms use)."""
    t = c.t
    if not _LOUDNESS.search(t):
        return None
    lufs = -14.0
    if m := re.search(rf"(-?{_NUM})\s*lufs", t):
        lufs = -abs(float(m.group(1)))
    value: float | int = int(lufs) if lufs.is_integer() else lufs
    tool = "normalize_loudness"

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        out.meta = {**out.meta, "loudness": value}
        return out

    return _Outcome(tool, Edit(tool, {"lufs": value}, apply, _say("loudness", lang, lufs=_fmt(value))))


_EXPORT = re.compile(
    r"^(?:export|render|download|save)(?:\s+(?:it|the video|this|that|now|the result|the file|as|to|an?|mp4|video|"
    r"1080p|the final video|please|yet|just yet))*$|^(?:导出|下载|渲染|保存)(?:视频|1下)?$"
)


def _m_export(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """Export is the client's own command; inside a chat message it gets a pointer, not an edit."""
    if _EXPORT.match(c.t):
        return _Outcome("export", note=_say("export_hint", lang))
    return None


def _m_noise(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """"thanks", "ok": neither an edit nor something to complain about."""
    if _NOISE.match(c.t) and not c.quotes:
        return _Outcome("noise")
    return None


# Order matters: the more specific intent wins when two could read the same clause.
_MATCHERS: tuple[_Matcher, ...] = (
    _m_noise, _m_export, _m_loudness, _m_title_remove, _m_title_change, _m_title_add, _m_music_remove,
    _m_music_change, _m_music_add, _m_duck, _m_fade, _m_volume, _m_aspect, _m_trim, _m_music_change_weak,
)


_UNDO_VERB = re.compile(
    rf"(?:{_REMOVE_EN}|turn off|switch off|disable|cancel|stop)\b|(?:{_REMOVE_ZH})"
)
_NEG_REMOVE = re.compile(
    r"^(?:(?:i|we)\s+)?(?:don't|do not|dont)\s+(?:want|need)\s+(?:any\s+)?(?:the\s+)?(?:background\s+)?"
    rf"(?:music|bgm|soundtrack|{_TITLE_NOUN})\b|^(?:不要|不需要|不用)(?:背景)?(?:音乐|配乐|bgm|标题|字幕|文字)$"
)


def _match(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    """The first intent that reads the clause; a negated clause changes nothing and says so."""
    neg = _NEGATION.match(c.t)
    if neg:
        rest = _Clause(c.t[neg.end():].strip(), c.quotes, c.raw)
        # Intents that carry their own negation ("don't duck", "no fades", "不要音乐") read the whole
        # clause — unless it is "don't remove/turn off X", which asks to keep X as it is.
        if not _UNDO_VERB.match(rest.t):
            matchers: tuple[_Matcher, ...] = (_m_duck, _m_fade)
            if _NEG_REMOVE.match(c.t):
                matchers += (_m_music_remove, _m_title_remove)
            for matcher in matchers:
                if (out := matcher(c, d, lang)) is not None:
                    return out
        if not rest.t:
            return None
        out = _match_positive(rest, d, lang)
        if out is None and _LEADING_VERB.match(rest.t):
            return _Outcome("negated", note=_say("neg_other", lang))  # "don't trim it": nothing to do
        if out is None or out.tool == "noise":
            return out
        key = f"neg_{out.tool}" if f"neg_{out.tool}" in _REPLIES else "neg_other"
        return _Outcome(out.tool, note=_say(key, lang))
    return _match_positive(c, d, lang)


def _match_positive(c: _Clause, d: Draft, lang: str) -> _Outcome | None:
    for matcher in _MATCHERS:
        if (out := matcher(c, d, lang)) is not None:
            return out
    return None


_REFERS_BACK = re.compile(
    r"^(?:(?:make|let|have|keep|show|put|move|place|display)\s+(?:it|them)\b|(?:for|at|on|from|lasting|until)\b)|"
    r"^(?:持续|放在|放到|显示|在)"
)
_LEADING_VERB = re.compile(
    r"^(?:add|put|remove|delete|drop|fade|set|make|lower|raise|turn|change|switch|use|cut|trim|move|get rid of|"
    r"take off|duck|insert|include|keep|normali[sz]e)\b"
)


def _clause(p: _Prepared, start: int, end: int, prefix: str = "") -> _Clause:
    """A span of the message as a clause; `prefix` lends it a verb from the clause before."""
    t = _normalise(f"{prefix} {p.text[start:end]}" if prefix else p.text[start:end])
    quotes = [p.quotes[ch] for ch in t if ch in p.quotes]
    return _Clause(t, quotes, p.raw_of(start, end))


def interpret(message: str, draft: Draft, *, language: str = "en") -> Interpretation:
    """Read a chat message against a draft: the edits it asks for, in order, and what to say."""
    lang = "zh" if language.lower().startswith("zh") else "en"
    p = _prepare(message)
    pieces = _split(p.text)
    result = Interpretation()
    running = draft
    carry: str | None = None
    last_tool = ""
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        c = _clause(p, piece.start, piece.end)
        out = None
        if last_tool in ("add_title", "edit_title") and _REFERS_BACK.match(c.t):
            out = _m_title_followup(c, running, lang)  # "…, and make it last 5 seconds" is about the title
        if out is None:
            out = _match(c, running, lang)
        used = 1
        if out is None and piece.soft_after and i + 1 < len(pieces):
            # "add calm and dreamy music": neither half alone is an instruction; together they are.
            nxt = pieces[i + 1]
            joined = _clause(p, piece.start, nxt.end)
            joined_out = _match(joined, running, lang)
            if joined_out is not None and _match(_clause(p, nxt.start, nxt.end), running, lang) is None:
                c, out, used = joined, joined_out, 2
        if out is None and last_tool in ("add_title", "edit_title"):
            out = _m_title_followup(c, running, lang)
        if out is None and carry and not _LEADING_VERB.match(c.t):
            # "remove the music and titles": the second half borrows the first half's verb.
            carried = _clause(p, piece.start, piece.end, prefix=carry)
            out = _match(carried, running, lang)
        if out is None:
            if c.raw:
                result.unmatched.append(c.raw)
        else:
            if out.edit is not None:
                result.edits.append(out.edit)
                running = out.edit.apply(running)
            if out.note:
                result.replies.append(out.note)
            last_tool = out.tool
            if m := _LEADING_VERB.match(c.t):
                carry = m.group(0)
        i += used
    return result
