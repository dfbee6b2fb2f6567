"""Connecting and sessions: find or start the backend, resume, open or start a session, and the
handlers that adopt what those workers found (the client, the session record, the first clip).
Part of AddMusicApp (a mixin: `self` is the app)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from ..client.sessions import SessionRecord
from ..protocol.draft import Draft
from ..protocol.errors import ApiError
from .messages import (
    ClientReady,
    Connected,
    ConnectFailed,
    Connecting,
    DraftChanged,
    Notice,
    SessionOpened,
    WarmedUp,
)
from .screens.confirm import Confirm

if TYPE_CHECKING:
    from ..client.api import ApiClient, SessionState

RETRY_S = 3.0  # first wait after a failed connect; doubled after each further failure
RETRY_MAX_S = 60.0
WATCHDOG_S = 5.0


def first_clip_size(state: SessionState) -> tuple[int, int] | None:
    """The first clip's picture size (what the output keeps when the draft sets no canvas)."""
    from ..protocol.draft import VIDEO

    first = next((s.src for t in state.draft.tracks_of(VIDEO) for s in t.segments), None)
    infos = [i for i in state.video_infos if i.get("media_id") == first] or \
        [i for i in state.video_infos if i.get("kind") != "audio"]
    for info in infos:
        try:
            width, height = int(info.get("width") or 0), int(info.get("height") or 0)
        except (TypeError, ValueError):
            continue
        if width > 0 and height > 0:
            return width, height
    return None


def state_message(state: SessionState, edit: str = "") -> DraftChanged:
    """What a worker posts after reading the session's state."""
    return DraftChanged(state.draft, first_clip_size(state), edit, state.video_infos)


def _preload_reply_modules() -> None:
    import markdown_it  # noqa: F401
    import textual.widgets._markdown  # noqa: F401

    from ..client import chat  # noqa: F401


class ConnectionMixin:
    # --- workers: they post what they found ------------------------------------------------

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self: Any) -> None:
        """Find or start the backend, resume the last session (or start one)."""
        from ..client.api import ApiClient
        from ..client.launcher import LOCAL_ENGINE_KEY, ensure_engine

        self.post_message(Connecting("Connecting..."))
        try:
            if self.settings.uses_local_engine:
                url = await ensure_engine(self.settings.folders.engine)
                client = ApiClient(url, self.settings, account_key=LOCAL_ENGINE_KEY)
            else:
                client = ApiClient(self.settings.api_url or "", self.settings)
            opened = await self._open_session(client)
        except ApiError as exc:
            self.post_message(ConnectFailed(str(exc)))
            return
        self.post_message(ClientReady(client))
        for message in opened:
            self.post_message(message)
        self.post_message(Connected(client.require_session().session_id, first=True))

    async def _open_session(self: Any, client: ApiClient) -> list[Any]:
        """Resume the remembered session (or start one); the messages that show it, in order."""
        from ..client.api import Session, SessionLost

        last = self.memory.load(client.account_key) if self.resume else None
        messages: list[Any] = []
        if last:
            client.session = Session(last.session_id)
            try:
                state = await client.state()
            except SessionLost:
                messages.append(Notice("Your last session has ended; started a new one.", "warning"))
                last = None
            else:
                messages += [SessionOpened(Path(last.first_clip) if last.first_clip else None, last),
                             state_message(state)]
                if state.draft.exportable:
                    messages.append(Notice(f'Resumed your last session, "{last.title}".', "info"))
        if not last:
            await client.new_session()
            messages += [SessionOpened(None), DraftChanged(Draft(), media=[])]
        return messages

    @work(group="connected", exit_on_error=False)
    async def after_connect(self: Any, files: list[Path], sample: bool) -> None:
        self.collect_renders()  # a render left running last time shows its progress at once
        await self.refresh_credits()
        # what the first reply needs (markdown-it, Textual's Markdown, the chat stream: 60-260 ms to
        # import, measured) is imported in a thread, so keys typed meanwhile are not held up
        await asyncio.to_thread(_preload_reply_modules)
        self.post_message(WarmedUp())
        if sample:
            files.insert(0, await self._sample())
        if files:
            self.upload_files(files)

    async def _sample(self: Any) -> Path:
        from ..sample import make_sample

        path = self.settings.folders.cache / "sample.mp4"
        if not path.is_file():
            self.post_message(Notice("Making a sample clip…", "working"))
            path.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(make_sample, path)
        return path

    @work(group="state", exit_on_error=False)
    async def start_new_session(self: Any) -> None:
        client = self.require_client()
        await client.new_session()
        self.post_message(SessionOpened(None))
        self.post_message(DraftChanged(Draft(), media=[]))
        self.post_message(Connected(client.require_session().session_id))
        self.post_message(Notice("Started a new session. Drop a clip to begin.", "success"))

    @work(group="state", exit_on_error=False)
    async def open_session(self: Any, session_id: str) -> None:
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
            self.post_message(Notice(f'The server no longer has "{record.title}"; it was removed from the list.',
                                     "warning"))
            return
        self.post_message(SessionOpened(Path(record.first_clip) if record.first_clip else None, record))
        self.post_message(state_message(state))
        self.post_message(Connected(session_id))
        self.post_message(Notice(f'Opened "{record.title}". {state.draft.summary()}', "success"))

    # --- handlers: the connection's and the session's state ----------------------------------

    async def on_client_ready(self: Any, message: ClientReady) -> None:
        if self.client is not None and self.client is not message.client:
            await self.client.aclose()
        self.client = message.client
        self.resume = True  # a reconnect (engine restarted) keeps the session it had

    async def on_connect_failed(self: Any, message: ConnectFailed) -> None:
        wait = min(RETRY_MAX_S, RETRY_S * 2 ** self._connect_failures)
        self._connect_failures += 1
        self.set_timer(wait, self.connect)
        if self._widgets_gone():
            return
        self.status_bar.set(connection=f"Offline — retrying in {wait:.0f}s")
        if message.error != self._offline_said:  # said once, not at every retry
            self._offline_said = message.error
            await self.chat.add_notice(message.error, "error")

    def on_connecting(self: Any, message: Connecting) -> None:
        if not self._widgets_gone():
            self.status_bar.set(connection=message.status)

    def on_connected(self: Any, message: Connected) -> None:
        if self._widgets_gone():
            return
        self._connect_failures, self._offline_said = 0, ""
        self.status_bar.set(connection="Ready!", session=message.session_id)
        if message.first:
            files, sample = list(self.initial_files), self.want_sample
            self.initial_files, self.want_sample = [], False
            self.after_connect(files, sample)

    def on_warmed_up(self: Any, message: WarmedUp) -> None:
        from .widgets.chat import reply_class

        reply_class()
        self.collector.start()

    def on_session_opened(self: Any, message: SessionOpened) -> None:
        self.first_clip = message.first_clip
        if message.record is not None and self.client is not None:
            self.memory.save(self.client.account_key, message.record)  # made current
        else:
            self._remember()

    async def watch_engine(self: Any) -> None:
        """Restart the local engine when it died (or went idle) — never sit on a dead backend."""
        if self.connecting or self.client is None:
            return
        from ..client.launcher import running_engine

        if await running_engine(self.settings.folders.engine) is None and self.is_running:
            # a timer's task, like a worker: it posts, the handlers draw
            self.post_message(Connecting("Engine stopped — restarting..."))
            self.post_message(Notice("The local engine stopped; restarting it. Your session is kept.", "warning"))
            self.connect()

    # --- the session record ------------------------------------------------------------------

    @property
    def session_record(self: Any) -> SessionRecord | None:
        if self.client is None or self.client.session is None:
            return None
        return self.memory.get(self.client.account_key, self.client.session.session_id)

    def _remember(self: Any, *, clip: str = "", **changes: object) -> None:
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

    def record_edit(self: Any, what: str) -> None:
        self._remember(last_edit=what, last_edit_at=time.time())

    # --- actions -----------------------------------------------------------------------------

    def action_new_session(self: Any) -> None:
        record = self.session_record
        if record is None or not record.unexported or not self.draft.exportable:
            self.start_new_session()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_new_session()

        self.push_screen(Confirm(f'"{record.title}" has edits that were never exported. Start a new session '
                                 f"anyway? It stays in the sessions list ({self.key_for('sessions')})."), answered)

    def action_sessions(self: Any) -> None:
        from .screens.sessions import SessionsScreen

        if self.client is None:
            self.notify("Still connecting — try again in a moment.")
            return
        current = self.client.session.session_id if self.client.session else ""

        def chosen(session_id: str | None) -> None:
            if session_id and session_id != current:
                self.open_session(session_id)

        self.push_screen(SessionsScreen(self.memory, self.client.account_key, current), chosen)
