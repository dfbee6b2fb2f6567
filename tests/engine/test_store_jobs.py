"""The render request's `output.smart` survives the store (and a restart), so a queued or resumed
job renders the way it was asked: smart (copy what does not change) or a full re-encode."""

from __future__ import annotations

from pathlib import Path

from addmusic.engine.store import Job, Store


def job(job_id: str, *, smart: bool) -> Job:
    return Job(job_id, "anon_1", "s1", {"t": [], "d": 0, "m": {}}, "high", "pending", 0.0, None, None, 1,
               smart=smart)


def test_smart_choice_is_kept_per_job_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "engine.db"
    store = Store(path, starting_credits=10)
    store.add_job(job("render_1", smart=False))
    store.add_job(job("render_2", smart=True))
    store.close()
    reopened = Store(path, starting_credits=10)
    first, second = reopened.job("anon_1", "render_1"), reopened.job("anon_1", "render_2")
    assert first is not None and first.smart is False
    assert second is not None and second.smart is True
