"""What workers tell the app. Workers post these; the app's handlers own the state they change
(the draft shown, the status bar, credits, the export rows), so no worker sets a widget or an
app flag itself and every change goes through one place. (Lines of the conversation itself —
a streamed reply, its notices — are still written by the turn's worker, in the order they come.)"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from ..protocol.draft import Draft


@dataclass
class Connecting(Message):
    """The connection's state before it is ready: "Connecting...", "Offline — retrying in 3s"."""

    status: str


@dataclass
class Busy(Message):
    """What is running now, for the status bar ("thinking…", "uploading beach.mp4"; "" = idle)."""

    text: str


@dataclass
class Connected(Message):
    """The backend answered and a session is open."""

    session_id: str


@dataclass
class DraftChanged(Message):
    """The server's draft, read after a turn, an upload, a resume or an open. `edit` names what
    changed it ("add lofi music", "uploaded beach.mp4"), empty when it was only read."""

    draft: Draft
    clip_size: tuple[int, int] | None = None
    edit: str = ""


@dataclass
class CreditsChanged(Message):
    available: int
    frozen: int
    total: int
    announce: bool = False  # say the balance in the chat too (the user asked for it)


@dataclass
class ExportProgress(Message):
    """A render or download step. A newer step for the same row supersedes one still queued
    (`can_replace`), so a handler that fell behind draws the latest instead of every step."""

    key: str
    label: str  # the progress row's: "Export: rendering 42%"
    percent: float
    status: str = ""  # the status bar's, short for 80 columns: "rendering 42%"

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ExportProgress) and message.key == self.key


@dataclass
class ExportDone(Message):
    """An export or preview ended: saved at `path`, or not (`error` says why; `cancelled` when
    the user stopped it). `contains` is the last edit the saved file includes."""

    key: str
    quality: str
    path: Path | None = None
    error: str = ""
    cancelled: bool = False
    contains: str = ""
    from_last_time: bool = False
    started_at: float = 0.0  # when the render was asked for: the file has the draft as it was then
