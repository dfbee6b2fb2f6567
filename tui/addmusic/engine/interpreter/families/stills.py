"""Photos in a reel: how long a still shows ("show the photo for 5 seconds", 照片停留5秒, "make the
picture longer") and its slow zoom ("slow zoom on the photo", "no zoom"). A length or a zoom asked
of a video clip is refused with the reason; lengths run from 0.5 to 60 s."""

from __future__ import annotations

import re
from collections.abc import Callable

from addmusic.protocol.draft import Draft

from ..clipref import ClipInfo, on_reel, resolve
from ..core import Clause, Outcome, rule
from ..draftops import video_segments
from ..reelops import Outcome as ReelOutcome
from ..reelops import set_still
from ..reeltalk import clips_of, group, names_of, reel_edit_of, reel_text, refusal, secs, tail
from ..replies import say
from ..vocab import NUM

PHOTO_MIN, PHOTO_MAX = 500, 60000  # ms a photo may show


ZOOM_WORDS = (r"\bzoom\w*|\bken ?burns\b|\bpush[- ]?in\b|\bpan and zoom\b|\banimat\w*|推拉|动起来|动态效果|"
              r"(?<!放大)(?:缓慢|慢慢|缓缓|轻微|慢|轻轻)?(?:地)?(?:放大|推进|推镜头?|推近|缩放|拉近)(?!填充|铺满|画面填)")


ZOOM_OFF = r"\b(?:no|without|remove|stop|turn off|lose|drop|kill|disable|get rid of|don'?t|do not)\b|不要|别|去掉|取消|关掉|不用"


ZOOM_NEEDS = r"\b(?:slow\w*|gentle|subtle|ken ?burns|push[- ]?in|photos?|pictures?|pics?|images?|stills?)\b|缓慢|慢慢|缓缓|轻微|照片|图片|相片|推镜|推近|推进|推拉"


STILL_MORE = (r"^(?:make|keep|show|hold|leave|have)\s+(?P<x>.+?)\s+(?:on\s+(?:screen\s+)?|up\s+)?(?:a (?:bit|little|tad) |much |a lot )?(?P<dir>longer|shorter)(?:\s+on screen)?$|"
              r"^(?P<y>.+?)\s+(?:should (?:be|stay|last)|needs to (?:be|stay)|is too)\s+(?P<dir2>longer|shorter|short|long)$|"
              r"^(?:把|让)?(?P<z>照片|图片|相片|那张图|图)(?:的)?(?:停留|显示|展示|放)?(?:的)?(?:时间|时长)?(?:(?:再)?(?:放|停)?(?:久|长)(?:一点|点|些)?|太短了?)$|"
              r"^(?:把|让)?(?P<w>照片|图片|相片|那张图|图)(?:的)?(?:停留|显示|放)?(?:的)?(?:时间|时长)?(?:(?:再)?(?:放|停)?短(?:一点|点|些)?|太长了?)$")


STILL_TIMES = (r"^(?:make\s+)?(?P<x>.+?)\s+(?:(?P<two>twice|double|2x) as long|(?P<half>half) as long|(?:last\s+)?(?P<dbl>double|twice)(?: (?:the|its) (?:length|time|duration))?)$|"
               r"^(?:double|halve)\s+(?P<y>.+?)(?:'s)?\s*(?:length|time|duration)?$|"
               rf"^(?:make\s+|show\s+|keep\s+)?(?P<z>.+?)\s+(?P<by>{NUM})s\s+(?P<dir>longer|shorter)$")


STILL_STEP = 2000  # "longer" adds 2 s to a photo; "shorter" takes 1 s off (never under 1 s)


STILL_LEN_EN = (rf"^(?:show|hold|keep|display|make|set|leave|have|put|give|stay on|linger on)\s+(?P<x>.+?)\s+(?:on screen\s+|up\s+|on\s+|there\s+)?"
                rf"(?:for\s+|to\s+|at\s+)?(?:about\s+|like\s+|around\s+)?(?P<n>{NUM})s(?:\s+(?:long|each|on screen|instead))?$|"
                rf"^(?P<y>.+?)\s+(?:(?:for|should be|should last|should stay|lasts?|to|on screen for|stays?(?: on screen)?(?: for)?|shows? for|"
                rf"(?:duration|length|time)(?: to| of| is|:)?)\s+)?(?P<m>{NUM})s(?:\s+long)?$|"
                rf"^(?P<k>{NUM})s\s+(?:on|for)\s+(?P<z>.+)$")


STILL_LEN_ZH = rf"^(?:把|将|让)?(?P<x>.+?)(?:的)?(?:时长|时间|长度)?(?:停留|停|放|显示|展示|持续|保持|改成|改为|设为|设成|变成|定格)?(?:为|成|到)?(?P<n>{NUM})s\s*(?:钟)?(?:就行|就好|就可以|吧|左右)?$"


def _the_photo(phrase: str, c: Clause, d: Draft, tool: str) -> tuple[Outcome | None, list[ClipInfo]]:
    """The photo(s) a phrase means on the reel; a refusal to say; or ([], None) when not about one."""
    cat, _ = clips_of(c, d)
    photos = [x for x in on_reel(cat) if x.kind == "image"]
    phrase = re.sub(r"时长|时间|长度", "", phrase or "").strip()
    ref = resolve(phrase, cat) if phrase else None
    if ref is None:
        if phrase and not re.fullmatch(r"(?:it|this|that|the reel)?", phrase):
            return None, []
        if len(photos) == 1:
            return None, photos
        return Outcome(tool, note=say("still_none", c.lang) if not photos else
                       say("clips_ambiguous", c.lang, phrase=phrase or ("照片" if c.lang == "zh" else "the photo"),
                           names=names_of(photos, c.lang))), []
    if ref.problem:
        if ref.problem == "unknown" and re.search(r"photo|picture|image|pic|still|照片|图片|相片|图", phrase) and not photos:
            return Outcome(tool, note=say("still_none", c.lang)), []
        return Outcome(tool, note=refusal(ref, cat, c.lang)), []
    videos = [x for x in ref.clips if x.kind != "image"]
    if videos:
        return Outcome(tool, note=say("still_video", c.lang, name=videos[0].name)), []
    off = [x for x in ref.clips if not x.on_reel]
    if off:
        return Outcome(tool, note=say("clips_not_on_reel", c.lang, name=off[0].name, reel=reel_text(d, clips_of(c, d)[1], c.lang),
                                      stem=off[0].stem)), []
    return None, ref.clips


def _still_length(phrase: str, seconds: str, c: Clause, d: Draft) -> Outcome | None:
    tool = "set_photo_length"
    refusal, photos = _the_photo(phrase, c, d, tool)
    if not photos:
        return refusal
    _, infos = clips_of(c, d)
    asked = int(round(float(seconds) * 1000))
    if not PHOTO_MIN <= asked <= PHOTO_MAX:
        return Outcome(tool, note=say("still_range", c.lang, name=names_of(photos, c.lang)))
    srcs = [x.media_id for x in photos]

    def run(draft: Draft) -> ReelOutcome:
        res = ReelOutcome(draft)
        for src in srcs:
            res = set_still(res.draft, src, infos, duration=asked)
        return res

    res = run(d)
    reply = say("still_length", c.lang, name=names_of(photos, c.lang), secs=secs(asked), length=secs(res.draft.end)) + tail(res, c.lang)
    return Outcome(tool, reel_edit_of(tool, {"clips": [x.name for x in photos], "d_ms": asked}, run, reply))


def _not_a_photo(phrase: str, c: Clause, d: Draft) -> bool:
    """The phrase names no clip, or only video clips ("keep the first 5s", "make the beach clip 5s"):
    lengths of video, for other rules. A photo, or a reference to refuse, is this family's."""
    ref = resolve(phrase, clips_of(c, d)[0])
    return ref is None or bool(ref.clips and all(x.kind != "image" for x in ref.clips))


def _relength(phrase: str, c: Clause, d: Draft, target: Callable[[int], int]) -> Outcome | None:
    """Set the named photo(s) to the length (ms) `target` makes of the first one's length now, or refuse."""
    refusal, photos = _the_photo(phrase, c, d, "set_photo_length")
    if not photos:
        return refusal
    return _still_length(phrase, f"{target(photos[0].length) / 1000:g}", c, d)


def _b_still_len(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    groups = m.groupdict()
    phrase = groups.get("x") or groups.get("y") or groups.get("z") or ""
    seconds = groups.get("n") or groups.get("m") or groups.get("k") or "0"
    if _not_a_photo(phrase, c, d):
        return None
    return _still_length(phrase, seconds, c, d)


def _b_zoom(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    t = c.t
    off = bool(re.search(ZOOM_OFF, t))
    zoomed = any(s.extra.get("zoom") for s in video_segments(d))
    if not re.search(ZOOM_NEEDS, t) and not _named_photo(t, c, d) and not (off and zoomed):
        return None  # "zoom in to fill": how the picture fills the frame (shape)
    tool = "set_photo_zoom"
    phrase = re.sub(rf"{ZOOM_WORDS}|{ZOOM_OFF}|\b(?:add|put|give|use|make|a|an|slow\w*|gentle|subtle|effect|on|to|into|for|in|out|"
                    rf"with|it|the zoom|zoom|move|a bit|a little)\b|加上?|个|给|效果|的|让|把|有|慢慢|缓慢|缓缓|轻微|地|做", " ", t)
    phrase = re.sub(r"\s+", " ", phrase).strip()
    refusal, photos = _the_photo(phrase, c, d, tool)
    if not photos:
        return refusal
    _, infos = clips_of(c, d)
    srcs = [x.media_id for x in photos]

    def run(draft: Draft) -> ReelOutcome:
        res = ReelOutcome(draft)
        for src in srcs:
            res = set_still(res.draft, src, infos, zoom=not off)
        return res

    reply = say("still_zoom_off" if off else "still_zoom", c.lang, name=names_of(photos, c.lang))
    return Outcome(tool, reel_edit_of(tool, {"clips": [x.name for x in photos], "zoom": not off}, run, reply))


def _named_photo(t: str, c: Clause, d: Draft) -> bool:
    cat, _ = clips_of(c, d)
    return any(x.kind == "image" and x.stem.lower() in t for x in cat)


def _b_still_len_zh(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _b_still_len(m, c, d)


def _b_still_more(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    phrase = group(m, "x", "y", "z", "w")
    longer = bool(group(m, "z")) or group(m, "dir", "dir2") in ("longer", "long")
    if not group(m, "z", "w") and _not_a_photo(phrase, c, d):  # z, w: 照片 itself
        return None
    return _relength(phrase, c, d, lambda now: (now + STILL_STEP) if longer else max(1000, now - STILL_STEP // 2))


def _b_still_times(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """ "photo twice as long", "make the photo 1 sec shorter"."""
    phrase = group(m, "x", "y", "z")
    if _not_a_photo(phrase, c, d):
        return None

    def target(now: int) -> int:
        if group(m, "by"):
            step = int(round(float(group(m, "by")) * 1000))
            return now + step if group(m, "dir") == "longer" else now - step
        if group(m, "half") or c.t.startswith("halve"):
            return now // 2
        return now * 2

    return _relength(phrase, c, d, target)


RULES = (
    rule("photo_zoom", ZOOM_WORDS, _b_zoom, ("clip", "zoom")),
    rule("photo_length", STILL_LEN_EN, _b_still_len, ("clip", "seconds")),
    rule("photo_length_zh", STILL_LEN_ZH, _b_still_len_zh, ("clip", "seconds")),
    rule("photo_longer", STILL_MORE, _b_still_more, ("clip", "direction")),
    rule("photo_times", STILL_TIMES, _b_still_times, ("clip", "factor")),
)
