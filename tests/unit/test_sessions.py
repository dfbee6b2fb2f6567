"""The client-side list of sessions: current one, records, the first format migrated."""

from __future__ import annotations

import json
from pathlib import Path

from addmusic.client.sessions import SessionMemory, SessionRecord


def test_save_list_update_forget(tmp_path: Path) -> None:
    memory = SessionMemory(tmp_path / "sessions.json")
    assert memory.load("acct") is None and memory.sessions("acct") == []
    memory.save("acct", SessionRecord("s1", clips=["beach.mp4"]))
    memory.save("acct", SessionRecord("s2"))
    assert [r.session_id for r in memory.sessions("acct")] == ["s2", "s1"]
    assert memory.load("acct").session_id == "s2"
    memory.update("acct", "s1", name="Holiday", last_edit="add lofi", last_edit_at=5.0)
    assert [r.title for r in memory.sessions("acct")] == ["session s2", "Holiday"]  # renaming keeps the order
    assert memory.load("acct").session_id == "s2"
    assert memory.get("acct", "s1").unexported
    memory.update("acct", "s1", last_export="/x.mp4", last_export_at=6.0)
    assert not memory.get("acct", "s1").unexported
    memory.forget("acct", "s2")
    assert memory.load("acct") is None and [r.title for r in memory.sessions("acct")] == ["Holiday"]
    assert memory.sessions("other") == []


def test_the_first_format_is_read_as_the_current_session(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    path.write_text(json.dumps({"acct": {"session_id": "old", "first_clip": "/v/beach.mp4"}}))
    memory = SessionMemory(path)
    last = memory.load("acct")
    assert last is not None and last.session_id == "old" and last.first_clip == "/v/beach.mp4"
    memory.save("acct", SessionRecord("new"))
    assert [r.session_id for r in memory.sessions("acct")] == ["new", "old"]


def test_bad_values_are_ignored_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    path.write_text(json.dumps({"acct": {"current": "a", "sessions": [
        {"session_id": "a", "clips": "not a list", "last_edit_at": "soon", "name": 3}, "junk", {}]}}))
    record = SessionMemory(path).load("acct")
    assert record == SessionRecord("a")
