"""The user's own song, and cutting to the beat: use an uploaded song (or a clip's sound) as the
music, where the song starts (a time, the chorus, after its intro), what a short song does (loop or
end early), clip cuts on the beat (卡点), and composed music that follows the cuts.

The edits only set the draft keys of the contract (docs/API.md, last section); what needs the
song's analysis (the chorus's time, the intro's end, the beats) is resolved by the turn
(`engine/songs.py`), which also words the numbers of a sync."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from addmusic.protocol.draft import Draft, Segment

from .. import genres
from ..core import Clause, Edit, Outcome, rule
from ..draftops import music_segments, put_music, video_segments
from ..slots import volume_slot
from ..vocab import NUM, mentions_music, ms
from .questions import QUESTION_START

DEFAULT_VOLUME, DEFAULT_FADE_IN, DEFAULT_FADE_OUT = 35, 1000, 2000

# --- what is said, in both languages -------------------------------------------------------------

REPLIES: dict[str, tuple[str, str]] = {
    "use_song": ("Using {name} as the music at {volume}%{was}.", "已用{name}作背景音乐，音量{volume}%{was}。"),
    "was_composed": (", in place of the composed {label} music (volume, fades and ducking kept)",
                     "，替换了生成的{label}音乐（音量、淡入淡出和避让保持不变）"),
    "song_longer": ("It is longer than the video, so it ends on a phrase with a fade-out at the last frame.",
                    "歌比视频长，会在乐句处结束，并在最后一帧淡出。"),
    "song_shorter_loop": ("It is shorter than the video, so it loops at bar boundaries (say 'end early' to let it stop).",
                          "歌比视频短，会按小节循环（说“提前结束”可以让它放完就停）。"),
    "song_shorter_end": ("It is shorter than the video, so it ends early with a fade.", "歌比视频短，会提前淡出结束。"),
    "already_song": ("{name} is already the music.", "{name}已经是背景音乐了。"),
    "no_song": ("There is no song uploaded yet. Upload your song like a clip (mp3, wav, m4a or aac), then say 'use my song'.",
                "还没有上传歌曲。像上传视频一样上传你的歌（mp3、wav、m4a、aac），然后说“用我的歌”。"),
    "which_song": ("You uploaded several songs: {names}. Which one? Say e.g. 'use {first}'.",
                   "你上传了几首歌：{names}。用哪一首？例如说“用{first}当背景音乐”。"),
    "no_such_clip": ("There is no clip {n}: the video has {count}.", "没有第{n}个片段：视频里有{count}个。"),
    "clip_silent": ("{name} has no sound to use as the music.", "{name}没有声音，不能当背景音乐。"),
    "song_needed": ("The music isn't your song yet — say 'use my song' first.", "背景音乐还不是你的歌——请先说“用我的歌”。"),
    "song_start": ("The song now starts at {at} of {name}.", "歌曲现在从{name}的{at}开始。"),
    "song_start_bad": ("{name} is only {length} long, so it can't start at {at}. Nothing changed.",
                       "{name}只有{length}，不能从{at}开始，没有修改。"),
    "song_chorus": ("The song now starts at its chorus (the most energetic stretch, on a downbeat).",
                    "歌曲现在从副歌（能量最高的一段，落在强拍上）开始。"),
    "song_intro": ("The song now starts after its intro.", "歌曲现在跳过前奏开始。"),
    "fit_loop": ("If the song is shorter than the video it loops at bar boundaries with a short crossfade.",
                 "歌比视频短时会按小节循环，接缝处短暂交叉淡化。"),
    "fit_end": ("If the song is shorter than the video it ends early with a fade instead of looping.",
                "歌比视频短时会提前淡出结束，不再循环。"),
    "fit_longer": (" (it is longer than the video from where it starts, so it is cut at a phrase with a fade anyway)",
                   "（从开始处算它比视频长，所以无论如何都会在乐句处淡出结束）"),
    "sync_need_music": ("Cutting to the beat needs music first — add some (e.g. 'add upbeat music') or say 'use my song'.",
                        "卡点需要先有音乐——先加音乐（例如“加欢快的背景音乐”）或说“用我的歌”。"),
    "sync_need_clips": ("There is only one clip, so there are no cuts to move onto the beat.",
                        "只有一个片段，没有可以对齐节拍的剪辑点。"),
    "sync_on": ("Cutting to the beat:", "卡点："),
    "sync_off": ("The cuts stay where they are and no longer follow the beat.", "剪辑点保持原位，不再跟随节拍。"),
    "sync_was_off": ("The cuts aren't synced to the beat, so nothing changed.", "剪辑点本来就没有卡点，没有修改。"),
    "follow_on": ("The music's sections and accents now land on the video's cuts.", "音乐的段落和重音现在会落在视频的剪辑点上。"),
    "follow_off": ("The music no longer follows the cuts.", "音乐不再跟随剪辑点。"),
    "follow_song": ("Your song can't be rearranged to follow the cuts; say 'sync to the beat' to move the cuts onto its beat instead.",
                    "你的歌不能重新编排来跟随剪辑点；可以说“卡点”，把剪辑点移到它的节拍上。"),
    "follow_need_music": ("There is no music to follow the cuts — add some first (e.g. 'add upbeat music').",
                          "还没有音乐可以跟随剪辑点——请先加音乐（例如“加欢快的背景音乐”）。"),
    "song_bpm": ("{name} is about {bpm} bpm.", "{name}大约是{bpm} bpm。"),
    "song_bpm_unknown": ("{name}'s tempo isn't known yet: its analysis is still running, or it has no steady beat.",
                         "{name}的速度还不知道：分析还没完成，或者它没有稳定的节拍。"),
    # said by the turn (engine/songs.py) once the analysis is known
    "intro_at": ("Its intro ends at {at}.", "前奏在{at}结束。"),
    "no_intro": ("This song has no quiet intro: it starts at its level from 0:00.", "这首歌没有安静的前奏，从0:00就进入正题。"),
    "cut_word": ("cut", "个剪辑点"),
    "cuts_word": ("cuts", "个剪辑点"),
    "sync_moved": ("Moved {n} {cuts} onto the beat by {avg} s on average, at most {max} s.",
                   "已把{n}{cuts}移到节拍上，平均移动{avg}秒，最多{max}秒。"),
    "sync_already": ("The cuts were already on the beat.", "剪辑点本来就在节拍上。"),
    "sync_shorter": ("To land on the beat a clip was trimmed, so the video is {s} s shorter.",
                     "为了卡上节拍修剪了片段，视频短了{s}秒。"),
    "sync_some_stayed": ("{n} stayed where they were: {why}.", "{n}个剪辑点没有移动：{why}。"),
    "sync_none": ("No cut could move onto the beat yet ({why}); the cuts will follow the beat of any new music.",
                  "暂时没有剪辑点能移到节拍上（{why}）；换音乐后剪辑点会跟随新的节拍。"),
    "sync_reasons": ("{reasons}", "{reasons}"),
    "why_no_beat": ("the music has no steady beat", "音乐没有稳定的节拍"),
    "why_far": ("no beat within half a beat", "半拍之内没有节拍"),
    "why_short": ("a clip there is too short to move its cut", "那里的片段太短，剪辑点无法移动"),
    "why_footage": ("the clips have no more footage on the side of the beat (trim them a little and ask again)",
                    "片段在节拍那一侧没有多余的画面（稍微剪短一点再试）"),
    "why_other": ("it could not move", "无法移动"),
    "sync_no_beat": ("The music has no steady beat to cut to, so the cuts stay where they are.",
                     "音乐没有稳定的节拍，剪辑点保持原位。"),
    "sync_again": ("The music changed, so the cuts were moved onto its new beat:", "音乐换了，剪辑点已重新对齐新的节拍："),
    "sync_off_no_music": ("The music is gone, so the cuts no longer follow a beat.", "音乐已删除，剪辑点不再卡点。"),
    "sync_off_cuts_moved": ("The cuts moved, so they are no longer on the beat; say 'sync to the beat' again to snap them.",
                            "剪辑点变了，不再卡点；再说一次“卡点”即可重新对齐。"),
}


def say(key: str, lang: str, **values: Any) -> str:
    en, zh = REPLIES[key]
    return (zh if lang == "zh" else en).format(**values)


# --- which upload is meant -----------------------------------------------------------------------

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1,
             "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "最后一": -1}


def _stem(info: dict[str, Any]) -> str:
    return Path(str(info.get("filename") or "")).stem.lower()


def _named(t: str, infos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Uploads the clause names, with or without the extension."""
    out = []
    for info in infos:
        stem = _stem(info)
        if stem and re.search(rf"(?<![\w]){re.escape(stem)}(?:\.\w{{2,4}})?(?![\w])", t):
            out.append(info)
    return out


def _songs(c: Clause) -> list[dict[str, Any]]:
    return [i for i in c.sources if i.get("kind") == "audio"]


def _clip_sources(c: Clause, d: Draft) -> list[dict[str, Any]]:
    """Video uploads in the order the timeline shows them."""
    by_id = {str(i.get("media_id")): i for i in c.sources if i.get("kind") == "video"}
    order = list(dict.fromkeys(s.src for s in sorted(video_segments(d), key=lambda s: s.start)))
    return [by_id[k] for k in order if k in by_id] or list(by_id.values())


def _clip_number(t: str) -> int | None:
    if m := re.search(r"\bclip\s*#?\s*(\d)\b|\b(?:video|vid)\s*#?\s*(\d)\b", t):
        return int(m.group(1) or m.group(2))
    if m := re.search(r"\b(first|second|third|fourth|fifth|last)\s+(?:clip|video|vid|one)\b", t):
        return _ORDINALS[m.group(1)]
    if m := re.search(r"第\s*(\d|一|二|两|三|四|五)?\s*(?:个|段|条)?\s*(?:视频|片段|素材|clip)|(最后一)(?:个|段|条)\s*(?:视频|片段)", t):
        g = m.group(1) or m.group(2) or "一"  # normalising reads "一个" as an article: "第一个" arrives as "第个"
        return int(g) if g.isdigit() else _ORDINALS[g]
    return None


# --- the segment ---------------------------------------------------------------------------------

def _timeline(d: Draft) -> int:
    return max((s.end for s in video_segments(d)), default=0)


def _song_seg(d: Draft, info: dict[str, Any], prev: Segment | None, *, in_ms: int = 0, pick: str | None = None,
              fit: str | None = None, volume: int | None = None) -> Segment:
    media_id = str(info.get("media_id"))
    end = _timeline(d)
    if prev is not None:
        seg = Segment.from_json(prev.to_json())
        keep = {k: prev.extra[k] for k in ("duck_db", "v_before_mute") if k in prev.extra}
    else:
        seg = Segment(id=f"a_{media_id[:8]}", start=0, duration=end, volume=DEFAULT_VOLUME,
                      fade_in=DEFAULT_FADE_IN, fade_out=DEFAULT_FADE_OUT, duck=True)
        keep = {}
    seg.src, seg.label, seg.source_in, seg.waveform = media_id, str(info.get("filename") or media_id), in_ms, None
    if prev is None or prev.src.startswith("gen_"):
        seg.duration = max(0, end - seg.start)  # a song fills the video from where the music starts
    seg.extra = {**keep, **({"pick": pick} if pick else {}), **({"fit": fit} if fit else {})}
    if volume is not None:
        seg.volume = volume
    return seg


def _set_song(seg: Segment) -> Edit:
    return Edit("use_song", {"src": seg.src, "in_ms": seg.source_in, "pick": seg.extra.get("pick"),
                             "fit": seg.extra.get("fit") or "loop"}, put_music(seg), "")


def _clock(ms_: int) -> str:
    s = int(round(ms_ / 1000))
    return f"{s // 60}:{s % 60:02d}"


def _length_note(seg: Segment, info: dict[str, Any], lang: str) -> str:
    song_ms = int(round(float(info.get("duration") or 0) * 1000))
    if not song_ms or seg.extra.get("pick"):
        return ""
    if song_ms - seg.source_in >= seg.duration:
        return say("song_longer", lang)
    return say("song_shorter_end" if seg.extra.get("fit") == "end_early" else "song_shorter_loop", lang)


# --- slots --------------------------------------------------------------------------------------

_CHORUS = r"\b(?:chorus|chrous|chorous|chourus|courus)\b|副哥|\bthe hook\b|\bbest part of the (?:song|track)\b|\bmost energetic (?:part|bit)\b|副歌|高潮(?:部分)?开始|从高潮|高潮那?段|最燃的(?:部分|那段)"
# the chorus is asked for ("use the chorus", "start from the chorus", 从副歌开始), not talked about
# ("the chorus is too loud")
_CHORUS_ASK = (r"\b(?:use|using|start\w*|begin\w*|from|skip\w*\s+to|jump\w*\s+to|go\s+to|just|only|play|want|"
               r"with|cue)\b|^(?:the\s+)?(?:chorus|chrous|chorous|hook)(?:\s+only)?$|从|用|只要|只用|就用|开始|要|^副歌(?:部分)?$")
_INTRO = r"\bskip\w*\s+(?:the\s+|its\s+)?intro\b|\b(?:cut|drop|lose|without|no)\s+(?:the\s+)?intro\b|\bafter the intro\b|\bintro\b.*\bskip\b|跳过前奏|去掉前奏|不要前奏|前奏(?:之后|以后|后)|前奏(?:去掉|不要|跳过)"
_AT = rf"(?:\b(?:at|from)\s+({NUM})s|\b({NUM})s\s+in(?:to)?\b|从\s*(?:第)?\s*({NUM})s|({NUM})s\s*(?:处)?开始|\bskip\w*\s+(?:the\s+)?first\s+({NUM})s|跳过前\s*({NUM})s)"
_FROM_TOP = r"\bfrom the (?:very )?(?:beginning|start|top)\b|从头(?:开始)?|从开头"
_END_EARLY = (r"\bend\w*\s+(?:it\s+|the song\s+|the music\s+)?early\b|\bearly end\b|\b(?:stop|end)\w*\s+when\s+(?:the\s+)?(?:song|it|music|track)\s+(?:ends|is over|finishes|runs out)|"
              r"\b(?:don'?t|do not|dont|no|never)\s+(?:loop|repeat)|\bno\s+looping\b|\bwithout looping\b|\bplay\w*\s+(?:it\s+)?(?:just\s+)?once\b|\bjust once\b|"
              r"\blet\s+(?:it|the song)\s+(?:end|stop|run out|finish)\b|提前结束|提前停|(?:别|不要|不用|不)重复|不要循环|不循环|别循环|不用循环|放完就(?:结束|停|完)|播完就(?:结束|停)|完了就(?:结束|停)|只放一遍|只播一遍")
_LOOP = r"\bloop\w*\b|\brepeat\w*\b|\bon repeat\b|循环|重复播放|重复"


def _fit_slot(t: str) -> str | None:
    if re.search(_END_EARLY, t):
        return "end_early"
    if re.search(_LOOP, t):
        return "loop"
    return None


def _in_slot(t: str) -> tuple[int | None, str | None]:
    """(in-point ms, pick) a clause names for the song."""
    if re.search(_CHORUS, t) and re.search(_CHORUS_ASK, t):
        return None, "chorus"
    if re.search(_INTRO, t):
        return None, "after_intro"
    if m := re.search(_AT, t):
        return ms(float(next(g for g in m.groups() if g))), None
    if re.search(_FROM_TOP, t):
        return 0, None
    return None, None


# --- builders ------------------------------------------------------------------------------------

def _is_question(c: Clause) -> bool:
    return bool(re.match(QUESTION_START, c.t)) or (c.asked and bool(re.match(r"^(?:can|could|will|would|do|does)\b", c.t)))


_MY_SONG = (r"\b(?:use)?my\s+(?:own\s+)?(?:uploaded\s+)?(?:song|track|tune|mp3|music|audio|file|upload)\b|\bthe\s+(?:song|track|mp3|audio|music|file)\s+i\s+(?:uploaded|sent|added|gave)\b|"
            r"\b(?:the|that)\s+(?:uploaded|mp3)\s+(?:song|track|music|audio|file)?|\bthe mp3\b|"
            r"我(?:自己)?的(?:歌|音乐|歌曲|曲子|mp3|音频)|我(?:刚)?上传的(?:歌|音乐|歌曲|音频|mp3)?|自己的(?:歌|音乐)|上传的(?:歌|音乐|歌曲|音频)")
_FROM_CLIP = (r"\b(?:music|sound|audio|song)\s+(?:from|of|in)\s+(?:the\s+)?(?:clip|video|vid|first|second|third|fourth|fifth|last)|"
              r"\b(?:clip|video)\s*\d\S*\s+(?:sound|audio)\b|(?:视频|片段|素材)\S{0,3}(?:的)?(?:声音|原声|音乐|音频)(?:当|作为|做|来当)")
_SOUND_OF = r"\b(?:music|sound|audio|song)\s+(?:from|of|in)\s+(?:the\s+)?\w+"
_AS_MUSIC = r"\bas\s+(?:the\s+|my\s+)?(?:music|bgm|soundtrack|background(?: music)?|song|backing track)\b|\bfor\s+the\s+(?:music|soundtrack|bgm)\b|(?:当|作为|做|来当)(?:背景音乐|配乐|bgm|音乐|bgm)"


_USE_VERB = (r"\b(?:use|using|play|put|add|switch|swap|change|replace|go with|try|want|with|set|make|throw|slap|pick|"
             r"choose|instead|have|need|gimme|give|stick|usemy)\b|用|换成|改成|换|放|加|配|当|作为|选")


def _b_use(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "use_song"
    t = c.t
    if _is_question(c):
        return None
    if not re.search(_USE_VERB, t) and not re.fullmatch(r"(?:(?:my|the)\s+)?\S+(?:\s+\S+)?", t):
        return None  # "lower my music", "mute the sound of clip 2": another family's
    songs = _songs(c)
    named = _named(t, songs)
    clip_audio = re.search(_FROM_CLIP, t) or (
        not named and re.search(_SOUND_OF, t) and _named(t, _clip_sources(c, d)))
    if not (named or clip_audio or re.search(_MY_SONG, t)):
        if not (re.search(_AS_MUSIC, t) and (named_clip := _named(t, _clip_sources(c, d)))):
            return None
        clip_audio, named = True, []  # "use beach.mp4 as the music": the clip's sound
        info = named_clip[0]
    elif clip_audio:
        clips = _clip_sources(c, d)
        by_name = _named(t, clips)
        n = _clip_number(t)
        if by_name:
            info = by_name[0]
        elif n is not None and clips and (1 <= n <= len(clips) or n == -1):
            info = clips[n - 1] if n > 0 else clips[-1]
        elif n is not None:
            return Outcome(tool, note=say("no_such_clip", c.lang, n=n, count=len(clips)), unmatched=True)
        else:
            return None
    elif named:
        info = named[0]
    if clip_audio and not info.get("has_audio"):
        return Outcome(tool, note=say("clip_silent", c.lang, name=info.get("filename")), unmatched=True)
    if not clip_audio and not named:
        if not songs:
            return Outcome(tool, note=say("no_song", c.lang), unmatched=True)
        if len(songs) > 1:
            names = ", ".join(str(s.get("filename")) for s in songs) if c.lang != "zh" else "、".join(
                str(s.get("filename")) for s in songs)
            return Outcome(tool, note=say("which_song", c.lang, names=names, first=songs[0].get("filename")))
        info = songs[0]
    if not video_segments(d):
        return None
    current = music_segments(d)
    prev = current[0] if current else None
    in_ms, pick = _in_slot(t)
    fit = _fit_slot(t)
    volume = volume_slot(t)
    if prev is not None and prev.src == info.get("media_id") and in_ms is None and pick is None and fit is None \
            and volume is None:
        return Outcome(tool, note=say("already_song", c.lang, name=info.get("filename")))
    if in_ms is not None and (bad := _bad_start(info, in_ms, c.lang)):
        return Outcome(tool, note=bad, unmatched=True)
    seg = _song_seg(d, info, prev, in_ms=in_ms or 0, pick=pick, fit=fit, volume=volume)
    was = ""
    if prev is not None and prev.src.startswith("gen_"):
        from addmusic.engine import styles
        was = say("was_composed", c.lang, label=styles.label(str(prev.extra.get("style") or "")))
    parts = [say("use_song", c.lang, name=info.get("filename"), volume=seg.volume, was=was)]
    if pick == "chorus":
        parts.append(say("song_chorus", c.lang))
    elif pick == "after_intro":
        parts.append(say("song_intro", c.lang))
    elif in_ms:
        parts.append(say("song_start", c.lang, at=_clock(in_ms), name=info.get("filename")))
    parts.append(_length_note(seg, info, c.lang))
    edit = _set_song(seg)
    edit.reply = " ".join(p for p in parts if p)
    return Outcome(tool, edit)


def _bad_start(info: dict[str, Any], in_ms: int, lang: str) -> str:
    song_ms = int(round(float(info.get("duration") or 0) * 1000))
    if song_ms and in_ms >= song_ms - 1000:
        return say("song_start_bad", lang, name=info.get("filename"), length=_clock(song_ms), at=_clock(in_ms))
    return ""


def _current_song(c: Clause, d: Draft) -> tuple[Segment | None, dict[str, Any] | None]:
    current = music_segments(d)
    if not current or current[0].src.startswith("gen_"):
        return None, None
    info = next((i for i in c.sources if i.get("media_id") == current[0].src), None)
    return current[0], info or {"media_id": current[0].src, "filename": current[0].label}


_SONG_WORD = r"\b(?:song|track|tune|mp3|music|it|bgm|soundtrack)\b|歌|音乐|曲子|bgm|配乐"
# A clause about something else ("repeat the title at the end", "start the title at 12s") is not the song's
_OTHER_NOUN = (r"\b(?:titles?|text|captions?|subtitles?|video|clip|footage|picture|shot|intro card|outro)\b|"
               r"标题|字幕|文字|视频|片段|画面")


def _about_something_else(t: str) -> bool:
    return bool(re.search(_OTHER_NOUN, t)) and not re.search(_SONG_WORD.replace("|it|", "|"), t)


def _b_in(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_song_start"
    if _is_question(c):
        return None
    t = c.t
    in_ms, pick = _in_slot(t)
    if in_ms is None and pick is None or _about_something_else(t):
        return None
    seg, info = _current_song(c, d)
    songs = _songs(c)
    mentions_song = bool(re.search(r"\b(?:song|track|tune|mp3)\b|歌", t)) or bool(_named(t, songs))
    from_top = in_ms == 0 and bool(re.search(_FROM_TOP, t))
    if pick is None and not mentions_song:
        # "start the music at 5s" on composed music is when it plays on the timeline (music_timing);
        # on a song, a time the video cannot hold is the in-point ("start it at 0:45" on a 10 s clip)
        if seg is None:
            return None
        if not from_top and (in_ms or 0) < _timeline(d) and not re.search(r"\bin(?:to)?\b(?!\s+the\s+video)", t):
            return None
    if seg is None and pick == "after_intro" and not mentions_song:
        return None  # "skip the intro" with no song playing may well mean the video's
    if seg is None:
        if music_segments(d) or not songs:
            return Outcome(tool, note=say("song_needed", c.lang) if songs else say("no_song", c.lang), unmatched=True)
        if len(songs) > 1 and not _named(t, songs):
            return None  # _b_use asks which
        return _b_use(m, Clause("use my song " + t, c.quotes, c.raw, c.lang, c.sources, c.base, c.asked), d)
    if in_ms is not None and (bad := _bad_start(info, in_ms, c.lang)):
        return Outcome(tool, note=bad, unmatched=True)
    name = str(info.get("filename"))
    end = _timeline(d)

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        for s in music_segments(out):
            s.source_in = in_ms or 0
            s.extra.pop("pick", None)
            if pick:
                s.extra["pick"] = pick
            s.duration = max(0, end - s.start)  # the turn fits it again from the new in-point
            s.waveform = None
        return out

    if pick == "chorus":
        reply = say("song_chorus", c.lang)
    elif pick == "after_intro":
        reply = say("song_intro", c.lang)
    else:
        reply = say("song_start", c.lang, at=_clock(in_ms or 0), name=name)
    return Outcome(tool, Edit(tool, {"in_ms": in_ms, "pick": pick}, apply, reply))


def _b_fit(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "set_song_fit"
    if _is_question(c):
        return None
    t = c.t
    fit = _fit_slot(t)
    if fit is None:
        return None
    if _about_something_else(t):
        return None  # "loop the video", "repeat the title at the end" are not the song's
    seg, info = _current_song(c, d)
    if seg is None:
        if not re.search(r"\b(?:song|track|mp3)\b|歌", t):
            return None
        return Outcome(tool, note=say("song_needed", c.lang) if _songs(c) else say("no_song", c.lang), unmatched=True)
    end = _timeline(d)

    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        for s in music_segments(out):
            if fit == "loop":
                s.extra.pop("fit", None)
            else:
                s.extra["fit"] = fit
            s.duration = max(0, end - s.start)  # the turn fits it again
            s.waveform = None
        return out

    song_ms = int(round(float(info.get("duration") or 0) * 1000))
    reply = say("fit_loop" if fit == "loop" else "fit_end", c.lang)
    if song_ms and song_ms - seg.source_in >= end - seg.start and not seg.extra.get("pick"):
        reply = reply.rstrip("。.") + say("fit_longer", c.lang) + ("。" if c.lang == "zh" else ".")
    return Outcome(tool, Edit(tool, {"fit": fit}, apply, reply))


_SYNC = (r"\b(?:sync|synch|snyc|sycn|sink)\w*\b.*\bbeats?\b|\bbeat\s*-?\s*sync\w*|\b(?:cut|edit|chop|switch|change)\w*\s+(?:it\s+|the\s+(?:clips?|video|cuts?)\s+)?"
         r"(?:on|to|with)\s+(?:the\s+)?(?:beats?|rhythm)\b|\bon (?:the )?beat\b|\bmatch\w*\s+(?:the\s+)?(?:cuts?|clips?|edits?)\s+(?:to|with)\s+(?:the\s+)?(?:beats?|music|rhythm)\b|"
         r"\bcuts?\s+(?:land\s+)?on\s+(?:the\s+)?beats?\b|\bsnap\w*\s+(?:the\s+)?(?:cuts?|clips?)\s+to\s+(?:the\s+)?beats?\b|"
         r"卡点|踩点|卡节拍|卡拍|跟着?(?:节拍|节奏|鼓点|音乐节奏)(?:剪|切|走)|(?:剪辑点|切换|转场)?(?:对齐|对准|对上|踩|卡)(?:节拍|节奏|鼓点|拍子)")


def _b_sync(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "sync_to_beat"
    if _is_question(c):
        return None
    off = re.search(r"^(?:don'?t|do not|dont|no|stop|never)\b|\b(?:unsync|turn off|switch off|undo)\b|(?:\boff\b)|^(?:不要|别|取消|关掉|关闭|不用|不)", c.t)
    if off:
        if not d.meta.get("sync"):
            return Outcome(tool, note=say("sync_was_off", c.lang))

        def unsync(draft: Draft) -> Draft:
            out = draft.copy()
            out.meta = {k: v for k, v in out.meta.items() if k != "sync"}
            return out

        return Outcome(tool, Edit("unsync_beat", {"sync": False}, unsync, say("sync_off", c.lang)))
    if not video_segments(d):
        return None
    if len(video_segments(d)) < 2:
        return Outcome(tool, note=say("sync_need_clips", c.lang), unmatched=True)
    if not music_segments(d):
        return Outcome(tool, note=say("sync_need_music", c.lang), unmatched=True)

    def sync(draft: Draft) -> Draft:
        out = draft.copy()
        out.meta = {**out.meta, "sync": True}  # the turn moves the cuts (engine/songs.py) and says how far
        return out

    return Outcome(tool, Edit(tool, {"sync": True}, sync, ""))


_FOLLOW = (r"\b(?:music|song|track|it|beat)\b.*\bfollows?\b.*\b(?:cuts?|edits?|scenes?|shots?|clips?)\b|\bfollow\w*\s+(?:the\s+)?(?:cuts|edits|scene changes)\b|"
           r"\b(?:sections?|changes?|accents?|hits?|drops?)\s+(?:land\s+|fall\s+|happen\s+)?(?:on|at|with)\s+(?:the\s+)?(?:cuts|scene changes|edits|shot changes)\b|"
           r"\bmatch\w*\s+(?:the\s+)?(?:music|song|track)\s+to\s+(?:the\s+)?(?:cuts|edits|scenes?|shots|clips)\b|"
           r"\b(?:changes?|switch(?:es)?|shifts?)\s+(?:on|at|with)\s+(?:every|each|the)\s+(?:cut|edit|scene change|shot)s?\b|"
           r"重音落在|段落(?:变化)?(?:对上|对准|落在)|(?:落在|对上|对准)(?:剪辑点|切换点|转场)|"
           r"(?:音乐|配乐|bgm)\S{0,4}(?:跟着?|跟随|配合|贴合|对上)\S{0,2}(?:剪辑点|画面切换|镜头切换|转场|切换|剪辑)|(?:跟着?|跟随|配合)(?:剪辑点|镜头切换|画面切换|转场)(?:走|变|来)")


def _b_follow(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    tool = "music_follow_cuts"
    if _is_question(c):
        return None
    off = re.search(r"^(?:don'?t|do not|dont|stop|no longer)\b|\bturn off\b|^(?:不要|别|取消|不用|不再)", c.t)
    current = music_segments(d)
    if not current and not off and (re.search(r"\b(?:add|put|give|want|need|compose|throw)\b|加|配|来|要", c.t)
                                     and (mentions_music(c.t) or genres.find(c.t))):
        from .music import build_add  # "add music that follows the cuts": both, in one edit

        added = build_add(c, d)
        if added.edit is None:
            return added
        first = added.edit

        def add_and_follow(draft: Draft) -> Draft:
            out = first.apply(draft)
            for s in music_segments(out):
                s.extra["follow_cuts"] = True
            return out

        return Outcome(tool, Edit(first.tool, {**first.args, "follow_cuts": True}, add_and_follow,
                                  f"{first.reply} {say('follow_on', c.lang)}"))
    if not current:
        return Outcome(tool, note=say("follow_need_music", c.lang), unmatched=True)
    if not current[0].src.startswith("gen_"):
        return Outcome(tool, note=say("follow_song", c.lang), unmatched=True)

    def follow(draft: Draft) -> Draft:
        out = draft.copy()
        for s in music_segments(out):
            if off:
                s.extra.pop("follow_cuts", None)
                s.extra.pop("cuts", None)
            else:
                s.extra["follow_cuts"] = True  # the turn adds the cut times
            s.waveform = None
        return out

    return Outcome(tool, Edit(tool, {"follow_cuts": not off}, follow, say("follow_off" if off else "follow_on", c.lang)))


def _b_enter(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """"bring it in 2 seconds into the video": where the song starts on the timeline."""
    tool = "set_music_span"
    current = music_segments(d)
    if not current or _is_question(c):
        return None
    start = ms(float(m.group("at")))
    end = _timeline(d)
    if start >= end:
        return None

    def enter(draft: Draft) -> Draft:
        out = draft.copy()
        for s in music_segments(out):
            s.start, s.duration = start, max(0, end - start)
            s.fade_in, s.fade_out = min(s.fade_in, s.duration), min(s.fade_out, s.duration)
            s.waveform = None
        return out

    from ..replies import say as common_say
    from ..replies import span

    return Outcome(tool, Edit(tool, {"start_ms": start, "end_ms": end}, enter,
                              common_say("music_span", c.lang, span=span(start, end))))


def _b_tempo_question(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if not (c.asked or re.search(r"\b(?:what|whats|what's|how|which)\b|多少|多快|几", c.t)):
        return None  # "make the beat 90 bpm" is a request
    songs = _named(c.t, _songs(c)) or _songs(c)
    if not songs or not re.search(r"\b(?:my|the|this|that)\s+(?:song|track|mp3)\b|我的歌|这首歌|那首歌|歌", c.t) \
            and not _named(c.t, songs):
        return None
    info = songs[0]
    bpm = info.get("bpm")
    key = "song_bpm" if bpm else "song_bpm_unknown"
    return Outcome("question", note=say(key, c.lang, name=info.get("filename"), bpm=f"{float(bpm or 0):g}"))


RULES = (
    rule("song_tempo_question", r"\b(?:tempo|bpm|how fast)\b|多少\s*bpm|(?:速度|节奏|节拍)(?:是)?多少|多快", _b_tempo_question),
    rule("music_enter", rf"\b(?:bring|brings|come|comes|kick|kicks|fade|fades)\s+(?:it\s+|the\s+(?:song|music|track)\s+)?in\s+"
         rf"(?:at\s+|after\s+)?(?P<at>{NUM})s\s+(?:into|in)\s+(?:the\s+)?(?:video|clip|reel)\b", _b_enter, ("start",)),
    rule("sync", _SYNC, _b_sync),
    rule("follow_cuts", _FOLLOW, _b_follow),
    rule("song_use", rf"{_MY_SONG}|{_FROM_CLIP}|{_AS_MUSIC}|{_SOUND_OF}|\b(?:use|play|put|add|switch to|go with|try)\s+\S+\.(?:mp3|wav|m4a|aac|mp4|mov)\b|"
         r"^(?:use|play|put|add|try)\s+\w+(?:\s+(?:instead|on it|on this|pls|please))?$|用\s*\S+\s*(?:当|作为|做)|用\s*\S+?\s*(?:那首|这首)",
         _b_use, ("song", "in", "fit", "volume")),
    rule("song_in", rf"{_CHORUS}|{_INTRO}|\b(?:start|begin|play|cue|skip)\w*\b.*(?:{NUM})s|从\s*(?:第)?\s*{NUM}s|{NUM}s\s*(?:处)?开始|跳过前|{_FROM_TOP}",
         _b_in, ("in",)),
    rule("song_fit", rf"{_END_EARLY}|{_LOOP}", _b_fit, ("fit",)),
)
# "don't loop it", "不要卡点": these rules read a negation themselves
READS_NEGATION = {"song_fit", "sync", "follow_cuts"}
