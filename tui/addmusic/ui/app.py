"""The Textual app. It owns the one ApiClient and the session; async workers on the app's own
loop call the client and update the widgets; one handler reports any worker that fails."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from ..client.router import CHAT, CREDITS, EXPORT, STATE, UPLOAD, rewrite_reply, route
from ..client.sessions import SessionMemory, SessionRecord
from ..config import Settings
from ..protocol.draft import Draft, format_duration
from ..protocol.errors import ApiError
from .actions import ACTIONS, bindings, key_of, unknown_ids
from .collector import CHECK_S as COLLECT_CHECK_S
from .collector import IdleCollector
from .messages import Busy, Connected, Connecting, CreditsChanged, DraftChanged, ExportDone, ExportProgress
from .screens.confirm import Confirm
from .widgets.chat import ChatLog, ChatPane, reply_class
from .widgets.composer import Composer
from .widgets.status import StatusBar
from .widgets.trackview import EMPTY_HINT_TEMPLATE, TrackView

if TYPE_CHECKING:
    from ..client.api import ApiClient, SessionState
    from ..client.chat import TurnDone
    from ..client.exports import ExportHandle

# The client stack (httpx and friends) is imported inside the workers that use it, after the
# first screen is drawn: start-up is what users feel first.

log = logging.getLogger(__name__)



def welcome(key: Callable[[str], str]) -> Text:
    return Text.assemble(
        ("Welcome!", "bold"), " Drop a clip into this window (or press ", (key("upload"), "bold"),
        "), then say what you want: ", ("add upbeat background music at 30%", "italic"), ", ",
        ('add a title "Summer 2024" for 3 seconds', "italic"), ", ", ("make it vertical for Reels", "italic"),
        ". Type ", ("export", "bold"), f" (or {key('export')}) when it sounds right. {key('help')}: keys and "
        "examples.",
    )

RETRY_S = 3.0  # first wait after a failed connect; doubled after each further failure
RETRY_MAX_S = 60.0
WATCHDOG_S = 5.0


def first_clip_size(state: SessionState) -> tuple[int, int] | None:
    """The first clip's picture size (what the output keeps when the draft sets no canvas)."""
    from ..protocol.draft import VIDEO

    first = next((s.src for t in state.draft.tracks_of(VIDEO) for s in t.segments), None)
    infos = [i for i in state.video_infos if i.get("media_id") == first] or state.video_infos
    for info in infos:
        try:
            width, height = int(info.get("width") or 0), int(info.get("height") or 0)
        except (TypeError, ValueError):
            continue
        if width > 0 and height > 0:
            return width, height
    return None


def _preload_reply_modules() -> None:
    import markdown_it  # noqa: F401
    import textual.widgets._markdown  # noqa: F401

    from ..client import chat  # noqa: F401


class AddMusicApp(App[None]):
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
        self.first_clip: Path | None = None
        self.last_output: Path | None = None
        self._connect_failures = 0
        self._offline_said = ""  # the connect error already in the chat: said once, not every retry
        self.memory = SessionMemory(settings.folders.data / "sessions.json")
        self._turn: Worker | None = None
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
    def exporting(self) -> bool:
        """An export or preview renders (its worker group is exclusive: one at a time)."""
        return self._group_running("export")

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
        if (self._turn is not None and self._turn.is_running) or self._chat_pane is None:
            return 0.0
        return time.monotonic() - self._chat_pane.log_view.last_key_at

    def _backend_label(self) -> str:
        if self.settings.uses_local_engine:
            return "local engine"
        from httpx import URL

        return f"cloud {URL(self.settings.api_url or '').host}"

    # --- connecting ------------------------------------------------------------------------------

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self) -> None:
        """Find or start the backend, resume the last session (or start one), read credits."""
        from ..client.api import ApiClient
        from ..client.launcher import LOCAL_ENGINE_KEY, ensure_engine

        self.post_message(Connecting("Connecting..."))
        try:
            if self.settings.uses_local_engine:
                url = await ensure_engine(self.settings.folders.engine)
                client = ApiClient(url, self.settings, account_key=LOCAL_ENGINE_KEY)
            else:
                client = ApiClient(self.settings.api_url or "", self.settings)
            if self.client is not None:
                await self.client.aclose()
            self.client = client
            session_id = await self._open_session(client)
        except ApiError as exc:
            wait = min(RETRY_MAX_S, RETRY_S * 2 ** self._connect_failures)
            self._connect_failures += 1
            self.post_message(Connecting(f"Offline — retrying in {wait:.0f}s"))
            if str(exc) != self._offline_said:
                self._offline_said = str(exc)
                await self.chat.add_notice(str(exc), "error")
            self.set_timer(wait, self.connect)
            return
        self.post_message(Connected(session_id))
        self.collect_renders()  # a render left running last time shows its progress at once
        await self.refresh_credits()
        # what the first reply needs (markdown-it, Textual's Markdown, the chat stream: 60-260 ms to
        # import, measured) is imported in a thread, so keys typed meanwhile are not held up
        await asyncio.to_thread(_preload_reply_modules)
        reply_class()
        self.collector.start()
        files = list(self.initial_files)
        self.initial_files = []
        if self.want_sample:
            self.want_sample = False
            files.insert(0, await self._sample())
        if files:
            self.upload_files(files)

    async def _open_session(self, client: ApiClient) -> str:
        from ..client.api import Session, SessionLost

        last = self.memory.load(client.account_key) if self.resume else None
        self.resume = True  # a reconnect (engine restarted) keeps the session it had
        if last:
            client.session = Session(last.session_id)
            try:
                state = await client.state()
            except SessionLost:
                await self.chat.add_notice("Your last session has ended; started a new one.", "warning")
                last = None
            else:
                self.first_clip = Path(last.first_clip) if last.first_clip else None
                self.show_state(state)
                self.memory.save(client.account_key, last)
                if state.draft.exportable:
                    await self.chat.add_notice(f'Resumed your last session, "{last.title}".', "info")
        if not last:
            await client.new_session()
            self.first_clip = None
            self.show_draft(Draft())
            self._remember()
        return client.require_session().session_id

    @property
    def session_record(self) -> SessionRecord | None:
        if self.client is None or self.client.session is None:
            return None
        return self.memory.get(self.client.account_key, self.client.session.session_id)

    def _remember(self, *, clip: str = "", **changes: object) -> None:
        """Record the open session (made current) with `changes`, and a newly uploaded `clip`."""
        if not (self.client and self.client.session):
            return
        record = self.session_record or SessionRecord(self.client.session.session_id)
        record.first_clip = str(self.first_clip or record.first_clip or "")
        if clip and clip not in record.clips:
            record.clips.append(clip)
        for key, value in changes.items():
            setattr(record, key, value)
        self.memory.save(self.client.account_key, record)

    def record_edit(self, what: str) -> None:
        self._remember(last_edit=what, last_edit_at=time.time())

    async def watch_engine(self) -> None:
        """Restart the local engine when it died (or went idle) — never sit on a dead backend."""
        if self.connecting or self.client is None:
            return
        from ..client.launcher import running_engine

        if await running_engine(self.settings.folders.engine) is None and self.is_running:
            self.post_message(Connecting("Engine stopped — restarting..."))
            await self.chat.add_notice("The local engine stopped; restarting it. Your session is kept.", "warning")
            self.connect()

    async def _sample(self) -> Path:
        from ..sample import make_sample

        path = self.settings.folders.cache / "sample.mp4"
        if not path.is_file():
            await self.chat.add_notice("Making a sample clip…", "working")
            path.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(make_sample, path)
        return path

    def require_client(self) -> ApiClient:
        if self.client is None or self.client.session is None:
            raise ApiError("Still connecting — try again in a moment.")
        return self.client

    # --- state shown -----------------------------------------------------------------------

    def show_draft(self, draft: Draft, clip_size: tuple[int, int] | None = None, edit: str = "") -> None:
        """Workers call this: the draft reaches the screen through the DraftChanged handler."""
        self.post_message(DraftChanged(draft, clip_size, edit))

    def show_state(self, state: SessionState, edit: str = "") -> None:
        self.show_draft(state.draft, first_clip_size(state), edit)

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

    def on_connecting(self, message: Connecting) -> None:
        if self._widgets_gone():
            return
        self.status_bar.set(connection=message.status)

    def on_connected(self, message: Connected) -> None:
        if self._widgets_gone():
            return
        self._connect_failures, self._offline_said = 0, ""
        self.status_bar.set(connection="Ready!", session=message.session_id)

    def on_busy(self, message: Busy) -> None:
        if self._widgets_gone():
            return
        self.status_bar.set(busy=message.text)

    async def on_draft_changed(self, message: DraftChanged) -> None:
        if self._widgets_gone():
            return
        self.draft = message.draft
        self.tracks.show(message.draft, message.clip_size)
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

    async def on_export_progress(self, message: ExportProgress) -> None:
        if self._widgets_gone():
            return
        if message.key not in self.chat.progress:
            await self.chat.start_progress(message.key, message.label)
        self.chat.set_progress(message.key, message.percent, message.label)
        self.status_bar.set(busy=message.status or message.label)

    async def on_export_done(self, message: ExportDone) -> None:
        if self._widgets_gone():
            return
        await self.chat.end_progress(message.key)
        self.status_bar.set(busy="")
        self.refresh_credits_soon()
        missed, self._missed_edits = self._missed_edits, []
        if message.from_last_time:
            return
        if message.cancelled:
            await self.chat.add_notice("Export cancelled: the render was stopped and nothing was saved.", "warning")
            return
        if message.error:
            await self.chat.add_notice(message.error, "error")
            return
        if message.path is None:
            return
        if message.quality == "preview":
            self.show_preview(message.path)
            return
        self.last_output = message.path
        # the file has the draft as it was when the export started: an edit made since is not exported
        self._remember(last_export=str(message.path), last_export_at=message.started_at)
        contains = f' It has your edits up to "{message.contains}".' if message.contains else ""
        await self.chat.add_notice(f"Saved {message.path}  ({self.key_for('copy')} copies the path).{contains}",
                                   "success")
        if missed:
            await self.chat.add_notice(f'"{missed[-1]}" came after this export started, so the file does not have '
                                       f"it: press {self.key_for('export')} (or type export) to export again.", "info")

    @work(group="credits", exit_on_error=False)
    async def refresh_credits_soon(self) -> None:
        await self.refresh_credits()

    def post_progress(self, key: str, label: str, percent: float, status: str = "") -> None:
        self.post_message(ExportProgress(key, label, percent, status))

    # --- the composer -------------------------------------------------------------------------

    @on(Composer.Submitted)
    async def on_submitted(self, event: Composer.Submitted) -> None:
        target = route(event.text)
        if target.action == UPLOAD:
            if target.paths:
                self.upload_files(target.paths)
            else:
                self.action_upload()
        elif target.action == EXPORT:
            await self.chat.add_user(event.text)
            self.action_export()
        elif target.action == CREDITS:
            await self.chat.add_user(event.text)
            self.action_credits()
        elif target.action == STATE:
            await self.chat.add_user(event.text)
            self.action_show_tracks()
        elif target.action == CHAT:
            await self.send(event.text)

    @on(Composer.FilesDropped)
    def on_files_dropped(self, event: Composer.FilesDropped) -> None:
        self.upload_files(event.paths)

    async def send(self, text: str) -> None:
        if self._turn is not None and self._turn.is_running:
            await self.chat.add_notice(f"Still answering the last message — wait, or press "
                                       f"{self.key_for('cancel')} to stop listening.", "warning")
            return
        await self.chat.add_user(text)
        self.chat.follow()
        self._turn = self.run_turn(text)

    @work(group="turn", exit_on_error=False)
    async def run_turn(self, text: str) -> None:
        from ..client.chat import EditApplied, StillWorking, TextDelta, TurnDone, TurnFailed, chat_turn

        client = self.require_client()
        self.post_message(Busy("thinking…"))
        reply = None
        try:
            async for event in chat_turn(client, text, self.draft):
                if isinstance(event, TextDelta):
                    chunk = event.text
                    if event.new_reply and reply is not None:
                        # a second model reply in the turn gets its own block, below any edit lines
                        await self._finish_reply(reply)
                        reply, chunk = None, chunk.lstrip("\n")
                    reply = reply or await self.chat.start_reply()
                    await reply.write(chunk)
                elif isinstance(event, EditApplied):
                    await self.chat.add_notice(event.line, "edit")
                elif isinstance(event, StillWorking):
                    await self.chat.add_notice("Still working...", "working")
                elif isinstance(event, TurnFailed):
                    await self.chat.add_notice(event.message, "error")
                elif isinstance(event, TurnDone):
                    await self._turn_done(event, reply, text)
                    reply = None
        finally:
            if reply is not None:
                await reply.finish()
            self.post_message(Busy(""))
        await self.refresh_credits()

    async def _finish_reply(self, reply) -> None:  # type: ignore[no-untyped-def]
        """Close a reply block: GUI phrases rewritten into this app's commands, offered as keys."""
        rewritten, actions = rewrite_reply(reply.text)
        await reply.finish(rewritten)
        for action in actions:
            key = self.key_for({"export": "export", "state": "tracks", "upload": "upload"}[action.key])
            await self.chat.add_notice(f"{action.label}: press {key} or type {action.key}", "info")

    async def _turn_done(self, done: TurnDone, reply, text: str) -> None:  # type: ignore[no-untyped-def]
        if reply is not None:
            await self._finish_reply(reply)
        if done.note:
            await self.chat.add_notice(done.note, "warning" if not done.complete else "info")
        if not done.text.strip() or not done.complete:
            for line in done.changes:
                await self.chat.add_notice(line, "edit")
        if done.state is not None:
            self.show_state(done.state, edit=text if done.changes else "")

    # --- actions -----------------------------------------------------------------------------

    def action_follow(self) -> None:
        self.chat.follow()
        self.query_one(Composer).focus()  # jumping to the newest message means typing again next

    @on(Composer.HelpRequested)
    def on_help_requested(self) -> None:
        self.action_help()

    def action_cancel(self) -> None:
        """Esc: stop listening to the reply; with no reply running, offer to cancel the export."""
        if self._turn is not None and self._turn.is_running:
            self._turn.cancel()
            self.after_cancel()
        elif self.exporting:
            self.action_cancel_export()

    def action_cancel_export(self) -> None:
        if not self.exporting:
            self.notify("No export is running.")
            return

        def answered(yes: bool | None) -> None:
            if yes and self.exporting:
                self.cancel_export()

        self.push_screen(Confirm("Cancel the export? The render stops and nothing is saved."), answered)

    @work(group="cancel", exclusive=True, exit_on_error=False)
    async def cancel_export(self) -> None:
        handle = self._export
        if handle is None:
            return
        self._cancel_requested = True
        for _ in range(200):  # the render is being submitted: its id comes in a moment
            if handle.job_id or not self.exporting:
                break
            await asyncio.sleep(0.05)
        if handle.job_id and self.exporting:
            await self.require_client().cancel_render(handle.job_id)

    async def action_undo(self) -> None:
        """Undo the last edit — or, while the composer holds text, the last change to that text."""
        composer = self.query_one(Composer)
        if self.focused is composer and composer.text:
            composer.action_undo()
            return
        await self.send("undo")

    async def action_redo(self) -> None:
        composer = self.query_one(Composer)
        if self.focused is composer and composer.text:
            composer.action_redo()
            return
        await self.send("redo")

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(self.key_for))

    @work(group="state", exit_on_error=False)
    async def after_cancel(self) -> None:
        await self.chat.add_notice("Stopped listening. The message was not re-sent; reading the timeline…",
                                   "warning")
        state = await self.require_client().state()
        self.show_state(state)
        await self.chat.add_notice(state.draft.summary(), "info")

    @work(group="state", exit_on_error=False)
    async def action_show_tracks(self) -> None:
        state = await self.require_client().state()
        self.show_state(state)
        await self.chat.add_notice(state.draft.summary(), "info")

    @work(group="credits", exit_on_error=False)
    async def action_credits(self) -> None:
        self.require_client()
        await self.refresh_credits(announce=True)

    def action_new_session(self) -> None:
        record = self.session_record
        if record is None or not record.unexported or not self.draft.exportable:
            self.start_new_session()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_new_session()

        self.push_screen(Confirm(f'"{record.title}" has edits that were never exported. Start a new session '
                                 f"anyway? It stays in the sessions list ({self.key_for('sessions')})."), answered)

    @work(group="state", exit_on_error=False)
    async def start_new_session(self) -> None:
        client = self.require_client()
        await client.new_session()
        self.first_clip = None
        self.show_draft(Draft())
        self._remember()
        self.post_message(Connected(client.require_session().session_id))
        await self.chat.add_notice("Started a new session. Drop a clip to begin.", "success")

    def action_sessions(self) -> None:
        from .screens.sessions import SessionsScreen

        if self.client is None:
            self.notify("Still connecting — try again in a moment.")
            return
        current = self.client.session.session_id if self.client.session else ""

        def chosen(session_id: str | None) -> None:
            if session_id and session_id != current:
                self.open_session(session_id)

        self.push_screen(SessionsScreen(self.memory, self.client.account_key, current), chosen)

    @work(group="state", exit_on_error=False)
    async def open_session(self, session_id: str) -> None:
        from ..client.api import Session, SessionLost

        client = self.require_client()
        record = self.memory.get(client.account_key, session_id) or SessionRecord(session_id)
        previous = client.session
        client.session = Session(session_id)
        try:
            state = await client.state()
        except SessionLost:
            self.memory.forget(client.account_key, session_id)
            client.session = previous
            await self.chat.add_notice(f'The server no longer has "{record.title}"; it was removed from the list.',
                                       "warning")
            return
        self.first_clip = Path(record.first_clip) if record.first_clip else None
        self.show_state(state)
        self.memory.save(client.account_key, record)
        self.post_message(Connected(session_id))
        await self.chat.add_notice(f'Opened "{record.title}". {state.draft.summary()}', "success")

    def action_upload(self) -> None:
        from .screens.picker import FilePicker

        start = self.first_clip.parent if self.first_clip else Path.cwd()

        def picked(paths: list[Path] | None) -> None:
            if paths:
                self.upload_files(paths)

        self.push_screen(FilePicker(start), picked)

    @work(group="upload", exit_on_error=False)
    async def upload_files(self, paths: list[Path]) -> None:
        from ..client.files import check_upload

        client = self.require_client()
        uploads: list[str] = []
        for path in paths:
            try:
                check_upload(path)
            except ApiError as exc:
                await self.chat.add_notice(str(exc), "error")
                continue
            key = f"upload:{path}"
            await self.chat.start_progress(key, f"Uploading {path.name}")
            self.post_message(Busy(f"uploading {path.name}"))
            try:
                uploaded = await client.upload(path, lambda pct, k=key: self.chat.set_progress(k, pct))
            except ApiError as exc:
                await self.chat.add_notice(f"{path.name}: {exc}", "error")
                continue
            finally:
                await self.chat.end_progress(key)
                self.post_message(Busy(""))
            if self.first_clip is None and uploaded.file_type == "video":
                self.first_clip = path
            self._remember(clip=uploaded.filename)
            uploads.append(uploaded.filename)
            size = f", {uploaded.width}x{uploaded.height}" if uploaded.width else ""
            await self.chat.add_notice(f"Uploaded {uploaded.filename} ({format_duration(int(uploaded.duration * 1000))}"
                                       f"{size})", "success")
        state = await client.state()
        self.show_state(state, edit=f"uploaded {', '.join(uploads)}" if uploads else "")

    def export_path(self) -> Path:
        from ..client.files import output_name, unique_path

        stem_source = self.first_clip or Path(str(self.draft.meta.get("title") or "addmusic") + ".mp4")
        beside_clip = self.first_clip.parent if self.first_clip else None
        if beside_clip is not None and beside_clip.is_relative_to(self.settings.folders.cache):
            beside_clip = None  # the generated sample lives in the cache: save where the app was started
        folder = self.settings.export_dir or beside_clip or Path.cwd()
        return unique_path(folder / output_name(stem_source))

    def action_export(self) -> None:
        if self.exporting:
            self.notify("An export is already running.")
            return
        self.run_export("high")

    def action_preview(self) -> None:
        if self.exporting:
            self.notify("An export is already running.")
            return
        if self.settings.uses_local_engine:
            self.run_export("preview")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_export("preview")

        self.push_screen(Confirm("A preview is a render: on the cloud it costs credits. Make one?"), answered)

    @work(group="export", exclusive=True, exit_on_error=False)
    async def run_export(self, quality: str) -> None:
        from ..client.exports import ExportHandle, export

        client = self.require_client()
        preview = quality == "preview"
        dest = (self.settings.folders.cache / "previews" / f"preview-{client.require_session().session_id[:8]}.mp4"
                if preview else self.export_path())
        key = f"export:{dest}"
        label = "Preview" if preview else "Export"
        record = self.session_record
        contains = record.last_edit if record else ""
        self._export = ExportHandle()
        self._export_quality = quality
        self._cancel_requested = False
        self._missed_edits = []
        self.post_progress(key, f"{label}: rendering", 0, "rendering")

        def progress(phase: str, pct: float) -> None:
            verb = "rendering" if phase == "render" else "downloading"
            self.post_progress(key, f"{label}: {verb} {pct:.0f}%", pct, f"{verb} {pct:.0f}%")

        done = ExportDone(key, quality, started_at=time.time())
        try:
            done.path = await export(client, dest, quality=quality, overwrite=preview, progress=progress,
                                     handle=self._export)
            done.contains = contains
        except ApiError as exc:
            done.error = str(exc)
            done.cancelled = self._cancel_requested
        finally:
            self._export = None
            self.post_message(done)

    @work(group="preview", exit_on_error=False)
    async def show_preview(self, path: Path) -> None:
        from .preview import build_preview, open_in_player, system_player_available

        if system_player_available() and open_in_player(path):
            await self.chat.add_notice(f"Opened the preview in your player: {path}", "success")
        width = self.chat.size.width - 4
        strip = await build_preview(path, max(20, width), frames=2 if width >= 100 else 1,
                                    duration_s=self.draft.end / 1000 or None,
                                    max_rows=max(8, self.size.height // 2), min_width=(width + 4) // 2)
        await self.chat.add_preview(strip, path.name)

    @work(group="collect", exclusive=True, exit_on_error=False)
    async def collect_renders(self) -> None:
        from ..client.exports import collect_pending, pending_store

        client = self.require_client()
        if not pending_store(client).for_origin(client.account_key):
            return
        key = "collect"
        self.post_progress(key, "Rendering from last time", 0, "rendering")

        def progress(phase: str, pct: float) -> None:
            verb = "Rendering" if phase == "render" else "Downloading"
            self.post_progress(key, f"{verb} from last time: {pct:.0f}%", pct, f"{verb.lower()} {pct:.0f}%")

        try:
            results = await collect_pending(client, progress)
        finally:
            self.post_message(ExportDone(key, "high", from_last_time=True))
        for _item, outcome in results:
            if isinstance(outcome, Path):
                self.last_output = outcome
                await self.chat.add_notice(f"Saved the render from last time: {outcome}", "success")
            else:
                await self.chat.add_notice(f"A render from last time could not be saved: {outcome}", "warning")

    def action_copy_output(self) -> None:
        if self.last_output is None:
            self.notify("Nothing exported yet.")
            return
        self.copy_to_clipboard(str(self.last_output))
        self.notify(f"Copied {self.last_output}")

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

    @on(Worker.StateChanged)
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
