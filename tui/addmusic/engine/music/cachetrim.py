"""The composed-music cache kept to a size: a piece (its wav, loudness facts, waveform facts and
stems, all named after its key) is removed, least recently used first, once the cache is over
its budget. A 60 s piece with stems takes about 27 MB, so without a budget every new piece, seed
or layer mix grew the engine's data folder for good.

Removing a piece loses nothing: a session's music file is a hard link of its own (turns.py), and
a piece asked for again is composed again. Pieces used in the last RECENT_S are never removed
(a turn or a stems job may be reading them), nor are the half-made `.part` files of one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BUDGET_ENV = "ADDMUSIC_MUSIC_CACHE_MB"
DEFAULT_BUDGET_MB = 2048
RECENT_S = 600.0
_trimming = threading.Lock()  # turns of several sessions and the stems thread may trim at once


@dataclass
class Entry:
    key: str
    paths: list[Path]
    size: int
    last_used: float


def budget_bytes() -> int:
    try:
        megabytes = float(os.environ.get(BUDGET_ENV, DEFAULT_BUDGET_MB))
    except ValueError:
        megabytes = DEFAULT_BUDGET_MB
    return int(max(0.0, megabytes) * 1024 * 1024)


def touch(path: Path) -> None:
    """Mark a piece as used now (its newest file decides when it goes): its .json or its stem
    folder, never its wav, whose loudness facts are tied to its modification time."""
    with contextlib.suppress(OSError):
        os.utime(path)


def _size_and_time(path: Path) -> tuple[int, float]:
    st = path.stat()
    if not path.is_dir():
        return st.st_size, st.st_mtime
    size = sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return size, st.st_mtime


def entries(cache: Path) -> list[Entry]:
    """The cache's pieces, each with everything named after its key; half-made ones left out."""
    found: dict[str, Entry] = {}
    with contextlib.suppress(OSError):
        for path in cache.iterdir():
            if ".part" in path.name:
                continue
            key = path.name.split(".", 1)[0]
            try:
                size, mtime = _size_and_time(path)
            except OSError:  # removed meanwhile
                continue
            entry = found.setdefault(key, Entry(key, [], 0, 0.0))
            entry.paths.append(path)
            entry.size += size
            entry.last_used = max(entry.last_used, mtime)
    return list(found.values())


def trim(cache: Path, budget: int | None = None) -> list[str]:
    """Remove the least recently used pieces until the cache fits `budget` bytes (the
    environment's budget by default); return the keys removed."""
    limit = budget_bytes() if budget is None else budget
    removed: list[str] = []
    with _trimming:
        pieces = sorted(entries(cache), key=lambda e: e.last_used)
        total = sum(e.size for e in pieces)
        for entry in pieces:
            if total <= limit:
                break
            if time.time() - _last_used(entry) < RECENT_S:
                continue
            for path in entry.paths:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
            total -= entry.size
            removed.append(entry.key)
    return removed


def _last_used(entry: Entry) -> float:
    """Read again just before removing: a turn may have touched the piece since the listing."""
    times = []
    for path in entry.paths:
        with contextlib.suppress(OSError):
            times.append(path.stat().st_mtime)
    return max(times, default=entry.last_used)
