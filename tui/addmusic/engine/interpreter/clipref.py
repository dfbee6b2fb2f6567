"""Which clip a phrase means: "the second clip", "beach.mp4", "the vertical one", 第二个, 海滩那个.

The clips are numbered as the listing shows them: the reel's clips in their order on the timeline,
then uploads that are not in the reel, in upload order. A phrase names clips by position, by name
(with or without extension, any case, a slip or two) or by a property the listing shows (shape,
sound, length, photo). A phrase that names no clip known here, or more than one where one is
meant, is reported as such: the caller says so and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from addmusic.protocol.draft import Draft

from .draftops import video_segments
from .vocab import EN, ZH

IMAGE_MS = 3000  # an image with no length of its own shows 3 s (engine/server.py IMAGE_SECONDS)

# --- word tables ---------------------------------------------------------------------------------
ORDINALS_EN = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
               "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
               "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6,
               "7": 7, "8": 8, "9": 9, "10": 10}
# The nouns a clip goes by; a phrase with one of them is about a clip even when its name is unknown.
CLIP_NOUN = (r"\b(?:clips?|ones?|videos?|vids?|shots?|footage|files?|takes?|scenes?|photos?|pictures?|pics?|images?|stills?)\b|"
             r"素材|片段|视频|镜头|照片|图片|相片|那段|那张|这段|这张|那个|这个")
EXTENSIONS = r"mp4|mov|m4v|mkv|webm|avi|jpe?g|png|webp|gif|heic"
# Words around a reference that name nothing themselves.
FILLER = re.compile(
    r"\b(?:the|my|that|this|those|these|a|an|one|ones|clip|clips|video|videos|vid|vids|shot|shots|footage|file|files|"
    r"take|takes|scene|scenes|of|from|with|called|named|uploaded|please|only|just|again|back|too|also)\b|"
    r"素材|片段|视频|镜头|那段|这段|那个|这个|个|的|那|这|段|条|把|只")
# Properties the listing shows: (name, English words, Chinese words).
PROPERTIES: tuple[tuple[str, str, str], ...] = (
    ("vertical", r"\b(?:vertical|verticle|portrait|upright|tall|9:16)\b", r"竖屏|竖版|竖拍|竖着|竖的|竖向|数屏|竖平|树屏"),
    ("landscape", r"\b(?:landscape|horizontal|wide|widescreen|16:9)\b", r"横屏|横版|横拍|横着|横的|横向|横平"),
    ("square", r"\bsquare\b", r"方形|正方"),
    ("silent", r"\b(?:silent|soundless|mute|muted|no[- ]?sound|no[- ]?audio|without (?:any )?(?:sound|audio)|"
               r"(?:has|with|that has|got) no (?:sound|audio))\b", r"没声音|没有声音|无声|没声|静音的|没有音频|没音频|不带声音"),
    ("sound", r"\b(?:with (?:the )?(?:sound|audio)|that has (?:sound|audio)|has (?:sound|audio))\b", r"有声音|有声的|带声音"),
    ("longest", r"\b(?:longest|long one|biggest)\b", r"最长"),
    ("shortest", r"\b(?:shortest|short one)\b", r"最短"),
    ("image", r"\b(?:photos?|pictures?|pics?|images?|stills?|jpe?g|png|webp|gif)\b", r"照片|图片|相片|那张|这张|图"),
)
# Chinese words for what clips are often named in English (and the other way round): "把海滩放第一个"
# finds beach.mp4. Each entry: a Chinese word and the English stems it can mean.
NAME_WORDS_ZH: dict[str, tuple[str, ...]] = {
    "海滩": ("beach",), "沙滩": ("beach",), "海边": ("beach", "sea", "seaside"), "大海": ("sea", "ocean"),
    "海": ("sea", "ocean", "beach"), "城市": ("city", "town", "urban"), "街道": ("street",), "街": ("street",),
    "无人机": ("drone", "aerial"), "航拍": ("drone", "aerial"), "日落": ("sunset",), "夕阳": ("sunset",),
    "日出": ("sunrise",), "山": ("mountain", "mountains", "hike"), "森林": ("forest", "woods"),
    "湖": ("lake",), "河": ("river",), "雪": ("snow",), "夜景": ("night",), "晚上": ("night",),
    "旅行": ("trip", "travel"), "旅游": ("trip", "travel"), "公园": ("park",), "美食": ("food",), "食物": ("food",),
    "派对": ("party",), "婚礼": ("wedding",), "生日": ("birthday",), "狗": ("dog", "puppy"), "猫": ("cat", "kitty"),
    "车": ("car", "drive"), "天空": ("sky",), "花": ("flower", "flowers"), "家": ("home", "family"),
}


@dataclass(frozen=True)
class ClipInfo:
    """One picture upload as the listing shows it."""

    media_id: str
    name: str  # file name as uploaded
    kind: str  # "video" or "image"
    length: int  # ms: a video's own length; an image's time on screen
    width: int
    height: int
    has_audio: bool
    index: int  # upload order, 0-based
    on_reel: bool
    used: int  # ms of it on the timeline

    @property
    def stem(self) -> str:
        return Path(self.name).stem

    @property
    def shape(self) -> str:
        if not (self.width and self.height):
            return ""
        return "vertical" if self.height > self.width else "landscape" if self.width > self.height else "square"


def catalogue(d: Draft, sources: list[dict[str, Any]]) -> list[ClipInfo]:
    """The picture clips, numbered as the listing shows them."""
    segs = sorted(video_segments(d), key=lambda s: s.start)
    order = list(dict.fromkeys(s.src for s in segs))
    used: dict[str, int] = {}
    for s in segs:
        used[s.src] = used.get(s.src, 0) + s.duration
    infos: list[ClipInfo] = []
    seen: set[str] = set()
    pictures = [s for s in sources if s.get("kind") in ("video", "image") and s.get("media_id")]
    for i, info in enumerate(pictures):
        mid = str(info["media_id"])
        if mid in seen:
            continue
        seen.add(mid)
        kind = str(info.get("kind"))
        length = int(round(float(info.get("duration") or 0) * 1000))
        if kind == "image":
            length = used.get(mid) or IMAGE_MS
        infos.append(ClipInfo(mid, str(info.get("filename") or mid), kind, length, int(info.get("width") or 0),
                              int(info.get("height") or 0), bool(info.get("has_audio")), i, mid in used, used.get(mid, 0)))
    for src in order:  # clips on the timeline that no upload describes (a draft made elsewhere)
        if src not in seen:
            seg = next(s for s in segs if s.src == src)
            infos.append(ClipInfo(src, seg.label or src, "video", used[src], 0, 0, True, len(infos), True, used[src]))
            seen.add(src)
    rank = {src: i for i, src in enumerate(order)}
    return sorted(infos, key=lambda c: (0, rank[c.media_id]) if c.media_id in rank else (1, c.index))


def on_reel(cat: list[ClipInfo]) -> list[ClipInfo]:
    return [c for c in cat if c.on_reel]


@dataclass
class Ref:
    """What a phrase names: `clips` (exactly one for a good single reference), or why not."""

    phrase: str  # as the user wrote it, for the reply
    clips: list[ClipInfo] = field(default_factory=list)
    problem: str = ""  # "", "unknown", "ambiguous", "range"

    @property
    def ok(self) -> bool:
        return not self.problem and len(self.clips) == 1

    @property
    def clip(self) -> ClipInfo:
        return self.clips[0]


def _distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent swaps counted as one slip."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _squash(s: str) -> str:
    return re.sub(r"[^a-z0-9\u4e00-\u9fff]", "", s.lower())


def _name_hits(phrase: str, cat: list[ClipInfo]) -> tuple[list[ClipInfo], bool]:
    """Clips the phrase names by file name; and whether some word looked like a name at all."""
    p = phrase.lower()
    p = re.sub(rf"\.(?:{EXTENSIONS})\b", "", p)
    exact = [c for c in cat if _squash(c.stem) and re.search(rf"(?<![a-z0-9]){re.escape(c.stem.lower())}(?![a-z0-9])", p)]
    if exact:
        return exact, True
    squashed = _squash(p)
    # "img 2041" for IMG_2041.mp4: names with separators or digits may be typed without them
    exact = [c for c in cat if len(_squash(c.stem)) >= 4 and _squash(c.stem) != c.stem.lower() and _squash(c.stem) in squashed]
    if exact:
        return exact, True
    # one word of a longer name: "city" for "City Walk.mov", "2041" for IMG_2041.mp4
    said = set(re.findall(r"[a-z0-9]{3,}", FILLER.sub(" ", p))) - _NOT_NAMES
    partial = [c for c in cat if said & (set(re.findall(r"[a-z0-9]{3,}", c.stem.lower())) - {"img", "mov", "vid", "dsc", "pxl"})]
    if partial:
        return partial, True
    hits: list[ClipInfo] = []
    for zh, stems in NAME_WORDS_ZH.items():
        if zh in p:
            hits += [c for c in cat if any(w in c.stem.lower() for w in stems) and c not in hits]
    if hits:
        return hits, True
    rest = FILLER.sub(" ", p)
    words = [w for w in re.findall(r"[a-z][a-z0-9_-]{2,}", rest) if w not in _NOT_NAMES]
    for _, en, zh in PROPERTIES:
        rest = re.sub(zh, " ", re.sub(en, " ", rest))
    cjk = re.findall(r"[\u4e00-\u9fff]{2,}", _POSITION_ZH.sub(" ", rest))  # "森林那个": a name, unknown here
    fuzzy: list[ClipInfo] = []
    for c in cat:
        stem = _squash(c.stem)
        if len(stem) < 4:
            continue
        allowed = 1 if len(stem) <= 5 else 2
        if any(_distance(w.replace("-", "").replace("_", ""), stem) <= allowed for w in words):
            fuzzy.append(c)
    return fuzzy, bool(words or cjk)


# Words of a reference phrase that are not names (so "the vertical one" is not an unknown clip "vertical").
_NOT_NAMES = frozenset("""
vertical verticle portrait upright tall landscape horizontal wide widescreen square silent soundless mute muted
sound audio without has got longest long shortest short biggest photo photos picture pictures pic pics image images
still stills first second third fourth fifth sixth seventh eighth ninth tenth last final other previous next
both all every everything them use keep want put move make drop remove delete cut lose ditch place set
number clip clips that and
""".split())

_POSITION_EN = re.compile(
    r"\b(?:(?:clips?|videos?|shots?|number|no\.?|#)\s*#?\s*(?P<n>\d+)\b|#(?P<h>\d+)\b|"
    r"(?P<o>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|seventh|7th|eighth|8th|ninth|9th|tenth|10th)\b"
    r"(?!\s+(?:\d|half|part))|(?P<back>second(?:[- ]to[- ]| from (?:the )?)last|penultimate|next[- ]to[- ]last)|(?P<last>last|final))")
_POSITION_ZH = re.compile(r"倒数第(?P<zback>\d+)|第(?P<zn>\d+)|第(?P<zfirst>)(?=个|段|条|张)|(?P<zlast>最后|末尾)")


def position_of(phrase: str) -> tuple[str, int] | None:
    """("n", 2) for "the second clip"/第二个, ("back", 1) for "the last one"/最后一个."""
    if m := _POSITION_ZH.search(phrase):
        if m.group("zback") is not None:
            return "back", int(m.group("zback"))
        if m.group("zn") is not None:
            return "n", int(m.group("zn"))
        if m.group("zfirst") is not None:
            return "n", 1
        return "back", 1
    if m := _POSITION_EN.search(phrase):
        if m.group("n") or m.group("h"):
            return "n", int(m.group("n") or m.group("h"))
        if m.group("o"):
            return "n", ORDINALS_EN[m.group("o")]
        if m.group("back"):
            return "back", 2
        return "back", 1
    return None


def properties_of(phrase: str) -> list[str]:
    found = []
    for name, en, zh in PROPERTIES:
        if re.search(en, phrase) or re.search(zh, phrase):
            found.append(name)
    if "silent" in found and "sound" in found:
        found.remove("sound")
    return found


def _with_property(cat: list[ClipInfo], prop: str) -> list[ClipInfo]:
    if prop in ("vertical", "landscape", "square"):
        return [c for c in cat if c.shape == prop]
    if prop == "silent":
        return [c for c in cat if c.kind == "video" and not c.has_audio]
    if prop == "sound":
        return [c for c in cat if c.kind == "video" and c.has_audio]
    if prop == "image":
        return [c for c in cat if c.kind == "image"]
    if prop in ("longest", "shortest"):
        pool = [c for c in cat if c.kind == "video"] or cat
        if not pool:
            return []
        pick = max if prop == "longest" else min
        best = pick(c.length for c in pool)
        return [c for c in pool if c.length == best]
    return cat


# A phrase that means several clips at once ("the landscape ones", 横屏的都): more than one is no ambiguity.
PLURAL = re.compile(r"\b(?:ones|clips|videos|photos|pictures|images|shots|both|all)\b|都|全部|所有|两个|几个")


# Nouns of other things: a phrase with one is about them ("the first title", "the audio of clip 2"),
# once the properties ("no sound") are taken out.
FOREIGN = re.compile(
    rf"\b{EN['title']}\b|\b{EN['music']}\b|{ZH['title']}|{ZH['music']}|"
    r"\b(?:sound|audio|voice|volume|fades?|fading|ducking|intro|outro|frames?|canvas|size|shape|loudness|speed|between|"
    r"transitions?|cuts?|cross-?fades?)\b|'s\b|声音|原声|音量|开头|结尾|淡入|淡出|转场|过渡|前(?!\d+个)|后面")
# Words for a stretch of time that, with a clip's name, still mean that clip ("the city part").
STRETCH = re.compile(r"\b(?:part|bit|section|half|beginning|ending|end|start|middle)\b|部分")
# "the video" next to photos: the one that is not a photo.
THE_VIDEO = re.compile(r"^(?:the |my |that )?(?:video|movie|footage|clip|video clip)(?: one)?$|^(?:那个|这个)?(?:视频|影片)(?:片段)?$")
# "the 6 second clip": a clip by its length.
BY_LENGTH = re.compile(r"\b(?:the\s+)?(\d+(?:\.\d+)?)s(?:[- ]long)?\s+(?:clip|one|video|shot)\b|(\d+(?:\.\d+)?)s(?:长)?的(?:那个|片段|视频|素材)")


def looks_like_ref(phrase: str) -> bool:
    """Whether a phrase is about a clip at all (so an unknown name is said, not passed on)."""
    return bool(re.search(CLIP_NOUN, phrase) or re.search(rf"\.(?:{EXTENSIONS})\b", phrase))


def resolve(phrase: str, cat: list[ClipInfo], *, raw: str = "", reel_only: bool = False) -> Ref | None:
    """The clips a phrase names, or None when the phrase is not a clip reference at all.

    Position counts on the listing (the reel's order first); "last" is the reel's last clip.
    `reel_only`: only clips on the timeline can be meant (reordering)."""
    p = phrase.strip().lower()
    shown = raw or phrase
    pool = on_reel(cat) if reel_only else cat
    reel = on_reel(cat)
    if m := BY_LENGTH.search(p):
        seconds = float(m.group(1) or m.group(2))
        hits = [c for c in pool if c.kind == "video" and abs(c.length / 1000 - seconds) <= 0.5]
        return Ref(shown, hits, "" if len(hits) == 1 else "ambiguous" if hits else "unknown")
    if not p or re.search(r"\d+(?:\.\d+)?s\b|秒|%", p):
        return None  # a stretch of time ("the first 3s"), not a clip
    bare = p
    for _, en, zh in PROPERTIES:
        bare = re.sub(zh, " ", re.sub(en, " ", bare))
    if FOREIGN.search(bare):
        return None
    if STRETCH.search(bare) and not _name_hits(p, cat)[0]:
        return None  # "the first part": a stretch of time, not a clip
    if THE_VIDEO.match(p) and any(c.kind == "image" for c in cat):
        videos = [c for c in pool if c.kind == "video"]
        return Ref(shown, videos, "" if len(videos) == 1 else "ambiguous" if videos else "unknown")
    if m := re.search(r"\b(first|last|final)\s+(\d+)\b(\s+(?:clips|videos|ones|shots|photos|files))?|(前|后|最后)(\d+)个", p):
        if m.group(2) and not m.group(3):
            return None  # "the last 2": seconds, said short
        count = int(m.group(2) or m.group(5))
        head = (m.group(1) or m.group(4)) in ("first", "前")
        if count < 1 or count > len(reel):
            return Ref(shown, [], "range")
        return Ref(shown, reel[:count] if head else reel[-count:])
    pos = position_of(p)
    names, name_like = _name_hits(p, cat)
    props = properties_of(p)
    if pos is None and not names and not props:
        if name_like and looks_like_ref(p):
            return Ref(shown, [], "unknown")
        return None
    if pos is not None:
        kind, n = pos
        listing = reel if kind == "back" or reel_only else cat
        if n < 1 or n > len(listing):
            return Ref(shown, [], "range")
        hit = listing[n - 1] if kind == "n" else listing[-n]
        candidates = [hit]
        if names and hit not in names:
            return Ref(shown, [], "unknown")
    elif names:
        candidates = names
    else:
        candidates = pool
    for prop in props:
        if prop in ("longest", "shortest"):
            continue
        candidates = [c for c in candidates if c in _with_property(candidates, prop)]
    for prop in props:
        if prop in ("longest", "shortest"):
            candidates = _with_property(candidates, prop)
    if not candidates:
        return Ref(shown, [], "unknown")
    if len(candidates) > 1 and not PLURAL.search(p):
        return Ref(shown, candidates, "ambiguous")
    return Ref(shown, candidates)


def split_list(phrase: str) -> list[str]:
    """ "beach and drone", "clips 1 and 3", "海滩和城市": the phrases of a list of clips."""
    parts = [x for x in re.split(r"\s*(?:,|&|\band\b|\bplus\b|、|和|跟|与|还有|以及)\s*", phrase) if x.strip()]
    if len(parts) > 1 and re.match(r"^\d+$", parts[-1].strip()):
        noun = re.match(r"^(.*?\b(?:clips?|videos?|shots?|numbers?))\s+\d+$", parts[0].strip())
        if noun:  # "clips 1 and 3": the noun carries over
            parts = [parts[0]] + [f"clip {x.strip()}" for x in parts[1:]]
    return parts


def only_names(phrase: str, cat: list[ClipInfo]) -> bool:
    """Whether a phrase is nothing but references to clips: every word is a name, a position, a
    property or a filler word ("drone", "the vertical one", "clip 3", 城市那个)."""
    if len(cat) < 2 or resolve(phrase, cat) is None:
        return False
    rest = re.sub(rf"\.(?:{EXTENSIONS})\b", " ", phrase.lower())
    for _, en, zh in PROPERTIES:
        rest = re.sub(zh, " ", re.sub(en, " ", rest))
    rest = _POSITION_ZH.sub(" ", _POSITION_EN.sub(" ", rest))
    for zh in NAME_WORDS_ZH:
        rest = rest.replace(zh, " ")
    rest = FILLER.sub(" ", rest)
    words = re.findall(r"[a-z0-9][a-z0-9_-]*|[\u4e00-\u9fff]+", rest)
    return all(_name_hits(w, cat)[0] for w in words)
