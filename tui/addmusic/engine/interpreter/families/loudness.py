"""The master loudness target (`m.loudness`, LUFS)."""

from __future__ import annotations

import re

from ..core import Clause, Edit, Outcome, rule
from ..draftops import set_meta
from ..replies import say
from ..vocab import NUM

DEFAULT_LUFS = -14


def _edit(c: Clause, lufs: float) -> Outcome:
    value: float | int = int(lufs) if float(lufs).is_integer() else lufs
    return Outcome("set_loudness", Edit("set_loudness", {"lufs": value}, set_meta(loudness=value),
                                        say("loudness", c.lang, lufs=f"{value:g}")))


def _b_target(m, c: Clause, d):  # type: ignore[no-untyped-def]
    if n := re.search(rf"(-?\s*{NUM})\s*lufs|\b(?:loudness|lufs|响度)\s*(?:to|at|of|=|调到|设为)?\s*(-?{NUM})", c.t):
        value = float((n.group(1) or n.group(2)).replace(" ", ""))
        return _edit(c, -abs(value))
    if re.search(r"\bnormali[sz]", c.t):
        return _edit(c, float(d.meta.get("loudness", DEFAULT_LUFS)) if "loudness" in d.meta else DEFAULT_LUFS)
    return None


def _b_overall(m, c: Clause, d):  # type: ignore[no-untyped-def]
    now = float(d.meta.get("loudness", DEFAULT_LUFS))
    up = bool(re.search(r"louder|响|大|高|提", c.t))
    return _edit(c, min(-5.0, now + 3) if up else max(-30.0, now - 3))


RULES = (
    rule("loudness_target", r"\blufs\b|\bloudness\b|\bnormali[sz]|响度\s*(?:调到|设为|改成|为|到)?\s*-|响度标准化|标准化", _b_target, ("lufs",)),
    rule("loudness_overall",
         r"\b(?:overall|whole (?:video|thing|clip)|everything|master)\b.*\b(?:louder|quieter|softer)\b|\b(?:louder|quieter)\s+overall\b|"
         r"(?:整体|整个视频|全部|总体)的?(?:声音|音量|响度)?(?:大|响|小|高|低)",
         _b_overall),
)
