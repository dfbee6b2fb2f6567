"""What workers tell the app. Workers post these and never touch a widget or an app attribute;
the app's handlers own the state they change (the chat, the draft shown, the status bar,
credits, the progress rows, the running export, the first clip), so every change goes through
one place and in the order it happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from ..protocol.draft import Draft

if TYPE_CHECKING:
    from ..client.api import ApiClient, UploadedFile
    from ..client.chat import TurnDone
    from ..client.exports import ExportHandle
    from ..client.sessions import SessionRecord


# --- connection and session -------------------------------------------------------------------


@dataclass
class Connecting(Message):
    """The connection's state before it is ready: "Connecting...", "Offline — retrying in 3s"."""

    status: str


@dataclass
class ConnectFailed(Message):
    """A connect attempt failed; the handler says so (once per distinct error) and retries later."""

    error: str


@dataclass
class ClientReady(Message):
    """A connect made a new client for the backend; the handler adopts it (closing the old one)."""

    client: ApiClient


@dataclass
class SessionOpened(Message):
    """A session is shown: resumed, opened from the list, or new. `first_clip` names the exports;
    `record` is the remembered session (None: a new one, recorded now)."""

    first_clip: Path | None = None
    record: SessionRecord | None = None


@dataclass
class Connected(Message):
    """The backend answered and a session is open. `first` when a connect made it: the handler
    then starts what follows a connect (renders left running, credits, the files asked for)."""

    session_id: str
    first: bool = False


@dataclass
class WarmedUp(Message):
    """What the first reply needs is imported: what is alive now lives as long as the app."""


@dataclass
class Busy(Message):
    """What is running now, for the status bar ("thinking…", "uploading beach.mp4"; "" = idle)."""

    text: str


@dataclass
class Notice(Message):
    """A line for the conversation ("info", "success", "warning", "error", "edit", "working")."""

    text: str
    kind: str = "info"


@dataclass
class DraftChanged(Message):
    """The server's draft, read after a turn, an upload, a resume or an open. `edit` names what
    changed it ("add lofi music", "uploaded beach.mp4"), empty when it was only read. `media` is
    the session's `video_infos` (clip sizes, stills, offered songs and their waveforms)."""

    draft: Draft
    clip_size: tuple[int, int] | None = None
    edit: str = ""
    media: list[dict[str, Any]] | None = None


@dataclass
class CreditsChanged(Message):
    available: int
    frozen: int
    total: int
    announce: bool = False  # say the balance in the chat too (the user asked for it)


# --- a turn ----------------------------------------------------------------------------------


@dataclass
class ReplyChunk(Message):
    """Streamed reply text; `new_reply` starts a second model reply of the same turn."""

    text: str
    new_reply: bool = False


@dataclass
class TurnFinished(Message):
    """The turn's final event: its notes and edit lines, and the state after it."""

    done: TurnDone
    text: str  # what the user typed


@dataclass
class TurnEnded(Message):
    """The turn's worker stopped (finished, failed or cancelled): close any open reply."""


# --- uploads ---------------------------------------------------------------------------------


@dataclass
class UploadProgress(Message):
    key: str
    label: str
    percent: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, UploadProgress) and message.key == self.key


@dataclass
class Uploaded(Message):
    """One file's upload ended: `file` when the server has it, else `error` says why."""

    key: str
    path: Path
    file: UploadedFile | None = None
    error: str = ""


# --- exports ---------------------------------------------------------------------------------


@dataclass
class ExportStarted(Message):
    """An export or preview was asked for; `handle` gets its job id once submitted (for cancel)."""

    handle: ExportHandle
    quality: str


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
    made: str = ""  # how the engine made the picture ("Smart render: 6.7 % re-encoded (...)"), when it says


@dataclass
class RendersCollected(Message):
    """Renders an earlier run left behind were collected: the files saved, and why others were not."""

    key: str
    saved: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass
class PreviewReady(Message):
    """A preview strip was built (or the player opened it)."""

    path: Path
    strip: Any = None
    opened_in_player: bool = False
