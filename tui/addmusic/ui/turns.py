"""A conversation turn: what the composer sends, the worker that streams the reply (it posts
what it hears) and the handlers that write it into the chat, in the order it came.
Part of AddMusicApp (a mixin: `self` is the app)."""

from __future__ import annotations

from typing import Any

from textual import work

from ..client.router import CHAT, CREDITS, EXPORT, EXPORT_FULL, STATE, UPLOAD, rewrite_reply, route
from .connection import state_message
from .messages import Busy, Notice, ReplyChunk, TurnEnded, TurnFinished
from .widgets.composer import Composer

TURN_GROUP = "turn"


class TurnsMixin:
    # --- the composer -----------------------------------------------------------------------

    async def on_composer_submitted(self: Any, event: Composer.Submitted) -> None:
        target = route(event.text)
        if target.action == UPLOAD:
            if target.paths:
                self.upload_files(target.paths)
            else:
                self.action_upload()
        elif target.action == EXPORT:
            await self.chat.add_user(event.text)
            self.action_export()
        elif target.action == EXPORT_FULL:
            await self.chat.add_user(event.text)
            self.action_export_full()
        elif target.action == CREDITS:
            await self.chat.add_user(event.text)
            self.action_credits()
        elif target.action == STATE:
            await self.chat.add_user(event.text)
            self.action_show_tracks()
        elif target.action == CHAT:
            await self.send(event.text)

    def on_composer_files_dropped(self: Any, event: Composer.FilesDropped) -> None:
        self.upload_files(event.paths)

    def on_composer_help_requested(self: Any, event: Composer.HelpRequested) -> None:
        self.action_help()

    @property
    def answering(self: Any) -> bool:
        """A turn's reply is still coming (its worker group runs one turn at a time)."""
        return self._group_running(TURN_GROUP)

    async def send(self: Any, text: str) -> None:
        if self.answering:
            await self.chat.add_notice(f"Still answering the last message — wait, or press "
                                       f"{self.key_for('cancel')} to stop listening.", "warning")
            return
        await self.chat.add_user(text)
        self.chat.follow()
        self.run_turn(text)

    # --- the worker: it only posts ----------------------------------------------------------

    @work(group=TURN_GROUP, exit_on_error=False)
    async def run_turn(self: Any, text: str) -> None:
        from ..client.chat import EditApplied, StillWorking, TextDelta, TurnDone, TurnFailed, chat_turn

        client = self.require_client()
        self.post_message(Busy("thinking…"))
        try:
            async for event in chat_turn(client, text, self.draft):
                if isinstance(event, TextDelta):
                    self.post_message(ReplyChunk(event.text, event.new_reply))
                elif isinstance(event, EditApplied):
                    self.post_message(Notice(event.line, "edit"))
                elif isinstance(event, StillWorking):
                    self.post_message(Notice("Still working...", "working"))
                elif isinstance(event, TurnFailed):
                    self.post_message(Notice(event.message, "error"))
                elif isinstance(event, TurnDone):
                    self.post_message(TurnFinished(event, text))
        finally:
            self.post_message(TurnEnded())
        await self.refresh_credits()

    # --- handlers: the reply in the chat ------------------------------------------------------

    async def on_reply_chunk(self: Any, message: ReplyChunk) -> None:
        if self._widgets_gone():
            return
        chunk = message.text
        if message.new_reply and self._reply is not None:
            # a second model reply in the turn gets its own block, below any edit lines
            await self._finish_reply()
            chunk = chunk.lstrip("\n")
        if self._reply is None:
            self._reply = await self.chat.start_reply()
        await self._reply.write(chunk)

    async def _finish_reply(self: Any) -> None:
        """Close the reply block: GUI phrases rewritten into this app's commands, offered as keys."""
        reply, self._reply = self._reply, None
        if reply is None:
            return
        rewritten, actions = rewrite_reply(reply.text)
        await reply.finish(rewritten)
        for action in actions:
            key = self.key_for({"export": "export", "state": "tracks", "upload": "upload"}[action.key])
            await self.chat.add_notice(f"{action.label}: press {key} or type {action.key}", "info")

    async def on_turn_finished(self: Any, message: TurnFinished) -> None:
        if self._widgets_gone():
            return
        done = message.done
        await self._finish_reply()
        if done.note:
            await self.chat.add_notice(done.note, "warning" if not done.complete else "info")
        if not done.text.strip() or not done.complete:
            for line in done.changes:
                await self.chat.add_notice(line, "edit")
        if done.state is not None:
            # an edit the diff lines do not name (crossfades, beat sync) is still an edit: the export
            # that follows must say it has it
            changed = bool(done.changes) or done.state.draft.to_json() != self.draft.to_json()
            await self.on_draft_changed(state_message(done.state, message.text if changed else ""))

    async def on_turn_ended(self: Any, message: TurnEnded) -> None:
        if self._widgets_gone():
            return
        reply, self._reply = self._reply, None
        if reply is not None:  # stopped mid-reply: keep what came, as it came
            await reply.finish()
        self.status_bar.set(busy="")

    # --- actions -----------------------------------------------------------------------------

    def action_cancel(self: Any) -> None:
        """Esc: stop listening to the reply; with no reply running, offer to cancel the export."""
        if self.answering:
            self.workers.cancel_group(self, TURN_GROUP)
            self.after_cancel()
        elif self.exporting:
            self.action_cancel_export()

    @work(group="state", exit_on_error=False)
    async def after_cancel(self: Any) -> None:
        self.post_message(Notice("Stopped listening. The message was not re-sent; reading the timeline…",
                                 "warning"))
        state = await self.require_client().state()
        self.post_message(state_message(state))
        self.post_message(Notice(state.draft.summary(), "info"))

    @work(group="state", exit_on_error=False)
    async def action_show_tracks(self: Any) -> None:
        state = await self.require_client().state()
        self.post_message(state_message(state))
        self.post_message(Notice(state.draft.summary(), "info"))

    async def action_undo(self: Any) -> None:
        """Undo the last edit — or, while the composer holds text, the last change to that text."""
        composer = self.query_one(Composer)
        if self.focused is composer and composer.text:
            composer.action_undo()
            return
        await self.send("undo")

    async def action_redo(self: Any) -> None:
        composer = self.query_one(Composer)
        if self.focused is composer and composer.text:
            composer.action_redo()
            return
        await self.send("redo")
