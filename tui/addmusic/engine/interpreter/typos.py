"""Typing slips, corrected before rules read a clause: a table of the common ones, then any word
one edit away (two for long words) from exactly one word the rules know."""

from __future__ import annotations

import re
from functools import lru_cache

TYPOS: dict[str, str] = {
    "ad": "add", "teh": "the", "hte": "the", "u": "you", "ur": "your", "pls": "please", "plz": "please",
    "musik": "music", "muzik": "music", "msuic": "music", "musci": "music", "muisc": "music", "musc": "music",
    "vid": "video", "vids": "video", "volumn": "volume", "volum": "volume", "vol": "volume", "jaz": "jazz",
    "tittle": "title", "titel": "title", "tite": "title", "titl": "title", "undoo": "undo", "undooo": "undo",
    "strat": "start", "chopp": "chop", "muet": "mute", "mue": "mute", "duckin": "ducking", "verticle": "vertical",
    "vertial": "vertical", "orignal": "original", "orginal": "original", "origional": "original",
    "backround": "background", "backgroud": "background", "bakground": "background", "momments": "moments",
    "chnage": "change", "chagne": "change", "remvoe": "remove", "reomve": "remove", "anotehr": "another",
    "antoher": "another", "electonic": "electronic", "cinamatic": "cinematic", "cinimatic": "cinematic",
    "blured": "blurred", "blurry": "blurred", "quiter": "quieter", "louder": "louder", "loudr": "louder",
    "fadeout": "fade out", "fadein": "fade in", "secs": "seconds", "sec": "seconds", "hiphop": "hiphop",
    "tiktok": "tiktok", "tik-tok": "tiktok", "yt": "youtube", "ig": "instagram", "insta": "instagram",
    "thx": "thanks", "ty": "thanks", "tmrw": "tomorrow", "abit": "a bit", "alittle": "a little",
    "lowerr": "lower", "quietr": "quieter", "lofi": "lofi", "chil": "chill", "lowder": "louder",
    "louda": "louder", "ovr": "over", "ot": "out", "bmp": "bpm", "hole": "whole", "sum": "some",
    "wat": "what", "whats": "what's", "dont": "don't", "cant": "can't", "isnt": "isn't", "doesnt": "doesn't",
    "musics": "music", "sonds": "sounds", "nothin": "nothing", "abt": "about", "bc": "because",
}

# Words the rules are written with: a slip one edit away from exactly one of these is corrected.
KNOWN = frozenset("""
add remove delete music title titles caption subtitle text video clip volume louder quieter softer lower
raise mute unmute fade ducking duck vertical horizontal landscape portrait square instagram youtube tiktok
reels shorts background original sound audio another different change switch replace swap undo redo start
over keep only first last seconds minutes cut trim chop drop beginning ending middle bottom center centre
position move rename upbeat cinematic acoustic electronic chill piano hiphop rock jazz corporate ambient
lofi techno house orchestral dramatic emotional relaxing energetic energy drums bass melody tempo bpm
loudness normalize normalise resolution bars crop blur blurred letterbox export highlight moments please
instead louder quieter track song soundtrack vibe vibes calmer intense build until from should typo
slower faster speed voice voices talk talking speech people tracks songs clips drums titles faded fades
later water while where there their these those white black green place today right light night mixed
whole second short shorts story stories sounds minute thing things nothing everything something anything
mixer remix watch match learn louder loudly quietly little bigger larger smaller colour color yellow
""".split())


# Real words one slip away from a rule word: never "corrected" ("blur the faces" is not about fades,
# "quicker" is not "quieter", "three" is not "there").
REAL_WORDS = frozenset("""
faces face tiles blank block enter found least master notices pending sending smart charged charge difference
choices colon contour central encoding finding landing leading loader nowhere quarter records sampler shots
xfade xfades slack waiters shortest smallest fastest three mellow replacing quicker quickly taking walking falling positive
power wedding mouse sport sports think write store round restart history movie layer layers child channel
plane release comments recover resolve remote trigger caller intents fixed strings slips cover covers lover
voter bolder holder folder other otter mother water later hover mover rover sounder shorter shower flower
player players slower slowly drops hits bark barks barking cars star stars start stare state share shade shades shake shape sharp trip trips grip
""".split())


def _edits1(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return deletes | swaps | replaces | inserts


@lru_cache(maxsize=4096)
def correct_word(word: str) -> str:
    if word in TYPOS:
        return TYPOS[word]
    if len(word) < 5 or word in KNOWN or word in REAL_WORDS or not word.isalpha():
        return word
    near = _edits1(word) & KNOWN
    if len(near) == 1:
        return next(iter(near))
    if len(word) >= 7 and not near:
        far = [k for k in KNOWN if abs(len(k) - len(word)) <= 2 and _distance(word, k) <= 2]
        if len(far) == 1:
            return far[0]
    return word


def _distance(a: str, b: str) -> int:
    """Edit distance with adjacent swaps (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def correct(text: str) -> str:
    return re.sub(r"[a-z]+(?:-[a-z]+)?", lambda m: correct_word(m.group(0)), text)
