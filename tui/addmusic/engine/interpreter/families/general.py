"""Small talk, "keep it as it is", the service's own phrases, and export inside a sentence."""

from __future__ import annotations

import re

from ..core import Clause, Edit, Outcome, rule
from ..replies import say
from ..vocab import NOISE
from . import music, shape


def _b_noise(m: re.Match[str], c: Clause, d) -> Outcome | None:  # type: ignore[no-untyped-def]
    return Outcome("noise") if not c.quotes else None


def _b_keep_as_is(m: re.Match[str], c: Clause, d) -> Outcome:  # type: ignore[no-untyped-def]
    return Outcome("keep", note=say("negated", c.lang))


def _b_export(m: re.Match[str], c: Clause, d) -> Outcome:  # type: ignore[no-untyped-def]
    return Outcome("export", note=say("export_hint", c.lang))


def _b_service(m: re.Match[str], c: Clause, d) -> Outcome | None:  # type: ignore[no-untyped-def]
    """"add a 60-second highlight reel MP4 into a 1080p MP4": music, and the resolution it names.
    The length in it describes the video, so it trims nothing."""
    t = re.sub(r"\b\d+(?:\.\d+)?s\b|\b\d+[- ]second\b", " ", c.t)
    clause = Clause(t, c.quotes, c.raw, c.lang, c.sources, c.base)
    added = music.build_add(clause, d)
    if added.edit is None:
        return added
    edits = [added.edit]
    res = re.search(r"(?P<r>\b(?:720|1080|2160)\s*p\b|\b4k\b)", t)
    after = added.edit.apply(d)
    extra_note = ""
    if res:
        out = shape._b_resolution(res, clause, after)
        if out and out.edit:
            edits.append(out.edit)
        elif out and out.note:
            extra_note = " " + out.note

    def apply(draft):  # type: ignore[no-untyped-def]
        for e in edits:
            draft = e.apply(draft)
        return draft

    reply = " ".join(e.reply for e in edits) + extra_note
    return Outcome("add_background_music", Edit("add_background_music", {**added.edit.args, "steps": [e.tool for e in edits]},
                                                apply, reply))


RULES = (
    rule("noise", NOISE.pattern + r"|^(?:标题|字幕)?(?:打错字?了|写错了|有错别字)$|^typo$", _b_noise),
    rule("keep_as_is", r"^(?:keep|leave)\s+(?:the\s+|it\s+|my\s+)?(?:\w+\s+)?(?:as (?:it is|is)|the same|alone|like (?:it is|this|that))|"
         r"^(?:keep|leave)\s+(?:the\s+)?(?:music|volume|title|titles|text|original (?:audio|sound)|it|everything|the rest)$|^(?:保持|保留)(?:原样|不变)",
         _b_keep_as_is),
    rule("export", r"^(?:export|render|download|save)(?:\s+(?:it|the video|this|now|mp4|as mp4))*$|^(?:导出|下载|渲染|保存)(?:视频)?$", _b_export),
    rule("service", r"\b(?:highlight reel|highlights?|best[- ]of|best moments)\b.*\b(?:into|to) an?\s+(?:\d{3,4}p|4k|mp4)\b|(?:\bhighlights?\b|\bhighlight reel\b|\bbest[- ]?(?:of|moments?|momments?)\b|\bmusic video\b|\bmp4\b|集锦|精彩).*"
         r"(?:\bmusic\b|\bsoundtrack\b|音乐)|(?:\bmusic\b|音乐).*(?:\bhighlights?\b|\bbest\b|\bmp4\b|集锦|精彩)", _b_service),
)
