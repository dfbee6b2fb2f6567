"""The shapes every rule shares: a clause to read, a rule (name, pattern, slots, edit, reply) and
the outcome of reading a clause with it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from addmusic.protocol.draft import Draft


@dataclass
class Edit:
    """One understood instruction: what the stream shows as a functionCall, and how to apply it."""

    tool: str
    args: dict[str, Any]
    apply: Callable[[Draft], Draft]  # pure: returns a new Draft, never mutates its input
    reply: str


@dataclass(frozen=True)
class HistoryCommand:
    """undo / redo / start over: applied by the turn, which owns the session's history."""

    kind: str  # "undo", "redo", "start_over", "undo_to"
    count: int = 1
    target: str = ""  # "undo_to": a word naming the edit to go back before ("title", "music")


@dataclass
class Clause:
    t: str  # normalised text; quoted text appears as placeholder characters
    quotes: list[str]  # quoted text in order, exactly as typed
    raw: str  # the clause as typed
    lang: str  # "en" or "zh": the language the reply is written in
    sources: list[dict[str, Any]] = field(default_factory=list)  # the session's uploads (video_infos)
    base: Draft | None = None  # the draft as the message found it: times are read against it
    asked: bool = False  # the clause ended with a question mark


@dataclass
class Outcome:
    """What a clause meant: an edit, a history command, or only a sentence (an answer, a refusal)."""

    tool: str
    edit: Edit | None = None
    note: str | None = None
    history: HistoryCommand | None = None
    unmatched: bool = False  # the note explains why nothing was done (counts as not understood)
    takes_list: bool = False  # a list of clips may go on in the next clause ("use only beach, drone")


Build = Callable[[re.Match[str], Clause, Draft], "Outcome | None"]


@dataclass(frozen=True)
class Rule:
    """One row of a family's table: when `pattern` finds a match in a clause, `build` reads the
    slots from it and returns the outcome (or None: not this rule after all)."""

    name: str
    pattern: re.Pattern[str]
    build: Build
    slots: tuple[str, ...] = ()  # what the rule reads, for people and the docs

    def read(self, clause: Clause, draft: Draft) -> Outcome | None:
        m = self.pattern.search(clause.t)
        return self.build(m, clause, draft) if m else None


def rule(name: str, pattern: str, build: Build, slots: tuple[str, ...] = ()) -> Rule:
    return Rule(name, re.compile(pattern), build, slots)
