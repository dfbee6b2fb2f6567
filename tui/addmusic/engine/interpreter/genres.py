"""Genre and mood words → the style keys of `engine/styles.py`, in both languages.

`EXACT` words name the style itself; `CLOSEST` words name something we cannot play exactly, so
the reply says which style stands in for it. Longest words are tried first ("drum and bass" before
"bass", "chillhop" before "chill"). Energy words say how hard the music should go, not which style.
"""

from __future__ import annotations

import re

from addmusic.engine import styles

EXACT: dict[str, tuple[str, ...]] = {
    "upbeat": ("upbeat", "pop", "happy", "cheerful", "fun", "joyful", "bright", "positive", "feel good",
               "feel-good", "uplifting", "sunny", "bouncy", "playful", "lively", "hype", "hyped", "energetic", "欢快", "开心", "快乐", "活泼",
               "轻快", "阳光", "愉快", "流行", "喜庆", "俏皮"),
    "lofi": ("lofi", "lo-fi", "chillhop", "chill hop", "chill beats", "chill beat", "study", "低保真"),
    "cinematic": ("cinematic", "epic", "orchestral", "orchestra", "dramatic", "trailer", "film score", "movie music", "movie soundtrack", "movie score", "movie trailer",
                  "heroic", "grand", "史诗", "电影", "电影感", "大片", "大气", "管弦", "震撼", "宏大", "激昂"),
    "acoustic": ("acoustic", "guitar", "folk", "unplugged", "吉他", "民谣", "原声吉他"),
    "electronic": ("electronic", "electro", "edm", "techno", "dance", "synth", "club", "电子", "电音", "舞曲"),
    "chill": ("chill", "calm", "relaxing", "relaxed", "relax", "mellow", "soft", "peaceful", "gentle",
              "laid back", "laid-back", "smooth", "轻松", "放松", "舒缓", "安静", "平静", "柔和", "悠闲", "治愈"),
    "piano": ("piano", "emotional", "sad", "sentimental", "touching", "melancholy", "melancholic", "钢琴",
              "伤感", "感人", "抒情", "悲伤"),
    "hiphop": ("hiphop", "hip hop", "hip-hop", "rap", "boom bap", "嘻哈", "说唱"),
    "rock": ("rock", "rock and roll", "rock n roll", "guitar rock", "摇滚"),
    "jazz": ("jazz", "jazzy", "swing", "爵士"),
    "corporate": ("corporate", "business", "presentation", "professional", "motivational", "inspiring",
                  "inspirational", "企业", "商务", "励志", "宣传片"),
    "ambient": ("ambient", "atmospheric", "meditation", "meditative", "drone", "soundscape", "spacey", "氛围",
                "冥想", "空灵"),
}
CLOSEST: dict[str, tuple[str, ...]] = {
    "upbeat": ("k-pop", "kpop", "funk", "funky", "disco", "reggaeton", "latin", "party", "ska",
               "reggae", "tropical", "韩流", "放克", "迪斯科", "拉丁", "雷鬼"),
    "lofi": ("vaporwave", "bedroom", "retro", "vintage", "复古"),
    "cinematic": ("classical", "dark", "suspense", "suspenseful", "intense", "horror", "adventure", "古典",
                  "紧张", "悬疑", "恐怖"),
    "acoustic": ("country", "indie", "bluegrass", "singer-songwriter", "乡村"),
    "electronic": ("house", "deep house", "dubstep", "trance", "drum and bass", "dnb", "synthwave", "future bass",
                   "gaming", "workout", "浩室"),
    "chill": ("bossa nova", "lounge"),
    "hiphop": ("r&b", "rnb", "trap", "drill", "grime", "phonk", "节奏布鲁斯", "陷阱"),
    "rock": ("punk", "metal", "heavy metal", "grunge", "emo", "朋克", "金属"),
    "jazz": ("blues", "soul", "蓝调", "灵魂乐"),
    "ambient": ("new age", "space", "nature"),
}
# "no vocals" and "instrumental" ask for what every style already is.
INSTRUMENTAL = re.compile(r"\b(?:no vocals?|without vocals?|instrumental|no singing|no lyrics)\b|纯音乐|无人声|没有人声|不要人声")


# Mood words describe a feeling; a genre or instrument named in the same breath wins over them
# ("calm piano" is piano, "sad music" is piano because nothing else is named).
MOODS = frozenset((
    "upbeat", "happy", "cheerful", "fun", "joyful", "bright", "positive", "feel good", "feel-good", "uplifting",
    "sunny", "bouncy", "playful", "lively", "hype", "hyped", "energetic", "epic", "dramatic", "heroic", "grand",
    "calm", "relaxing", "relaxed", "relax", "mellow", "soft", "peaceful", "gentle", "laid back", "laid-back",
    "smooth", "emotional", "sad", "sentimental", "touching", "melancholy", "melancholic", "inspiring",
    "inspirational", "motivational", "professional", "dark", "intense", "suspense", "suspenseful", "summer",
    "party", "retro", "vintage", "study", "chill",
    "欢快", "开心", "快乐", "活泼", "轻快", "阳光", "愉快", "喜庆", "俏皮", "大气", "震撼", "宏大", "激昂", "轻松", "放松",
    "舒缓", "安静", "平静", "柔和", "悠闲", "治愈", "伤感", "感人", "抒情", "悲伤", "励志", "紧张", "悬疑", "复古",
))


def _table() -> list[tuple[str, str, bool]]:
    rows = [(w, k, True) for k, ws in EXACT.items() for w in ws]
    rows += [(w, k, False) for k, ws in CLOSEST.items() for w in ws]
    for key in styles.STYLE_KEYS:
        rows.append((styles.label(key).lower(), key, True))
    return sorted(rows, key=lambda r: len(r[0]), reverse=True)


_ROWS = _table()
_PATTERNS = [(re.compile(rf"(?<![a-z]){re.escape(w)}(?![a-z])"), w, k, exact) for w, k, exact in _ROWS]


def find(text: str) -> tuple[str, str, bool] | None:
    """The first genre/mood word in `text`: (word as found, style key, exact?)."""
    best: tuple[int, int, str, str, bool] | None = None
    for pattern, word, key, exact in _PATTERNS:
        m = pattern.search(text)
        if m:
            rank = (1 if word in MOODS else 0, m.start())
            if best is None or rank < best[:2]:
                best = (*rank, word, key, exact)
    return (best[2], best[3], best[4]) if best else None


def is_mood(word: str) -> bool:
    return find(word) is not None


def has_cjk(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))
