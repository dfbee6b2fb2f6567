"""Things people ask a video tool for that this engine does not do. A clause that asks for one is
not understood (it is quoted back), never read as something nearby: "color grade it like a movie"
is not a request for cinematic music, "blur the faces" is not a blurred background."""

from __future__ import annotations

import re

from ..core import Clause, Outcome, rule
from ..replies import say

CANNOT = (
    r"\bfade (?:in |out )?(?:the )?(?:video|picture|image|screen|clip)\b|\bfade (?:to|from) (?:black|white)\b|画面淡入|画面淡出|黑场",
    # beat-synced cutting is not something this engine does; "cut to the beat" must never remove the music
    r"\b(?:cut|edit|sync|chop)\w*\s+(?:it\s+|the (?:video|clip)\s+)?(?:to|on|with)\s+the\s+(?:beat|rhythm|music)\b|\bbeat[- ]?sync|\bsync\w*\s+(?:the\s+|my\s+)?(?:music|audio|song|sound)\s+(?:with|to)\b|卡点|踩点",
    r"\b(?:subtitles?|captions?) (?:from|for) (?:the )?(?:speech|audio|what)|\bauto[- ]?(?:captions?|subtitles?|subs)\b|\btranscri",
    r"\bbackground noise\b|\bdenoise|\bnoise reduction\b|\bremove (?:the )?noise\b|\bhiss\b|\becho\b",
    r"\b8k\b|\bstabili[sz]|\bcolou?r ?grad|\bcolou?r correct|\blut\b|\bgreen ?screen|\bchroma",
    r"\bremove (?:the )?(?:person|people|guy|girl|man|woman|object)|\btranslat|\bviral\b|\bmake it better\b|\bimprove it\b",
    r"\bvoice ?-?over\b|\btransitions?\b|\bspeed (?:it |this |the video )?up\b|\b\d+(?:\.\d+)?x\b|\bslow[- ]?mo|\bslow motion\b|\btime ?lapse\b",
    r"\bfilters?\b|\bupload (?:it )?to\b|\bpost (?:it )?(?:to|on)\b|\bpublish|\blogo\b|\bwatermark|\bfaces?\b|\bbrighten|\bbrightness\b|"
    r"\bcontrast\b|\bsaturat|\bsound effects?\b|\bsfx\b|\breverse\b|\bvocals? from\b|\bremove (?:the )?vocals?\b|\bkaraoke\b|"
    r"\bsticker|\bemoji overlay|\bzoom in on\b|\bsplit ?screen|\bpicture in picture\b|\bspotify\b|\bcopyright",
    r"'s (?:new |latest |)(?:song|track|album|hit)\b|\bby (?:taylor|drake|bts|the weeknd|ed sheeran|beyonce)\b|\b(?:taylor swift|drake|beyonce)\b",
    r"\b(?:bass|treble)\s+(?:in|of|on)\s+(?:my|the)\s+(?:voice|audio|clip|video|sound)\b|\bequali[sz]|\beq\b|\btreble\b|\b(?:remove|reduce|get rid of|fix|clean up|filter out|cut out|take out)\s+(?:the\s+)?wind noise\b|"
    r"\btrend(?:s|ing|y)?\b|\b(?:two|2|three|3|several|multiple)\s+(?:different\s+)?(?:songs|tracks)\b|(?:两|2|二|三|3|几|多)首",
    r"自动字幕|语音转字幕|识别字幕|降噪|去噪|噪音|防抖|调色|滤镜|转场|加速|倍速|慢动作|慢放|倒放|翻译|水印|logo|美颜|特效|音效|绿幕|抠图|配音|画中画|8k|上传到|发布到|人脸|打码|周杰伦|的新歌",
)


def _b_cannot(m: re.Match[str], c: Clause, d) -> Outcome:  # type: ignore[no-untyped-def]
    return Outcome("unsupported", note=say("cannot", c.lang), unmatched=True)


# The user's own music is uploaded as a file, never typed: say how, change nothing.
OWN_MUSIC = (r"\b(?:from|on|in) my (?:phone|computer|laptop|pc|library|playlist|camera roll|files?|spotify|itunes|drive)\b|"
             r"\bmy own (?:song|music|track|audio|mp3)\b|自己的(?:歌|音乐)|手机里的(?:歌|音乐)")


def _b_own_music(m: re.Match[str], c: Clause, d) -> Outcome:  # type: ignore[no-untyped-def]
    return Outcome("unsupported", note=say("how_own_song", c.lang), unmatched=True)


RULES = (*(rule(f"cannot_{i}", pattern, _b_cannot) for i, pattern in enumerate(CANNOT)),
         rule("own_music", OWN_MUSIC, _b_own_music))
