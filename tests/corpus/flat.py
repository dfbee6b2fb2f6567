"""The corpus's reading of a draft: the flat view (CORPUS_FORMAT.md) and the checks a case makes.

Pure functions over the draft JSON, so the runner, the benchmark and their tests share one
definition of "what changed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FAMILY = re.compile(r"^##\s*family:\s*(\S+)")
SETUP = re.compile(r"^@setup:\s*(\S+)")
_EXPECT = re.compile(r'(reply~"[^"]*"|[\w.]+="[^"]*"|[\w.]+=\S+|unchanged)')


@dataclass
class Case:
    lang: str
    family: str
    setup: str
    messages: list[str]
    expect: dict[str, str]  # key -> value as written (quotes removed)
    unchanged: bool
    replies: list[str]  # reply~"words"
    line: int
    text: str = ""


def parse(path: Path, lang: str) -> list[Case]:
    cases: list[Case] = []
    family, setup = "", "clip10"
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if m := FAMILY.match(line):
            family, setup = m.group(1), "clip10"
            continue
        if not line or line.startswith("#"):
            continue
        if m := SETUP.match(line):
            setup = m.group(1)
            continue
        if " => " not in line:
            raise ValueError(f"{path.name}:{number}: no ' => ' in {line!r}")
        message, _, expectation = line.rpartition(" => ")
        expect: dict[str, str] = {}
        replies: list[str] = []
        unchanged = False
        for token in _EXPECT.findall(expectation):
            if token == "unchanged":
                unchanged = True
            elif token.startswith("reply~"):
                replies.append(token[7:-1])
            else:
                key, _, value = token.partition("=")
                expect[key] = value[1:-1] if value.startswith('"') and value.endswith('"') else value
        cases.append(Case(lang, family, setup, [m.strip() for m in message.split(" || ")], expect, unchanged,
                          replies, number, line))
    return cases


def _s(ms: Any) -> float:
    return round(float(ms or 0) / 1000, 3)


def _num(value: float) -> str:
    return f"{value:g}"


def flat(draft: dict[str, Any], sources: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """The flat view of a draft: every key the corpus can name, as strings."""
    tracks = draft.get("t") or []
    meta = draft.get("m") or {}
    video = [s for t in tracks if t.get("tt") == 0 for s in t.get("sg") or []]
    music = [s for t in tracks if t.get("tt") == 1 for s in t.get("sg") or []]
    titles = sorted((s for t in tracks if t.get("tt") == 7 for s in t.get("sg") or []),
                    key=lambda s: (s.get("st", 0), s.get("st", 0) + s.get("d", 0)))
    out: dict[str, str] = {}
    ends = [s.get("st", 0) + s.get("d", 0) for t in tracks for s in t.get("sg") or []]
    out["length"] = _num(_s(max([draft.get("d") or 0, *ends])))
    names = {str(s.get("media_id")): str(s.get("filename") or "") for s in sources or []}
    ordered = sorted(video, key=lambda s: s.get("st", 0))

    def clip_name(seg: dict[str, Any]) -> str:
        name = names.get(str(seg.get("src"))) or str(seg.get("n") or seg.get("src") or "?")
        return Path(name).stem

    several = len({seg.get("src") for seg in ordered}) > 1
    ranges: list[list[Any]] = []  # [clip, in, out]
    for seg in ordered:
        a = _s(seg.get("in", 0))
        b = round(a + _s(seg.get("d", 0)), 3)
        name = clip_name(seg)
        if ranges and ranges[-1][0] == name and abs(ranges[-1][2] - a) < 0.001:
            ranges[-1][2] = b
        else:
            ranges.append([name, a, b])
    out["video"] = ",".join(f"{name + ':' if several else ''}{_num(a)}-{_num(b)}" for name, a, b in ranges)
    out["clips"] = ",".join(dict.fromkeys(clip_name(seg) for seg in ordered)) or "-"
    out["zoom"] = ",".join(clip_name(seg) for seg in ordered if seg.get("zoom")) or "-"
    out["xfade"] = _num(_s(meta.get("xf", 0)))
    out["sync"] = "on" if meta.get("sync") else "off"
    out["clip_volume"] = str(video[0].get("v", 100)) if video else "100"
    # each clip's own level, only when they differ (when all share one, `clip_volume` says it)
    levels = {clip_name(seg): seg.get("v", 100) for seg in reversed(ordered)}  # a clip's first piece wins
    per_clip = ",".join(f"{name}:{levels[name]}" for name in dict.fromkeys(map(clip_name, ordered)))
    out["clip_sound"] = per_clip if len(set(levels.values())) > 1 else "-"
    out["music"] = "yes" if music else "none"
    if music:
        m = music[0]
        out["music.style"] = str(m.get("style") or "")
        out["music.volume"] = str(m.get("v", 100))
        out["music.start"] = _num(_s(m.get("st", 0)))
        out["music.end"] = _num(_s(m.get("st", 0) + m.get("d", 0)))
        out["music.fade_in"] = _num(_s(m.get("fi", 0)))
        out["music.fade_out"] = _num(_s(m.get("fo", 0)))
        out["music.duck"] = "on" if m.get("duck") else "off"
        out["music.duck_db"] = str(m.get("duck_db", 12))
        out["music.bpm"] = str(m.get("bpm", "")) if m.get("bpm") else "-"
        out["music.energy"] = str(m.get("energy") or "normal")
        layers = m.get("layers") or {}
        for role in ("drums", "bass", "harmony", "melody"):
            out[f"music.layers.{role}"] = str(layers.get(role, 100))
        out["music.seed"] = str(m.get("seed", ""))
        composed = str(m.get("src", "")).startswith("gen_")
        out["music.src"] = "composed" if composed else names.get(str(m.get("src")), str(m.get("src")))
        out["music.in"] = "chorus" if m.get("pick") == "chorus" else _num(_s(m.get("in", 0)))
        out["music.fit"] = "-" if composed else str(m.get("fit") or "loop")
        out["music.follow_cuts"] = "on" if m.get("follow_cuts") else "off"
    out["titles"] = str(len(titles))
    for i, seg in enumerate(titles, 1):
        out[f"title{i}.text"] = str(seg.get("tx", ""))
        out[f"title{i}.pos"] = str(seg.get("pos") or "center")
        out[f"title{i}.start"] = _num(_s(seg.get("st", 0)))
        out[f"title{i}.end"] = _num(_s(seg.get("st", 0) + seg.get("d", 0)))
        out[f"title{i}.size"] = str(seg.get("size") or "medium")
        out[f"title{i}.color"] = str(seg.get("color") or "white")
    width, height = meta.get("width"), meta.get("height")
    if not (width and height):
        first = ordered[0].get("src") if ordered else None
        src = next((s for s in sources or [] if s.get("media_id") == first), None) or \
            next((s for s in sources or [] if s.get("kind") == "video"), None)
        width, height = (src.get("width"), src.get("height")) if src else (None, None)
    out["canvas"] = f"{width}x{height}" if width and height else "-"
    out["fill"] = str(meta.get("fill") or "blur")
    out["loudness"] = _num(float(meta.get("loudness", -14)))
    return out


def _same(a: str | None, b: str | None) -> bool:
    if a == b:
        return True
    try:
        return a is not None and b is not None and abs(float(a) - float(b)) < 0.051
    except ValueError:
        return False


@dataclass
class Verdict:
    passed: bool
    wrong_edit: bool  # something changed that nobody asked for, or changed to another value
    problems: list[str] = field(default_factory=list)


def check(case: Case, before: dict[str, str], after: dict[str, str], reply: str) -> Verdict:
    """CORPUS_FORMAT.md's rules, applied to the flat views before and after the case's messages."""
    problems: list[str] = []
    wrong = False
    changed = {k for k in set(before) | set(after) if not _same(before.get(k), after.get(k))}
    # a new composition of the same style is "music.new"; the seed itself is not a key of the format
    if "music.seed" in changed:
        changed.discard("music.seed")
        if before.get("music") == "yes" and after.get("music") == "yes" and "music.style" not in changed:
            changed.add("music.new")
    created_music = before.get("music") == "none" and after.get("music") == "yes"
    grew = int(after.get("titles", "0")) > int(before.get("titles", "0"))
    removed_music = before.get("music") == "yes" and after.get("music") == "none"
    kept_titles = int(after.get("titles", "0"))
    for key in sorted(changed):
        if key in case.expect:
            continue
        if removed_music and key.startswith("music.") and key in before and key not in after:
            continue  # the music went, and its details with it
        if (m := re.match(r"title(\d+)\.", key)) and int(m.group(1)) > kept_titles and key not in after:
            continue  # a title went, and its details with it
        if created_music and key.startswith("music."):
            continue
        if grew and re.match(r"title\d+\.", key):
            continue
        if key == "music.new" and "music.style" in case.expect:
            continue
        if key == "clip_volume" and "clip_sound" in case.expect:
            continue  # the first clip's level: the per-clip levels asked for say it
        if key == "clip_sound" and after.get(key) == "-" and "clip_volume" in case.expect:
            continue  # the clips share one level again: clip_volume says which
        problems.append(f"{key}: {before.get(key)} -> {after.get(key)} (not asked)")
        wrong = True
    for key, value in case.expect.items():
        if key == "music.new":
            if "music.new" not in changed:
                problems.append("music.new: no new variation")
            continue
        got = after.get(key)
        if not _same(got, value):
            problems.append(f"{key}: expected {value}, got {got}")
            if key in changed:
                wrong = True  # it was changed, to something else than asked
    if case.unchanged and changed:
        wrong = True
    for words in case.replies:
        if words.lower() not in reply.lower():
            problems.append(f'reply lacks "{words}"')
    if case.lang == "zh" and not re.search(r"[\u4e00-\u9fff]", reply):
        problems.append("reply is not in Chinese")
    return Verdict(not problems, wrong, problems)
