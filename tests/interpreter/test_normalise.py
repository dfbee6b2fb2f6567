"""Normalisation tables: numbers, units and clock times in both languages."""

from __future__ import annotations

import pytest

from addmusic.engine.interpreter.normalise import normalise
from addmusic.engine.interpreter.typos import correct

CASES = [
    ("cut 0:05 to 0:08", "cut 5s to 8s"),
    ("keep 1:05-1:30", "keep 65s-90s"),
    ("the first 1m5s", "the first 65s"),
    ("keep 1m to 1m30s", "keep 60s to 90s"),
    ("make it 9:16", "make it 9:16"),  # the ratio, not nine minutes
    ("fade out over three seconds", "fade out over 3s"),
    ("crossfade of half a second", "crossfade of 0.5s"),
    ("two and a half seconds", "2.5s"),
    ("a second title", "a second title"),  # "second" the ordinal stays
    ("三秒", "3s"),
    ("一分五秒", "65s"),
    ("百分之三十", "30%"),
    ("音量调到三成", "音量调到30%"),
    ("半秒", "0.5s"),
    ("ｆａｄｅ ｏｕｔ ３ｓ", "fade out 3s"),  # full-width forms arrive through the message preparation, NFKC
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalise(raw: str, expected: str) -> None:
    import unicodedata

    assert normalise(unicodedata.normalize("NFKC", raw)) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("remvoe teh musci", "remove the music"), ("make it verticle", "make it vertical"),
    ("more energy", "more energy"), ("slower", "slower"), ("the whole video", "the whole video"),
])
def test_typos(raw: str, expected: str) -> None:
    assert correct(raw) == expected
