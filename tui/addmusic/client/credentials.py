"""Client id and token, stored per API origin in one 0600 JSON file under the data dir.

The client id is the anonymous user's account: once stored it is never replaced.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .jsonfile import read_json, write_json


@dataclass
class Credentials:
    client_id: str = ""
    token: str = ""
    user_id: str = ""
    expires_at: float = 0.0
    from_env: bool = False  # NEMO_TOKEN: a rejection is reported, never silently replaced

    @property
    def anonymous(self) -> bool:
        return not self.from_env and (not self.user_id or self.user_id.startswith("anon_"))

    def usable(self) -> bool:
        return bool(self.token) and (self.from_env or self.expires_at == 0 or self.expires_at > time.time() + 60)

    def __repr__(self) -> str:  # never let a token reach a log through repr()
        return f"Credentials(client_id={self.client_id!r}, user_id={self.user_id!r}, token=<redacted>)"


class CredentialStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read_all(self) -> dict[str, dict[str, Any]]:
        data = read_json(self.path, {})
        return data if isinstance(data, dict) else {}

    def load(self, origin: str, *, use_env: bool) -> Credentials:
        """Stored credentials for `origin`, with NEMO_TOKEN / NEMO_CLIENT_ID applied when allowed."""
        raw = self._read_all().get(origin) or {}
        creds = Credentials(
            client_id=str(raw.get("client_id") or ""),
            token=str(raw.get("token") or ""),
            user_id=str(raw.get("user_id") or ""),
            expires_at=float(raw.get("expires_at") or 0),
        )
        if use_env:
            if os.environ.get("NEMO_CLIENT_ID"):
                creds.client_id = os.environ["NEMO_CLIENT_ID"].strip()
            if os.environ.get("NEMO_TOKEN"):
                creds.token = os.environ["NEMO_TOKEN"].strip()
                creds.from_env = True
                creds.expires_at = 0
        return creds

    def ensure_client_id(self, origin: str, creds: Credentials) -> Credentials:
        """Make and persist a client id only when none exists."""
        if not creds.client_id:
            stored = self._read_all().get(origin) or {}
            creds.client_id = str(stored.get("client_id") or "") or str(uuid.uuid4())
            self.save(origin, creds)
        return creds

    def save(self, origin: str, creds: Credentials) -> None:
        data = self._read_all()
        record = asdict(creds)
        record.pop("from_env")
        if creds.from_env:  # an environment token is the user's to keep, not ours to store
            record.update(token=(data.get(origin) or {}).get("token", ""), expires_at=0)
        data[origin] = record
        write_json(self.path, data, mode=0o600)
