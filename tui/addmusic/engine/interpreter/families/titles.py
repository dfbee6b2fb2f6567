"""Titles: add (quoted text in any quote style), change the text of the one there, move, retime,
restyle, remove. A second title only when asked for one more."""

from __future__ import annotations

import re

from addmusic.protocol.draft import TEXT, Draft, Segment, Track

from ..core import Clause, Edit, Outcome, rule
from ..draftops import has_video, insert_track, new_hex, titles
from ..replies import position_name, say, span
from ..slots import position_slot, span_in
from ..vocab import EN, NUM, ZH, ms

TITLE = rf"(?:\b{EN['title']}\b|{ZH['title']})"
_ANOTHER = r"\b(?:another|second|one more|2nd|new|extra|also add)\b|再加|另一个|第二个|再添加|再来"
_SIZES = {"small": r"\b(?:small(?:er)?|tiny|little)\b|小一?点|小字|缩小", "large": r"\b(?:big(?:ger)?|large(?:r)?|huge)\b|大一?点|大字|放大",
          "medium": r"\b(?:medium|normal size|regular size)\b|中等"}
_COLORS = {"white": r"\bwhite\b|白色?", "black": r"\bblack\b|黑色", "yellow": r"\byellow\b|黄色?", "red": r"\bred\b|红色?",
           "blue": r"\bblue\b|蓝色?", "green": r"\bgreen\b|绿色?", "pink": r"\bpink\b|粉色?", "orange": r"\borange\b|橙色?",
           "purple": r"\bpurple\b|紫色?"}


def timing(t: str, end: int, *, start: int = 0, length: int = 3000) -> tuple[int, int] | None:
    """(start, stop) in ms a clause gives a title; `start`/`length` are what it keeps when unsaid."""
    if end <= 0:
        return None
    if re.search(r"\b(?:whole|entire|full) (?:video|clip|time|thing)\b|\bthroughout\b|\ball the way\b|全程|整个视频|从头到尾|始终", t):
        return 0, end
    sp = span_in(t)
    at = re.search(rf"\b(?:at|starting at|start at|starts at|begin(?:ning)? at|appears? at|in at)\s+({NUM})s(?![a-z])|在第?\s*({NUM})s(?:处|时|开始)?", t)
    dur = [ms(float(m.group(1))) for m in re.finditer(rf"(?:\bfor\s+(?:the\s+)?|\blast\s+|\blasting\s+|持续|显示|(?<![\d.]))({NUM})s(?![a-z])(?!\s*(?:-|to|until|till|到|至))", t)
           if not (at and at.start() <= m.start() < at.end()) and not (sp and sp.kind in ("range", "from", "until") and m.group(0).strip() in t[t.find("from"):] and "from" in t)]
    if sp and sp.kind == "range":
        start, stop = sp.start, sp.end or end
    elif sp and sp.kind == "from":
        start = sp.start
        stop = end if re.search(r"\bend\b|结尾|最后|结束", t) or not dur else start + dur[-1]
    elif sp and sp.kind == "until":
        stop = sp.end or end
    elif sp and sp.kind == "first" and not re.search(r"\bfor\s+(?:the\s+)?first", t + " ") and False:
        start, stop = 0, sp.end or end
    elif sp and sp.kind == "first":
        start, stop = 0, sp.end or end
    elif sp and sp.kind == "last":
        start, stop = max(0, end + sp.start), end
    else:
        if at:
            start = ms(float(at.group(1) or at.group(2)))
        elif re.search(r"\b(?:at|in|near|towards?)\s+the\s+(?:very\s+)?end\b|\bending\b|\boutro\b|结尾|末尾|片尾|最后", t):
            start = max(0, end - (dur[0] if dur else length))
        elif re.search(r"\b(?:at the (?:start|beginning)|intro|opening)\b|开头|片头", t):
            start = 0
        stop = start + (dur[0] if dur else length)
    if start >= end:
        return None
    return start, min(stop, end)


def _timing_said(t: str) -> bool:
    return bool(re.search(rf"{NUM}s(?![a-z])|\bat\s+{NUM}\b|\btill?\b|\b\d+(?:\.\d+)?\s*(?:-|to)\s*\d|\b(?:whole|entire|throughout|until|till|from|end)\b|全程|整个|结尾|开头|最后|从|到", t))


def _b_add(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "add_title"
    if not c.quotes:
        return Outcome(tool, note=say("title_need_text", c.lang)) if re.search(TITLE, c.t) else None
    if not has_video(d):
        return Outcome(tool, note=say("need_video", c.lang))
    text = c.quotes[0]
    t = re.sub("[\ue000-\uf8ff]", " ", c.t)
    existing = titles(d)
    if existing and not re.search(_ANOTHER, t) and not re.search(r"\b(?:add|put|insert|include|throw)\b|加|添加|放", t):
        return _edit(c, d, new_text=text)
    when = timing(t, d.end)
    if when is None:
        return Outcome(tool, note=say("out_of_range", c.lang, length=f"{d.end / 1000:g}", span="that time"))
    start, stop = when
    position = position_slot(t) or "center"
    seg_id = f"title_{new_hex()[:8]}"
    extra = _style_slots(t)

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        seg = Segment(id=seg_id, start=start, duration=stop - start, text=text, position=position, extra=dict(extra))
        tracks = out.tracks_of(TEXT)
        if tracks:
            tracks[0].segments.append(seg)
        else:
            insert_track(out, Track(TEXT, [seg]))
        return out

    reply = say("title_added", c.lang, text=text, position=position_name(position, c.lang), span=span(start, stop))
    return Outcome(tool, Edit(tool, {"text": text, "start_ms": start, "duration_ms": stop - start, "position": position},
                              apply, reply))


def _style_slots(t: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for size, pattern in _SIZES.items():
        if re.search(pattern, t):
            out["size"] = size
            break
    if m := re.search(r"#[0-9a-f]{6}\b", t):
        out["color"] = m.group(0)
    elif re.search(r"\b(?:colou?r|font|text|letters|words|title|caption)\b|颜色|字", re.sub(r"\bblack bars\b", "", t)) \
            and not re.search(r"\bbars\b|黑边", t):
        for color, pattern in _COLORS.items():
            if re.search(pattern, t):
                out["color"] = color
                break
    return out


def _edit(c: Clause, d: Draft, *, new_text: str | None = None, retime: bool = True) -> Outcome | None:
    tool = "edit_title"
    existing = titles(d)
    if not existing:
        return Outcome(tool, note=say("no_titles", c.lang))
    t = re.sub("[\ue000-\uf8ff]", " ", c.t)
    t = re.sub(r"\b(title|it|text|them)\s+last(?:s)?\s+(?:for\s+)?(?=\d)", r"\1 for ", t)
    t = re.sub(r"\bmove (?:the \w+|it) (?:all the way )?down\b(?! to)", "move it to the bottom", t)
    t = re.sub(r"\bmove (?:the \w+|it) (?:all the way )?up\b(?! to)", "move it to the top", t)
    target = existing[-1] if len(existing) > 1 and re.search(r"\b(?:last|second|new)\b|新标题|第二个|最后一个", t) else existing[0]
    if len(c.quotes) >= 2:
        named = [s for s in existing if s.text == c.quotes[0]]
        if named:
            target, new_text = named[0], c.quotes[1]
    position = position_slot(t)
    when = timing(t, d.end, start=target.start, length=target.duration) if retime and _timing_said(t) else None
    if when is not None and re.search(rf"\b(?:last|lasts|for)\s+{NUM}s|{NUM}s\s+long|持续", t) and not span_in(t):
        when = (target.start, min(d.end, target.start + (when[1] - when[0])))
    if when is not None and (m := re.search(rf"\bend(?:s)?(?: it| the title)?\s+at\s+({NUM})s?", t)):
        when = (when[0], min(d.end, ms(float(m.group(1)))))
    if when is not None and (m := re.search(rf"\bstart(?:s)?(?: the title| it)?\s+at\s+({NUM})s", t)):
        when = (ms(float(m.group(1))), when[1])
    style = _style_slots(t)
    if new_text is None and position is None and when is None and not style:
        return None
    target_id = target.id

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        for seg in titles(out):
            if seg.id != target_id:
                continue
            if new_text is not None:
                seg.text = new_text
            if position is not None:
                seg.position = position
            if when is not None:
                seg.start, seg.duration = when[0], when[1] - when[0]
            seg.extra = {**seg.extra, **style}
        return out

    shown = span(*when) if when else span(target.start, target.end)
    reply = say("title_updated", c.lang, text=new_text or target.text,
                position=position_name(position or target.position or "center", c.lang), span=shown)
    args = {"text": new_text, "position": position, "start_ms": when[0] if when else None, **style}
    return Outcome(tool, Edit(tool, args, apply, reply))


def _b_edit_text(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    text = c.quotes[-1] if c.quotes else (m.groupdict().get("text") or "").strip(" .,:-—") or None
    if text is None:
        return None
    if not titles(d):
        return _b_add(m, c, d) if c.quotes else Outcome("edit_title", note=say("no_titles", c.lang))
    return _edit(c, d, new_text=text)


def _b_edit(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if c.quotes:
        return _b_edit_text(m, c, d)
    return _edit(c, d)


def _b_remove(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "remove_titles"
    existing = titles(d)
    if not existing:
        return Outcome(tool, note=say("no_titles", c.lang))
    target = c.quotes[0] if c.quotes else None
    if target is not None and not any(s.text.casefold() == target.casefold() for s in existing):
        return Outcome(tool, note=say("no_such_title", c.lang, text=target))

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        for track in out.tracks_of(TEXT):
            track.segments = [s for s in track.segments if target is not None and s.text.casefold() != target.casefold()]
        out.tracks = [tr for tr in out.tracks if tr.type != TEXT or tr.segments]
        return out

    gone = [s for s in existing if target is None or s.text.casefold() == target.casefold()]
    reply = say("title_removed", c.lang, text=gone[0].text) if len(gone) == 1 else say("titles_removed", c.lang, count=len(gone))
    return Outcome(tool, Edit(tool, {"text": target}, apply, reply))


RULES = (
    rule("title_remove",
         rf"\b(?:remove|delete|drop|clear|erase|get rid of|take|lose|kill|ditch|hide|scrap)\b.*{TITLE}|^(?:actually\s+)?no\s+(?:more\s+)?{TITLE}|"
         rf"\bwithout (?:any |the )?{TITLE}|{TITLE}\s+off\b|\b(?:don'?t|do not) (?:want|need) (?:the |a |any )?{TITLE}|(?:去掉|删除|删掉|移除|拿掉|不要)(?:所有|全部)?的?(?:标题|字幕|文字)|(?:标题|字幕|文字).*(?:去掉|删掉|删了|不要了?|删除|拿掉|删)$",
         _b_remove),
    rule("title_text",
         r"\b(?:typo|misspel+ed|wrong)\b.*?(?:should (?:say|be|read)|it'?s)\s*(?P<text>.*)$|\bshould (?:say|read|be)\b\s*(?P<t2>.*)$|"
         rf"\bmake (?:it|the {EN['title']}) say\b|\b(?:change|rename|edit|update|fix|replace|chnage)\b.*{TITLE}.*\b(?:to|with|into)\b|"
         rf"\b(?:change|rename)\b.*\bto\b\s*[\ue000-\uf8ff]|(?:标题|字幕|文字).*(?:改成|改为|换成|应该是|写成)|^应该是\s*[\ue000-\uf8ff]|(?:改成|改为)\s*[\ue000-\uf8ff]",
         _b_edit_text, ("text",)),
    rule("title_add",
         r"[\ue000-\uf8ff]", _b_add, ("text", "position", "start", "end")),
    rule("title_need_text", rf"^(?:add|put|insert|include|i want|give it)\b.*{TITLE}(?:\s+(?:at|on|to|for)\b.*)?$|^(?:加|添加|放)(?:个|一个)?(?:标题|字幕)",
         _b_add),
    rule("title_edit",
         rf"\b(?:move|put|place|position|shift|show|display|keep|extend|shorten|make|start|end|let|set|title|text)\b.*{TITLE}|{TITLE}.*"
         rf"\b(?:at|to|until|till?|from|on|in|for|should)\b|(?:标题|字幕|文字).*(?:移|放|挪|显示|持续|到|在|改|从|开头|结尾)",
         _b_edit, ("position", "start", "end", "size", "color")),
)
