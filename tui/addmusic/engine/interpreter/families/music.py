"""Music: add, replace, a new variation, another style, remove, mute, volume, tempo, when it
plays, and its arrangement (energy, layers)."""

from __future__ import annotations

import re
import zlib
from typing import Any

from addmusic.engine import styles
from addmusic.protocol.draft import AUDIO, Draft, Segment

from .. import genres
from ..core import Clause, Edit, Outcome, rule
from ..draftops import has_video, map_music, music_segments, new_hex, put_music, remove_tracks
from ..replies import say, span
from ..slots import db_slot, duck_slot, fade_slots, span_in, volume_slot
from ..vocab import EN, NUM, ZH, mentions_music, ms

MUSIC = rf"(?:\b{EN['music']}\b|{ZH['music']})"
DEFAULT_VOLUME = 35


def seed_for(style: str, variation: int = 0) -> int:
    """Same words, same music: the seed follows the style; "another one" moves to the next variation."""
    return zlib.crc32(f"{style}:{variation}".encode()) & 0x7FFFFFFF


def _style_note(found: tuple[str, str, bool] | None, key: str, lang: str, t: str) -> str:
    note = ""
    if found and not found[2]:
        note = say("closest", lang, label=styles.label(key), mood=found[0])
    if genres.INSTRUMENTAL.search(t):
        note += say("instrumental", lang)
    return note


def bpm_slot(t: str) -> int | None:
    if m := re.search(rf"({NUM})\s*bpm|\bbpm\s*(?:of|to|at|=|改成|调到|设为|改为)?\s*({NUM})|\btempo\s*(?:of|to|at|=)?\s*({NUM})|"
                      rf"速度\s*(?:调到|改成|设为|为)?\s*({NUM})|节奏\s*({NUM})", t):
        value = next(g for g in m.groups() if g)
        return max(40, min(220, round(float(value))))
    return None


def layers_slot(t: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for role, words in (("drums", r"drums?|percussion|beat|鼓点?|打击乐"), ("bass", r"bass(?:line)?|贝斯|低音"),
                        ("melody", r"melody|lead|旋律"), ("harmony", r"chords?|harmony|pads?|和弦|和声")):
        if re.search(rf"\b(?:no|without|remove|mute|cut|drop|take out|lose|kill)\s+(?:the\s+|teh\s+)?(?:{words})\b|"
                     rf"\b(?:{words})\s+off\b|(?:不要|去掉|没有|无|删掉|关掉)(?:{words})", t):
            if role == "drums" and re.search(r"just the beat|only the beat", t):
                continue
            out[role] = 0
        elif m := re.search(rf"\b(?:{words})\s+(?:at|to)\s+({NUM})%|(?:{words})(?:的)?(?:音量)?\D{{0,4}}?({NUM})%", t):
            out[role] = max(0, min(100, round(float(m.group(1) or m.group(2)))))
        elif re.search(rf"\b(?:{words})\s+(?:are\s+|is\s+)?(?:too loud|too much|too strong)|\b(?:lower|quieter|softer|less|turn down)\s+"
                       rf"(?:the\s+)?(?:{words})\b|(?:{words})(?:太(?:大|响|吵)|小一?点)", t):
            out[role] = 50  # "the drums are too loud": the drums, not the whole music
        elif re.search(rf"\b(?:more|louder|bring back)\s+(?:the\s+)?(?:{words})\b|(?:{words})\s+back\b", t):
            out[role] = 100
    return out


def energy_slot(t: str) -> str | None:
    if re.search(r"\bbuild(?:s|ing)?\b(?:\s+up)?|\bbuild-?up\b|越来越(?:激烈|强|燃)|越到后面越|推到高潮|渐进|逐渐增强", t):
        return "build"
    if re.search(r"\b(?:more energy|more energetic|pump it up|higher energy|more intense|more hype|amp it up|"
                 r"more punch|punchier|harder)\b|更有活力|更有能量|更燃|更嗨|更激烈|更带劲|^燃(?:点|些)?$|能量(?:高|大)|燃起来", t):
        return "high"
    if re.search(r"\b(?:calmer|less intense|less energy|less energetic|more relaxed|mellower|tone it down|"
                 r"more chill|chiller)\b|更平静|更舒缓|更安静|平缓|柔和(?:点|些)|那么激烈|能量低|能量小", t):
        return "calm"
    return None


def _music_seg(d: Draft, lang: str, t: str, found: tuple[str, str, bool] | None, *, variation: int = 0) -> Segment:
    key = found[1] if found else styles.DEFAULT_STYLE
    end = d.end
    volume = volume_slot(t)
    fades = fade_slots(t) or {}
    duck = duck_slot(t)
    extra: dict[str, Any] = {"style": key, "mood": found[0] if found else None, "seed": seed_for(key, variation)}
    if (bpm := bpm_slot(t)) is not None:
        extra["bpm"] = bpm
    if layers := layers_slot(t):
        extra["layers"] = layers
    if (energy := energy_slot(t)) is not None:
        extra["energy"] = energy
    if duck and (db := db_slot(t)) is not None:
        extra["duck_db"] = db
    start = 0
    sp = span_in(re.sub(r"\b\d+(?:\.\d+)?s?\s*fade.*$|fad\w*\s+(?:in|out)?\s*(?:over\s+)?\d+(?:\.\d+)?s", "", t))
    if sp and sp.kind in ("from", "range") and re.search(r"\b(?:from|starts?|starting|kicks? in|after)\b|从", t):
        start = sp.start
    if m := re.search(rf"\bstarts?\s+(?:at|from)\s+({NUM})s|\bnot (?:over|during|in|for) the first\s+({NUM})s", t):
        start = ms(float(m.group(1) or m.group(2)))
    start = min(start, max(0, end - 500))
    length = end - start
    return Segment(id=f"bgm_{new_hex()[:8]}", label=styles.label(key), src=f"gen_{new_hex()}", start=start,
                   duration=length, volume=DEFAULT_VOLUME if volume is None else volume,
                   fade_in=min(fades.get("fi", 1000), length), fade_out=min(fades.get("fo", 2000), length),
                   duck=True if duck is None else duck, extra=extra)


def build_add(c: Clause, d: Draft, found: tuple[str, str, bool] | None = None) -> Outcome:
    tool = "add_background_music"
    if not has_video(d):
        return Outcome(tool, note=say("need_video", c.lang))
    found = found or genres.find(c.t)
    seg = _music_seg(d, c.lang, c.t, found)
    replacing = bool(music_segments(d))

    key = seg.extra["style"]
    label = styles.label(key) + _style_note(found, key, c.lang, c.t)
    reply = say("replaced_music" if replacing else "added_music", c.lang, label=label, volume=seg.volume,
                span=span(seg.start, seg.end))
    args = {"style": key, "volume": seg.volume, "start_ms": seg.start}
    return Outcome(tool, Edit(tool, args, put_music(seg), reply))


def build_restyle(c: Clause, d: Draft, found: tuple[str, str, bool] | None) -> Outcome:
    """Another style for the music that is there, or a new variation of the same style (found None)."""
    tool = "change_music"
    current = music_segments(d)
    if not current:
        if found is None:
            return Outcome(tool, note=say("no_music", c.lang))
        return build_add(c, d, found)
    first = current[0]
    old_style = str(first.extra.get("style") or styles.DEFAULT_STYLE)
    variation = int(first.extra.get("variation") or 0)
    if found is None or found[1] == old_style:
        key, variation = old_style, variation + 1
        reply_key = "new_take"
    else:
        key, variation = found[1], 0
        reply_key = "replaced_music"
    seed = seed_for(key, variation)
    src = f"gen_{new_hex()}"
    bpm = bpm_slot(c.t)

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        for seg in music_segments(out):
            seg.src, seg.label, seg.waveform = src, styles.label(key), None
            seg.extra = {**seg.extra, "style": key, "seed": seed, "variation": variation,
                         "mood": found[0] if found else seg.extra.get("mood")}
            if bpm is not None:
                seg.extra["bpm"] = bpm
        return out

    volume = first.level
    label = styles.label(key) + _style_note(found, key, c.lang, c.t)
    reply = say(reply_key, c.lang, label=label, volume=volume, span=span(first.start, first.end))
    return Outcome(tool, Edit(tool, {"style": key, "seed": seed}, apply, reply))


def _need_music(c: Clause, d: Draft, tool: str) -> Outcome | None:
    """No music yet: "add jazz at 30%" is a request for music; anything else is answered."""
    if not music_segments(d):
        if (re.search(rf"\b{_ADD_VERB}\b|{ZH['add']}", c.t) and (mentions_music(c.t) or genres.find(c.t))) or \
                (mentions_music(c.t) and genres.find(c.t)):
            return build_add(c, d)
        return Outcome(tool, note=say("no_music", c.lang))
    return None


# --- builders per rule ---------------------------------------------------------------------------

def _b_add(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if _WHEN.search(c.t):
        return None  # "add music only when i'm not talking": a condition the rules cannot read safely
    found = genres.find(c.t)
    if music_segments(d) and not re.search(r"\b(?:add|put|give|throw)\b|加|配", c.t):
        return build_restyle(c, d, found) if found else None
    return build_add(c, d, found)


_FILLER = frozenset(
    "add adding put some a an the me us it more something music vibe vibes beat beats song songs track tracks tune "
    "tunes soundscape drop pls please style background to for in on at with my our this that of give throw want "
    "need use play instead make have let be sound feel go i just really kinda very like type kind sort bit "
    "little said meant wanted go get stuff behind under underneath groove grooves".split())


def _b_genre_only(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    said = re.sub(r"\b(?:not|instead of|rather than)\s+(?:the\s+)?[\w-]+", " ", c.t)  # "jazz, not rock"
    found = genres.find(said)
    if not found:
        return None
    rest = said.replace(found[0], " ")
    leftover = [w for w in re.findall(r"[a-z']+", rest) if w not in _FILLER and not genres.is_mood(w)]
    # "calm music for a sunset" is a request; "this is a rock climbing video" only mentions rock
    if len(leftover) > (3 if mentions_music(c.t) else 0) or (not genres.has_cjk(c.t) and not re.search(r"[a-z]", rest + found[0])):
        return None
    if music_segments(d):
        return build_restyle(c, d, found)
    return build_add(c, d, found)


def _b_restyle(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    found = genres.find(m.group("what") if "what" in m.groupdict() and m.group("what") else c.t)
    if found is None:
        if not re.search(r"\b(?:else|different|another|other|new)\b|换(?:一|个)?首|别的|其他|另", c.t):
            return None
    return build_restyle(c, d, found)


def _b_new(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if (found := genres.find(c.t)) is not None:
        return build_restyle(c, d, found)  # "换一首更有电影感的": another style, not another take
    if not music_segments(d):
        return build_add(c, d) if mentions_music(c.t) else Outcome("change_music", note=say("no_music", c.lang))
    return build_restyle(c, d, None)


def _b_remove(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "remove_music"
    if re.search(rf"{NUM}s(?![a-z])|%", c.t) or re.search(r"\b(?:vocals?|drums?|bass|melody|fade|duck)", c.t):
        return None  # "stop the music at 0:07" is when it ends; "remove the drums" is its arrangement
    if _WHEN.search(c.t):
        return None  # "cut the music when the dog barks": tied to an event, not done (ducking reads speech)
    if _FOR_NOW.search(c.t) or _FOR_NOW.search(c.raw.lower()):
        return _b_mute(m, c, d)  # "kill the music for now": silenced, kept to come back
    if not music_segments(d):
        return Outcome(tool, note=say("no_music_to_remove", c.lang))
    return Outcome(tool, Edit(tool, {}, remove_tracks(AUDIO), say("removed_music", c.lang)))


_WHEN = re.compile(r"\b(?:when|whenever|while|during)\b|的时候|时候")

# Words that make taking the music away temporary: it is muted (kept), not deleted.
_FOR_NOW = re.compile(r"\bfor now\b|\bfor the moment\b|\btemporar(?:y|ily)\b|\bfor a (?:sec|second|bit|moment|while)\b|"
                      r"\bbut keep\b|暂时|先静音")


def _b_mute(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_music_volume"
    if (no := _need_music(c, d, tool)) is not None:
        return no

    def mute(seg: Segment) -> None:
        if seg.volume != 0:
            seg.extra["v_before_mute"] = seg.level
        seg.volume = 0

    return Outcome(tool, Edit(tool, {"volume": 0}, map_music(mute), say("muted", c.lang)))


def _b_unmute(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_music_volume"
    if (no := _need_music(c, d, tool)) is not None:
        return no
    seg0 = music_segments(d)[0]
    back = int(seg0.extra.get("v_before_mute") or DEFAULT_VOLUME) if seg0.volume == 0 else seg0.volume

    def unmute(seg: Segment) -> None:
        if seg.volume == 0:
            seg.volume = int(seg.extra.pop("v_before_mute", DEFAULT_VOLUME) or DEFAULT_VOLUME)

    return Outcome(tool, Edit(tool, {"volume": back}, map_music(unmute), say("volume_set", c.lang, volume=back)))


def step(volume: int, up: bool) -> int:
    """Louder is x1.5, quieter x2/3, rounded to 5 and at least one step of 5, within 0-100."""
    raw = volume * 1.5 if up else volume * 2 / 3
    new = int(5 * round(raw / 5))
    new = max(new, volume + 5) if up else min(new, volume - 5)
    return max(0, min(100, new))


def _volume_edit(c: Clause, d: Draft, *, value: int | None = None, up: bool | None = None) -> Outcome:
    tool = "set_music_volume"
    if (no := _need_music(c, d, tool)) is not None:
        return no
    current = music_segments(d)[0]
    before = current.level
    after = value if value is not None else step(before, bool(up))
    after = max(0, min(100, after))

    def set_volume(seg: Segment) -> None:
        seg.volume = after

    key = "volume_set" if value is not None else ("volume_up" if up else "volume_down")
    args = {"volume": after, "relative": value is None}
    return Outcome(tool, Edit(tool, args, map_music(set_volume), say(key, c.lang, volume=after)))


def _b_volume_abs(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    value = next((g for g in m.groups() if g), None)
    if value is None:
        return None
    number = float(value)
    if 0 < number < 1 and "%" not in m.group(0):
        number *= 100  # "music at 0.5 volume" is a fraction: half, never 0
    return _volume_edit(c, d, value=round(number))


def _b_half(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _volume_edit(c, d, value=50)


def _b_full(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _volume_edit(c, d, value=100)


def _b_up(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _volume_edit(c, d, up=True)


def _b_down(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if re.search(r"\b(?:trim|cut|shorten|chop)\b", c.t) and re.search(rf"{NUM}s(?![a-z])", c.t):
        return None  # "trim it down to 6s" is the video's length, not the volume
    return _volume_edit(c, d, up=False)


def _b_tempo(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_music_tempo"
    bpm = bpm_slot(c.t)
    if bpm is None:
        return None
    if (no := _need_music(c, d, tool)) is not None:
        return no

    def set_bpm(seg: Segment) -> None:
        seg.extra["bpm"] = bpm

    return Outcome(tool, Edit(tool, {"bpm": bpm}, map_music(set_bpm), say("tempo", c.lang, bpm=bpm)))


STYLE_BPM = {"upbeat": 118, "lofi": 80, "cinematic": 90, "acoustic": 100, "electronic": 124, "chill": 85,
             "piano": 72, "hiphop": 90, "rock": 128, "jazz": 110, "corporate": 110, "ambient": 70}


def _b_faster(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_music_tempo"
    if (no := _need_music(c, d, tool)) is not None:
        return no
    seg0 = music_segments(d)[0]
    base = int(seg0.extra.get("bpm") or STYLE_BPM.get(str(seg0.extra.get("style")), 100))
    faster = bool(re.search(r"faster|quicker|speed up the (?:music|beat)|快", c.t)) and not re.search(r"slower|慢", c.t)
    bpm = max(40, min(220, round(base * (1.15 if faster else 0.87))))

    def set_bpm(seg: Segment) -> None:
        seg.extra["bpm"] = bpm

    return Outcome(tool, Edit(tool, {"bpm": bpm}, map_music(set_bpm), say("tempo", c.lang, bpm=bpm)))


def _b_timing(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_music_span"
    if re.search(r"\b(?:drops|hits|goes|is|was|sounds)\b", c.t):
        return None  # "the beat drops at 0:05" says something about the music; it asks nothing
    if "%" in c.t or re.search(rf"\b(?:turn|crank|bring|push|pump)\b.*\bup to\s+{NUM}(?![\d.]*\s*s\b)", c.t):
        return None  # "turn the music up to 60%" / "up to 80" is a volume
    if (no := _need_music(c, d, tool)) is not None:
        return no
    t = c.t
    end = d.end
    seg0 = music_segments(d)[0]
    start, stop = seg0.start, seg0.end
    sp = span_in(t)
    if m2 := re.search(rf"({NUM})s\s*(?:后|之后|以后)(?:再)?(?:进|开始|出来|响|起)", t):
        start, stop = ms(float(m2.group(1))), end
    elif m2 := re.search(rf"\b(?:stop|end|ends|ending|cut)\b[^\d]*?({NUM})s|(?:在|到)第?\s*({NUM})s\s*(?:停|结束)", t):
        stop = ms(float(m2.group(1) or m2.group(2)))
        if m3 := re.search(rf"\b(?:start|starts|begin|from)\b[^\d]*?({NUM})s", t):
            start = ms(float(m3.group(1)))
    elif sp and sp.kind == "range":
        start, stop = sp.start, sp.end or end
    elif sp and sp.kind == "until":
        stop = sp.end or end
    elif sp and sp.kind == "first" and re.search(r"after", t):
        start = sp.end or 0
    elif sp and sp.kind in ("from", "first"):
        start = sp.start if sp.kind == "from" else (sp.end or 0)
        stop = end if sp.kind == "from" else stop
    elif m2 := re.search(rf"({NUM})s", t):
        start = ms(float(m2.group(1)))
        stop = end
    else:
        return None
    if start >= end or stop > end + 50 or stop <= start:
        bad = span(start, stop if stop > start else start)
        return Outcome(tool, note=say("music_span_bad", c.lang, length=f"{end / 1000:g}", span=bad))
    stop = min(stop, end)

    def set_span(seg: Segment) -> None:
        seg.start, seg.duration = start, stop - start
        seg.fade_in, seg.fade_out = min(seg.fade_in, seg.duration), min(seg.fade_out, seg.duration)
        seg.waveform = None

    return Outcome(tool, Edit(tool, {"start_ms": start, "end_ms": stop}, map_music(set_span),
                              say("music_span", c.lang, span=span(start, stop))))


def _b_layers(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_music_layers"
    layers = layers_slot(c.t)
    if not layers:
        return None
    if (no := _need_music(c, d, tool)) is not None:
        return no

    def set_layers(seg: Segment) -> None:
        seg.extra["layers"] = {**(seg.extra.get("layers") or {}), **layers}
        seg.waveform = None

    names = {"drums": ("Drums", "鼓"), "bass": ("Bass", "贝斯"), "melody": ("Melody", "旋律"), "harmony": ("Chords", "和弦")}
    reply = " ".join(say("layers", c.lang, role=names[r][c.lang == "zh"], level=v) for r, v in layers.items())
    return Outcome(tool, Edit(tool, {"layers": layers}, map_music(set_layers), reply))


def _b_energy(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_music_energy"
    energy = energy_slot(c.t)
    if energy is None:
        return None
    if (no := _need_music(c, d, tool)) is not None:
        return no

    def set_energy(seg: Segment) -> None:
        seg.extra["energy"] = energy
        seg.waveform = None

    return Outcome(tool, Edit(tool, {"energy": energy}, map_music(set_energy), say("energy", c.lang, energy=energy)))


def _b_duck(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_ducking"
    on = duck_slot(c.t)
    if on is None:
        return None
    if (no := _need_music(c, d, tool)) is not None:
        return no
    db = db_slot(c.t)

    def set_duck(seg: Segment) -> None:
        seg.duck = on
        if on and db is not None:
            seg.extra["duck_db"] = db

    shown = db if db is not None else int(music_segments(d)[0].extra.get("duck_db") or 12)
    reply = say("duck_on", c.lang, db=shown) if on else say("duck_off", c.lang)
    return Outcome(tool, Edit(tool, {"duck": on, "duck_db": db}, map_music(set_duck), reply))


def _b_fade(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_music_fades"
    fades = fade_slots(c.t)
    if fades is None:
        return None
    if (no := _need_music(c, d, tool)) is not None:
        return no
    fi, fo = fades.get("fi"), fades.get("fo")

    def set_fades(seg: Segment) -> None:
        if fi is not None:
            seg.fade_in = min(fi, seg.duration)
        if fo is not None:
            seg.fade_out = min(fo, seg.duration)

    if (fi or 0) == 0 and (fo or 0) == 0:
        reply = say("fade_off", c.lang)
    elif fi is not None and fo is not None:
        reply = say("fade_both", c.lang, fi=f"{fi / 1000:g}", fo=f"{fo / 1000:g}")
    elif fi is not None:
        reply = say("fade_in", c.lang, fi=f"{fi / 1000:g}")
    else:
        reply = say("fade_out", c.lang, fo=f"{(fo or 0) / 1000:g}")
    return Outcome(tool, Edit(tool, {"fade_in_ms": fi, "fade_out_ms": fo}, map_music(set_fades), reply))


_ADD_VERB = r"(?:add|adding|put|insert|include|throw|drop in|lay|give|want|need|needs|use|generate|compose|create|get|score|stick|slap|bring in|i'd like|gimme|play)"
_GENRE_TAIL = r"(?:\s+(?:music|vibes?|beats?|songs?|tracks?|tunes?|soundscape|drop|pls|please|style|background music))*"
_NEW = r"(?:another|different|new|other|fresh|else)"

RULES_EARLY = (
    rule("music_remove",
         rf"\b(?:remove|delete|drop|get rid of|take|lose|kill|ditch|scrap|cut|stop)\b.*{MUSIC}|^no (?:more )?(?:background )?music\b|"
         rf"\b(?:don'?t|do not) (?:want|need) (?:the |any |this )?(?:background )?music\b|"
         rf"^(?:actually )?no music\b|\bwithout (?:any )?music\b|\bmusic off\b|(?:去掉|删除|删掉|移除|去除|拿掉|不要)(?:背景)?(?:音乐|配乐)|"
         rf"{MUSIC}.*(?:去掉|删掉|删了|不要了?|删除|拿掉|关掉|关了|删)$",
         _b_remove),
    rule("music_unmute", rf"\bunmute\b.*{MUSIC}|\b{EN['music']}\s+back on\b|\bunmute\b$|取消(?:音乐)?静音|恢复音乐", _b_unmute),
    rule("music_mute", rf"\b(?:mute|silence)\b.*{MUSIC}|{MUSIC}.*\bmute\b|{MUSIC}.*静音|静音.*{MUSIC}", _b_mute),
)

RULES = (
    rule("ducking", r"\bduck|\bsidechain|避让|闪避|躲避|(?:when|while|whenever)\b.*\b(?:talk|speak|speech|voice)|(?:说话|讲话|人声|对白|旁白|解说).*(?:时|时候)", _b_duck,
         ("on", "db")),
    rule("fades", r"\bfad|\bfadein|\bfadeout|淡入|淡出|渐入|渐出|渐强|渐弱", _b_fade, ("fade_in", "fade_out")),
    rule("tempo", r"\bbpm\b|\btempo\b|速度\s*\d|节奏\s*\d|\d\s*bpm", _b_tempo, ("bpm",)),
    rule("tempo_relative", r"\b(?:faster|slower|quicker)\b.*(?:music|beat|tempo)|(?:music|beat|tempo).*\b(?:faster|slower)\b|节奏(?:快|慢)|(?:加快|放慢)(?:节奏|速度)", _b_faster),
    rule("layers", r"\b(?:drums?|percussion|bass(?:line)?|melody|chords?)\b|鼓|贝斯|旋律", _b_layers, ("role", "level")),
    rule("energy", r"\bbuild|\benerg|\bpump it up\b|\bcalmer\b|\bless intense\b|\bmore intense\b|\bamp it up\b|\bmellower\b|\btone it down\b|更有活力|燃|嗨|激烈|平缓|更平静|更舒缓|越来越|越到后面|高潮|能量", _b_energy),
    rule("music_timing",
         rf"{MUSIC}.*(?:\bfrom\b|\bstarts?\b|\bstart(?:ing)?\b|\bkick(?:s)? in\b|\buntil\b|\btill?\b|\bup to\b|\bat\s+\d+(?:\.\d+)?s\b|\bend\b|\bstop\b|\bonly from\b)|"
         rf"\b(?:start|stop|end|play|begin|strat)\b.*{MUSIC}.*\d+(?:\.\d+)?s|{MUSIC}.*(?:从|到|在|后).*\d+(?:\.\d+)?s|{MUSIC}.*\d+(?:\.\d+)?s.*(?:后|停|开始|进)|(?:从|在)第?\s*\d+(?:\.\d+)?s.*{MUSIC}",
         _b_timing, ("start", "end")),
    rule("volume_half", r"\bhalf(?:\s+the)?\s+volume\b|音量(?:减)?半|半音量|音量调到半", _b_half),
    rule("volume_full", r"\b(?:full|max(?:imum)?)\s+volume\b|最大音量|音量最大|音量拉满|拉满|开到最大", _b_full),
    rule("volume_abs",
         rf"(?:{MUSIC}|\bvolume\b|\bvolumn\b|音量|声音).*?(?<![\d.])({NUM})%|^(?:调到|调成|设为|改成)\s*({NUM})%|(?:{MUSIC}|\bvolume\b|音量)\s*(?:at|to|=|of|down to|up to|调到|调成|设为|改为|改成)?\s*({NUM})(?![\d.%s:])|"
         rf"\b(?:loud|quiet|soft)\b.*?(?<![\d.])({NUM})%|"
         rf"^(?:at|to|set to)?\s*({NUM})%$|\b(?:turn|bring|set)\b.*{MUSIC}.*\b(?:to|at)\s+({NUM})(?![\d.%s])|"
         rf"^(?:turn|bring|set|put|lower|raise|drop|make)\s+(?:it|that)\b.*?\b(?:to|at)\s+({NUM})(?:%|(?![\d.s:]))",
         _b_volume_abs, ("volume",)),
    rule("volume_down",
         rf"\b(?:too loud|not (?:so|too) loud|drowning|drowns|overpowering|quieter|softer|lower|less loud|turn (?:it |the \w+ )?down|down a bit|"
         rf"reduce|decrease)\b|\b(?:volume|music|it) down\b|\bdown a notch\b|太(?:大声|响|吵|大)|盖过|(?:调小|调低|降低|减小|小声|轻)(?:点|些)?|"
         rf"(?:{MUSIC}|音量|声音)\s*(?:小|低|轻)(?:点|些)?$|^(?:小|低|轻)(?:点|些)?$",
         _b_down),
    rule("volume_up",
         r"\b(?:louder|not loud enough|too quiet|too soft|can'?t hear|barely hear|hard to hear|raise|boost|increase|turn (?:it |the \w+ )?up|up a bit|higher)\b|"
         r"\b(?:volume|music) up\b|\bup a notch\b|"
         r"太(?:小声|轻|小|低)|听不(?:到|见|清)|(?:调大|调高|提高|加大|大声)(?:点|些)?|"
         rf"(?:{MUSIC}|音量|声音)\s*(?:大|响|高)(?:点|些)?$|^(?:大|响)(?:点|些)?$",
         _b_up),
    rule("music_new",
         rf"\b{_NEW}\s+(?:one|song|track|tune|music|take|version|beat|vibe|variation|piece)\b|\b(?:try|give me)\s+another\b|"
         rf"\bchange the (?:song|music|track)$|\bsomething else\b|\bregenerate\b|\bre-?roll\b|\bshuffle\b|"
         r"^another(?:\s+\w+)?\s+one$|^(?:nah\s+)?(?:try\s+)?another$|换(?:一)?首|^换(?:一)?个$|风格一?样|同样(?:的)?风格|换个(?:音乐|歌|配乐)|重新生成|换一个|再来一首",
         _b_new),
    rule("music_restyle",
         r"\b(?:change|switch|swap|replace|turn|convert|go)\b(?:\s+(?:it|the|my|this|that))?(?:\s+(?:lofi|lo-fi|[a-z&-]+(?=\s+(?:for|with|to|into)\s)))?(?:\s+(?:music|song|track|style|genre|vibe|bgm|background music))*"
         r"\s+(?:to|with|for|into|over to)\s+(?P<what>.+)$|\b(?:use|try|want|prefer|go with)\b\s+(?P<what2>.+?)\s+instead\b|"
         r"\b(?:can we try|let'?s try|try)\s+(?P<what3>\w.*)$|\bmore of an?\s+(?P<what4>.+)$|\binstead\b|"
         r"(?:换成|改成|换为|改为|切换到|换)(?P<what5>.+)$",
         _b_restyle),
)

RULES_BY_NAME: dict[str, object] = {}

RULES_LATE = (
    rule("music_add", rf"\b{_ADD_VERB}\b.*{MUSIC}|{ZH['add']}.*{ZH['music']}|{ZH['music']}.*(?:加上|配上|加进去|放上)|配(?:个|点|首)?乐$|配乐$|^(?:some |more |an? )?(?:background )?{EN['music']}(?:\s+(?:pls|please|now))?$|"
         rf"^{ZH['music']}$|\b(?:needs|wants)\s+(?:some\s+)?{EN['music']}", _b_add, ("style", "volume", "fades", "duck", "bpm", "start")),
    rule("music_add_genre", rf"^(?:{_ADD_VERB}\s+)?(?:(?:me|us|it|some|an?|the|more|something|some of that)\s+)*(?P<g>[\w&'\- ]+?){_GENRE_TAIL}"
         rf"(?:\s+(?:to|for|in|on|at|with)\b.*)?$|^(?:加|来|配|要|用)?(?:点|些|一段|段|首)?(?P<zg>.+?)(?:的)?(?:音乐|配乐|风格|曲子)?(?:吧)?$",
         _b_genre_only, ("style",)),
    rule("make_it_genre", r"^(?:make|have|let)\s+(?:it|the music|this)\s+(?:sound\s+|feel\s+|be\s+|more\s+)*(?P<g>[\w&' -]+?)(?:\s+instead)?$|^go\s+(?P<g2>\w+)$|^(?:make it|改成|变成)\s*(?P<zg>.+)$",
         _b_genre_only),
)

RULES_BY_NAME.update({r.name: r for r in (*RULES_EARLY, *RULES, *RULES_LATE)})
