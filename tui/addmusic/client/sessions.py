"""The last session per account, so the app can resume it at the next start."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from .jsonfile import read_json, write_json


@dataclass
class LastSession:
    session_id: str
    first_clip: str = ""  # local path of the first uploaded clip: exports are saved next to it


class SessionMemory:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _all(self) -> dict[str, dict]:
        return read_json(self.path, {})

    def load(self, account: str) -> LastSession | None:
        raw = self._all().get(account)
        if not isinstance(raw, dict) or not raw.get("session_id"):
            return None
        return LastSession(str(raw["session_id"]), str(raw.get("first_clip") or ""))

    def save(self, account: str, last: LastSession) -> None:
        data = self._all()
        data[account] = asdict(last)
        write_json(self.path, data)
