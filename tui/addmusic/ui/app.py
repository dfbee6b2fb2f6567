"""The Textual app. It owns the one ApiClient, the session and every widget. Workers (in the
mixins: connection.py, turns.py, uploads.py, exports.py) call the client and post messages
(messages.py); only handlers change what the screen shows or what the app holds. One handler
reports any worker that fails."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from ..client.sessions import SessionMemory
from ..config import Settings
from ..protocol.draft import Draft
from ..protocol.errors import ApiError
from .actions import ACTIONS, bindings, key_of, unknown_ids
from .collector import CHECK_S as COLLECT_CHECK_S
from .collector import IdleCollector
from .connection import RETRY_MAX_S, RETRY_S, WATCHDOG_S, ConnectionMixin, first_clip_size
from .exports import ExportsMixin
from .messages import Busy, CreditsChanged, DraftChanged, Notice
from .screens.confirm import Confirm
from .turns import TurnsMixin
from .uploads import UploadsMixin
from .widgets.chat import ChatLog, ChatPane
from .widgets.composer import Composer
from .widgets.status import StatusBar
from .widgets.trackview import EMPTY_HINT_TEMPLATE, TrackView

if TYPE_CHECKING:
    from ..client.api import ApiClient
    from ..client.exports import ExportHandle
    from .widgets.chat import ReplyStream

# The client stack (httpx and friends) is imported inside the workers that use it, after the
# first screen is drawn: start-up is what users feel first.

log = logging.getLogger(__name__)

__all__ = ["RETRY_MAX_S", "RETRY_S", "AddMusicApp", "first_clip_size", "welcome"]


def welcome(key: Callable[[str], str]) -> Text:
    return Text.assemble(
        ("Welcome!", "bold"), " Drop a clip into this window (or press ", (key("upload"), "bold"),
        "), then say what you want: ", ("add upbeat background music at 30%", "italic"), ", ",
        ('add a title "Summer 2024" for 3 seconds', "italic"), ", ", ("make it vertical for Reels", "italic"),
        ". Type ", ("export", "bold"), f" (or {key('export')}) when it sounds right. {key('help')}: keys and "
        "examples.",
    )


class AddMusicApp(ConnectionMixin, TurnsMixin, UploadsMixin, ExportsMixin, App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "addmusic"

    BINDINGS = bindings()

    def __init__(self, settings: Settings, files: Iterable[Path] = (), *, sample: bool = False,
                 resume: bool | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.initial_files = list(files)
        self.want_sample = sample
        # Files or --sample start a new session for them; a bare start resumes the last one.
        self.resume = (not self.initial_files and not sample) if resume is None else resume
        self.client: ApiClient | None = None
        self.draft = Draft()
        self.media: list[dict[str, Any]] = []  # the session's uploads (video_infos) as last read
        self.first_clip: Path | None = None
        self.last_output: Path | None = None
        self._connect_failures = 0
        self._offline_said = ""  # the connect error already in the chat: said once, not every retry
        self.memory = SessionMemory(settings.folders.data / "sessions.json")
        self._reply: ReplyStream | None = None  # the reply being streamed into the chat (its handlers')
        self._export: ExportHandle | None = None  # the running export's job id, for cancelling it
        self._export_quality = "high"
        self._cancel_requested = False
        self._missed_edits: list[str] = []  # edits made while the running export renders
        self._chat_pane: ChatPane | None = None
        self.collector = IdleCollector(self._quiet_for)

    # --- layout ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The main keys are priority bindings (the composer would take them otherwise); while a
        modal screen (picker, question) is open they belong to it."""
        if action != "quit" and len(self.screen_stack) > 1 and action in self._main_actions:
            return False
        return True

    _main_actions = frozenset(a.method for a in ACTIONS)

    def _group_running(self, group: str) -> bool:
        return any(w.group == group and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self.workers)

    @property
    def connecting(self) -> bool:
        return self._group_running("connect")

    def _key_problems(self) -> list[str]:
        unknown = unknown_ids(self.settings.keys)
        if not unknown:
            return []
        valid = ", ".join(a.id for a in ACTIONS)
        return [f"config.toml [keys]: unknown action {', '.join(repr(k) for k in unknown)} (ignored). "
                f"Valid actions: {valid}."]

    def key_for(self, action_id: str) -> str:
        """The key for an action as remapped now: every hint in the text uses this."""
        return key_of(action_id, self.settings.keys)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        self._chat_pane = ChatPane(id="chat")
        yield self._chat_pane
        yield TrackView(id="tracks")
        yield Composer(id="composer")
        yield Footer()

    @property
    def chat(self) -> ChatLog:
        return self.query_one(ChatPane).log_view

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self._typed_elsewhere(event):
            # a character typed while the timeline or the chat has focus (after Tab, a click) goes
            # to the composer, which gets the focus back: typed characters are never dropped
            composer = self.query_one(Composer)
            composer.focus()
            composer.insert(event.character or "")
            event.stop()
            return
        log = self._chat_pane.log_view if isinstance(event, events.Key) and self._chat_pane else None
        if log is not None:
            log.note_key()  # the echo is drawn before more of a streaming reply
        await super().on_event(event)
        if log is not None:  # queued behind the key itself, so it runs once the key's echo is drawn
            (self.focused or self.screen).call_after_refresh(log.echo_drawn)

    def _typed_elsewhere(self, event: events.Key) -> bool:
        if not event.is_printable or not event.character or len(self.screen_stack) > 1:
            return False
        focused = self.focused
        return focused is not None and not isinstance(focused, Composer) and not hasattr(focused, "cursor_location")

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def tracks(self) -> TrackView:
        return self.query_one(TrackView)

    async def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap({k: v for k, v in self.settings.keys.items() if k not in unknown_ids(self.settings.keys)})
        if self.settings.theme:
            self.theme = self.settings.theme
        self.status_bar.set(backend=self._backend_label(), low_at=self.settings.low_credits)
        self.query_one(Composer).focus()
        self.tracks.empty_hint = EMPTY_HINT_TEMPLATE.format(upload=self.key_for("upload"))
        self.query_one(ChatPane).follow_key = self.key_for("follow")
        self.chat.transcript = self.settings.folders.data / "transcripts" / f"chat-{time.strftime('%Y%m%d-%H%M%S')}.md"
        await self.chat.add_welcome(welcome(self.key_for))
        for problem in self.settings.problems + self._key_problems():
            await self.chat.add_notice(problem, "warning")
        self.tracks.show(self.draft)
        # after the first frame: connecting imports the client stack, which would delay it
        self.call_after_refresh(self.connect)
        if self.settings.uses_local_engine:
            self.set_interval(WATCHDOG_S, self.watch_engine)
        self.set_interval(COLLECT_CHECK_S, self.collector.check)

    def on_unmount(self) -> None:
        self.collector.stop()

    def _quiet_for(self) -> float:
        """Seconds without keys or a reply being received (what the garbage collector waits for)."""
        if self.answering or self._chat_pane is None:
            return 0.0
        return time.monotonic() - self._chat_pane.log_view.last_key_at

    def _backend_label(self) -> str:
        if self.settings.uses_local_engine:
            return "local engine"
        from httpx import URL

        return f"cloud {URL(self.settings.api_url or '').host}"


    def require_client(self) -> ApiClient:
        if self.client is None or self.client.session is None:
            raise ApiError("Still connecting — try again in a moment.")
        return self.client

    # --- state shown -----------------------------------------------------------------------

    def show_draft(self, draft: Draft, clip_size: tuple[int, int] | None = None, edit: str = "",
                   media: list[dict[str, Any]] | None = None) -> None:
        """The draft reaches the screen through the DraftChanged handler."""
        self.post_message(DraftChanged(draft, clip_size, edit, media))

    async def refresh_credits(self, *, announce: bool = False) -> None:
        if self.client is None:
            return
        try:
            balance = await self.require_client().credits()
        except ApiError as exc:
            if announce:
                raise
            log.info("credits unavailable: %s", exc)
            return
        self.post_message(CreditsChanged(balance.available, balance.frozen, balance.total, announce))

    # --- handlers: the only places that change what the screen shows ----------------------------

    def _widgets_gone(self) -> bool:
        """Shutting down: a message a late worker posted finds the widgets gone; nobody to tell."""
        try:
            return not self.is_running or not self.screen.query(StatusBar)
        except Exception:  # no screen left at all
            return True

    def on_busy(self, message: Busy) -> None:
        if self._widgets_gone():
            return
        self.status_bar.set(busy=message.text)

    async def on_draft_changed(self, message: DraftChanged) -> None:
        if self._widgets_gone():
            return
        self.draft = message.draft
        if message.media is not None:
            self.media = message.media
        self.tracks.show(message.draft, message.clip_size, self.media)
        if not message.edit:
            return
        self.record_edit(message.edit)
        if self.exporting:
            self._missed_edits.append(message.edit)
            what = "preview" if self._export_quality == "preview" else "export"
            await self.chat.add_notice(f'The {what} that is rendering started before "{message.edit}", so it will '
                                       "not include it. You can export again when it finishes.", "warning")

    async def on_credits_changed(self, message: CreditsChanged) -> None:
        if self._widgets_gone():
            return
        self.status_bar.set(available=message.available, frozen=message.frozen, total=message.total)
        if message.announce:
            await self.chat.add_notice(f"Credits: {message.available:,} available · {message.frozen:,} frozen · "
                                       f"{message.total:,} total", "info")

    async def on_notice(self, message: Notice) -> None:
        if not self._widgets_gone():
            await self.chat.add_notice(message.text, message.kind)

    @work(group="credits", exit_on_error=False)
    async def refresh_credits_soon(self) -> None:
        await self.refresh_credits()

    # --- actions -----------------------------------------------------------------------------

    def action_follow(self) -> None:
        self.chat.follow()
        self.query_one(Composer).focus()  # jumping to the newest message means typing again next

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(self.key_for))

    @work(group="credits", exit_on_error=False)
    async def action_credits(self) -> None:
        self.require_client()
        await self.refresh_credits(announce=True)

    async def action_quit(self) -> None:
        if not self.exporting:
            await self._close_and_exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_later(self._close_and_exit)

        self.push_screen(Confirm("A render is running. Quit anyway? The engine finishes it and the next start "
                                 "saves the file."), answered)

    async def _close_and_exit(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        self.exit()

    # --- errors from any worker ------------------------------------------------------------------

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if not self.is_running:  # shutting down: the widgets a late worker touched are gone, nobody to tell
            log.debug("worker %s ended while closing: %r", event.worker.name, error)
            return
        if isinstance(error, ApiError):
            await self.chat.add_notice(str(error), "error")
        else:
            log.exception("worker %s failed", event.worker.name, exc_info=error)
            await self.chat.add_notice(f"Something went wrong ({type(error).__name__}). Details are in the debug "
                                       "log (--debug).", "error")

    # --- command palette -----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action in ACTIONS:
            if action.palette:
                key = self.key_for(action.id) if action.key or action.id in self.settings.keys else ""
                yield SystemCommand(action.title, f"{action.help} ({key})" if key else action.help,
                                    getattr(self, f"action_{action.method}"))
