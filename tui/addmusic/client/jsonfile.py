"""Small JSON files the client keeps under its data dir (credentials, sessions, pending renders):
read leniently, written atomically so a crash never leaves half a file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def read_json(path: Path, default: Any) -> Any:
    """The file's content when it holds the same kind of value as `default`, else `default`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
    return data if isinstance(data, type(default)) else default


def private_dir(path: Path) -> Path:
    """The client's data folder holds tokens and render ids: its owner's alone (0700)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError:
        pass  # a folder we do not own: the files inside are still 0600
    return path


def write_json(path: Path, data: Any, *, mode: int = 0o600) -> None:
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)  # set before any byte is written: a token never sits in a readable file
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
