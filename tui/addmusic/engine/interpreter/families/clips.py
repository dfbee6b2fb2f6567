"""Several clips: list them, choose which are in the reel, and order them. Crossfades and photos
have families of their own (crossfades, stills); this module gathers the three rule tables.

A clip is named by position, name or a property (clipref). A reference that names no clip, or
more than one where one is meant, is said back with the clips' names and nothing changes: a reel
edit is never guessed. Every edit keeps music and titles in step with the new length (reelops).
"""

from __future__ import annotations

import re

from addmusic.protocol.draft import Draft

from ..clipref import ClipInfo, Ref, catalogue, only_names, resolve
from ..core import Clause, Outcome, rule
from ..reelops import order
from ..reeltalk import (
    INFO_EN,
    INFO_ZH,
    clips_of,
    describe_named,
    group,
    listed,
    listing,
    names_of,
    pick_clips,
    reel_text,
    refusal,
    set_reel,
)
from ..replies import say
from . import crossfades, stills

__all__ = ["READS_NEGATION", "RULES", "RULES_EARLY", "describe_named", "listing", "only_clips_named"]

LIST_EN = (r"^(?:list|show|see|display|give me|view|print)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:my|the|all|our)?\s*(?:uploaded\s+)?"
           r"(?:clips|files|uploads|footage|media|videos|shots)(?:\s+(?:i (?:have|uploaded)|again|please))?$|"
           r"^(?:(?:my|the|all|all my|all the)\s+)?(?:clips|uploads|files)(?:\s+(?:list|please))?$|"
           r"^(?:which|what) (?:clips|files|videos|uploads)\b|^(?:how many|what) clips\b|^clip list$|"
           r"^(?:remind me|tell me|show me|let me see)\s+(?:what|which)\s+(?:clips|videos|files)\b")


LIST_ZH = (r"^列(?:出|表)?(?:我的)?(?:所有|全部)?(?:的)?(?:素材|片段|视频|文件)|(?:列出|列一下|看看|看一下|显示|查看|给我看)(?:我的)?(?:所有|全部)?(?:的)?(?:素材|片段|视频|文件)|(?:有|上传了)(?:哪些|什么|几个|多少)(?:个)?(?:素材|片段|视频|文件)|"
           r"^(?:我的)?(?:素材|片段)(?:列表|清单)?$|(?:素材|片段)(?:都)?有(?:哪些|什么|几个)")


ALL_EN = (r"^(?:use|include|bring back|restore|put back|add back|keep|add|go back to|back to|i want|give me|put in|put|bring|get|have)\s+"
          r"(?:all|every|everything|both|all of them|all (?:the |my |of the |of my )?(?:\d+\s+)?(?:clips|videos|shots|files|footage|uploads|photos)|"
          r"every clip|all \d+|the whole reel|all the clips)(?:\s+(?:clips|videos|again|back|in))*"
          r"(?:\s+(?:in order|in the original order|in upload order|at full length|full length))*$|"
          r"^(?:all|both|every) (?:clips|videos|of them)(?: please| again| back)?$|^(?:restore|reset) (?:the )?(?:reel|clips|clip order|order)$")


ALL_ZH = (r"(?:全部|都|全都|所有(?:的)?(?:素材|片段|视频)?(?:都)?|全)(?:用上|用|加上|加回来|放进去|放上|恢复)|用(?:上)?(?:全部|所有)(?:的)?(?:素材|片段|视频)|"
          r"(?:恢复|还原)(?:全部|所有|原来的)(?:素材|片段|视频|顺序)?|(?:三个|两个|几个)(?:都|全)用")


EXCEPT_EN = (r"^(?:(?:use|keep|include|i want|put back|bring back)\s+)?(?:all|everything|every clip|all (?:the |my |of the )?(?:\d+ )?(?:clips|videos)|"
             r"all of them|the rest)\s+(?:except|but|apart from|other than|besides|minus|without|except for)\s+(?P<x>.+)$")


EXCEPT_ONLY_EN = (r"^(?:drop|remove|delete|cut|lose|ditch|get rid of)\s+(?:all|everything|every clip|all (?:the )?(?:other )?clips|the others|the rest)"
                  r"\s+(?:except|but|apart from|other than|besides|except for)\s+(?P<x>.+)$")


EXCEPT_ZH = (r"^除了?(?P<zx>.+?)(?:以外|之外)?(?:，|,)?(?:其他|其余|别的|剩下)?(?:的)?(?:素材|片段|视频)?(?:都|全部|全)(?:用上|用|要|加上|留着|保留|放上)$")


EXCEPT_ONLY_ZH = (r"^除了?(?P<x>.+?)(?:以外|之外)?(?:，|,)?(?:其他|其余|别的|剩下)?(?:的)?(?:素材|片段|视频)?(?:都|全部|全)(?:删掉|删了|删|去掉|不要了?|拿掉)$")


ONLY_EN = (r"^(?:(?:i\s+)?(?:only|just)\s+(?:want|need)\s+(?:to\s+use\s+)?|(?:i\s+)?(?:want|need)\s+(?:to\s+use\s+)?(?:only\s+|just\s+)|(?:only|just)\s+(?:use|keep|want|show|include|have|do)\s+|"
           r"(?:use|keep|show|include|have|leave)\s+(?:only|just)\s+|switch\s+(?:it\s+|this\s+)?(?:over\s+)?to\s+|change\s+(?:it\s+)?to\s+|"
           r"go\s+with\s+(?:only\s+|just\s+)|stick\s+(?:to|with)\s+(?:only\s+|just\s+)?|only\s+|just\s+|use\s+(?=.*\b(?:instead|alone|only|by itself)$))"
           r"(?P<x>.+?)(?:\s+only|\s+instead|\s+alone|\s+by itself|\s+please)?$|^(?P<y>.+?)\s+only$")


ONLY_ZH = r"^(?:只用|只要|只保留|只留|只放|只选|就用|换成|改用|改成只用|仅用|只需要|光用)(?P<x>.+?)(?:就行|就好|就可以|吧)?$|^(?:用|要)(?P<y>.+?)就(?:行|好|可以)$"


# A bare reference typed as the whole message ("just the beach one", "only the 2nd clip").
BARE_ONLY = r"^\s*(?:just|only)\b"


DROP_EN = (r"^(?:drop|remove|delete|cut|lose|ditch|get rid of|take out|take away|skip|exclude|scrap|toss|kill|trash|leave out|"
           r"throw out|throw away|pull|rid|nix|bin|yeet|axe|nuke|can|trim out|chuck|dump|don'?t (?:use|include|want|need)|do not (?:use|include|want|need)|"
           r"i don'?t (?:want|need)|no more|not|no)\s+(?P<x>.+?)(?:\s+(?:from|out of|off)\s+(?:the\s+)?(?:reel|video|timeline|edit|montage|it|list))?"
           r"(?:\s+(?:please|pls|completely|entirely|altogether|lol|lmao|haha|rn|now|thx))*$|^(?:take|leave|cut|throw|kick)\s+(?P<y>.+?)\s+out$|"
           r"^(?P<z>.+?)\s+(?:has to go|can go|goes|must go|is out)$")


DROP_ZH = (r"^(?:去掉|删掉|删除|拿掉|移除|去除|剪掉|扔掉|不要|丢掉|删|不用)(?P<x>.+?)(?:吧|了)?$|"
           r"^(?:把)?(?P<y>.+?)(?:去掉|删掉|删除|拿掉|移除|去除|剪掉|扔掉|不要了?|删了?|丢掉|也删了?|也去掉)(?:吧)?$")


BACK_EN = (r"^(?:bring back|put back|add back|restore|re-?add|re-?include|include|add|use)\s+(?P<x>.+?)"
           r"(?:\s+(?:back|again|too|as well|also|in))*$|^(?:bring|put|add|get)\s+(?P<y>.+?)\s+back(?:\s+in)?$")


BACK_ZH = r"^(?:把)?(?P<x>.+?)(?:加回来|放回来|加回去|放回去|也用上|也加上|也放上|也加进来|恢复)$|^(?:恢复|加回|重新加上|重新用)(?P<y>.+)$"


_FIRST = r"first|at the (?:very )?(?:start|beginning|front|top)|to the (?:very )?(?:start|beginning|front|top)|in front|up front|the first(?: clip| one| shot)?|1st|(?:in )?first place|before (?:all )?(?:the )?others|before everything|(?:to |at )?(?:position|spot|slot) 1|number 1"


_LAST = r"last|at the (?:very )?(?:end|back)|to the (?:very )?(?:end|back)|the last(?: clip| one| shot)?|(?:in )?last place|after (?:all )?(?:the )?others|after everything|at the bottom|to the bottom"


_NTH = r"(?:in\s+)?(?:the\s+)?(?P<nth>second|2nd|third|3rd|fourth|4th|fifth|5th|middle)(?:\s+(?:place|position|spot|slot|clip|one))?|(?:to|at|in|into)\s+(?:position|spot|slot|place)\s+(?P<pn>\d+)"


_WHERE = rf"(?P<first>{_FIRST})|(?P<last>{_LAST})|{_NTH}"


MOVE_EN = (rf"^(?:(?:put|move|place|make|set|have|drag|bring|shift|stick|slide|switch|(?:i\s+)?(?:want|need|'d like|would like))\s+|(?:put|move)(?=[a-z]))(?P<x>.+?)\s+"
           rf"(?:to\s+(?:be|go|come|play)\s+|to\s+|as\s+(?:the\s+)?|be\s+|go\s+|come\s+|play\s+)?(?:{_WHERE})(?:\s+(?:clip|one|instead|please))?$")


MOVE_EN2 = (rf"^(?P<y>.+?)\s+(?:(?:should|must|needs? to|has to|can|could)\s+(?:be|go|come)\s+|goes\s+|comes\s+|is\s+|at\s+|to\s+)?(?:{_WHERE})(?:\s+please)?$")


OPEN_EN = r"^(?:start|open|begin|lead|kick (?:it )?off)\s+(?:it\s+|the (?:video|reel|edit)\s+)?(?:with|on)\s+(?P<x>.+)$"


CLOSE_EN = r"^(?:end|finish|close|wrap (?:it )?up)\s+(?:it\s+|the (?:video|reel|edit)\s+)?(?:with|on)\s+(?P<x>.+)$"


RELATIVE_EN = (r"^(?:(?:put|move|place|have|drag|stick|slide|make)\s+)?(?P<x>.+?)\s+(?:(?:should\s+|to\s+|must\s+)?(?:go|come|be|play)\s+|goes\s+|comes\s+|plays\s+)?(?:right\s+|just\s+|directly\s+)?"
               r"(?P<rel>before|after|in front of|ahead of|behind|following|ahead)\s+(?P<y>.+)$")


MOVE_ZH = (r"^(?:把|将)?(?P<x>.+?)(?:放|移|挪|调|排|拖|改)(?:到|在|成|去|为)?(?P<where>第\d+(?:个|位|段)?|最前面?|最前头|开头|最开始|前面|最后面?|最后个?|结尾|末尾|后面|最末)(?:去|来|的位置|位置|吧)?$|"
           r"^第(?P<n>\d+)(?:个|段)?(?:放|是|用|改成|换成)(?P<y>.+)$|^(?:以|用)(?P<o>.+?)(?:开头|开场|打头)$|^(?:以|用)(?P<c>.+?)(?:结尾|收尾|结束)$|"
           r"^(?:先放|先播|先用)(?P<f>.+)$|^(?P<l>.+?)放(?:在)?最后(?:面)?$")


RELATIVE_ZH = r"^(?:把|将)?(?P<x>.+?)(?:放|移|挪|调|排)(?:到|在)(?P<y>.+?)(?P<rel>前面|前边|之前|前头|前|后面|后边|之后|后头|后)(?:去|来|吧)?$"


BETWEEN_EN = r"^(?:put|move|place|stick|slide|have)?\s*(?P<x>.+?)\s+(?:go\s+|goes\s+)?(?:in\s+)?(?:between|from)\s+(?P<y>.+?)\s+(?:and|&|to)\s+(?P<z>.+)$"  # "between a and b" reads "from a to b"


BETWEEN_ZH = r"^(?:把|将)?(?P<x>.+?)(?:放|移|挪|调|排)(?:到|在)(?P<y>.+?)(?:和|跟|与)(?P<z>.+?)(?:之间|中间)(?:去|来|吧)?$"


ORDER_EN = (r"^(?:(?:the\s+)?(?:new\s+)?order\s*(?::|should be|is|=|-|to)?|(?:re-?order|arrange|sort|sequence)\s+(?:them|the clips|it|clips|the reel)?\s*"
            r"(?:as|like|to|:|like this:?)?|(?:put|play|have)\s+(?:them|the clips|it)\s+in\s+(?:this|the)\s+order\s*:?|in\s+this\s+order\s*:?)\s*(?P<x>.+)$")


ORDER_ZH = r"^(?:顺序|排序|排列顺序|顺序改成|顺序改为|按这个顺序|顺序是|按照?)[:：]?(?:改成|改为|是|为)?(?P<x>.+?)(?:的顺序|的顺序排|这样排|排)?$"


SWAP_PAIR_EN = (r"^(?:swap|switch|flip|exchange|trade|interchange|reverse)\s+(?:the\s+)?(?:order\s+of\s+(?:the\s+)?)?(?:(?P<which>first|last|final)\s+(?:2|two)|"
                r"(?P<both>them|the 2|both|these 2|those 2|the clips|the 2 clips|both clips|the other 2|the remaining 2|the 2 left|the last 2 left))(?:\s+(?:clips|videos|shots|ones))?(?:\s+(?:around|round|over))?$")


SWAP_EN = r"^(?:swap|switch|flip|exchange|trade|interchange)\s+(?:the\s+)?(?:order\s+of\s+|places\s+of\s+|positions\s+of\s+)?(?P<a>.+?)\s+(?:and|with|&|for)\s+(?P<b>.+?)(?:\s+around|\s+round|\s+places|\s+positions)?$"


SWAP_PAIR_ZH = r"(?:交换|调换|互换|对调|换)(?:一下)?(?P<zw>前|后|最后)2个(?:片段|视频|素材)?|(?P<w2>前|后|最后)2个(?:片段|视频|素材)?(?:的)?(?:顺序)?(?:交换|调换|互换|对调|换|反过来)"


SWAP_ZH = r"^(?:交换|调换|互换|对调)(?:一下)?(?P<a>.+?)(?:和|跟|与|、)(?P<b>.+?)(?:的)?(?:位置|顺序)?$|^(?:把)?(?P<c>.+?)(?:和|跟|与)(?P<d>.+?)(?:的)?(?:位置|顺序)?(?:交换|换|调换|互换|对调|换个位置|换位置|调个顺序|掉换|调过来)(?:位置|顺序|一下)?$"


REVERSE = (r"^(?:revers(?:e|ed)?|flip|invert)\s+(?:the\s+)?(?:clip\s+)?(?:order|sequence|clips|reel)\b|\b(?:in\s+)?revers(?:e|ed)\s+order\b|"
           r"\bbackwards?\s+order\b|\border\s+(?:backwards|reversed|flipped)\b|^(?:play|put)\s+(?:the\s+)?clips\s+(?:in\s+)?(?:reverse|backwards)|"
           r"倒序|逆序|顺序(?:反过来|倒过来|颠倒|反转|倒一下|调转)|(?:颠倒|反转|倒转)(?:一下)?(?:片段|素材|视频)?(?:的)?顺序|反过来排|倒过来排|倒着排")


def _b_info(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    text = describe_named(c, d)
    return Outcome("list_clips", note=text + ("。" if c.lang == "zh" else ".")) if text else None


def only_clips_named(c: Clause, d: Draft, *, in_list: bool = False) -> bool:
    """The clause does nothing but name clips ("drone", "the vertical one", 城市那个); `in_list`:
    it follows a list of clips, where a bare number is one more ("clips 1 and 3")."""
    if in_list and re.fullmatch(r"\d{1,2}", c.t.strip()):  # "clips 1 and 3", "swap clips 1 and 2"
        return True
    return only_names(c.t, catalogue(d, c.sources))


def _b_list(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if not [s for s in c.sources if s.get("kind") in ("video", "image")]:
        return None
    return Outcome("list_clips", note=listing(c, d))


def _b_except(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """ "all clips except city": every upload at full length, in upload order, but those named."""
    cat, infos = clips_of(c, d)
    tool = "select_clips"
    refused, named = pick_clips(group(m, "x", "zx"), cat, tool, c.lang)
    if not named:
        return refused
    gone = {x.media_id for x in named}
    srcs = [x.media_id for x in sorted(cat, key=lambda x: x.index) if x.media_id not in gone]
    if srcs == order(d) and all(x.kind == "image" or abs(x.used - x.length) <= 50 for x in cat if x.media_id in srcs):
        return Outcome(tool, note=say("clips_order_same", c.lang, reel=reel_text(d, infos, c.lang)))
    return listed(set_reel(tool, c, d, infos, srcs, "clips_only", frozenset(srcs),
                              names=names_of([infos[s] for s in srcs], c.lang)))


def _b_except_only(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return listed(_only(group(m, "x"), c, d))


def _b_all(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if re.match(r"^(?:其他|其余|别的|剩下)", c.t):
        return None  # "除了城市，其他都用上": the first half names what is left out
    cat, infos = clips_of(c, d)
    if len(cat) < 1:
        return None
    tool = "use_all_clips"
    srcs = [x.media_id for x in sorted(cat, key=lambda x: x.index)]
    whole = frozenset(srcs)
    if order(d) == srcs and all(x.kind == "image" or abs(x.used - x.length) <= 50 for x in cat):
        return Outcome(tool, note=say("clips_all_same", c.lang, count=len(cat)))
    return set_reel(tool, c, d, infos, srcs, "clips_all", whole, count=len(cat))


def _only(phrase: str, c: Clause, d: Draft) -> Outcome | None:
    cat, infos = clips_of(c, d)
    if len(cat) < 2 and not re.search(r"\.\w{3,4}\b", phrase):
        return None  # one clip: "just the clip" is about its sound or length, for other rules
    tool = "select_clips"
    refused, picked = pick_clips(phrase, cat, tool, c.lang)
    if not picked:
        return refused
    reel = order(d)
    # the reel's order for clips on it, upload order for the ones coming back
    srcs = [s for s in reel if s in {x.media_id for x in picked}] + [x.media_id for x in picked if x.media_id not in reel]
    if srcs == reel:
        return Outcome(tool, note=say("clips_only_same", c.lang, names=names_of(picked, c.lang)))
    return set_reel(tool, c, d, infos, srcs, "clips_only", names=names_of(picked, c.lang))


def _b_only(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return listed(_only(group(m, "x", "y"), c, d))


def _b_bare(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """The whole message is a reference after "just"/"only", which the politeness filter took off."""
    if not re.match(BARE_ONLY, c.raw.lower()):
        return None
    return listed(_only(c.t, c, d))


def _drop(phrase: str, c: Clause, d: Draft) -> Outcome | None:
    cat, infos = clips_of(c, d)
    if re.match(r"^(?:删|去|剪|动|改|移|拿|把|将)", phrase):
        return None  # "不要删海滩": a negated removal; "不要把海滩静音": a verb follows, not a removal
    if re.fullmatch(r"(?:all|every|both|all of)?\s*(?:the |my |of the |of my )?(?:\d+ )?(?:clips|videos|clip|shots|of them|everything)|"
                    r"(?:全部|所有|全部的|所有的)(?:素材|片段|视频)?", phrase.strip()) and len(order(d)) > 1 and \
            re.search(r"\b(?:all|every|both|everything)\b|全部|所有", phrase):
        return Outcome("drop_clips", note=say("clips_no_picture", c.lang))
    tool = "drop_clips"
    refused, picked = pick_clips(phrase, cat, tool, c.lang)
    if not picked:
        return refused
    reel = order(d)
    off = [x for x in picked if x.media_id not in reel]
    if off and len(off) == len(picked):
        return Outcome(tool, note=say("clips_not_on_reel", c.lang, name=names_of(off, c.lang), reel=reel_text(d, infos, c.lang),
                                      stem=off[0].stem))
    gone = {x.media_id for x in picked}
    srcs = [s for s in reel if s not in gone]
    return set_reel(tool, c, d, infos, srcs, "clips_dropped", names=names_of([x for x in picked if x not in off], c.lang))


def _b_drop(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return listed(_drop(group(m, "x", "y", "z"), c, d))


def _b_back(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if re.match(BARE_ONLY, c.raw.lower()) and c.t.startswith("use "):
        return listed(_only(group(m, "x", "y"), c, d))  # "just use drone.mp4" (the politeness filter took "just")
    return listed(_back(group(m, "x", "y"), c, d))


def _back(phrase: str, c: Clause, d: Draft) -> Outcome | None:
    cat, infos = clips_of(c, d)
    if len(cat) < 2:
        return None
    tool = "add_clips"
    refused, picked = pick_clips(phrase, cat, tool, c.lang)
    if not picked:
        return refused
    reel = order(d)
    new = [x for x in picked if x.media_id not in reel]
    if not new:
        if c.t.startswith("use ") and len(picked) < len(reel):
            return _only(phrase, c, d)  # "use the first and the last clip": those, not the others
        first = picked[0]
        return Outcome(tool, note=say("clips_already", c.lang, names=names_of(picked, c.lang), reel=reel_text(d, infos, c.lang),
                                      name=first.stem))
    # each one comes back where it was uploaded: before the first clip on the reel uploaded after it
    srcs = list(reel)
    for x in sorted(new, key=lambda x: x.index):
        at = next((i for i, s in enumerate(srcs) if infos[s].index > x.index), len(srcs))
        srcs.insert(at, x.media_id)
    return set_reel(tool, c, d, infos, srcs, "clips_back", names=names_of(new, c.lang))


def _reorder(c: Clause, d: Draft, infos: dict[str, ClipInfo], srcs: list[str]) -> Outcome:
    tool = "order_clips"
    if srcs == order(d):
        return Outcome(tool, note=say("clips_order_same", c.lang, reel=reel_text(d, infos, c.lang)))
    return set_reel(tool, c, d, infos, srcs, "clips_order")


def _one_on_reel(phrase: str, c: Clause, d: Draft) -> tuple[Outcome | None, ClipInfo | None]:
    """The single clip on the reel a phrase names, or the refusal to say, or (None, None): not a clip."""
    cat, infos = clips_of(c, d)
    ref = resolve(phrase, cat)
    if ref is None:
        return None, None
    tool = "order_clips"
    if len(order(d)) < 2:
        return Outcome(tool, note=say("clips_one", c.lang)), None
    if ref.problem or len(ref.clips) != 1:
        return Outcome(tool, note=refusal(ref if ref.problem else Ref(ref.phrase, ref.clips, "ambiguous"), cat, c.lang)), None
    if ref.clip.media_id not in order(d):
        return Outcome(tool, note=say("clips_not_on_reel", c.lang, name=ref.clip.name, reel=reel_text(d, infos, c.lang),
                                      stem=ref.clip.stem)), None
    return None, ref.clip


def _move_to(c: Clause, d: Draft, phrase: str, index: int | None) -> Outcome | None:
    """Move one clip to a position (0-based; None: the end)."""
    refusal, clip = _one_on_reel(phrase, c, d)
    if clip is None:
        return refusal
    _, infos = clips_of(c, d)
    srcs = [s for s in order(d) if s != clip.media_id]
    at = len(srcs) if index is None else min(max(index, 0), len(srcs))
    srcs.insert(at, clip.media_id)
    return _reorder(c, d, infos, srcs)


_NTH_INDEX = {"second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4}


def _b_move(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    phrase = group(m, "x", "y")
    if group(m, "first"):
        index: int | None = 0
    elif group(m, "last"):
        index = None
    elif group(m, "pn"):
        index = int(group(m, "pn")) - 1
    elif group(m, "nth") == "middle":
        index = (len(order(d)) - 1) // 2
    else:
        index = _NTH_INDEX[group(m, "nth")]
    return _move_to(c, d, phrase, index)


def _b_move_named(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """ "beach first", "the silent one should go last": the subject must be nothing but a clip."""
    if not only_names(group(m, "y"), catalogue(d, c.sources)):
        return None
    return _b_move(m, c, d)


def _b_open(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _move_to(c, d, m.group("x"), 0)


def _b_close(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _move_to(c, d, m.group("x"), None)


def _b_move_zh(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if group(m, "x"):
        where = group(m, "where")
        if n := re.match(r"第(\d+)", where):
            return _move_to(c, d, group(m, "x"), int(n.group(1)) - 1)
        return _move_to(c, d, group(m, "x"), 0 if re.match(r"最前|开头|最开始|前面", where) else None)
    if group(m, "y"):
        return _move_to(c, d, group(m, "y"), int(group(m, "n")) - 1)
    if group(m, "o", "f"):
        return _move_to(c, d, group(m, "o", "f"), 0)
    return _move_to(c, d, group(m, "c", "l"), None)


def _b_relative(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    cat = catalogue(d, c.sources)
    if not (only_names(group(m, "x"), cat) and only_names(group(m, "y"), cat)):
        return None  # "fade out after the second clip": about something else
    refusal, clip = _one_on_reel(m.group("x"), c, d)
    if clip is None:
        return refusal
    refusal, other = _one_on_reel(m.group("y"), c, d)
    if other is None:
        return refusal
    if other == clip:
        return None
    _, infos = clips_of(c, d)
    srcs = [s for s in order(d) if s != clip.media_id]
    at = srcs.index(other.media_id)
    after = m.group("rel") in ("after", "behind", "following", "后面", "后边", "之后", "后头", "后")
    srcs.insert(at + 1 if after else at, clip.media_id)
    return _reorder(c, d, infos, srcs)


def _b_between(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    cat = catalogue(d, c.sources)
    if not all(only_names(group(m, g), cat) for g in ("x", "y", "z")):
        return None
    refusal, clip = _one_on_reel(group(m, "x"), c, d)
    if clip is None:
        return refusal
    refusal, left = _one_on_reel(group(m, "y"), c, d)
    if left is None:
        return refusal
    refusal, right = _one_on_reel(group(m, "z"), c, d)
    if right is None:
        return refusal
    if len({clip.media_id, left.media_id, right.media_id}) < 3:
        return None
    _, infos = clips_of(c, d)
    srcs = [s for s in order(d) if s != clip.media_id]
    i, j = srcs.index(left.media_id), srcs.index(right.media_id)
    if abs(i - j) != 1:
        return Outcome("order_clips", note=say("clips_not_next", c.lang, a=left.name, b=right.name, reel=reel_text(d, infos, c.lang)))
    srcs.insert(max(i, j), clip.media_id)
    return _reorder(c, d, infos, srcs)


def _b_order(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """ "order: drone, beach, city": the named clips in that order, first; the rest after, as they were."""
    cat, infos = clips_of(c, d)
    phrase = group(m, "x")
    if not only_names(phrase, cat):
        return None
    refused, picked = pick_clips(phrase, cat, "order_clips", c.lang)
    if not picked:
        return refused
    named = [x.media_id for x in picked]
    reel = order(d)
    off = [x for x in picked if x.media_id not in reel]
    if off:
        return Outcome("order_clips", note=say("clips_not_on_reel", c.lang, name=off[0].name, reel=reel_text(d, infos, c.lang),
                                               stem=off[0].stem))
    return listed(_reorder(c, d, infos, named + [s for s in reel if s not in named]))


def _b_swap_pair(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    _, infos = clips_of(c, d)
    srcs = order(d)
    if len(srcs) < 2:
        return Outcome("order_clips", note=say("clips_one", c.lang))
    if group(m, "both") and len(srcs) != 2:
        return None  # "swap them" with three clips: which two is not said
    which = group(m, "which", "zw", "w2")
    i = 0 if which in ("first", "前", "") else len(srcs) - 2
    srcs[i], srcs[i + 1] = srcs[i + 1], srcs[i]
    return _reorder(c, d, infos, srcs)


def _b_swap(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    a, b = group(m, "a", "c"), group(m, "b", "d")
    if re.fullmatch(r"\d{1,2}", b.strip()) and re.search(r"\d$", a):
        b = f"clip {b.strip()}"  # "swap clips 1 and 2"
    if not a or not b:
        return None
    refusal, one = _one_on_reel(a, c, d)
    if one is None:
        return refusal
    refusal, two = _one_on_reel(b, c, d)
    if two is None:
        return refusal
    _, infos = clips_of(c, d)
    srcs = order(d)
    i, j = srcs.index(one.media_id), srcs.index(two.media_id)
    if i == j:
        return None
    srcs[i], srcs[j] = srcs[j], srcs[i]
    return _reorder(c, d, infos, srcs)


def _b_reverse(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    _, infos = clips_of(c, d)
    srcs = order(d)
    if len(srcs) < 2:
        return Outcome("order_clips", note=say("clips_one", c.lang))
    return _reorder(c, d, infos, srcs[::-1])


# A clip named by its shape in a clause nothing above understood ("yeet the vertical clip lol"): said
# back, never left to the shape rules, which would read "vertical" as the output's shape.
SHAPED_CLIP = (r"\b(?:the|that|this|my)\s+(?:vertical|verticle|portrait|landscape|horizontal|square|tall|wide)\s+"
               r"(?:clip|one|video|shot|footage|vid)s?\b|(?:竖屏|横屏|竖|横)(?:的)?(?:那个|那段|这个|这段|片段|视频)")


def _b_shaped_clip(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if len(catalogue(d, c.sources)) < 2 or c.asked or re.search(r"^(?:which|what|is|are|does|do|how|where)\b|吗|哪|什么", c.t):
        return None  # a question about it is answered by the question rules
    return Outcome("clips", unmatched=True)


RULES = (
    rule("list_clips", rf"{LIST_EN}|{LIST_ZH}", _b_list),
    rule("clip_info", rf"{INFO_EN}|{INFO_ZH}", _b_info, ("clip",)),
    *crossfades.RULES,
    *stills.RULES,
    rule("reverse_clips", REVERSE, _b_reverse),
    rule("swap_pair", rf"{SWAP_PAIR_EN}|{SWAP_PAIR_ZH}", _b_swap_pair, ("which",)),
    rule("swap_clips", SWAP_EN, _b_swap, ("clip", "clip")),
    rule("swap_clips_zh", SWAP_ZH, _b_swap, ("clip", "clip")),
    rule("all_except", rf"{EXCEPT_EN}|{EXCEPT_ZH}", _b_except, ("clips",)),
    rule("all_except_only", rf"{EXCEPT_ONLY_EN}", _b_except_only, ("clips",)),
    rule("all_except_only_zh", rf"{EXCEPT_ONLY_ZH}", _b_except_only, ("clips",)),
    rule("use_all_clips", rf"{ALL_EN}|{ALL_ZH}", _b_all),
    rule("only_clips", ONLY_EN, _b_only, ("clips",)),
    rule("only_clips_zh", ONLY_ZH, _b_only, ("clips",)),
    rule("drop_clips", DROP_EN, _b_drop, ("clips",)),
    rule("drop_clips_zh", DROP_ZH, _b_drop, ("clips",)),
    rule("move_clip", MOVE_EN, _b_move, ("clip", "position")),
    rule("clip_goes", MOVE_EN2, _b_move_named, ("clip", "position")),
    rule("open_with", OPEN_EN, _b_open, ("clip",)),
    rule("close_with", CLOSE_EN, _b_close, ("clip",)),
    rule("move_clip_zh", MOVE_ZH, _b_move_zh, ("clip", "position")),
    rule("clip_between", BETWEEN_EN, _b_between, ("clip", "clip", "clip")),
    rule("clip_between_zh", BETWEEN_ZH, _b_between, ("clip", "clip", "clip")),
    rule("order_clips", ORDER_EN, _b_order, ("clips",)),
    rule("order_clips_zh", ORDER_ZH, _b_order, ("clips",)),
    rule("clip_before_after", RELATIVE_EN, _b_relative, ("clip", "clip")),
    rule("clip_before_after_zh", RELATIVE_ZH, _b_relative, ("clip", "clip")),
    rule("clips_back", BACK_EN, _b_back, ("clips",)),
    rule("clips_back_zh", BACK_ZH, _b_back, ("clips",)),
    rule("only_bare", r".", _b_bare, ("clips",)),
    rule("shaped_clip", SHAPED_CLIP, _b_shaped_clip),
)
RULES_EARLY = crossfades.RULES_EARLY
# Rules that read a negation themselves: "no transitions", "don't use the vertical one", 不要竖屏的那个.
READS_NEGATION = {"crossfade", "photo_zoom", "drop_clips", "drop_clips_zh"}
