"""Full garbage collections, moved to moments when nobody is typing.

CPython's full collection walks every tracked object. With this app's ~50,000 objects at start
and ~95,000 after a long reply it stopped the event loop for 48-133 ms, several times per streamed
reply (measured with gc callbacks in a 2,000-chunk stream) — long enough to drop a key's echo.
The young generations stay automatic (1-4 ms each). What is alive once the app is ready (modules,
the screen, the client) lives as long as the app, so it is frozen out of every collection; the
full collection of the rest runs when the app has been quiet for QUIET_S, or when it is overdue.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

QUIET_S = 2.0
CHECK_S = 1.0
OVERDUE = 100  # collections of the middle generation since the last full one (CPython's own trigger: 10)
NEVER = 1_000_000_000


class IdleCollector:
    def __init__(self, quiet_for: Callable[[], float]) -> None:
        """`quiet_for()`: seconds since the app last had keys or streaming text (0 while busy)."""
        self.quiet_for = quiet_for
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._thresholds is not None:
            return
        # no collection first: it took 71 ms (72,000 objects) just when the user starts typing, and
        # would free only ~3,000 objects of start-up garbage, which are frozen along with the rest
        gc.freeze()
        self._thresholds = gc.get_threshold()
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, NEVER)  # no automatic full collection

    def check(self) -> bool:
        """Run the full collection if it is due and the app is quiet (or it is overdue)."""
        if self._thresholds is None:
            return False
        pending = gc.get_count()[2]
        if pending >= OVERDUE or (pending >= self._thresholds[2] and self.quiet_for() >= QUIET_S):
            gc.collect()
            return True
        return False

    def stop(self) -> None:
        """Back to CPython's own collection (tests start many apps in one process)."""
        if self._thresholds is None:
            return
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()
        self._thresholds = None
