"""undo / redo / go back / start over: commands for the turn, which owns the session's history."""

from __future__ import annotations

import re

from ..core import Clause, HistoryCommand, Outcome, rule

_COUNT = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5, "两": 2, "二": 2, "三": 3}


def _b_undo(m: re.Match[str], c: Clause, d) -> Outcome:  # type: ignore[no-untyped-def]
    count = 1
    if n := re.search(r"\blast\s+(two|three|four|five|\d+)\b|(\d+)\s*(?:steps?|edits?|changes?|things?)|(?:撤销|撤回)(?:最后)?\s*(\d+|两|二|三)\s*(?:步|次|个)", c.t):
        count = _COUNT.get(next(g for g in n.groups() if g), 1)
        count = int(next(g for g in n.groups() if g)) if next(g for g in n.groups() if g).isdigit() else count
    return Outcome("undo", history=HistoryCommand("undo", count))


def _b_redo(m: re.Match[str], c: Clause, d) -> Outcome:  # type: ignore[no-untyped-def]
    return Outcome("redo", history=HistoryCommand("redo", 1))


def _b_start_over(m: re.Match[str], c: Clause, d) -> Outcome:  # type: ignore[no-untyped-def]
    return Outcome("start_over", history=HistoryCommand("start_over"))


def _b_back_to(m: re.Match[str], c: Clause, d) -> Outcome:  # type: ignore[no-untyped-def]
    target = next(g for g in (m.group("what"), m.group("w2"), m.group("zw")) if g).strip()
    return Outcome("undo", history=HistoryCommand("undo_to", target=target))


RULES = (
    rule("start_over", r"^(?:let'?s\s+)?(?:start over|start again|start from scratch|reset(?: everything| it all| all)?|begin again|from scratch)\b|"
         r"^(?:全部|都)?重来|^重新开始|^全部重置|^恢复原样|^回到原始", _b_start_over),
    rule("back_to", r"\bgo back to (?:before|how it was before) (?:the |adding the |i added the )?(?P<what>[\w ]+)$|\bundo (?:everything )?since (?:the )?(?P<w2>[\w ]+)$|"
         r"回到(?:加|添加)?(?P<zw>.+?)之前", _b_back_to),
    rule("redo", r"^(?:redo|re-do|ctrl ?(?:\+ ?)?y|ctrl ?(?:\+ ?)?shift ?(?:\+ ?)?z)\b|^重做|^恢复(?:刚才|上一步)", _b_redo),
    rule("undo", r"^(?:actually\s+)?(?:undo+|un-do|ctrl ?(?:\+ ?)?z|go back|revert|take (?:that|it) back|undo that)\b|撤销|撤回|回退|返回上一步|退回上一步", _b_undo),
)
