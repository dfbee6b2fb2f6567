"""The last session per account, so the app can resume it at the next start."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class LastSession:
    session_id: str
    first_clip: str = ""  # local path of the first uploaded clip: exports are saved next to it


class SessionMemory:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _all(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, account: str) -> LastSession | None:
        raw = self._all().get(account)
        if not isinstance(raw, dict) or not raw.get("session_id"):
            return None
        return LastSession(str(raw["session_id"]), str(raw.get("first_clip") or ""))

    def save(self, account: str, last: LastSession) -> None:
        data = self._all()
        data[account] = asdict(last)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)
