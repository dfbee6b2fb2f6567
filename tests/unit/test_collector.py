"""Full garbage collections wait for a quiet app (or until overdue); the app's own objects are
frozen out of them; stopping gives CPython its own collection back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from addmusic.ui.collector import NEVER, OVERDUE, QUIET_S, IdleCollector


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def pending_full(count: int) -> None:
    """Let `count` middle-generation collections happen, as a busy app would."""
    for _ in range(count):
        gc.collect(1)


def test_full_collection_waits_for_quiet(restore_gc: None) -> None:
    quiet = [0.0]
    collector = IdleCollector(lambda: quiet[0])
    before = gc.get_threshold()
    collector.start()
    assert gc.get_threshold()[2] == NEVER and gc.get_threshold()[:2] == before[:2]
    assert gc.get_freeze_count() > 0
    pending_full(before[2])
    assert not collector.check()  # busy: not now
    assert gc.get_count()[2] >= before[2]
    quiet[0] = QUIET_S
    assert collector.check()
    assert gc.get_count()[2] == 0
    assert not collector.check()  # nothing due any more
    collector.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_overdue_collection_runs_even_while_busy(restore_gc: None) -> None:
    collector = IdleCollector(lambda: 0.0)
    collector.start()
    pending_full(OVERDUE)
    assert collector.check()
    collector.stop()


def test_checks_before_start_and_after_stop_do_nothing(restore_gc: None) -> None:
    collector = IdleCollector(lambda: 100.0)
    pending_full(20)
    assert not collector.check()
    collector.stop()  # harmless when never started
    assert gc.get_threshold()[2] != NEVER
