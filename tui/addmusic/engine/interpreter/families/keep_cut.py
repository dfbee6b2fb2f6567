"""Keep or cut stretches of the video. Times are read against the timeline as it was when the
message arrived, so "cut 5-10 and 20-25" means what the user saw. A stretch outside the clip is
answered, not guessed."""

from __future__ import annotations

import re

from addmusic.protocol.draft import Draft, format_seconds

from ..core import Clause, Edit, Outcome, rule
from ..draftops import cut_sources, has_video, source_ranges
from ..replies import say, span
from ..slots import FADE_WORD, span_in
from ..vocab import EN, NUM, ZH, mentions_music, ms

KEEP = r"\b(?:keep|only|just keep|i only want|leave only|trim (?:it |the video )?(?:down )?to|cut (?:it |the video )?(?:down )?to|shorten (?:it )?to|make it)\b|只保留|保留|只要|只留|留下|剪成|剪到|缩短到"
CUT = rf"\b{EN['remove']}\b|\bchopp?\b|{ZH['remove']}|剪了|剪去|切了|删了|(?<!剪)剪(?!成|到)"
_TOLERANCE = 50  # ms: "until 10" on a 10.02 s clip is the end


def _window(c: Clause, d: Draft) -> tuple[int, int, str] | None:
    """(start, end, verb) on the timeline, end may pass the clip (checked by the caller)."""
    t = c.t
    t = re.sub(r"\b(?:the\s+)?1st\s+(?:1s|second)\b", "the first 1s", t)
    t = re.sub(rf"\bthe\s+({NUM})s\s+intro\b", r"the first \1s", t)
    sp = span_in(t)
    end = d.end
    if sp is None:
        if m := re.search(rf"^(?:trim|cut|shorten|make)\s+(?:it|the video|the clip)?\s*(?:down\s+)?(?:to\s+)?({NUM})s(?:\s+long)?$|^({NUM})s(?:\s+(?:long|version|cut|edit))?(?:\s+only)?$", t):
            value = ms(float(m.group(1) or m.group(2)))
            return 0, value, "keep"
        return None
    keep = bool(re.search(KEEP, t)) or bool(re.search(r"\bonly\b|^first\s+\d", t))
    cut = bool(re.search(CUT, t)) and not re.search(r"\b(?:keep|only)\b|保留|只要|只留", t)
    if not keep and not cut:
        return None
    verb = "cut" if cut else "keep"
    if sp.kind == "last":
        return max(0, end + sp.start), end, verb
    stop = end if sp.end is None else sp.end
    return sp.start, stop, verb


def _b_keep_cut(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    t = c.t
    if mentions_music(t) or FADE_WORD.search(t) or re.search(rf"\b{EN['title']}\b|{ZH['title']}|[\ue000-\uf8ff]|\bduck|\bbpm\b|%", t):
        return None
    base = c.base or d
    win = _window(c, base)
    if win is None:
        return None
    tool = "keep_cut"
    if not has_video(d):
        return Outcome(tool, note=say("need_video", c.lang))
    a, b, verb = win
    end = base.end
    if a >= end or b > end + _TOLERANCE:
        return Outcome(tool, note=say("out_of_range", c.lang, length=format_seconds(end), span=span(a, b)))
    b = min(b, end)
    if b <= a:
        return None
    if verb == "keep":
        if (a, b) == (0, end):
            return Outcome(tool, note=say("trim_noop", c.lang, length=format_seconds(end)))
        removed = source_ranges(base, 0, a) + source_ranges(base, b, end)
    else:
        if (a, b) == (0, end):
            return Outcome(tool, note=say("cut_all", c.lang))
        removed = source_ranges(base, a, b)
    length = (b - a) if verb == "keep" else end - (b - a)
    reply = say("kept" if verb == "keep" else "cut", c.lang, span=span(a, b), length=format_seconds(length))
    return Outcome(tool, Edit(tool, {"verb": verb, "start_ms": a, "end_ms": b}, cut_sources(removed), reply))


RULES = (
    rule("keep_cut", rf"{NUM}s|\b\d+(?:\.\d+)?\s*(?:-|to|until|till)\s*\d|\bend\b|\bfirst\b|\blast\b|\bintro\b|结尾|开头|前|后", _b_keep_cut,
         ("verb", "start", "end")),
)
