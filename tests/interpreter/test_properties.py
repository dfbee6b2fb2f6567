"""No input makes the interpreter raise, and nothing it reads changes the draft it was given."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addmusic.engine.interpreter import apply_all, interpret
from addmusic.protocol.draft import Draft

BASE = {"t": [{"tt": 0, "sg": [{"id": "v1", "src": "abc", "st": 0, "d": 10000}]},
              {"tt": 1, "sg": [{"id": "m1", "src": "gen_1", "st": 0, "d": 10000, "v": 30, "style": "lofi", "seed": 1}]},
              {"tt": 7, "sg": [{"id": "t1", "tx": "Hi", "st": 0, "d": 3000, "pos": "top"}]}], "d": 10000, "m": {}}
# Words the rules care about, mixed with anything at all, so the search reaches deep into the rules.
VOCAB = ["add", "music", "cut", "keep", "the", "first", "last", "3s", "0:05", "1:05", "10 to 40", "title", '"Hi"',
         "“你好”", "'x'", "mute", "original", "louder", "quieter", "50%", "undo", "redo", "start over", "9:16", "4k",
         "720p", "fade", "out", "in", "duck", "bpm", "120", "no", "don't", "not", "and", ",", "?", "加", "音乐", "剪掉",
         "前三秒", "百分之三十", "一分五秒", "撤销", "标题", "竖屏", "别", "不要", "鼓", "燃", "jazz", "rock", "drums",
         "from", "until", "end", "at", "top", "bottom", "half", "a", "second", "help", "what", "how", "🔥", "\u3000",
         ""]

messages = st.one_of(
    st.text(max_size=120),
    st.lists(st.one_of(st.sampled_from(VOCAB), st.text(max_size=6)), max_size=14).map(" ".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=messages, language=st.sampled_from(["en", "zh", "", "fr"]), empty=st.booleans())
def test_interpreter_never_raises_and_never_mutates(message: str, language: str, empty: bool) -> None:
    raw = {"t": [], "d": 0, "m": {}} if empty else copy.deepcopy(BASE)
    draft = Draft.from_json(copy.deepcopy(raw))
    result = interpret(message, draft, language=language)
    assert draft.to_json() == Draft.from_json(copy.deepcopy(raw)).to_json()  # the input draft is untouched
    after = apply_all(draft, result.edits)
    assert isinstance(after, Draft)
    assert all(isinstance(u, str) for u in result.unmatched)
