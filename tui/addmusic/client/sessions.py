"""The sessions this machine has worked on, per account: which one is current (a bare start
resumes it), and for each its name, clips, last edit and last export — what the sessions screen
lists. Kept client-side in one small JSON file (the API has no session list)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .jsonfile import read_json, write_json

MAX_SESSIONS = 50  # per account; the oldest are forgotten first


@dataclass
class SessionRecord:
    session_id: str
    first_clip: str = ""  # local path of the first uploaded clip: exports are saved next to it
    name: str = ""  # given by the user; empty: named after the first clip
    clips: list[str] = field(default_factory=list)  # file names, in upload order
    created_at: float = 0.0
    last_edit: str = ""  # the message (or upload) that last changed the draft
    last_edit_at: float = 0.0
    last_export: str = ""  # the path of the last saved export
    last_export_at: float = 0.0

    @property
    def title(self) -> str:
        if self.name:
            return self.name
        if self.clips:
            return Path(self.clips[0]).stem
        return f"session {self.session_id[:8]}"

    @property
    def unexported(self) -> bool:
        """Edits were made since the last export (or there was never one)."""
        return self.last_edit_at > self.last_export_at

    @classmethod
    def from_json(cls, raw: Any) -> SessionRecord | None:
        if not isinstance(raw, dict) or not raw.get("session_id"):
            return None
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        record = cls(str(values.pop("session_id")))
        for key, value in values.items():
            default = getattr(record, key)
            if isinstance(default, float) and isinstance(value, (int, float)):
                setattr(record, key, float(value))
            elif isinstance(default, list) and isinstance(value, list):
                setattr(record, key, [str(v) for v in value])
            elif isinstance(default, str) and isinstance(value, str):
                setattr(record, key, value)
        return record




class SessionMemory:
    """`{account: {"current": id, "sessions": [record, …]}}`, newest first."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _all(self) -> dict[str, Any]:
        data = read_json(self.path, {})
        return data if isinstance(data, dict) else {}

    def _account(self, data: dict[str, Any], account: str) -> dict[str, Any]:
        raw = data.get(account)
        if isinstance(raw, dict) and "sessions" in raw:
            return raw
        # The first format kept one record per account: it becomes the list's only entry.
        old = SessionRecord.from_json(raw)
        return {"current": old.session_id if old else "", "sessions": [asdict(old)] if old else []}

    def sessions(self, account: str) -> list[SessionRecord]:
        entry = self._account(self._all(), account)
        found = [SessionRecord.from_json(raw) for raw in entry.get("sessions") or []]
        return [r for r in found if r is not None]

    def get(self, account: str, session_id: str) -> SessionRecord | None:
        return next((r for r in self.sessions(account) if r.session_id == session_id), None)

    def load(self, account: str) -> SessionRecord | None:
        """The current session: the one a bare start resumes."""
        entry = self._account(self._all(), account)
        current = str(entry.get("current") or "")
        return self.get(account, current) if current else None

    def save(self, account: str, record: SessionRecord, *, current: bool = True, to_top: bool = True) -> None:
        """Add or replace `record` (moved to the top unless `to_top` is false), and make it current."""
        data = self._all()
        entry = self._account(data, account)
        if not record.created_at:
            record.created_at = time.time()
        kept = [r for r in entry.get("sessions") or [] if isinstance(r, dict)]
        where = next((i for i, r in enumerate(kept) if r.get("session_id") == record.session_id), None)
        if where is not None and not to_top:
            kept[where] = asdict(record)
        else:
            kept = [asdict(record), *(r for r in kept if r.get("session_id") != record.session_id)]
        entry["sessions"] = kept[:MAX_SESSIONS]
        if current:
            entry["current"] = record.session_id
        data[account] = entry
        write_json(self.path, data)

    def update(self, account: str, session_id: str, **changes: Any) -> SessionRecord | None:
        record = self.get(account, session_id)
        if record is None:
            return None
        for key, value in changes.items():
            setattr(record, key, value)
        entry = self._account(self._all(), account)
        self.save(account, record, current=entry.get("current") == session_id, to_top=False)
        return record

    def forget(self, account: str, session_id: str) -> None:
        data = self._all()
        entry = self._account(data, account)
        entry["sessions"] = [r for r in entry.get("sessions") or [] if isinstance(r, dict)
                             and r.get("session_id") != session_id]
        if entry.get("current") == session_id:
            entry["current"] = ""
        data[account] = entry
        write_json(self.path, data)
