"""The engine's records in SQLite: users and tokens, credits, sessions with their drafts, media,
and render jobs. Everything survives a restart; WAL where the filesystem allows it.

One connection, used from the event loop only; every statement is short, so it never blocks
for long.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
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
CREATE TABLE IF NOT EXISTS history (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, sentence TEXT NOT NULL, tools TEXT NOT NULL,
    before TEXT NOT NULL, after TEXT NOT NULL, undone INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL,
    PRIMARY KEY (session_id, seq));
"""
# Render ids are the client's choice, so they are unique per owner only (two users may pick the same).
_JOBS_TABLE = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT NOT NULL, user_id TEXT NOT NULL, session_id TEXT NOT NULL,
    draft TEXT NOT NULL, quality TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL,
    output TEXT, error TEXT, cost INTEGER NOT NULL, created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, finished REAL, downloaded REAL, swept REAL,
    smart INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (user_id, job_id))"""
_JOB_COLUMNS = ("job_id", "user_id", "session_id", "draft", "quality", "status", "progress", "output",
                "error", "cost", "created", "attempts", "finished", "downloaded", "swept", "smart")


BUSY_TIMEOUT_MS = 250
_HASHED = "sha256:"


def token_hash(token: str) -> str:
    """What the tokens table keeps: a leaked database or WAL file gives no usable token."""
    return _HASHED + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def private_dir(path: Path) -> Path:
    """A folder only its owner can enter (0700), made or tightened."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


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
    attempts: int = 0  # render attempts started; each writes its own file
    smart: bool = True  # output.smart: re-encode only the stretches of picture that change


class Store:
    def __init__(self, path: Path, *, starting_credits: int) -> None:
        private_dir(path.parent)
        # made 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)  # a database left by an earlier version may be 0644
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        # A short wait for another writer's lock: the connection lives on the event loop, which must
        # not stall; the render worker retries on top of this with backoff (jobs.py).
        self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass  # network filesystems may refuse WAL; the default journal still works
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(f"{path}{suffix}", 0o600)
        self.db.executescript(SCHEMA)
        self.db.execute(_JOBS_TABLE)
        self._migrate()
        self.starting_credits = starting_credits

    def _migrate(self) -> None:
        """Bring a database made by an earlier version up to this schema."""
        plain = [r["token"] for r in self.db.execute("SELECT token FROM tokens")
                 if not r["token"].startswith(_HASHED)]
        for token in plain:  # tokens were stored as issued: keep only their hashes
            self.db.execute("UPDATE tokens SET token=? WHERE token=?", (token_hash(token), token))
        job_columns = {r["name"] for r in self.db.execute("PRAGMA table_info(jobs)")}
        for name, kind in (("attempts", "INTEGER NOT NULL DEFAULT 0"), ("finished", "REAL"), ("downloaded", "REAL"),
                           ("swept", "REAL"), ("smart", "INTEGER NOT NULL DEFAULT 1")):
            if name not in job_columns:
                self.db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
        sql = self.db.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name='jobs'").fetchone()[0]
        if "PRIMARY KEY (user_id, job_id)" not in sql:
            # render ids were global: one user could take another's future id; now each owner has its own
            columns = ", ".join(_JOB_COLUMNS)
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("ALTER TABLE jobs RENAME TO jobs_global_ids")
                self.db.execute(_JOBS_TABLE)
                self.db.execute(f"INSERT INTO jobs ({columns}) SELECT {columns} FROM jobs_global_ids")
                self.db.execute("DROP TABLE jobs_global_ids")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

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
        self.db.execute("INSERT INTO tokens VALUES (?,?,?)", (token_hash(token), user_id, expires))
        return token, expires

    def user_for_token(self, token: str) -> User | None:
        row = self.db.execute("SELECT user_id, expires_at FROM tokens WHERE token=?",
                              (token_hash(token),)).fetchone()
        if row is None or row["expires_at"] < time.time():
            return None
        return self.user(row["user_id"])

    def freeze(self, user_id: str, amount: int) -> bool:
        cur = self.db.execute(
            "UPDATE users SET available=available-?, frozen=frozen+? WHERE user_id=? AND available>=?",
            (amount, amount, user_id, amount),
        )
        return cur.rowcount == 1

    def settle(self, user_id: str, amount: int, *, charge: bool, charged: int | None = None) -> None:
        """Release frozen credits: spent when the work succeeded (`charged` of them when the real
        cost came out lower), returned when it did not."""
        spent = min(amount, amount if charged is None else max(0, charged)) if charge else 0
        refund = amount - spent
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
            f"INSERT INTO jobs ({', '.join(_JOB_COLUMNS[:12])}, smart) VALUES ({','.join('?' * 13)})",
            (job.job_id, job.user_id, job.session_id, json.dumps(job.draft), job.quality, job.status,
             job.progress, job.output, job.error, job.cost, time.time(), job.attempts, int(job.smart)),
        )

    def job(self, user_id: str, job_id: str) -> Job | None:
        row = self.db.execute("SELECT * FROM jobs WHERE user_id=? AND job_id=?", (user_id, job_id)).fetchone()
        return self._job(row) if row else None

    def jobs_in(self, *statuses: str) -> list[Job]:
        marks = ",".join("?" * len(statuses))
        rows = self.db.execute(
            f"SELECT * FROM jobs WHERE status IN ({marks}) ORDER BY created", statuses
        ).fetchall()
        return [self._job(r) for r in rows]

    def update_job(self, user_id: str, job_id: str, **fields: Any) -> None:
        names = ", ".join(f"{k}=?" for k in fields)
        self.db.execute(f"UPDATE jobs SET {names} WHERE user_id=? AND job_id=?", (*fields.values(), user_id, job_id))

    def mark_downloaded(self, user_id: str, job_id: str) -> None:
        self.db.execute("UPDATE jobs SET downloaded=? WHERE user_id=? AND job_id=?", (time.time(), user_id, job_id))

    def finished_jobs(self) -> list[tuple[Job, float | None, float | None]]:
        """Ended jobs whose files are not swept yet, with when they finished and were downloaded."""
        rows = self.db.execute("SELECT * FROM jobs WHERE status IN ('completed', 'failed', 'cancelled')"
                               " AND swept IS NULL").fetchall()
        return [(self._job(r), r["finished"], r["downloaded"]) for r in rows]

    def mark_swept(self, user_id: str, job_id: str) -> None:
        """Its files are removed: a later download says it is gone, a later sweep skips it."""
        self.db.execute("UPDATE jobs SET swept=?, output=NULL WHERE user_id=? AND job_id=?",
                        (time.time(), user_id, job_id))

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        return Job(row["job_id"], row["user_id"], row["session_id"], json.loads(row["draft"]), row["quality"],
                   row["status"], row["progress"], row["output"], row["error"], row["cost"], row["attempts"],
                   bool(row["smart"]))
