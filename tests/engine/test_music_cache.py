"""The composed-music cache stays within its budget (music/cachetrim.py): least recently used
pieces go first, with everything named after their key; pieces in use and half-made ones stay;
a session's music survives its piece leaving the cache."""

from __future__ import annotations

import os
import time
from pathlib import Path

from addmusic.engine.music import cachetrim
from addmusic.engine.render import soundfacts
from addmusic.protocol.draft import Draft

MB = 1024 * 1024


def _piece(cache: Path, key: str, mb: int, age_s: float, stems: bool = False) -> None:
    """A cached piece as turns.py leaves it: wav, its loudness facts, its json, maybe stems."""
    cache.mkdir(parents=True, exist_ok=True)
    files = [cache / f"{key}.wav", cache / f"{key}.wav.facts.npz", cache / f"{key}.json"]
    files[0].write_bytes(b"\0" * (mb * MB))
    files[1].write_bytes(b"facts")
    files[2].write_text("{}")
    if stems:
        folder = cache / f"{key}.stems"
        folder.mkdir()
        (folder / "drums.flac").write_bytes(b"\0" * MB)
        files.append(folder)
    then = time.time() - age_s
    for path in files:
        os.utime(path, (then, then))


def test_the_least_recently_used_pieces_go_first_until_the_cache_fits(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _piece(cache, "old", 4, age_s=7200, stems=True)
    _piece(cache, "middle", 4, age_s=3600)
    _piece(cache, "new", 4, age_s=1800)
    assert sorted(e.key for e in cachetrim.entries(cache)) == ["middle", "new", "old"]
    assert {e.key: e.size // MB for e in cachetrim.entries(cache)}["old"] == 5  # the stems count

    removed = cachetrim.trim(cache, budget=9 * MB)
    assert removed == ["old"]
    assert sorted(p.name for p in cache.iterdir()) == [
        "middle.json", "middle.wav", "middle.wav.facts.npz", "new.json", "new.wav", "new.wav.facts.npz"]
    assert cachetrim.trim(cache, budget=9 * MB) == []  # fits now


def test_a_piece_used_lately_or_half_made_is_left(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _piece(cache, "old", 4, age_s=7200)
    _piece(cache, "used", 4, age_s=7200)
    cachetrim.touch(cache / "used.json")  # a turn reused it just now
    part = cache / "busy.stems.1a2b3c4d.part"
    part.mkdir()
    (part / "bass.flac").write_bytes(b"\0" * (4 * MB))
    os.utime(part, (0, 0))

    assert cachetrim.trim(cache, budget=0) == ["old"]
    assert (cache / "used.wav").is_file() and part.is_dir()


def test_a_session_keeps_its_music_when_the_piece_leaves_the_cache(tmp_path: Path, monkeypatch) -> None:
    """The real turn code: compose, link into the session, then a budget of nothing."""
    from addmusic.engine.turns import materialise_music

    draft = Draft.from_json({"t": [{"tt": 1, "sg": [{"id": "m", "src": "gen_a", "st": 0, "d": 3000,
                                                    "style": "lofi", "seed": 7}]}]})
    generated: dict = {}
    monkeypatch.setenv(cachetrim.BUDGET_ENV, "0")
    materialise_music(draft, generated, tmp_path)
    cache = tmp_path / "cache"
    assert cachetrim.entries(cache), "a piece used just now is kept whatever the budget"

    recent = cachetrim.RECENT_S
    monkeypatch.setattr(cachetrim, "RECENT_S", 0.0)
    removed = cachetrim.trim(cache)
    monkeypatch.setattr(cachetrim, "RECENT_S", recent)
    assert removed and not list(cache.glob("*.wav"))
    music = tmp_path / "gen_a.wav"
    assert music.stat().st_size > 100_000 and soundfacts.load(music) is not None

    materialise_music(draft, generated, tmp_path)  # asked again: made again, the session unchanged
    assert music.is_file() and list(cache.glob("*.wav"))


def test_the_budget_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(cachetrim.BUDGET_ENV, "3")
    assert cachetrim.budget_bytes() == 3 * MB
    monkeypatch.setenv(cachetrim.BUDGET_ENV, "lots")
    assert cachetrim.budget_bytes() == cachetrim.DEFAULT_BUDGET_MB * MB
