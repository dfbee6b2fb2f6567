"""The status bar: which backend, whether it is ready, the session, and credits."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


@dataclass(frozen=True)
class Status:
    backend: str = "local engine"
    connection: str = "Connecting..."
    session: str = ""
    available: int | None = None
    frozen: int = 0
    total: int = 0
    low_at: int = 10
    busy: str = ""  # what is running now: "rendering 42%", "uploading", "thinking"

    @property
    def low(self) -> bool:
        return self.available is not None and self.available <= self.low_at


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $panel; color: $text; padding: 0 1; }
    StatusBar.-low { background: $warning 30%; }
    StatusBar.-offline { background: $error 30%; }
    """

    status: reactive[Status] = reactive(Status, always_update=True)

    def set(self, **changes: object) -> None:
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]

    def watch_status(self, status: Status) -> None:
        self.set_class(status.low, "-low")
        self.set_class(status.connection.startswith(("Offline", "Engine stopped")), "-offline")

    def render(self) -> Text:
        """Every number keeps a label; under 90 columns the labels are the short ones."""
        s = self.status
        wide = self.size.width >= 90 or self.size.width == 0
        backend = s.backend if wide else s.backend.replace("local engine", "local").split(" ")[0]
        parts = [Text("♪ addmusic" if wide else "♪", style="bold"), Text(backend),
                 Text(s.connection, style="bold")]
        if s.session:
            parts.append(Text(f"{'session' if wide else 'sess'} {s.session[:8]}"))
        if s.available is not None:
            credits = f"credits {s.available:,} · {s.frozen:,} frozen"
            parts.append(Text(credits + (" ⚠ low" if s.low else ""), style="bold" if s.low else ""))
        if s.busy:
            parts.append(Text(s.busy, style="italic"))
        return Text(" │ ").join(parts)

    @property
    def plain(self) -> str:
        return self.render().plain
