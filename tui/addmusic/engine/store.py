"""The engine's records in SQLite: users and tokens, credits, sessions with their drafts, media,
and render jobs. Everything survives a restart; WAL where the filesystem allows it.

One connection, used from the event loop only; every statement is short, so it never blocks
for long.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY, client_id TEXT UNIQUE NOT NULL,
    available INTEGER NOT NULL, frozen INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, user_id TEXT NOT NULL,
    task_name TEXT NOT NULL, language TEXT NOT NULL, state TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS media (
    media_id TEXT NOT NULL, session_id TEXT NOT NULL, path TEXT NOT NULL, info TEXT NOT NULL,
    PRIMARY KEY (media_id, session_id));
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, session_id TEXT NOT NULL,
    draft TEXT NOT NULL, quality TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL,
    output TEXT, error TEXT, cost INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, sentence TEXT NOT NULL, tools TEXT NOT NULL,
    before TEXT NOT NULL, after TEXT NOT NULL, undone INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL,
    PRIMARY KEY (session_id, seq));
"""


HISTORY_LIMIT = 200  # edits kept per session for undo


def empty_state() -> dict[str, Any]:
    return {"video_infos": [], "draft": {"t": [], "d": 0, "m": {}}, "canvas_config": {},
            "generated_media": {}}


@dataclass
class User:
    user_id: str
    client_id: str
    available: int
    frozen: int


@dataclass
class HistoryEntry:
    seq: int
    sentence: str  # the message that made the edit, as typed
    tools: list[str]  # what it did
    before: dict[str, Any]  # the session state before and after it
    after: dict[str, Any]
    undone: bool


@dataclass
class Job:
    job_id: str
    user_id: str
    session_id: str
    draft: dict[str, Any]
    quality: str
    status: str
    progress: float
    output: str | None
    error: str | None
    cost: int


class Store:
    def __init__(self, path: Path, *, starting_credits: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass  # network filesystems may refuse WAL; the default journal still works
        self.db.executescript(SCHEMA)
        self.starting_credits = starting_credits

    def close(self) -> None:
        self.db.close()

    # --- users and tokens ----------------------------------------------------------------

    def user_for_client(self, client_id: str) -> User:
        row = self.db.execute("SELECT * FROM users WHERE client_id=?", (client_id,)).fetchone()
        if row is None:
            user_id = "anon_" + uuid.uuid4().hex[:16]
            self.db.execute("INSERT INTO users VALUES (?,?,?,0)", (user_id, client_id, self.starting_credits))
            return User(user_id, client_id, self.starting_credits, 0)
        return User(row["user_id"], row["client_id"], row["available"], row["frozen"])

    def user(self, user_id: str) -> User | None:
        row = self.db.execute("SELECT * FROM users WHERE user_id=?", (user_id,)).fetchone()
        return User(row["user_id"], row["client_id"], row["available"], row["frozen"]) if row else None

    def issue_token(self, user_id: str, ttl_s: float) -> tuple[str, float]:
        token = "nmv_usr_" + secrets.token_urlsafe(24)
        expires = time.time() + ttl_s
        self.db.execute("INSERT INTO tokens VALUES (?,?,?)", (token, user_id, expires))
        return token, expires

    def user_for_token(self, token: str) -> User | None:
        row = self.db.execute("SELECT user_id, expires_at FROM tokens WHERE token=?", (token,)).fetchone()
        if row is None or row["expires_at"] < time.time():
            return None
        return self.user(row["user_id"])

    def freeze(self, user_id: str, amount: int) -> bool:
        cur = self.db.execute(
            "UPDATE users SET available=available-?, frozen=frozen+? WHERE user_id=? AND available>=?",
            (amount, amount, user_id, amount),
        )
        return cur.rowcount == 1

    def settle(self, user_id: str, amount: int, *, charge: bool) -> None:
        """Release frozen credits: spent when the work succeeded, returned when it did not."""
        refund = 0 if charge else amount
        self.db.execute(
            "UPDATE users SET frozen=MAX(0, frozen-?), available=available+? WHERE user_id=?",
            (amount, refund, user_id),
        )

    # --- sessions --------------------------------------------------------------------------

    def create_session(self, user_id: str, task_name: str, language: str) -> dict[str, str]:
        session_id, task_id = uuid.uuid4().hex, "task_" + uuid.uuid4().hex[:12]
        self.db.execute(
            "INSERT INTO sessions VALUES (?,?,?,?,?,?,?)",
            (session_id, task_id, user_id, task_name, language, json.dumps(empty_state()), time.time()),
        )
        return {"session_id": session_id, "task_id": task_id, "user_id": user_id}

    def session(self, session_id: str, user_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT * FROM sessions WHERE session_id=? AND user_id=?", (session_id, user_id)
        ).fetchone()
        if row is None:
            return None
        return {"session_id": row["session_id"], "task_id": row["task_id"], "task_name": row["task_name"],
                "language": row["language"], "state": json.loads(row["state"])}

    def save_state(self, session_id: str, state: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE sessions SET state=?, updated=? WHERE session_id=?",
            (json.dumps(state), time.time(), session_id),
        )

    # --- media -----------------------------------------------------------------------------

    def add_media(self, media_id: str, session_id: str, path: Path, info: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO media VALUES (?,?,?,?)", (media_id, session_id, str(path), json.dumps(info))
        )

    def media(self, session_id: str) -> dict[str, tuple[Path, dict[str, Any]]]:
        rows = self.db.execute("SELECT * FROM media WHERE session_id=?", (session_id,)).fetchall()
        return {r["media_id"]: (Path(r["path"]), json.loads(r["info"])) for r in rows}

    # --- edit history: one row per turn that changed the draft ------------------------------

    def history(self, session_id: str) -> list[HistoryEntry]:
        rows = self.db.execute("SELECT * FROM history WHERE session_id=? ORDER BY seq", (session_id,)).fetchall()
        return [HistoryEntry(r["seq"], r["sentence"], json.loads(r["tools"]), json.loads(r["before"]),
                             json.loads(r["after"]), bool(r["undone"])) for r in rows]

    def record_edit(self, session_id: str, sentence: str, tools: list[str], before: dict[str, Any],
                    after: dict[str, Any]) -> None:
        """A new edit: what was undone can no longer be redone (as in every editor)."""
        self.db.execute("DELETE FROM history WHERE session_id=? AND undone=1", (session_id,))
        row = self.db.execute("SELECT MAX(seq) FROM history WHERE session_id=?", (session_id,)).fetchone()
        seq = (row[0] or 0) + 1
        # the oldest entries go beyond HISTORY_LIMIT: a long session stays quick to load
        self.db.execute("DELETE FROM history WHERE session_id=? AND seq<=?", (session_id, seq - HISTORY_LIMIT))
        self.db.execute("INSERT INTO history VALUES (?,?,?,?,?,?,0,?)",
                        (session_id, seq, sentence, json.dumps(tools), json.dumps(before), json.dumps(after),
                         time.time()))

    def mark_undone(self, session_id: str, seqs: list[int], undone: bool) -> None:
        self.db.executemany("UPDATE history SET undone=? WHERE session_id=? AND seq=?",
                            [(int(undone), session_id, seq) for seq in seqs])

    # --- render jobs -----------------------------------------------------------------------

    def add_job(self, job: Job) -> None:
        self.db.execute(
            "INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (job.job_id, job.user_id, job.session_id, json.dumps(job.draft), job.quality, job.status,
             job.progress, job.output, job.error, job.cost, time.time()),
        )

    def job(self, job_id: str) -> Job | None:
        row = self.db.execute("SELECT * FROM jobs WHERE job_id=?", (job_id,)).fetchone()
        return self._job(row) if row else None

    def jobs_in(self, *statuses: str) -> list[Job]:
        marks = ",".join("?" * len(statuses))
        rows = self.db.execute(
            f"SELECT * FROM jobs WHERE status IN ({marks}) ORDER BY created", statuses
        ).fetchall()
        return [self._job(r) for r in rows]

    def update_job(self, job_id: str, **fields: Any) -> None:
        names = ", ".join(f"{k}=?" for k in fields)
        self.db.execute(f"UPDATE jobs SET {names} WHERE job_id=?", (*fields.values(), job_id))

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        return Job(row["job_id"], row["user_id"], row["session_id"], json.loads(row["draft"]), row["quality"],
                   row["status"], row["progress"], row["output"], row["error"], row["cost"])
