"""Crossfades between the clips of a reel (`m.xf`): "with crossfades", "half-second transitions",
"no transitions / hard cuts", 加转场, 0.5秒淡入淡出过渡. Lengths are clamped to 0.1-2 s and the
reply says so; with one clip there is nothing to crossfade, and that is said."""

from __future__ import annotations

import re

from addmusic.protocol.draft import Draft

from ..core import Clause, Outcome, rule
from ..reelops import XF_MAX, XF_MIN, order, set_crossfade
from ..reelops import Outcome as ReelOutcome
from ..reeltalk import clips_of, reel_edit_of, secs, tail
from ..replies import say
from ..vocab import NUM

# Crossfade words; "fade" alone is the music's.
XF_WORDS = (r"\bcros{1,2}[- ]?fad\w*|\bcros{1,2}[- ]?dis+olv\w*|\bcrossfdae\w*|\bcut straight\b|\bdissolv\w*|\btransitions?\b|\bfad\w*\s+(?:in\s+and\s+out\s+)?between\b|"
            r"\bfade (?:from )?(?:one )?clip (?:in)?to\b|\bblend\w*\s+(?:the\s+)?(?:clips|shots)\b|\bhard cuts?\b|"
            r"\bstraight cuts?\b|\bx-?fades?\b|\bfad\w*\s+(?:the\s+)?(?:clips|shots|videos)\b|\binto (?:each other|one another)\b|"
            r"\bsmooth\w*\s+(?:the\s+)?cuts\b|\bcuts?\s+(?:smoother|softer)\b|\bhard cuts?\b"
            r"|转场|专场|转厂|过渡|叠化|交叉淡化|溶解|硬切|直接切|(?:之间|中间|每段|段与段|片段间).*(?:淡入淡出|渐变|淡化)")


XF_OFF = (r"^(?:no|without|remove|delete|drop|lose|kill|turn off|switch off|disable|get rid of|take out|take away|clear|"
          r"cut out|skip|don'?t|do not|never|none)\b|\bcut straight\b|\b(?:hard|straight|normal|plain|simple|regular) cuts?\b|\bno (?:transitions?|cross-?fades?)\b|\b(?:no|without)\s+(?:\w+\s+)?(?:transitions?|cross-?fad\w*|"
          r"dissolv\w*|fades?)\b|\b(?:transitions?|cross-?fades?)\s+off\b|\bhard cuts?\b|\bstraight cuts?\b|"
          r"^(?:不要|别|不用|去掉|取消|删掉|删除|关掉|关闭|拿掉|无)|硬切|直接切|"
          r"(?:不要|别|不用|去掉|取消|删掉|删除|关掉|关闭|拿掉)了?(?:这些|所有|全部)?(?:的)?(?:转场|专场|过渡|叠化|淡入淡出)")


# Lengths said in words: quick transitions are short, slow ones long (ms); the default is half a second.
XF_DEFAULT = 500


XF_SPEED: tuple[tuple[str, int], ...] = (
    (r"\b(?:quick|short|fast|snappy|brief|tiny|subtle)\b|快速|短一?点?的|短的|快的", 300),
    (r"\b(?:long|slow|gentle|soft|dreamy|smooth and slow)\b|慢慢|缓慢|长一?点?的|长的|慢的", 1000),
)


XF_MORE = r"\b(?:longer|slower)\b|\btoo (?:short|quick|fast)\b|更长|长一?点|再长|慢一?点|太短|太快"


XF_LESS = r"\b(?:shorter|quicker|faster)\b|\btoo (?:long|slow)\b|更短|短一?点|再短|快一?点|太长|太慢"


def _xf_slot(t: str, now: int) -> tuple[int, int | None]:
    """(xf ms, the length asked for when it was out of range)."""
    if re.search(XF_OFF, t):
        return 0, None
    t = re.sub(r"\b(?:a\s+)?quarter(?:[- ]of[- ]a)?[- ]?(?:second|sec)\b", "0.25s", t)
    asked: int | None = None
    seconds = list(re.finditer(rf"({NUM})s(?![a-z])", t))
    word = re.search(XF_WORDS, t)
    if n := re.search(rf"({NUM})\s*ms\b", t):
        asked = int(round(float(n.group(1))))
    elif seconds:
        # "photo 5s with a 1s crossfade": the length nearest the crossfade word
        near = min(seconds, key=lambda n: abs(n.start() - word.start())) if word else seconds[0]
        asked = int(round(float(near.group(1)) * 1000))
    elif now and re.search(XF_MORE, t):
        asked = now * 2
    elif now and re.search(XF_LESS, t):
        asked = now // 2
    if asked is None:
        return next((v for pattern, v in XF_SPEED if re.search(pattern, t)), XF_DEFAULT), None
    xf = min(max(asked, XF_MIN), XF_MAX)
    return xf, (asked if xf != asked else None)


def _b_crossfade(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    t = c.t
    if re.search(r"\b(?:music|song|audio|track)\b|音乐|配乐|歌", t) and not re.search(r"\bbetween\b|之间|转场|过渡", t):
        return None  # "crossfade the music": the music's fades
    tool = "set_crossfade"
    _, infos = clips_of(c, d)
    now = int(d.meta.get("xf") or 0)
    xf, asked = _xf_slot(t, now)
    if len(order(d)) < 2:
        if xf == 0 and not now:
            return Outcome(tool, note=say("crossfade_off_already", c.lang))
        return Outcome(tool, note=say("crossfade_one", c.lang))
    if xf == now:
        key = "crossfade_off_already" if not xf else "crossfade_same"
        return Outcome(tool, note=say(key, c.lang, xf=secs(xf)))

    def run(draft: Draft) -> ReelOutcome:
        return set_crossfade(draft, xf, infos)

    res = run(d)
    length = secs(res.draft.end)
    reply = say("crossfade", c.lang, xf=secs(xf), length=length) if xf else say("crossfade_off", c.lang, length=length)
    if asked is not None:
        reply += say("crossfade_clamped", c.lang, asked=secs(asked), xf=secs(xf))
    return Outcome(tool, reel_edit_of(tool, {"xf_ms": xf}, run, reply + tail(res, c.lang)))


RULES = (rule("crossfade", XF_WORDS, _b_crossfade, ("xf",)),)
# Read before history: "go back to hard cuts" is about the clips, not an undo.
RULES_EARLY = (
    rule("crossfade_back", r"^(?:go back|back|return|revert|switch back|change (?:it )?back)\s+to\s+(?:the\s+)?(?:hard|straight|normal|plain|simple|regular)\s+cuts?\b|"
         r"^(?:go back|back|return|revert)\s+to\s+no\s+(?:transitions?|cross-?fades?)\b", _b_crossfade, ("xf",)),
)
