"""Normalisation tables: the one form every rule matches against.

Lower case, curly apostrophes straightened, number words in English and Chinese as digits, every
duration as `Ns` (minutes, clock times such as 0:05 / 1:05 / 1m5s, 三秒, 一分五秒, half a second),
every percentage as `N%` (百分之三十, 三成). Tables first, then the few functions that apply them —
like dateparser's per-language simplifications.
"""

from __future__ import annotations

import re

NUM = r"\d+(?:\.\d+)?"

# --- English number words ---------------------------------------------------------------------
EN_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
EN_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
EN_NUMBER_WORDS = "|".join([*EN_UNITS, *EN_TENS, "hundred"])
_EN_DIGIT = "|".join(list(EN_UNITS)[:10])
_EN_RUN = re.compile(
    rf"\b(?:a\s+(?=hundred\b))?(?:{EN_NUMBER_WORDS})\b(?:(?:\s+|-)(?:{EN_NUMBER_WORDS})\b)*"
    rf"(?:\s+point(?:\s+(?:{_EN_DIGIT})\b)+)?(?:\s+and\s+an?\s+half\b)?"
)
# Spelling shortcuts people type, applied before number words are read.
EN_SIMPLIFY: tuple[tuple[str, str], ...] = (
    (r"\bfade-?(in|out)\b", r"fade \1"),
    (r"\bfades?-(in|out)s?\b", r"fade \1"),
    (r"\bauto-?duck", "auto duck"),
    (r"\bbg\s*music\b|\bbgm\b", "background music"),
    (r"\bvol\b", "volume"),
    (r"\bw/o\b", "without"),
    (r"\bw/\s*", "with "),
    (r"\bu\b", "you"),
    (r"\br\s*&\s*b\b|\brnb\b", "rnb"),
    (r"\bhip[\s-]+hop\b", "hiphop"),
    (r"\blo[\s-]+fi\b", "lofi"),
    (r"\bk[\s-]+pop\b", "kpop"),
    (r"\bsecs?\b\.?", "seconds"),
    (r"\b1st\s+second\b", "first 1 second"),
    (r"\b1st\b", "first"),
    (r"\bmins?\b\.?", "minutes"),
    (r"\b(?:the\s+)?(?:very\s+)?end\s+of\s+the\s+(?:video|clip)\b", "the end"),
    (r"\bbetween\s+(\S+?)\s*(?:s|seconds?)?\s+and\s+", r"from \1 to "),
    (r"\bhundred\s+and\s+(?=[a-z])", "hundred "),
    (r"\b(for|over|in|about|just|after|of|within|at|lasting)\s+a\s+(second|minute)\b", r"\1 1 \2"),
    (r"\ba\s+minute\b", "1 minute"),
    (r"\b(first|last)\s+minute\b", r"\1 1 minute"),
    (r"\b(first|last|final)\s+second\b(?!\s+(?:title|text|caption|clip|song|track))", r"\1 1 second"),
    (r"\ba\s+couple\s+(?:of\s+)?(seconds?)", r"2 \1"),
    (r"\ba\s+few\s+(seconds?)", r"3 \1"),
)

# --- Chinese numbers ----------------------------------------------------------------------------
ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
ZH_MULT = {"十": 10, "百": 100, "千": 1000}
ZH_NUM = "零〇一二两三四五六七八九十百千"
_ZH_RUN = re.compile(rf"[{ZH_NUM}]+(?:点[零〇一二两三四五六七八九]+)?")
# Before numbers are read: fillers that look like numbers ("小一点" is "a bit quieter", not 1).
# 错别字 people type with pinyin input: a wrong character that sounds the same.
ZH_TYPOS: tuple[tuple[str, str], ...] = (
    ("减掉", "剪掉"), ("音月", "音乐"), ("音悦", "音乐"), ("被景", "背景"), ("竖平", "竖屏"), ("横平", "横屏"),
    ("标提", "标题"), ("因量", "音量"), ("禁音", "静音"), ("原生", "原声"), ("闪壁", "闪避"), ("谈出", "淡出"),
    ("谈入", "淡入"), ("爵仕", "爵士"), ("想度", "响度"), ("到出", "导出"), ("撤消", "撤销"), ("古点", "鼓点"),
    ("字目", "字幕"), ("换一手", "换一首"), ("配月", "配乐"), ("节凑", "节奏"), ("平幕", "屏幕"),
)
ZH_SIMPLIFY: tuple[tuple[str, str], ...] = (
    ("一半", "半"),
    (r"负\s*(?=[\d零一二两三四五六七八九十])", "-"),
    (rf"一(?:点儿?|下|些)(?![{ZH_NUM}])", ""),
    (r"一首", "首"),
    (r"(?<!第)一个", "个"),  # "第一个" is "the first", not "a"
    (r"(?<!第)一段", "段"),
    (r"一样", "样"),
    (r"统一", "统"),
    (r"一直", "始终"),
)

# --- units, after numbers are digits -----------------------------------------------------------
_SECOND_WORDS = r"(?:seconds?|secs?|s|秒钟?)"
_MINUTE_WORDS = r"(?:minutes?|mins?|m|分钟?)"


def fmt(value: float) -> str:
    return f"{round(value, 3):g}"


def _en_value(run: str) -> float:
    words = re.findall(r"[a-z]+", run)
    total, half, decimals, in_decimals = 0, False, "", False
    for w in words:
        if w == "point":
            in_decimals = True
        elif in_decimals and w in EN_UNITS:
            decimals += str(EN_UNITS[w])
        elif w == "half":
            half = True
        elif w == "hundred":
            total = max(total, 1) * 100
        elif w in EN_UNITS:
            total += EN_UNITS[w]
        elif w in EN_TENS:
            total += EN_TENS[w]
    value = float(f"{total}.{decimals}") if decimals else float(total)
    return value + (0.5 if half else 0)


def _en_run(m: re.Match[str]) -> str:
    """A number-word run as digits — but a lone "one" only before a unit ("another one" is a pronoun)."""
    run = m.group(0)
    if run == "one" and not re.match(r"\s*-?\s*(?:seconds?|secs?|s\b|minutes?|mins?|percent|per\s*cent|%|pct)",
                                      m.string[m.end():]):
        return run
    return fmt(_en_value(run))


def _zh_int(s: str) -> int:
    total, num = 0, 0
    for ch in s:
        if ch in ZH_DIGITS:
            num = ZH_DIGITS[ch]
        else:
            total += (num or 1) * ZH_MULT[ch]
            num = 0
    return total + num


def zh_value(run: str) -> float:
    if "点" in run:
        whole, frac = run.split("点", 1)
        return _zh_int(whole) + float("0." + "".join(str(ZH_DIGITS[c]) for c in frac))
    return float(_zh_int(run))


def _secs(value: float) -> str:
    return fmt(value) + "s"


def numbers(t: str) -> str:
    """Number words to digits, so every rule downstream only has to know `30%` and `2.5s`."""
    for wrong, right in ZH_TYPOS:
        t = t.replace(wrong, right)
    for pattern, repl in ZH_SIMPLIFY:
        t = re.sub(pattern, repl, t)
    t = re.sub(rf"百分之\s*([{ZH_NUM}点]+|{NUM})",
               lambda m: (m.group(1) if m.group(1)[0].isdigit() else fmt(zh_value(m.group(1)))) + "%", t)
    t = _ZH_RUN.sub(lambda m: fmt(zh_value(m.group(0))), t)
    t = re.sub(rf"({NUM})\s*分半钟?", lambda m: _secs(float(m.group(1)) * 60 + 30), t)
    t = re.sub(rf"({NUM})\s*秒半", lambda m: _secs(float(m.group(1)) + 0.5), t)
    t = t.replace("半分钟", "30s").replace("半秒", "0.5s")
    t = re.sub(rf"({NUM})\s*成(?![功为了])", lambda m: fmt(float(m.group(1)) * 10) + "%", t)
    for pattern, repl in EN_SIMPLIFY:
        t = re.sub(pattern, repl, t)
    t = _EN_RUN.sub(_en_run, t)
    t = re.sub(rf"({NUM})\s+and\s+an?\s+half\b", lambda m: fmt(float(m.group(1)) + 0.5), t)
    t = re.sub(r"\b(?:half\s+an?|an?\s+half|half)[\s-]+(second|minute)", r"0.5 \1", t)
    t = re.sub(r"\ban?\s+(second|minute)\s+and\s+an?\s+half\b", r"1.5 \1s", t)
    t = re.sub(rf"\bminus\s+({NUM})", r"-\1", t)
    return t


# Clock times. 9:16 is always the aspect ratio; any other m:ss is a time on the timeline.
_CLOCK = re.compile(r"(?<![\d:.])(\d{1,2}):([0-5]\d)(?:\.(\d+))?(?![\d:])")


def _clock(m: re.Match[str]) -> str:
    if m.group(0) == "9:16":
        return m.group(0)
    value = int(m.group(1)) * 60 + int(m.group(2)) + (float("0." + m.group(3)) if m.group(3) else 0)
    return _secs(value)


def units(t: str) -> str:
    """One spelling per unit (`Ns`, `N%`): clock times, minutes and milliseconds become seconds."""
    t = _CLOCK.sub(_clock, t)
    t = re.sub(rf"({NUM})\s*(?:ms|milliseconds?|毫秒)(?![a-z])", lambda m: _secs(float(m.group(1)) / 1000), t)
    t = re.sub(rf"({NUM})\s*{_MINUTE_WORDS}\s*(?:and\s+)?({NUM})\s*(?:{_SECOND_WORDS})?(?![a-z\d%])",
               lambda m: _secs(float(m.group(1)) * 60 + float(m.group(2))), t)
    t = re.sub(rf"({NUM})\s*-?\s*(?:minutes?|mins?|分钟|m(?=\s|$|\s*(?:to|-)))(?![a-z])", lambda m: _secs(float(m.group(1)) * 60), t)
    t = re.sub(rf"({NUM})\s*-?\s*{_SECOND_WORDS}(?![a-z])", lambda m: _secs(float(m.group(1))), t)
    t = re.sub(rf"({NUM})\s*(?:%|percent|per\s*cent|pct)(?![a-z])", r"\1%", t)
    return t


def normalise(text: str) -> str:
    """The form rules match: lower case, digits, one unit spelling, single spaces."""
    t = text.lower().replace("’", "'").replace("‘", "'").replace("，", ",")
    t = re.sub(r"\s+", " ", t).strip()
    t = units(numbers(t))
    # a space between Latin letters and Chinese, so word boundaries work in "把bgm删了"
    return re.sub(r"(?<=[a-z])(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?=[a-z])", " ", t)
