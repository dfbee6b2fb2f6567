"""Words both sides read the same way: negations and politeness, in English and Chinese.

The client's router (which routes "export" without the chat) and the engine's interpreter (which
reads everything else) import these lists, so "don't export yet" and "please" mean the same thing
to both. Plain data; each side builds its own patterns from it.
"""

from __future__ import annotations

# A clause that starts with one of these asks for something NOT to happen.
NEGATIONS_EN: tuple[str, ...] = (
    "don't", "dont", "do not", "didn't", "never", "not", "no need to", "no need for", "let's not", "lets not",
    "shouldn't", "won't", "wouldn't", "no", "stop", "cancel", "wait",
)
NEGATIONS_ZH: tuple[str, ...] = ("不要", "别", "先不", "不用", "无需", "不需要", "没必要", "甭", "不")

# Politeness before the request ("please", "can you") and after it ("thanks", "吧").
POLITE_LEAD_EN: tuple[str, ...] = (
    "please", "pls", "plz", "kindly", "just", "now", "also", "and", "then", "so", "ok", "okay", "hey",
    "hi", "hello", "oh", "um", "well", "but", "can you", "could you", "would you", "will you", "can we",
    "could we", "i'd like you to", "i'd like to", "i would like you to", "i would like to",
    "i want you to", "i need you to", "let's", "lets", "go ahead and", "help me", "try to", "try and",
    "show me",
)
POLITE_LEAD_ZH: tuple[str, ...] = ("请", "帮我", "麻烦你", "麻烦", "给我", "帮忙", "能不能", "能否", "可不可以",
                                   "可以", "再", "也", "还要", "还")
POLITE_TAIL_EN: tuple[str, ...] = (
    "please", "pls", "plz", "thanks", "thank you", "thx", "ty", "for me", "for us", "now", "too",
    "as well", "ok", "okay", "lol", "lmao", "haha", "rn", "asap", "pls thx", "thx",
)
POLITE_TAIL_ZH: tuple[str, ...] = ("吧", "吗", "呢", "了", "啊", "哦", "呀", "好吗", "好不好", "可以吗", "行吗",
                                   "谢谢", "一下")


def alternation(words: tuple[str, ...]) -> str:
    """A regex alternation of `words`, longest first so "do not" wins over "do"."""
    import re

    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
