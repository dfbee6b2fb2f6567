"""The local engine's lock file, read by front ends to find the engine for a data dir and
written by the engine itself: `{"pid": …, "host": …, "port": …}`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LOCK_NAME = "engine.lock"


def read_lock(engine_dir: Path) -> dict[str, Any] | None:
    """The running engine's {pid, host, port}, or None. Readers never take the lock."""
    try:
        info = json.loads((engine_dir / LOCK_NAME).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("port"), int) else None
