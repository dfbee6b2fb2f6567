"""The interpreter: a chat message in, pure draft edits, history commands and reply sentences out.

Offline and rule-based on purpose (no LLM). The message is prepared (NFKC, quoted text set aside),
split into clauses, each clause normalised (tables in `normalise`, slips in `typos`), and read by
the families' rule tables in order (`families/`). Clauses are read against the running draft, so
"add music and lower it to 20%" works. What no rule reads is quoted back; a negated request
changes nothing; a question changes nothing and is answered from the draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from addmusic.protocol.draft import Draft

from . import normalise, typos, vocab
from .clauses import split
from .core import Clause, Edit, HistoryCommand, Outcome, Rule
from .families import (
    clip_sound,
    clips,
    general,
    history,
    keep_cut,
    loudness,
    music,
    questions,
    shape,
    song,
    titles,
    unsupported,
)
from .replies import examples, say
from .text import Prepared, has_cjk, prepare

__all__ = ["Edit", "HistoryCommand", "Interpretation", "Step", "apply_all", "interpret", "RULES"]

# The order rules are tried: the more specific first.
RULES: tuple[Rule, ...] = (
    *general.RULES[:1],  # small talk
    *clips.RULES_EARLY,  # "go back to hard cuts" is not an undo
    *history.RULES,
    *song.RULES,  # the user's song and cutting to the beat: before "unsupported" (卡点, "my own song")
    *clip_sound.RULES_EARLY,  # one clip's sound: before "mute the second clip" reads as a move
    *clips.RULES,  # several clips: before "reverse"/"transitions" are read as things it cannot do
    *unsupported.RULES,
    *questions.RULES,
    *titles.RULES[:2],  # remove, change the text
    *clip_sound.RULES,
    *music.RULES_EARLY,  # remove, unmute, mute
    *general.RULES[1:3],  # keep as is, export
    *loudness.RULES,
    *titles.RULES[2:],  # add, edit
    *general.RULES[3:],  # the service's phrases
    *music.RULES,
    *keep_cut.RULES,
    *shape.RULES,
    *music.RULES_LATE,
)
# Rules that read a negation themselves ("don't duck it", "no fade", "not so loud").
_READS_NEGATION = {"ducking", "fades", "music_remove", "title_remove", "clip_sound", "layers", *clips.READS_NEGATION,
                    *song.READS_NEGATION}


@dataclass
class Step:
    """One understood clause, in order: an edit or a history command (never both)."""

    edit: Edit | None = None
    history: HistoryCommand | None = None


@dataclass
class Interpretation:
    steps: list[Step] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # clauses nothing understood, as typed
    replies: list[str] = field(default_factory=list)  # sentences that come with no edit
    lang: str = "en"

    @property
    def edits(self) -> list[Edit]:
        return [s.edit for s in self.steps if s.edit is not None]


def apply_all(draft: Draft, edits: list[Edit]) -> Draft:
    for edit in edits:
        draft = edit.apply(draft)
    return draft


# Words before the request that carry nothing; "no" only when a comma or another negation follows
# ("no, keep it", "no i don't want rock"), never in "no music".
_FILLER_LEAD = re.compile(
    r"^(?:(?:nah|nope|ok|okay|so|actually|um|hmm|hey|yo|wait|oops|oh|ah|sorry|nvm|lol|ugh|first(?=\s+(?:cut|add|make|remove|trim|mute|put|change|delete))|"
    r"no(?=\s*,|\s+(?:i|we|don'?t|do not|not|never|wait|actually)\b))\b[\s,]*)+(?=\S)")


# A clause that tells something about the video rather than asking for a change.
_STATEMENT = re.compile(r"^(?:this|it|the video|the clip|my video)(?:'s| is| was)\s+(?:for|about|from|of|in)\b|"
                        r"^i (?:filmed|shot|recorded|made|edited) (?:this|it)\b")


def _clean(t: str) -> str:
    t = vocab.EMOJI.sub(" ", t)
    t = re.sub(r"^just\s+(?=(?:the\s+)?(?:music|original|clip|video)\b)", "only ", t.strip())
    t = re.sub(r"\s+", " ", t).strip(" ,.-—:")
    for _ in range(3):
        t = vocab.POLITE_TAIL.sub("", vocab.POLITE_LEAD.sub("", t)).strip(" ,.-—:")
    return t


def _clause(p: Prepared, start: int, end: int, lang: str, sources: list[dict[str, Any]], base: Draft,
            asked: bool, prefix: str = "") -> Clause:
    text = p.text[start:end]
    t = typos.correct(normalise.normalise(f"{prefix} {text}" if prefix else text))
    t = _clean(t)
    quotes = [p.quotes[ch] for ch in t if ch in p.quotes]
    return Clause(t, quotes, p.raw_of(start, end), lang, sources, base, asked)


def _read(c: Clause, d: Draft) -> Outcome | None:
    """The first rule that reads the clause; a negated request changes nothing."""
    t = c.t
    lead = _FILLER_LEAD.match(t)
    if lead:
        t = t[lead.end():]
        c = Clause(t, c.quotes, c.raw, c.lang, c.sources, c.base, c.asked)
    if not t and not c.quotes:
        return Outcome("noise")
    if _STATEMENT.match(t):
        return None  # "this is for my 9:16 story later", "i filmed this in 4k": told, not asked
    neg = vocab.NEGATION.match(t) or (vocab.ZH_NEGATION.search(t) if has_cjk(t) else None)
    if neg:
        rest = t[neg.end():]
        if re.match(r"^(?:那么|太|这么)?(?:大声|大|响|吵)", rest):
            return music.RULES_BY_NAME["volume_down"].build(None, c, d)  # type: ignore[arg-type]  # "别那么大声"
        zh_drop = has_cjk(t) and re.match(r"^(?:要|需要|用)?(?:背景)?(?:音乐|配乐|标题|字幕|文字|鼓|贝斯|旋律|和弦|淡入|淡出|避让|闪避)", rest)
        for r in RULES:
            if r.name in _READS_NEGATION and (out := r.read(c, d)) is not None:
                if r.name in ("music_remove", "title_remove", "clip_sound", "layers") and re.search(
                        r"^(?:\w+\s+)?(?:remove|delete|mute|cut|touch|change|drop|off|silence|kill|lose|lower)\b|^(?:要)?(?:删|去掉|静音|动|改|剪|关)", rest):
                    break  # "don't remove the music" keeps it
                if r.name == "layers" and not (zh_drop or re.match(r"^(?:no|without)\b", t)):
                    continue
                if r.name in ("music_remove", "title_remove") and not re.match(r"^(?:i |we )?(?:don'?t|do not) (?:want|need)", t) \
                        and not zh_drop:
                    break
                return out
        return Outcome("negated", note=say("negated", c.lang))
    if c.asked and re.match(r"^(?:\W*)(?:can|could|would|will|do|does|is|are|should|isn'?t|aren'?t)\b|.*(?:吗|么|呢)[?？]?$", c.raw.lower()):
        return questions._b_question(None, c, d)  # type: ignore[arg-type]
    if has_cjk(t) and re.search(r"什么|多少|多长|多大|多久|啥|哪|怎么|如何|吗$|么$|能不能.*[?？]?$|还是.+(?:好|合适|更好)$", t) and (
            c.asked or re.search(r"什么|多少|多长|多大|多久|啥|怎么|如何|还是.+(?:好|合适|更好)$", t)):
        return questions._b_question(None, c, d)  # type: ignore[arg-type]
    for r in RULES:
        if (out := r.read(c, d)) is not None:
            return out
    if re.match(r"^no\s+\w", t) or re.match(r"^not\s+\w", t):
        return Outcome("negated", note=say("negated", c.lang))
    return None


# Words that are the same in both languages' messages ("120 bpm", "4K", "BGM"): they do not make a
# Chinese session's message English.
_NEUTRAL_WORDS = {"bpm", "bgm", "lufs", "mp4", "tiktok", "vlog", "lofi", "edm", "dj", "ok", "okay", "db", "fps"}
# "音乐和标题都删了": one verb for two things, said once at the end
_BOTH = re.compile(r"(音乐|配乐|背景音乐|bgm|标题|字幕|文字)和(音乐|配乐|背景音乐|bgm|标题|字幕|文字)(?:都|全)?(删了|删掉|去掉|不要了|删除)")
_TOPIC_WORDS = {"title": "the title", "music": "the music", "clip": "the original sound", "photo": "the photo",
                "crossfade": "the crossfades"}
_TOPIC_ZH = {"title": "标题", "music": "音乐", "clip": "原声", "photo": "照片", "crossfade": "转场"}
# What a correction that is only a length means after these ("1s crossfades, no wait 2s", "make it 6s").
_LENGTH_TOPICS = ("photo", "crossfade")
_SHAPE_WORDS = re.compile(r"\b(?:vertical|square|landscape|portrait|\d{3,4}p|4k|tiktok|reels?|youtube|instagram|shorts?)\b|"
                          r"(?<![\d.])\d{1,2}:\d{1,2}(?![\d.])|(?<![\d.])(?:720|1080|2160)\s*p|4k|竖屏|横屏|方形|黑边|模糊|抖音")


def _mentioned(t: str) -> str:
    """The thing a clause talks about, so the next clause's "it" can mean it."""
    if re.search(r"\b(?:original|clip'?s?)\s+(?:audio|sound)\b|\bthe original\b|原声", t):
        return "clip"
    if vocab.TITLE_ANY.search(t):
        return "title"
    if vocab.MUSIC_ANY.search(t):
        return "music"
    return ""
_TOPIC_OF = {"add_title": "title", "edit_title": "title", "remove_titles": "title", "keep": "",
             "add_background_music": "music", "change_music": "music", "set_music_volume": "music",
             "set_music_fades": "music", "set_ducking": "music", "set_music_tempo": "music", "set_music_span": "music",
             "set_crossfade": "crossfade", "set_photo_length": "photo", "set_photo_zoom": "photo"}
_CARRY_VERB = re.compile(r"^(?:cut|remove|delete|trim|drop|chop|keep|get rid of|add|mute)\b|^(?:剪掉|去掉|删掉|删除|保留|只要|只留)")


def interpret(message: str, draft: Draft, *, language: str = "en",
              sources: list[dict[str, Any]] | None = None, previous: str = "") -> Interpretation:
    """Read a chat message against a draft: the edits and history commands it asks for, in order,
    and what to say. `previous`: the tool of the session's last edit, so "make them 1s" right after
    crossfades were added means the crossfades. Never raises on any input."""
    english_words = [w for w in re.findall(r"[a-zA-Z]{3,}", message) if w.lower() not in _NEUTRAL_WORDS]
    lang = "zh" if has_cjk(message) or (language.lower().startswith("zh") and not english_words) else "en"
    p = prepare(_BOTH.sub(r"\1\3，\2\3", message))
    pieces = split(p.text)
    result = Interpretation(lang=lang)
    running = draft
    srcs = sources or []
    topic = _TOPIC_OF.get(previous, "")
    topic = topic if topic in _LENGTH_TOPICS else ""
    carry = ""
    last_added_title = False
    stepped = False  # louder/quieter moves once per message
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        c = _clause(p, piece.start, piece.end, lang, srcs, draft, piece.asked)
        out: Outcome | None = None
        own_noun = vocab.TITLE_ANY.search(c.t) or vocab.MUSIC_ANY.search(c.t) or _SHAPE_WORDS.search(c.t)
        if topic in _LENGTH_TOPICS and not own_noun and re.fullmatch(
                rf"(?:(?:no|wait|actually|nah|sorry|oops|or|i mean|rather|make (?:it|them)|to)[\s,]*)*{vocab.NUM}s", c.t):
            out = _read(Clause(f"{_TOPIC_WORDS[topic]} {re.sub(r'^.*?(?=[0-9.]+s$)', '', c.t)}", c.quotes, c.raw, lang,
                               srcs, draft, c.asked), running)  # "crossfade 0.5s, no wait 1s"
        elif topic in ("title", "clip", *_LENGTH_TOPICS) and re.search(r"\b(?:it|them)\b", c.t) and not own_noun:
            sub = Clause(re.sub(r"\b(?:it|them)\b", _TOPIC_WORDS[topic], c.t, count=1), c.quotes, c.raw, lang, srcs,
                         draft, c.asked)
            out = _read(sub, running)
        elif topic and has_cjk(c.t) and not own_noun and not c.quotes and re.search(r"\d|顶|底|中间|上面|下面|开头|结尾", c.t):
            noun = "新标题" if topic == "title" and last_added_title else _TOPIC_ZH[topic]
            out = _read(Clause(f"{noun}{c.t}", c.quotes, c.raw, lang, srcs, draft, c.asked), running)
        if out is None:
            out = _read(c, running)
        used = 1
        if (out is None or out.takes_list) and piece.soft_after and i + 1 < len(pieces):
            # "use only beach and drone", "order: drone, beach, city": the next clauses only name more clips
            j = i + 1
            while j < len(pieces) and pieces[j - 1].soft_after and clips.only_clips_named(
                    _clause(p, pieces[j].start, pieces[j].end, lang, srcs, draft, False), running,
                    in_list=out is not None or bool(re.search(r"\d$", p.text[pieces[j - 1].start:pieces[j - 1].end].strip()))):
                j += 1
            if j > i + 1:
                joined = _clause(p, piece.start, pieces[j - 1].end, lang, srcs, draft, pieces[j - 1].asked)
                joined_out = _read(joined, running)
                if joined_out is not None and not joined_out.unmatched:
                    c, out, used = joined, joined_out, j - i
        if out is None and piece.soft_after and i + 1 < len(pieces):
            nxt = pieces[i + 1]
            joined = _clause(p, piece.start, nxt.end, lang, srcs, draft, nxt.asked)
            joined_out = _read(joined, running)
            if joined_out is not None and _read(_clause(p, nxt.start, nxt.end, lang, srcs, draft, nxt.asked), running) is None:
                c, out, used = joined, joined_out, 2
        if out is None and topic in _TOPIC_WORDS and re.search(r"\b(?:it|them)\b", c.t):
            sub = Clause(re.sub(r"\b(?:it|them)\b", _TOPIC_WORDS[topic], c.t, count=1), c.quotes, c.raw, lang, srcs,
                         draft, c.asked)
            out = _read(sub, running)
        if out is None and topic in _TOPIC_WORDS and not own_noun and re.search(r"\d|top|bottom|middle|center|顶|底|中间|上|下|开头|结尾", c.t):
            if has_cjk(c.t):
                noun = "新标题" if topic == "title" and last_added_title else _TOPIC_ZH[topic]
                sub = Clause(f"{noun}{c.t}", c.quotes, c.raw, lang, srcs, draft, c.asked)
            elif re.match(r"^(?:start|stop|end|show|move|put|place)\b", c.t):
                sub = Clause(re.sub(r"^(\w+)", rf"\1 {_TOPIC_WORDS[topic]}", c.t), c.quotes, c.raw, lang, srcs, draft, c.asked)
            else:
                sub = Clause(f"{_TOPIC_WORDS[topic]} {c.t}", c.quotes, c.raw, lang, srcs, draft, c.asked)
            out = _read(sub, running)
        if out is None and carry and not _CARRY_VERB.match(c.t):
            out = _read(Clause(f"{carry} {c.t}", c.quotes, c.raw, lang, srcs, draft, c.asked), running)
        if out is None or out.unmatched:
            if c.raw:
                result.unmatched.append(c.raw)
            if out is not None and out.note:
                result.replies.append(out.note)
        else:
            if out.edit is not None and out.edit.args.get("relative"):
                if stepped:
                    out = Outcome(out.tool)  # "too loud, turn it down": one step, not two
                stepped = True
            if out.edit is not None:
                result.steps.append(Step(edit=out.edit))
                running = out.edit.apply(running)
                last_added_title = out.tool == "add_title"
            elif out.history is not None:
                result.steps.append(Step(history=out.history))
            if out.note:
                result.replies.append(out.note)
            topic = _TOPIC_OF.get(out.tool, topic)
            if m := _CARRY_VERB.match(c.t):
                carry = m.group(0)
        topic = _mentioned(c.t) or topic
        i += used
    return result


def unmatched_reply(interp: Interpretation, applied_anything: bool) -> str:
    """What to say about the clauses nothing understood: quoted back, with things to try."""
    if not interp.unmatched:
        return ""
    lang = interp.lang
    q = "、".join(f"“{u}”" for u in interp.unmatched) if lang == "zh" else "; ".join(f"“{u}”" for u in interp.unmatched)
    key = "skipped" if applied_anything else "not_understood"
    return f"{say(key, lang, quoted=q)} {say('try', lang, examples=examples(lang))}"
