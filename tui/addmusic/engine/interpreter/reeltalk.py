"""What reel edits share: reading the clips a clause may name, the listing's lines, the sentences
that name clips back, and the step that sets the reel and says what else moved. Used by the clips,
crossfades and stills families."""

from __future__ import annotations

import re
from collections.abc import Callable

from addmusic.protocol.draft import Draft, format_seconds

from .clipref import ClipInfo, Ref, catalogue, resolve, split_list
from .core import Clause, Edit, Outcome
from .reelops import Outcome as ReelOutcome
from .reelops import arrange, order
from .replies import say


def group(m: re.Match[str], *names: str) -> str:
    """The first of these named groups that matched (patterns with alternatives name them apart)."""
    groups = m.groupdict()
    return next((groups[n] for n in names if groups.get(n)), "")


def clips_of(c: Clause, d: Draft) -> tuple[list[ClipInfo], dict[str, ClipInfo]]:
    cat = catalogue(d, c.sources)
    return cat, {info.media_id: info for info in cat}


def secs(ms: int) -> str:
    return format_seconds(ms)


def listing_lines(cat: list[ClipInfo], lang: str) -> str:
    """The listing: numbered, with length, size, shape and sound."""
    zh = lang == "zh"
    out = []
    for i, info in enumerate(cat, 1):
        shape = {"vertical": ("vertical", "竖屏"), "landscape": ("landscape", "横屏"), "square": ("square", "方形")}.get(info.shape)
        size = f"{info.width}x{info.height}" + (f" {shape[zh]}" if shape and not zh else shape[1] if shape else "") if info.width else ""
        if info.kind == "image":
            facts = [("照片" if zh else "photo"), size, (f"停留{secs(info.length)}秒" if zh else f"shows {secs(info.length)} s")]
        else:
            length = f"{secs(info.length)}秒" if zh else f"{secs(info.length)} s"
            if info.on_reel and abs(info.used - info.length) > 50:
                length += f"（用了{secs(info.used)}秒）" if zh else f" ({secs(info.used)} s used)"
            sound = ("有声音" if info.has_audio else "没有声音") if zh else ("with sound" if info.has_audio else "no sound")
            facts = [length, size, sound]
        if not info.on_reel:
            facts.append("未使用" if zh else "not in the reel")
        body = ("，" if zh else ", ").join(f for f in facts if f)
        out.append(f"{i}. {info.name}（{body}）" if zh else f"{i}. {info.name} ({body})")
    return ("；" if zh else "; ").join(out)


# "how long is the drone clip", "what size is city.mp4", 城市那段多长: the named clip's line of the listing
INFO_EN = (r"^(?:how|hows|how's)\s+(?:long|big)\s+(?:is|are|'s)\s+(?P<x>.+)$|^what(?:'s|s| is)?\s+(?:the\s+)?(?:size|length|resolution|duration|"
           r"shape)\s+(?:of\s+)?(?P<y>.+)$|^what\s+(?:size|shape|resolution)\s+is\s+(?P<z>.+)$|^(?:does|do)\s+(?P<w>.+?)\s+have\s+(?:any\s+)?"
           r"(?:sound|audio)$|^is\s+(?P<v>.+?)\s+(?:vertical|silent|landscape)$")


INFO_ZH = r"^(?P<zx>.+?)(?:有|是)?(?:多长|多久|几秒|多大|什么尺寸|多少秒|有没有声音|有声音吗|是竖屏吗|是横屏吗)"


def describe_named(c: Clause, d: Draft) -> str | None:
    """The listing's lines for the clips a question names, or None when it names none."""
    m = re.search(INFO_EN, c.t) or re.search(INFO_ZH, c.t)
    if not m:
        return None
    cat, _ = clips_of(c, d)
    ref = resolve(group(m, "x", "y", "z", "w", "v", "zx"), cat)
    if ref is None or not ref.clips:
        return None
    items = [(i, x) for i, x in enumerate(cat, 1) if x in ref.clips]
    lines = listing_lines([x for _, x in items], c.lang).split("；" if c.lang == "zh" else "; ")
    sep = "；" if c.lang == "zh" else "; "
    return sep.join(re.sub(r"^\d+\.", f"{i}.", line) for (i, _), line in zip(items, lines, strict=True))


def listing(c: Clause, d: Draft) -> str:
    """What "what clips do I have" answers: every picture upload, numbered as references count."""
    cat, _ = clips_of(c, d)
    if not cat:
        return say("clips_none", c.lang)
    return say("clips_list", c.lang, items=listing_lines(cat, c.lang), length=secs(d.end))


def names_of(clips: list[ClipInfo], lang: str) -> str:
    names = [x.name for x in clips]
    if lang == "zh":
        return "、".join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def reel_text(d: Draft, infos: dict[str, ClipInfo], lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(infos[src].name if src in infos else src for src in order(d))


def refusal(ref: Ref, cat: list[ClipInfo], lang: str) -> str:
    if ref.problem == "ambiguous":
        names = "、".join(x.name for x in ref.clips) if lang == "zh" else " or ".join(x.name for x in ref.clips)
        return say("clips_ambiguous", lang, phrase=ref.phrase, names=names)
    if ref.problem == "range":
        return say("clips_range", lang, count=len(cat), items=listing_lines(cat, lang))
    return say("clips_unknown", lang, phrase=ref.phrase, items=listing_lines(cat, lang))


def _read_refs(phrase: str, cat: list[ClipInfo]) -> list[Ref] | None:
    """The references of a phrase's list; None when any part is not about a clip."""
    refs = []
    for part in split_list(phrase):
        ref = resolve(part, cat)
        if ref is None:
            return None
        refs.append(ref)
    return refs


def _first_bad(refs: list[Ref]) -> Ref | None:
    return next((r for r in refs if r.problem), None)


def _all_named(refs: list[Ref]) -> list[ClipInfo]:
    out: list[ClipInfo] = []
    for r in refs:
        out += [x for x in r.clips if x not in out]
    return out


def pick_clips(phrase: str, cat: list[ClipInfo], tool: str, lang: str) -> tuple[Outcome | None, list[ClipInfo]]:
    """Every clip a phrase names ("beach and the 2nd clip"), once each; or the refusal that says
    which part names no clip, or several where one is meant, with the clips' names; or (None, [])
    when the phrase is not about clips, so other rules may read it. A good reference names at
    least one clip, so an empty list always comes with the refusal or with nothing to say."""
    refs = _read_refs(phrase, cat)
    if not refs:
        return None, []
    if bad := _first_bad(refs):
        return Outcome(tool, note=refusal(bad, cat, lang)), []
    return None, _all_named(refs)


def reel_edit_of(tool: str, args: dict[str, object], run: Callable[[Draft], ReelOutcome], reply: str) -> Edit:
    return Edit(tool, args, lambda draft: run(draft).draft, reply)


def tail(res: ReelOutcome, lang: str) -> str:
    """What else the edit did: the music's new end, titles gone, the output size kept."""
    notes = []
    if res.music_end is not None:
        notes.append(say("music_follows", lang, end=secs(res.music_end)))
    for text in res.titles_removed:
        notes.append(say("title_past_end", lang, text=text))
    if res.canvas_follows:
        w, h = res.canvas_follows
        notes.append(say("canvas_follows", lang, width=w, height=h,
                         shape=("竖屏" if h > w else "横屏" if w > h else "方形") if lang == "zh" else
                         ("vertical" if h > w else "landscape" if w > h else "square")))
    return "".join(notes)


def listed(out: Outcome | None) -> Outcome | None:
    """An outcome a following clause may add clips to."""
    if out is not None:
        out.takes_list = True
    return out


def set_reel(tool: str, c: Clause, d: Draft, infos: dict[str, ClipInfo], srcs: list[str], key: str,
               whole: frozenset[str] = frozenset(), **values: object) -> Outcome:
    """Set the reel to `srcs`: the edit, its reply, or a refusal when no picture would be left."""
    if not srcs:
        return Outcome(tool, note=say("clips_no_picture", c.lang))

    def run(draft: Draft) -> ReelOutcome:
        return arrange(draft, [s for s in srcs if s in infos], infos, whole=whole)

    res = run(d)
    reply = say(key, c.lang, reel=reel_text(res.draft, infos, c.lang), length=secs(res.draft.end), **values) + tail(res, c.lang)
    return Outcome(tool, reel_edit_of(tool, {"clips": [infos[s].name for s in srcs]}, run, reply))
