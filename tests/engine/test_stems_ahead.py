"""The stems made in the background (turns.StemsAhead) give way to exports: a job starts only after
the engine has been quiet for QUIET_S, a job under way pauses between stems while a render runs,
and a turn that needs the piece being made is never kept waiting by that pause."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from addmusic.engine.music import stems
from addmusic.engine.turns import StemsAhead

STEMS = 3


@dataclass(frozen=True)
class FakePiece:
    """Stands for turns._Piece: records when each stem is written, and leaves a folder that
    stems.manifest accepts (stems with nothing in them)."""

    folder: Path
    key: str = "fake"
    written: list[float] = field(default_factory=list, compare=False, hash=False)
    first_stem: threading.Event = field(default_factory=threading.Event, compare=False, hash=False)

    def make_stems(self, between=lambda: None) -> None:
        for n in range(STEMS):
            between()
            self.written.append(time.monotonic())
            if n == 0:
                self.first_stem.set()
            time.sleep(0.2)  # long enough for a render to begin while the job is under way
        self.folder.mkdir()
        (self.folder / stems.MANIFEST).write_text(json.dumps({"format": stems.FORMAT, "scales": {}}))


def wait_until(condition, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def ahead(quiet_s: float = 0.3) -> StemsAhead:
    scheduler = StemsAhead()
    scheduler.enabled = True
    scheduler.QUIET_S = quiet_s
    return scheduler


def job_under_way(tmp_path: Path) -> tuple[StemsAhead, FakePiece]:
    scheduler = ahead(quiet_s=0.0)
    piece = FakePiece(tmp_path / "piece.stems")
    scheduler.schedule(piece)
    assert piece.first_stem.wait(5.0)
    return scheduler, piece


def test_a_job_waits_for_the_render_and_then_for_a_quiet_moment(tmp_path: Path) -> None:
    scheduler = ahead()
    piece = FakePiece(tmp_path / "a.stems")
    with scheduler.rendering():
        scheduler.schedule(piece)
        time.sleep(0.5)
        assert piece.written == []  # nothing starts while the export runs
    render_ended = time.monotonic()
    assert scheduler.idle(5.0)
    assert len(piece.written) == STEMS
    assert piece.written[0] - render_ended >= scheduler.QUIET_S - 0.02


def test_a_job_under_way_pauses_between_stems_while_a_render_runs(tmp_path: Path) -> None:
    scheduler, piece = job_under_way(tmp_path)
    with scheduler.rendering():
        time.sleep(0.6)
        during = len(piece.written)
        assert during <= 2  # at most the stem that was being written when the render began
    assert scheduler.idle(5.0)
    assert len(piece.written) == STEMS
    assert piece.written[-1] - piece.written[0] >= 0.5  # the pause is in the middle of the job


def test_a_turn_waiting_for_the_piece_lifts_the_pause(tmp_path: Path) -> None:
    scheduler, piece = job_under_way(tmp_path)
    with scheduler.rendering():
        assert wait_until(lambda: len(piece.written) < STEMS and scheduler.running is not None)
        got: list[Path] = []
        waiter = threading.Thread(target=lambda: got.append(scheduler.stems_for(piece)))
        waiter.start()
        waiter.join(5.0)
        assert not waiter.is_alive(), "the turn was kept waiting behind the render"
        assert got == [piece.folder]
        assert len(piece.written) == STEMS
