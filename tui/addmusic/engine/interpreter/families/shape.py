"""Shape and size of the output: aspect by ratio or platform, how the clip fills it, resolution."""

from __future__ import annotations

import re

from addmusic.protocol.draft import Draft

from ..core import Clause, Edit, Outcome, rule
from ..replies import say

ASPECTS: dict[str, tuple[int, int, str, str]] = {
    "9:16": (1080, 1920, "vertical", "竖屏"),
    "16:9": (1920, 1080, "widescreen", "横屏"),
    "1:1": (1080, 1080, "square", "方形"),
    "4:5": (1080, 1350, "portrait", "竖版"),
    "4:3": (1440, 1080, "standard", "标准"),
    "3:4": (1080, 1440, "portrait", "竖版"),
}
# Platform and shape words; "highlight reel" is a kind of video, not Instagram Reels.
ASPECT_WORDS: tuple[tuple[str, str], ...] = (
    ("1:1", r"\bsquare\b|方形|正方形|方屏"),
    ("9:16", r"\b(?:vertical|verticle|vertically|portrait(?: mode)?|reels?|tik ?tok|shorts?|stories|story|snapchat|phone|mobile)\b|"
             r"竖屏|竖版|竖向|竖的|抖音|快手|视频号|小红书|tiktok"),
    ("4:5", r"\b(?:instagram|insta|ig)(?:\s+(?:post|feed))?\b|\bfeed\b|朋友圈|ins"),
    ("16:9", r"\b(?:widescreen|wide ?screen|landscape|horizontal|horizontally|youtube|yt|wide|tv)\b|横屏|横版|横向|宽屏|横的|b站|油管"),
)
FILLS = (("bars", r"\b(?:black )?bars\b|\bletterbox\w*|\bpillarbox\w*|黑边|黑条|加黑边"),
         ("crop", r"\bcrop\w*|\bzoom(?:ed)? (?:in )?to fill\b|\bfill the (?:screen|frame)\b|\bzoom in\b|裁剪|裁切|铺满|填满|放大填充"),
         ("blur", r"\bblur\w*|模糊"))
FILL_NAMES = {"bars": ("black bars", "黑边"), "crop": ("a crop to fill", "裁剪填满"), "blur": ("a blurred background", "模糊背景")}
_RATIO = re.compile(r"(?<![\d.])(\d{1,2})\s*(?::|/|x|\bby\b|比)\s*(\d{1,2})(?![\d.])")


def source_size(d: Draft, c: Clause) -> tuple[int, int]:
    for info in c.sources:
        if info.get("kind") == "video" and info.get("width") and info.get("height"):
            return int(info["width"]), int(info["height"])
    return 1920, 1080


def canvas(d: Draft, c: Clause) -> tuple[int, int]:
    w, h = d.meta.get("width"), d.meta.get("height")
    if w and h:
        return int(w), int(h)
    return source_size(d, c)


def fill_slot(t: str) -> str | None:
    t = re.sub(r"\b(?:no|without|not|instead of(?: the)?|don'?t(?: want)?(?: the)?|remove(?: the)?|get rid of(?: the)?|lose(?: the)?)\s+"
               r"(?:black\s+)?(?:bars|blur\w*|crop\w*|letterbox\w*)", " ", t)
    for name, pattern in FILLS:
        if re.search(pattern, t):
            if name == "blur" and re.search(r"\bno blur\b|\binstead of (?:the )?blur|不要模糊", t):
                continue
            return name
    return None


def _aspect(t: str) -> str | None:
    t = re.sub(r"\bhighlights?(?: reel| video)?\b|集锦|\bbest[- ]of\b", " ", t)
    if re.search(r"\bnot\s+(?:vertical|horizontal|square|landscape|portrait)\b", t):
        t = re.sub(r"\bnot\s+\w+", " ", t)
    # "drop the vertical clip", "the square one": a clip named by its shape, not a shape asked for
    t = re.sub(r"\bthe\s+(?:vertical|horizontal|square|landscape|portrait)\s+(?:clip|one|shot|video)s?\b", " ", t)
    if m := _RATIO.search(t):
        key = f"{int(m.group(1))}:{int(m.group(2))}"
        return key if key in ASPECTS else "?"
    for key, pattern in ASPECT_WORDS:
        if re.search(pattern, t):
            if key == "9:16" and re.search(r"\bshorts?\b", t) and not re.search(r"\b(?:youtube|yt)\s+shorts?\b|\ba short\b|^shorts?$|\bfor shorts\b", t):
                if not re.search(r"\b(?:vertical|tik ?tok|reels?|portrait)\b", t):
                    continue
            if key == "16:9" and re.search(r"\b(?:youtube|yt)\s+shorts?\b", t):
                return "9:16"
            return key
    return None


def _b_aspect(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    t = c.t
    key = _aspect(t)
    fill = fill_slot(t)
    tool = "set_canvas"
    if key is None:
        if fill is None:
            return None
        return _b_fill(m, c, d)
    if key == "?":
        return Outcome(tool, note=say("aspect_unknown", c.lang))
    width, height, name_en, name_zh = ASPECTS[key]
    values: dict[str, object] = {"width": width, "height": height}
    if fill:
        values["fill"] = fill

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        out.meta = {**out.meta, **values}
        return out

    fill_words = ""
    if fill:
        fill_words = (", " if c.lang == "en" else "，") + FILL_NAMES[fill][c.lang == "zh"]
    reply = say("canvas", c.lang, aspect=key, name=name_zh if c.lang == "zh" else name_en, width=width, height=height,
                fill=fill_words)
    return Outcome(tool, Edit(tool, {"aspect": key, **values}, apply, reply))


def _b_fill(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    fill = fill_slot(c.t)
    if fill is None:
        return None
    tool = "set_fill"

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        out.meta = {**out.meta, "fill": fill}
        return out

    return Outcome(tool, Edit(tool, {"fill": fill}, apply, say("fill", c.lang, fill=FILL_NAMES[fill][c.lang == "zh"])))


_RES = {"720": 720, "1080": 1080, "2160": 2160, "4k": 2160, "uhd": 2160, "full hd": 1080, "fhd": 1080, "hd": 720, "2k": 1440, "1440": 1440}


def _b_resolution(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    word = (m.group("r") or "").replace(" ", "")
    word = {"fullhd": "full hd"}.get(word, word)
    short = _RES.get(word.rstrip("p"))
    tool = "set_resolution"
    if short is None:
        return None
    sw, sh = source_size(d, c)
    if short > min(sw, sh):
        return Outcome(tool, note=say("no_4k", c.lang, height=min(sw, sh)), unmatched=False)
    cw, ch = canvas(d, c)
    if (key := _aspect(c.t)) in ASPECTS:
        cw, ch = ASPECTS[key][:2]  # "1080p vertical": the size of the shape asked for in the same breath
    if cw >= ch:
        width, height = round(short * cw / ch / 2) * 2, short
    else:
        width, height = short, round(short * ch / cw / 2) * 2
    name = f"{short}p" if short != 2160 else "4K"

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        out.meta = {**out.meta, "width": width, "height": height}
        return out

    return Outcome(tool, Edit(tool, {"width": width, "height": height}, apply,
                              say("resolution", c.lang, name=name, width=width, height=height)))


RULES = (
    rule("resolution", r"(?P<r>(?<![\d.])(?:720|1080|2160|1440)\s*p\b|(?<![\da-z])4k\b|\buhd\b|\bfull ?hd\b|\bfhd\b|(?<![\d.])(?:720|1080|2160)(?=\s*(?:分辨率|$))|(?<![\da-z])2k\b)", _b_resolution,
         ("height",)),
    rule("aspect", r"(?<![\d.])\d{1,2}\s*(?::|/|x|by|比)\s*\d{1,2}(?![\d.])|\b(?:vertical|verticle|portrait|reels?|tik ?tok|shorts?|stories|square|instagram|insta|ig|feed|"
         r"widescreen|landscape|horizontal|youtube|yt|wide)\b|竖屏|竖版|横屏|横版|方形|正方形|抖音|快手|视频号|小红书|朋友圈|宽屏|b站|油管",
         _b_aspect, ("ratio", "fill")),
    rule("fill", r"\bbars\b|\bletterbox|\bpillarbox|\bcrop|\bzoom|\bfill the|\bblur|黑边|裁剪|铺满|填满|模糊", _b_fill, ("fill",)),
)
