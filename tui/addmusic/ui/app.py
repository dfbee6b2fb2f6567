"""The Textual app. It owns the one ApiClient and the session; async workers on the app's own
loop call the client and update the widgets; one handler reports any worker that fails."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from ..client.router import CHAT, CREDITS, EXPORT, STATE, UPLOAD, rewrite_reply, route
from ..client.sessions import LastSession, SessionMemory
from ..config import Settings
from ..protocol.draft import Draft
from ..protocol.errors import ApiError
from .collector import CHECK_S as COLLECT_CHECK_S
from .collector import IdleCollector
from .screens.confirm import Confirm
from .widgets.chat import ChatLog, ChatPane, reply_class
from .widgets.composer import Composer
from .widgets.status import StatusBar
from .widgets.trackview import TrackView

if TYPE_CHECKING:
    from ..client.api import ApiClient, SessionState
    from ..client.chat import TurnDone

# The client stack (httpx and friends) is imported inside the workers that use it, after the
# first screen is drawn: start-up is what users feel first.

log = logging.getLogger(__name__)

WELCOME = Text.assemble(
    ("Welcome!", "bold"), " Drop a clip into this window (or press ", ("ctrl+o", "bold"),
    "), then say what you want: ", ("add upbeat background music at 30%", "italic"), ", ",
    ('add a title "Summer 2024" for 3 seconds', "italic"), ", ", ("make it vertical for Reels", "italic"),
    ". Type ", ("export", "bold"), " (or ctrl+e) when it sounds right.",
)
RETRY_S = 3.0
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

    BINDINGS = [
        Binding("ctrl+o", "upload", "Upload", id="upload", priority=True),
        Binding("ctrl+e", "export", "Export", id="export", priority=True),
        Binding("ctrl+r", "preview", "Preview", id="preview", priority=True),
        Binding("ctrl+t", "show_tracks", "Tracks", id="tracks", priority=True),
        Binding("ctrl+b", "credits", "Credits", id="credits", priority=True, show=False),
        Binding("ctrl+n", "new_session", "New", id="new_session", priority=True, show=False),
        Binding("ctrl+y", "copy_output", "Copy path", id="copy", priority=True, show=False),
        Binding("ctrl+f", "follow", "Follow", id="follow", priority=True, show=False),
        Binding("escape", "cancel_turn", "Stop", id="cancel"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, settings: Settings, files: Iterable[Path] = (), *, sample: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.initial_files = list(files)
        self.want_sample = sample
        self.client: ApiClient | None = None
        self.draft = Draft()
        self.first_clip: Path | None = None
        self.last_output: Path | None = None
        self.exporting = False
        self.connecting = False
        self.memory = SessionMemory(settings.folders.data / "sessions.json")
        self._turn: Worker | None = None
        self._chat_pane: ChatPane | None = None
        self.collector = IdleCollector(self._quiet_for)

    # --- layout ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The main keys are priority bindings (the composer would take them otherwise); while a
        modal screen (picker, question) is open they belong to it."""
        if action != "quit" and len(self.screen_stack) > 1 and action in self._main_actions:
            return False
        return True

    _main_actions = frozenset(b.action for b in BINDINGS)  # type: ignore[attr-defined]

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
        log = self._chat_pane.log_view if isinstance(event, events.Key) and self._chat_pane else None
        if log is not None:
            log.note_key()  # the echo is drawn before more of a streaming reply
        await super().on_event(event)
        if log is not None:  # queued behind the key itself, so it runs once the key's echo is drawn
            (self.focused or self.screen).call_after_refresh(log.echo_drawn)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def tracks(self) -> TrackView:
        return self.query_one(TrackView)

    async def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        if self.settings.theme:
            self.theme = self.settings.theme
        self.status_bar.set(backend=self._backend_label(), low_at=self.settings.low_credits)
        self.query_one(Composer).focus()
        self.chat.transcript = self.settings.folders.data / "transcripts" / f"chat-{time.strftime('%Y%m%d-%H%M%S')}.md"
        await self.chat.add_welcome(WELCOME)
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

        self.connecting = True
        self.status_bar.set(connection="Connecting...")
        try:
            if self.settings.uses_local_engine:
                url = await ensure_engine(self.settings.folders.engine)
                client = ApiClient(url, self.settings, account_key=LOCAL_ENGINE_KEY)
            else:
                client = ApiClient(self.settings.api_url or "", self.settings)
            if self.client is not None:
                await self.client.aclose()
            self.client = client
            await self._open_session(client)
            self.status_bar.set(connection="Ready!")
        except ApiError as exc:
            self.status_bar.set(connection=f"Offline — retrying in {RETRY_S:.0f}s")
            await self.chat.add_notice(str(exc), "error")
            self.set_timer(RETRY_S, self.connect)
            return
        finally:
            self.connecting = False
        await self.refresh_credits()
        # what the first reply needs (markdown-it, Textual's Markdown, the chat stream: 60-260 ms to
        # import, measured) is imported in a thread, so keys typed meanwhile are not held up
        await asyncio.to_thread(_preload_reply_modules)
        reply_class()
        self.collector.start()
        self.collect_renders()
        files = list(self.initial_files)
        self.initial_files = []
        if self.want_sample:
            self.want_sample = False
            files.insert(0, await self._sample())
        if files:
            self.upload_files(files)

    async def _open_session(self, client: ApiClient) -> None:
        from ..client.api import Session, SessionLost

        last = self.memory.load(client.account_key)
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
                if state.draft.exportable:
                    await self.chat.add_notice("Resumed your last session.", "info")
        if not last:
            await client.new_session()
            self.first_clip = None
            self.show_draft(Draft())
            self._remember()
        self.status_bar.set(session=client.require_session().session_id)

    def _remember(self) -> None:
        if self.client and self.client.session:
            self.memory.save(self.client.account_key, LastSession(
                self.client.session.session_id, str(self.first_clip or "")))

    async def watch_engine(self) -> None:
        """Restart the local engine when it died (or went idle) — never sit on a dead backend."""
        if self.connecting or self.client is None:
            return
        from ..client.launcher import running_engine

        if await running_engine(self.settings.folders.engine) is None and self.is_running:
            self.status_bar.set(connection="Engine stopped — restarting...")
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

    def show_draft(self, draft: Draft, clip_size: tuple[int, int] | None = None) -> None:
        self.draft = draft
        self.tracks.show(draft, clip_size)

    def show_state(self, state: SessionState) -> None:
        self.show_draft(state.draft, first_clip_size(state))

    async def refresh_credits(self) -> None:
        if self.client is None:
            return
        try:
            balance = await self.require_client().credits()
        except ApiError as exc:
            log.info("credits unavailable: %s", exc)
            return
        self.status_bar.set(available=balance.available, frozen=balance.frozen, total=balance.total)

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
            await self.chat.add_notice("Still answering the last message — wait, or press Esc to stop listening.",
                                       "warning")
            return
        await self.chat.add_user(text)
        self.chat.follow()
        self._turn = self.run_turn(text)

    @work(group="turn", exit_on_error=False)
    async def run_turn(self, text: str) -> None:
        from ..client.chat import EditApplied, StillWorking, TextDelta, TurnDone, TurnFailed, chat_turn

        client = self.require_client()
        self.status_bar.set(busy="thinking…")
        reply = None
        try:
            async for event in chat_turn(client, text, self.draft):
                if isinstance(event, TextDelta):
                    reply = reply or await self.chat.start_reply()
                    await reply.write(event.text)
                elif isinstance(event, EditApplied):
                    await self.chat.add_notice(event.line, "edit")
                elif isinstance(event, StillWorking):
                    await self.chat.add_notice("Still working...", "working")
                elif isinstance(event, TurnFailed):
                    await self.chat.add_notice(event.message, "error")
                elif isinstance(event, TurnDone):
                    await self._turn_done(event, reply)
                    reply = None
        finally:
            if reply is not None:
                await reply.finish()
            self.status_bar.set(busy="")
        await self.refresh_credits()

    async def _turn_done(self, done: TurnDone, reply) -> None:  # type: ignore[no-untyped-def]
        if reply is not None:
            rewritten, actions = rewrite_reply(reply.text)
            await reply.finish(rewritten)
            for action in actions:
                key = {"export": "ctrl+e", "state": "ctrl+t", "upload": "ctrl+o"}[action.key]
                await self.chat.add_notice(f"{action.label}: press {key} or type {action.key}", "info")
        if done.note:
            await self.chat.add_notice(done.note, "warning" if not done.complete else "info")
        if not done.text.strip() or not done.complete:
            for line in done.changes:
                await self.chat.add_notice(line, "edit")
        if done.state is not None:
            self.show_state(done.state)

    # --- actions -----------------------------------------------------------------------------

    def action_follow(self) -> None:
        self.chat.follow()

    def action_cancel_turn(self) -> None:
        if self._turn is not None and self._turn.is_running:
            self._turn.cancel()
            self.after_cancel()

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
        balance = await self.require_client().credits()
        self.status_bar.set(available=balance.available, frozen=balance.frozen, total=balance.total)
        await self.chat.add_notice(
            f"Credits: {balance.available:,} available · {balance.frozen:,} frozen · {balance.total:,} total", "info")

    @work(group="state", exit_on_error=False)
    async def action_new_session(self) -> None:
        client = self.require_client()
        await client.new_session()
        self.first_clip = None
        self.show_draft(Draft())
        self._remember()
        self.status_bar.set(session=client.require_session().session_id)
        await self.chat.add_notice("Started a new session. Drop a clip to begin.", "success")

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
        for path in paths:
            try:
                check_upload(path)
            except ApiError as exc:
                await self.chat.add_notice(str(exc), "error")
                continue
            key = f"upload:{path}"
            await self.chat.start_progress(key, f"Uploading {path.name}")
            self.status_bar.set(busy=f"uploading {path.name}")
            try:
                uploaded = await client.upload(path, lambda pct, k=key: self.chat.set_progress(k, pct))
            except ApiError as exc:
                await self.chat.add_notice(f"{path.name}: {exc}", "error")
                continue
            finally:
                await self.chat.end_progress(key)
                self.status_bar.set(busy="")
            if self.first_clip is None and uploaded.file_type == "video":
                self.first_clip = path
            size = f", {uploaded.width}x{uploaded.height}" if uploaded.width else ""
            await self.chat.add_notice(f"Uploaded {uploaded.filename} ({uploaded.duration:g}s{size})", "success")
        self._remember()
        state = await client.state()
        self.show_state(state)

    def export_path(self) -> Path:
        from ..client.files import output_name, unique_path

        stem_source = self.first_clip or Path(str(self.draft.meta.get("title") or "addmusic") + ".mp4")
        folder = self.settings.export_dir or (self.first_clip.parent if self.first_clip else Path.cwd())
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

    @work(group="export", exit_on_error=False)
    async def run_export(self, quality: str) -> None:
        from ..client.exports import export

        client = self.require_client()
        preview = quality == "preview"
        dest = (self.settings.folders.cache / "previews" / f"preview-{client.require_session().session_id[:8]}.mp4"
                if preview else self.export_path())
        key = f"export:{dest}"
        label = "Preview" if preview else "Export"
        self.exporting = True
        await self.chat.start_progress(key, f"{label}: rendering")

        def progress(phase: str, pct: float) -> None:
            verb = "rendering" if phase == "render" else "downloading"
            self.chat.set_progress(key, pct, f"{label}: {verb} {pct:.0f}%")
            self.status_bar.set(busy=f"{verb} {pct:.0f}%")

        try:
            path = await export(client, dest, quality=quality, overwrite=preview, progress=progress)
        finally:
            self.exporting = False
            await self.chat.end_progress(key)
            self.status_bar.set(busy="")
        await self.refresh_credits()
        if preview:
            await self._show_preview(path)
            return
        self.last_output = path
        await self.chat.add_notice(f"Saved {path}  (ctrl+y copies the path)", "success")

    async def _show_preview(self, path: Path) -> None:
        from .preview import build_preview, open_in_player, system_player_available

        if system_player_available() and open_in_player(path):
            await self.chat.add_notice(f"Opened the preview in your player: {path}", "success")
        strip = await build_preview(path, max(20, self.chat.size.width - 4), duration_s=self.draft.end / 1000 or None)
        await self.chat.add_widget(strip)

    @work(group="collect", exit_on_error=False)
    async def collect_renders(self) -> None:
        from ..client.exports import collect_pending

        client = self.require_client()
        for _item, outcome in await collect_pending(client):
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
        yield SystemCommand("Upload clips", "Pick video, image or audio files to upload (ctrl+o)", self.action_upload)
        yield SystemCommand("Export", "Render the edit to an MP4 and save it (ctrl+e)", self.action_export)
        yield SystemCommand("Preview", "A quick low-resolution render, shown here (ctrl+r)", self.action_preview)
        yield SystemCommand("Show tracks", "Read the timeline from the server (ctrl+t)", self.action_show_tracks)
        yield SystemCommand("Credits", "Refresh the credit balance (ctrl+b)", self.action_credits)
        yield SystemCommand("New session", "Start over with an empty timeline (ctrl+n)", self.action_new_session)
        yield SystemCommand("Stop listening", "Cancel the current reply; nothing is re-sent (esc)",
                            self.action_cancel_turn)
        yield SystemCommand("Copy output path", "Copy the saved file's path to the clipboard (ctrl+y)",
                            self.action_copy_output)
        yield SystemCommand("Follow chat", "Jump to the newest message and keep following (ctrl+f)",
                            self.action_follow)
