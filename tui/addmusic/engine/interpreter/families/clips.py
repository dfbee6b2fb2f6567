"""Several clips: list them, choose which are in the reel, order them, crossfade between them, and
how long a photo shows (with an optional slow zoom).

A clip is named by position, name or a property (clipref). A reference that names no clip, or
more than one where one is meant, is said back with the clips' names and nothing changes: a reel
edit is never guessed. Every edit keeps music and titles in step with the new length (reelops).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from addmusic.protocol.draft import Draft, format_seconds

from ..clipref import ClipInfo, Ref, catalogue, on_reel, only_names, resolve, split_list
from ..core import Clause, Edit, Outcome, rule
from ..draftops import video_segments
from ..reelops import XF_MAX, XF_MIN, arrange, order, set_crossfade, set_still
from ..reelops import Outcome as ReelOutcome
from ..replies import say
from ..vocab import NUM

# --- word tables (regex fragments) ---------------------------------------------------------------
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

PHOTO_MIN, PHOTO_MAX = 500, 60000  # ms a photo may show
ZOOM_WORDS = (r"\bzoom\w*|\bken ?burns\b|\bpush[- ]?in\b|\bpan and zoom\b|\banimat\w*|推拉|动起来|动态效果|"
              r"(?<!放大)(?:缓慢|慢慢|缓缓|轻微|慢|轻轻)?(?:地)?(?:放大|推进|推镜头?|推近|缩放|拉近)(?!填充|铺满|画面填)")
ZOOM_OFF = r"\b(?:no|without|remove|stop|turn off|lose|drop|kill|disable|get rid of|don'?t|do not)\b|不要|别|去掉|取消|关掉|不用"
ZOOM_NEEDS = r"\b(?:slow\w*|gentle|subtle|ken ?burns|push[- ]?in|photos?|pictures?|pics?|images?|stills?)\b|缓慢|慢慢|缓缓|轻微|照片|图片|相片|推镜|推近|推进|推拉"

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
STILL_MORE = (r"^(?:make|keep|show|hold|leave|have)\s+(?P<x>.+?)\s+(?:on\s+(?:screen\s+)?|up\s+)?(?:a (?:bit|little|tad) |much |a lot )?(?P<dir>longer|shorter)(?:\s+on screen)?$|"
              r"^(?P<y>.+?)\s+(?:should (?:be|stay|last)|needs to (?:be|stay)|is too)\s+(?P<dir2>longer|shorter|short|long)$|"
              r"^(?:把|让)?(?P<z>照片|图片|相片|那张图|图)(?:的)?(?:停留|显示|展示|放)?(?:的)?(?:时间|时长)?(?:(?:再)?(?:放|停)?(?:久|长)(?:一点|点|些)?|太短了?)$|"
              r"^(?:把|让)?(?P<w>照片|图片|相片|那张图|图)(?:的)?(?:停留|显示|放)?(?:的)?(?:时间|时长)?(?:(?:再)?(?:放|停)?短(?:一点|点|些)?|太长了?)$")
STILL_TIMES = (r"^(?:make\s+)?(?P<x>.+?)\s+(?:(?P<two>twice|double|2x) as long|(?P<half>half) as long|(?:last\s+)?(?P<dbl>double|twice)(?: (?:the|its) (?:length|time|duration))?)$|"
               r"^(?:double|halve)\s+(?P<y>.+?)(?:'s)?\s*(?:length|time|duration)?$|"
               rf"^(?:make\s+|show\s+|keep\s+)?(?P<z>.+?)\s+(?P<by>{NUM})s\s+(?P<dir>longer|shorter)$")
STILL_STEP = 2000  # "longer" adds 2 s to a photo; "shorter" takes 1 s off (never under 1 s)


SWAP_PAIR_EN = (r"^(?:swap|switch|flip|exchange|trade|interchange|reverse)\s+(?:the\s+)?(?:order\s+of\s+(?:the\s+)?)?(?:(?P<which>first|last|final)\s+(?:2|two)|"
                r"(?P<both>them|the 2|both|these 2|those 2|the clips|the 2 clips|both clips|the other 2|the remaining 2|the 2 left|the last 2 left))(?:\s+(?:clips|videos|shots|ones))?(?:\s+(?:around|round|over))?$")
SWAP_EN = r"^(?:swap|switch|flip|exchange|trade|interchange)\s+(?:the\s+)?(?:order\s+of\s+|places\s+of\s+|positions\s+of\s+)?(?P<a>.+?)\s+(?:and|with|&|for)\s+(?P<b>.+?)(?:\s+around|\s+round|\s+places|\s+positions)?$"
SWAP_PAIR_ZH = r"(?:交换|调换|互换|对调|换)(?:一下)?(?P<zw>前|后|最后)2个(?:片段|视频|素材)?|(?P<w2>前|后|最后)2个(?:片段|视频|素材)?(?:的)?(?:顺序)?(?:交换|调换|互换|对调|换|反过来)"
SWAP_ZH = r"^(?:交换|调换|互换|对调)(?:一下)?(?P<a>.+?)(?:和|跟|与|、)(?P<b>.+?)(?:的)?(?:位置|顺序)?$|^(?:把)?(?P<c>.+?)(?:和|跟|与)(?P<d>.+?)(?:的)?(?:位置|顺序)?(?:交换|换|调换|互换|对调|换个位置|换位置|调个顺序|掉换|调过来)(?:位置|顺序|一下)?$"
REVERSE = (r"^(?:revers(?:e|ed)?|flip|invert)\s+(?:the\s+)?(?:clip\s+)?(?:order|sequence|clips|reel)\b|\b(?:in\s+)?revers(?:e|ed)\s+order\b|"
           r"\bbackwards?\s+order\b|\border\s+(?:backwards|reversed|flipped)\b|^(?:play|put)\s+(?:the\s+)?clips\s+(?:in\s+)?(?:reverse|backwards)|"
           r"倒序|逆序|顺序(?:反过来|倒过来|颠倒|反转|倒一下|调转)|(?:颠倒|反转|倒转)(?:一下)?(?:片段|素材|视频)?(?:的)?顺序|反过来排|倒过来排|倒着排")

STILL_LEN_EN = (rf"^(?:show|hold|keep|display|make|set|leave|have|put|give|stay on|linger on)\s+(?P<x>.+?)\s+(?:on screen\s+|up\s+|on\s+|there\s+)?"
                rf"(?:for\s+|to\s+|at\s+)?(?:about\s+|like\s+|around\s+)?(?P<n>{NUM})s(?:\s+(?:long|each|on screen|instead))?$|"
                rf"^(?P<y>.+?)\s+(?:(?:for|should be|should last|should stay|lasts?|to|on screen for|stays?(?: on screen)?(?: for)?|shows? for|"
                rf"(?:duration|length|time)(?: to| of| is|:)?)\s+)?(?P<m>{NUM})s(?:\s+long)?$|"
                rf"^(?P<k>{NUM})s\s+(?:on|for)\s+(?P<z>.+)$")
STILL_LEN_ZH = rf"^(?:把|将|让)?(?P<x>.+?)(?:的)?(?:时长|时间|长度)?(?:停留|停|放|显示|展示|持续|保持|改成|改为|设为|设成|变成|定格)?(?:为|成|到)?(?P<n>{NUM})s\s*(?:钟)?(?:就行|就好|就可以|吧|左右)?$"


def _g(m: re.Match[str], *names: str) -> str:
    """The first of these named groups that matched (patterns with alternatives name them apart)."""
    groups = m.groupdict()
    return next((groups[n] for n in names if groups.get(n)), "")


def _ctx(c: Clause, d: Draft) -> tuple[list[ClipInfo], dict[str, ClipInfo]]:
    cat = catalogue(d, c.sources)
    return cat, {info.media_id: info for info in cat}


def _secs(ms: int) -> str:
    return format_seconds(ms)


def _items(cat: list[ClipInfo], lang: str) -> str:
    """The listing: numbered, with length, size, shape and sound."""
    zh = lang == "zh"
    out = []
    for i, info in enumerate(cat, 1):
        shape = {"vertical": ("vertical", "竖屏"), "landscape": ("landscape", "横屏"), "square": ("square", "方形")}.get(info.shape)
        size = f"{info.width}x{info.height}" + (f" {shape[zh]}" if shape and not zh else shape[1] if shape else "") if info.width else ""
        if info.kind == "image":
            facts = [("照片" if zh else "photo"), size, (f"停留{_secs(info.length)}秒" if zh else f"shows {_secs(info.length)} s")]
        else:
            length = f"{_secs(info.length)}秒" if zh else f"{_secs(info.length)} s"
            if info.on_reel and abs(info.used - info.length) > 50:
                length += f"（用了{_secs(info.used)}秒）" if zh else f" ({_secs(info.used)} s used)"
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
    cat, _ = _ctx(c, d)
    ref = resolve(_g(m, "x", "y", "z", "w", "v", "zx"), cat)
    if ref is None or not ref.clips:
        return None
    items = [(i, x) for i, x in enumerate(cat, 1) if x in ref.clips]
    lines = _items([x for _, x in items], c.lang).split("；" if c.lang == "zh" else "; ")
    sep = "；" if c.lang == "zh" else "; "
    return sep.join(re.sub(r"^\d+\.", f"{i}.", line) for (i, _), line in zip(items, lines, strict=True))


def _b_info(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    text = describe_named(c, d)
    return Outcome("list_clips", note=text + ("。" if c.lang == "zh" else ".")) if text else None


def listing(c: Clause, d: Draft) -> str:
    """What "what clips do I have" answers: every picture upload, numbered as references count."""
    cat, _ = _ctx(c, d)
    if not cat:
        return say("clips_none", c.lang)
    return say("clips_list", c.lang, items=_items(cat, c.lang), length=_secs(d.end))


def _names(clips: list[ClipInfo], lang: str) -> str:
    names = [x.name for x in clips]
    if lang == "zh":
        return "、".join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _reel(d: Draft, infos: dict[str, ClipInfo], lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(infos[src].name if src in infos else src for src in order(d))


def _refusal(ref: Ref, cat: list[ClipInfo], lang: str) -> str:
    if ref.problem == "ambiguous":
        names = "、".join(x.name for x in ref.clips) if lang == "zh" else " or ".join(x.name for x in ref.clips)
        return say("clips_ambiguous", lang, phrase=ref.phrase, names=names)
    if ref.problem == "range":
        return say("clips_range", lang, count=len(cat), items=_items(cat, lang))
    return say("clips_unknown", lang, phrase=ref.phrase, items=_items(cat, lang))


def _refs(phrase: str, cat: list[ClipInfo], *, reel_only: bool = False, many: bool = True) -> list[Ref] | None:
    """The references of a phrase (a list when `many`); None when any part is not about a clip."""
    parts = split_list(phrase) if many else [phrase]
    refs = []
    for part in parts:
        ref = resolve(part, cat, reel_only=reel_only)
        if ref is None:
            return None
        refs.append(ref)
    return refs


def _bad(refs: list[Ref]) -> Ref | None:
    return next((r for r in refs if r.problem), None)


def _picked(refs: list[Ref]) -> list[ClipInfo]:
    out: list[ClipInfo] = []
    for r in refs:
        out += [x for x in r.clips if x not in out]
    return out


def _edit(tool: str, args: dict[str, object], run: Callable[[Draft], ReelOutcome], reply: str) -> Edit:
    return Edit(tool, args, lambda draft: run(draft).draft, reply)


def _tail(res: ReelOutcome, lang: str) -> str:
    """What else the edit did: the music's new end, titles gone, the output size kept."""
    notes = []
    if res.music_end is not None:
        notes.append(say("music_follows", lang, end=_secs(res.music_end)))
    for text in res.titles_removed:
        notes.append(say("title_past_end", lang, text=text))
    if res.canvas_follows:
        w, h = res.canvas_follows
        notes.append(say("canvas_follows", lang, width=w, height=h,
                         shape=("竖屏" if h > w else "横屏" if w > h else "方形") if lang == "zh" else
                         ("vertical" if h > w else "landscape" if w > h else "square")))
    return "".join(notes)


def only_clips_named(c: Clause, d: Draft, *, in_list: bool = False) -> bool:
    """The clause does nothing but name clips ("drone", "the vertical one", 城市那个); `in_list`:
    it follows a list of clips, where a bare number is one more ("clips 1 and 3")."""
    if in_list and re.fullmatch(r"\d{1,2}", c.t.strip()):  # "clips 1 and 3", "swap clips 1 and 2"
        return True
    return only_names(c.t, catalogue(d, c.sources))


def _listed(out: Outcome | None) -> Outcome | None:
    """An outcome a following clause may add clips to."""
    if out is not None:
        out.takes_list = True
    return out


def _reel_edit(tool: str, c: Clause, d: Draft, infos: dict[str, ClipInfo], srcs: list[str], key: str,
               whole: frozenset[str] = frozenset(), **values: object) -> Outcome:
    """Set the reel to `srcs`: the edit, its reply, or a refusal when no picture would be left."""
    if not srcs:
        return Outcome(tool, note=say("clips_no_picture", c.lang))

    def run(draft: Draft) -> ReelOutcome:
        return arrange(draft, [s for s in srcs if s in infos], infos, whole=whole)

    res = run(d)
    reply = say(key, c.lang, reel=_reel(res.draft, infos, c.lang), length=_secs(res.draft.end), **values) + _tail(res, c.lang)
    return Outcome(tool, _edit(tool, {"clips": [infos[s].name for s in srcs]}, run, reply))


# --- listing ---------------------------------------------------------------------------------------

def _b_list(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if not [s for s in c.sources if s.get("kind") in ("video", "image")]:
        return None
    return Outcome("list_clips", note=listing(c, d))


# --- choosing clips ---------------------------------------------------------------------------------

def _b_except(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """ "all clips except city": every upload at full length, in upload order, but those named."""
    cat, infos = _ctx(c, d)
    refs = _refs(_g(m, "x", "zx"), cat)
    if not refs:
        return None
    tool = "select_clips"
    if bad := _bad(refs):
        return Outcome(tool, note=_refusal(bad, cat, c.lang))
    gone = {x.media_id for x in _picked(refs)}
    srcs = [x.media_id for x in sorted(cat, key=lambda x: x.index) if x.media_id not in gone]
    if srcs == order(d) and all(x.kind == "image" or abs(x.used - x.length) <= 50 for x in cat if x.media_id in srcs):
        return Outcome(tool, note=say("clips_order_same", c.lang, reel=_reel(d, infos, c.lang)))
    return _listed(_reel_edit(tool, c, d, infos, srcs, "clips_only", frozenset(srcs),
                              names=_names([infos[s] for s in srcs], c.lang)))


def _b_except_only(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _listed(_only(_g(m, "x"), c, d))


def _b_all(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if re.match(r"^(?:其他|其余|别的|剩下)", c.t):
        return None  # "除了城市，其他都用上": the first half names what is left out
    cat, infos = _ctx(c, d)
    if len(cat) < 1:
        return None
    tool = "use_all_clips"
    srcs = [x.media_id for x in sorted(cat, key=lambda x: x.index)]
    whole = frozenset(srcs)
    if order(d) == srcs and all(x.kind == "image" or abs(x.used - x.length) <= 50 for x in cat):
        return Outcome(tool, note=say("clips_all_same", c.lang, count=len(cat)))
    return _reel_edit(tool, c, d, infos, srcs, "clips_all", whole, count=len(cat))


def _only(phrase: str, c: Clause, d: Draft) -> Outcome | None:
    cat, infos = _ctx(c, d)
    if len(cat) < 2 and not re.search(r"\.\w{3,4}\b", phrase):
        return None  # one clip: "just the clip" is about its sound or length, for other rules
    refs = _refs(phrase, cat)
    if not refs:
        return None
    tool = "select_clips"
    if bad := _bad(refs):
        return Outcome(tool, note=_refusal(bad, cat, c.lang))
    picked = _picked(refs)
    reel = order(d)
    # the reel's order for clips on it, upload order for the ones coming back
    srcs = [s for s in reel if s in {x.media_id for x in picked}] + [x.media_id for x in picked if x.media_id not in reel]
    if srcs == reel:
        return Outcome(tool, note=say("clips_only_same", c.lang, names=_names(picked, c.lang)))
    return _reel_edit(tool, c, d, infos, srcs, "clips_only", names=_names(picked, c.lang))


def _b_only(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _listed(_only(_g(m, "x", "y"), c, d))


def _b_bare(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """The whole message is a reference after "just"/"only", which the politeness filter took off."""
    if not re.match(BARE_ONLY, c.raw.lower()):
        return None
    return _listed(_only(c.t, c, d))


def _drop(phrase: str, c: Clause, d: Draft) -> Outcome | None:
    cat, infos = _ctx(c, d)
    if re.match(r"^(?:删|去|剪|动|改|移|拿)", phrase):
        return None  # "不要删海滩": a negated removal
    if re.fullmatch(r"(?:all|every|both|all of)?\s*(?:the |my |of the |of my )?(?:\d+ )?(?:clips|videos|clip|shots|of them|everything)|"
                    r"(?:全部|所有|全部的|所有的)(?:素材|片段|视频)?", phrase.strip()) and len(order(d)) > 1 and \
            re.search(r"\b(?:all|every|both|everything)\b|全部|所有", phrase):
        return Outcome("drop_clips", note=say("clips_no_picture", c.lang))
    refs = _refs(phrase, cat)
    if not refs:
        return None
    tool = "drop_clips"
    if bad := _bad(refs):
        return Outcome(tool, note=_refusal(bad, cat, c.lang))
    picked = _picked(refs)
    reel = order(d)
    off = [x for x in picked if x.media_id not in reel]
    if off and len(off) == len(picked):
        return Outcome(tool, note=say("clips_not_on_reel", c.lang, name=_names(off, c.lang), reel=_reel(d, infos, c.lang),
                                      stem=off[0].stem))
    gone = {x.media_id for x in picked}
    srcs = [s for s in reel if s not in gone]
    return _reel_edit(tool, c, d, infos, srcs, "clips_dropped", names=_names([x for x in picked if x not in off], c.lang))


def _b_drop(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _listed(_drop(_g(m, "x", "y", "z"), c, d))


def _b_back(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if re.match(BARE_ONLY, c.raw.lower()) and c.t.startswith("use "):
        return _listed(_only(_g(m, "x", "y"), c, d))  # "just use drone.mp4" (the politeness filter took "just")
    return _listed(_back(_g(m, "x", "y"), c, d))


def _back(phrase: str, c: Clause, d: Draft) -> Outcome | None:
    cat, infos = _ctx(c, d)
    if len(cat) < 2:
        return None
    refs = _refs(phrase, cat)
    if not refs:
        return None
    tool = "add_clips"
    if bad := _bad(refs):
        return Outcome(tool, note=_refusal(bad, cat, c.lang))
    picked = _picked(refs)
    reel = order(d)
    new = [x for x in picked if x.media_id not in reel]
    if not new:
        if c.t.startswith("use ") and len(picked) < len(reel):
            return _only(phrase, c, d)  # "use the first and the last clip": those, not the others
        first = picked[0]
        return Outcome(tool, note=say("clips_already", c.lang, names=_names(picked, c.lang), reel=_reel(d, infos, c.lang),
                                      name=first.stem))
    # each one comes back where it was uploaded: before the first clip on the reel uploaded after it
    srcs = list(reel)
    for x in sorted(new, key=lambda x: x.index):
        at = next((i for i, s in enumerate(srcs) if infos[s].index > x.index), len(srcs))
        srcs.insert(at, x.media_id)
    return _reel_edit(tool, c, d, infos, srcs, "clips_back", names=_names(new, c.lang))


# --- order ------------------------------------------------------------------------------------------

def _reorder(c: Clause, d: Draft, infos: dict[str, ClipInfo], srcs: list[str]) -> Outcome:
    tool = "order_clips"
    if srcs == order(d):
        return Outcome(tool, note=say("clips_order_same", c.lang, reel=_reel(d, infos, c.lang)))
    return _reel_edit(tool, c, d, infos, srcs, "clips_order")


def _one_on_reel(phrase: str, c: Clause, d: Draft) -> tuple[Outcome | None, ClipInfo | None]:
    """The single clip on the reel a phrase names, or the refusal to say, or (None, None): not a clip."""
    cat, infos = _ctx(c, d)
    ref = resolve(phrase, cat)
    if ref is None:
        return None, None
    tool = "order_clips"
    if len(order(d)) < 2:
        return Outcome(tool, note=say("clips_one", c.lang)), None
    if ref.problem or len(ref.clips) != 1:
        return Outcome(tool, note=_refusal(ref if ref.problem else Ref(ref.phrase, ref.clips, "ambiguous"), cat, c.lang)), None
    if ref.clip.media_id not in order(d):
        return Outcome(tool, note=say("clips_not_on_reel", c.lang, name=ref.clip.name, reel=_reel(d, infos, c.lang),
                                      stem=ref.clip.stem)), None
    return None, ref.clip


def _move_to(c: Clause, d: Draft, phrase: str, index: int | None) -> Outcome | None:
    """Move one clip to a position (0-based; None: the end)."""
    refusal, clip = _one_on_reel(phrase, c, d)
    if clip is None:
        return refusal
    _, infos = _ctx(c, d)
    srcs = [s for s in order(d) if s != clip.media_id]
    at = len(srcs) if index is None else min(max(index, 0), len(srcs))
    srcs.insert(at, clip.media_id)
    return _reorder(c, d, infos, srcs)


_NTH_INDEX = {"second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4}


def _b_move(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    phrase = _g(m, "x", "y")
    if _g(m, "first"):
        index: int | None = 0
    elif _g(m, "last"):
        index = None
    elif _g(m, "pn"):
        index = int(_g(m, "pn")) - 1
    elif _g(m, "nth") == "middle":
        index = (len(order(d)) - 1) // 2
    else:
        index = _NTH_INDEX[_g(m, "nth")]
    return _move_to(c, d, phrase, index)


def _b_move_named(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """ "beach first", "the silent one should go last": the subject must be nothing but a clip."""
    if not only_names(_g(m, "y"), catalogue(d, c.sources)):
        return None
    return _b_move(m, c, d)


def _b_open(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _move_to(c, d, m.group("x"), 0)


def _b_close(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _move_to(c, d, m.group("x"), None)


def _b_move_zh(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    if _g(m, "x"):
        where = _g(m, "where")
        if n := re.match(r"第(\d+)", where):
            return _move_to(c, d, _g(m, "x"), int(n.group(1)) - 1)
        return _move_to(c, d, _g(m, "x"), 0 if re.match(r"最前|开头|最开始|前面", where) else None)
    if _g(m, "y"):
        return _move_to(c, d, _g(m, "y"), int(_g(m, "n")) - 1)
    if _g(m, "o", "f"):
        return _move_to(c, d, _g(m, "o", "f"), 0)
    return _move_to(c, d, _g(m, "c", "l"), None)


def _b_relative(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    cat = catalogue(d, c.sources)
    if not (only_names(_g(m, "x"), cat) and only_names(_g(m, "y"), cat)):
        return None  # "fade out after the second clip": about something else
    refusal, clip = _one_on_reel(m.group("x"), c, d)
    if clip is None:
        return refusal
    refusal, other = _one_on_reel(m.group("y"), c, d)
    if other is None:
        return refusal
    if other == clip:
        return None
    _, infos = _ctx(c, d)
    srcs = [s for s in order(d) if s != clip.media_id]
    at = srcs.index(other.media_id)
    after = m.group("rel") in ("after", "behind", "following", "后面", "后边", "之后", "后头", "后")
    srcs.insert(at + 1 if after else at, clip.media_id)
    return _reorder(c, d, infos, srcs)


def _b_between(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    cat = catalogue(d, c.sources)
    if not all(only_names(_g(m, g), cat) for g in ("x", "y", "z")):
        return None
    refusal, clip = _one_on_reel(_g(m, "x"), c, d)
    if clip is None:
        return refusal
    refusal, left = _one_on_reel(_g(m, "y"), c, d)
    if left is None:
        return refusal
    refusal, right = _one_on_reel(_g(m, "z"), c, d)
    if right is None:
        return refusal
    if len({clip.media_id, left.media_id, right.media_id}) < 3:
        return None
    _, infos = _ctx(c, d)
    srcs = [s for s in order(d) if s != clip.media_id]
    i, j = srcs.index(left.media_id), srcs.index(right.media_id)
    if abs(i - j) != 1:
        return Outcome("order_clips", note=say("clips_not_next", c.lang, a=left.name, b=right.name, reel=_reel(d, infos, c.lang)))
    srcs.insert(max(i, j), clip.media_id)
    return _reorder(c, d, infos, srcs)


def _b_order(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """ "order: drone, beach, city": the named clips in that order, first; the rest after, as they were."""
    cat, infos = _ctx(c, d)
    phrase = _g(m, "x")
    if not only_names(phrase, cat):
        return None
    refs = _refs(phrase, cat)
    if not refs:
        return None
    if bad := _bad(refs):
        return Outcome("order_clips", note=_refusal(bad, cat, c.lang))
    named = [x.media_id for x in _picked(refs)]
    reel = order(d)
    off = [x for x in _picked(refs) if x.media_id not in reel]
    if off:
        return Outcome("order_clips", note=say("clips_not_on_reel", c.lang, name=off[0].name, reel=_reel(d, infos, c.lang),
                                               stem=off[0].stem))
    return _listed(_reorder(c, d, infos, named + [s for s in reel if s not in named]))


def _b_still_more(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    phrase = _g(m, "x", "y", "z", "w")
    longer = bool(_g(m, "z")) or _g(m, "dir", "dir2") in ("longer", "long")
    if not _g(m, "z", "w"):
        cat, _ = _ctx(c, d)
        ref = resolve(phrase, cat)
        if ref is None or (ref.clips and all(x.kind != "image" for x in ref.clips)):
            return None
    tool = "set_photo_length"
    refusal, photos = _the_photo(phrase, c, d, tool)
    if not photos:
        return refusal
    now = photos[0].length
    seconds = (now + STILL_STEP) if longer else max(1000, now - STILL_STEP // 2)
    return _still_length(phrase, f"{seconds / 1000:g}", c, d)


def _b_still_times(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    """ "photo twice as long", "make the photo 1 sec shorter"."""
    phrase = _g(m, "x", "y", "z")
    cat, _ = _ctx(c, d)
    ref = resolve(phrase, cat)
    if ref is None or (ref.clips and all(x.kind != "image" for x in ref.clips)):
        return None
    tool = "set_photo_length"
    refusal, photos = _the_photo(phrase, c, d, tool)
    if not photos:
        return refusal
    now = photos[0].length
    if _g(m, "by"):
        step = int(round(float(_g(m, "by")) * 1000))
        target = now + step if _g(m, "dir") == "longer" else now - step
    elif _g(m, "half") or c.t.startswith("halve"):
        target = now // 2
    else:
        target = now * 2
    return _still_length(phrase, f"{target / 1000:g}", c, d)


def _b_swap_pair(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    _, infos = _ctx(c, d)
    srcs = order(d)
    if len(srcs) < 2:
        return Outcome("order_clips", note=say("clips_one", c.lang))
    if _g(m, "both") and len(srcs) != 2:
        return None  # "swap them" with three clips: which two is not said
    which = _g(m, "which", "zw", "w2")
    i = 0 if which in ("first", "前", "") else len(srcs) - 2
    srcs[i], srcs[i + 1] = srcs[i + 1], srcs[i]
    return _reorder(c, d, infos, srcs)


def _b_swap(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    a, b = _g(m, "a", "c"), _g(m, "b", "d")
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
    _, infos = _ctx(c, d)
    srcs = order(d)
    i, j = srcs.index(one.media_id), srcs.index(two.media_id)
    if i == j:
        return None
    srcs[i], srcs[j] = srcs[j], srcs[i]
    return _reorder(c, d, infos, srcs)


def _b_reverse(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    _, infos = _ctx(c, d)
    srcs = order(d)
    if len(srcs) < 2:
        return Outcome("order_clips", note=say("clips_one", c.lang))
    return _reorder(c, d, infos, srcs[::-1])


# --- crossfades -------------------------------------------------------------------------------------

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
    _, infos = _ctx(c, d)
    now = int(d.meta.get("xf") or 0)
    xf, asked = _xf_slot(t, now)
    if len(order(d)) < 2:
        if xf == 0 and not now:
            return Outcome(tool, note=say("crossfade_off_already", c.lang))
        return Outcome(tool, note=say("crossfade_one", c.lang))
    if xf == now:
        key = "crossfade_off_already" if not xf else "crossfade_same"
        return Outcome(tool, note=say(key, c.lang, xf=_secs(xf)))

    def run(draft: Draft) -> ReelOutcome:
        return set_crossfade(draft, xf, infos)

    res = run(d)
    length = _secs(res.draft.end)
    reply = say("crossfade", c.lang, xf=_secs(xf), length=length) if xf else say("crossfade_off", c.lang, length=length)
    if asked is not None:
        reply += say("crossfade_clamped", c.lang, asked=_secs(asked), xf=_secs(xf))
    return Outcome(tool, _edit(tool, {"xf_ms": xf}, run, reply + _tail(res, c.lang)))


# --- photos -----------------------------------------------------------------------------------------

def _the_photo(phrase: str, c: Clause, d: Draft, tool: str) -> tuple[Outcome | None, list[ClipInfo]]:
    """The photo(s) a phrase means on the reel; a refusal to say; or ([], None) when not about one."""
    cat, _ = _ctx(c, d)
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
                           names=_names(photos, c.lang))), []
    if ref.problem:
        if ref.problem == "unknown" and re.search(r"photo|picture|image|pic|still|照片|图片|相片|图", phrase) and not photos:
            return Outcome(tool, note=say("still_none", c.lang)), []
        return Outcome(tool, note=_refusal(ref, cat, c.lang)), []
    videos = [x for x in ref.clips if x.kind != "image"]
    if videos:
        return Outcome(tool, note=say("still_video", c.lang, name=videos[0].name)), []
    off = [x for x in ref.clips if not x.on_reel]
    if off:
        return Outcome(tool, note=say("clips_not_on_reel", c.lang, name=off[0].name, reel=_reel(d, _ctx(c, d)[1], c.lang),
                                      stem=off[0].stem)), []
    return None, ref.clips


def _still_length(phrase: str, seconds: str, c: Clause, d: Draft) -> Outcome | None:
    tool = "set_photo_length"
    refusal, photos = _the_photo(phrase, c, d, tool)
    if not photos:
        return refusal
    _, infos = _ctx(c, d)
    asked = int(round(float(seconds) * 1000))
    if not PHOTO_MIN <= asked <= PHOTO_MAX:
        return Outcome(tool, note=say("still_range", c.lang, name=_names(photos, c.lang)))
    srcs = [x.media_id for x in photos]

    def run(draft: Draft) -> ReelOutcome:
        res = ReelOutcome(draft)
        for src in srcs:
            res = set_still(res.draft, src, infos, duration=asked)
        return res

    res = run(d)
    reply = say("still_length", c.lang, name=_names(photos, c.lang), secs=_secs(asked), length=_secs(res.draft.end)) + _tail(res, c.lang)
    return Outcome(tool, _edit(tool, {"clips": [x.name for x in photos], "d_ms": asked}, run, reply))


def _b_still_len(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    groups = m.groupdict()
    phrase = groups.get("x") or groups.get("y") or groups.get("z") or ""
    seconds = groups.get("n") or groups.get("m") or groups.get("k") or "0"
    cat, _ = _ctx(c, d)
    ref = resolve(phrase, cat)
    if ref is None or (ref.clips and all(x.kind != "image" for x in ref.clips)):
        return None  # "keep the first 5s", "make the beach clip 5s": lengths of video, for other rules
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
    _, infos = _ctx(c, d)
    srcs = [x.media_id for x in photos]

    def run(draft: Draft) -> ReelOutcome:
        res = ReelOutcome(draft)
        for src in srcs:
            res = set_still(res.draft, src, infos, zoom=not off)
        return res

    reply = say("still_zoom_off" if off else "still_zoom", c.lang, name=_names(photos, c.lang))
    return Outcome(tool, _edit(tool, {"clips": [x.name for x in photos], "zoom": not off}, run, reply))


def _named_photo(t: str, c: Clause, d: Draft) -> bool:
    cat, _ = _ctx(c, d)
    return any(x.kind == "image" and x.stem.lower() in t for x in cat)


def _b_still_len_zh(m: re.Match[str], c: Clause, d: Draft) -> Outcome | None:
    return _b_still_len(m, c, d)


RULES = (
    rule("list_clips", rf"{LIST_EN}|{LIST_ZH}", _b_list),
    rule("clip_info", rf"{INFO_EN}|{INFO_ZH}", _b_info, ("clip",)),
    rule("crossfade", XF_WORDS, _b_crossfade, ("xf",)),
    rule("photo_zoom", ZOOM_WORDS, _b_zoom, ("clip", "zoom")),
    rule("photo_length", STILL_LEN_EN, _b_still_len, ("clip", "seconds")),
    rule("photo_length_zh", STILL_LEN_ZH, _b_still_len, ("clip", "seconds")),
    rule("reverse_clips", REVERSE, _b_reverse),
    rule("photo_longer", STILL_MORE, _b_still_more, ("clip", "direction")),
    rule("photo_times", STILL_TIMES, _b_still_times, ("clip", "factor")),
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
)
# Read before history: "go back to hard cuts" is about the clips, not an undo.
RULES_EARLY = (
    rule("crossfade_back", r"^(?:go back|back|return|revert|switch back|change (?:it )?back)\s+to\s+(?:the\s+)?(?:hard|straight|normal|plain|simple|regular)\s+cuts?\b|"
         r"^(?:go back|back|return|revert)\s+to\s+no\s+(?:transitions?|cross-?fades?)\b", _b_crossfade, ("xf",)),
)
# Rules that read a negation themselves: "no transitions", "don't use the vertical one", 不要竖屏的那个.
READS_NEGATION = {"crossfade", "photo_zoom", "drop_clips", "drop_clips_zh"}
