"""Exports and previews: where the file goes, the worker that renders and downloads it (it posts
each step, "Queued — 2 exports ahead" included), cancelling, renders left from last time, and
the handlers that draw the progress and say what was saved. Part of AddMusicApp (a mixin)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from textual import work

from ..protocol.errors import ApiError
from .messages import ExportDone, ExportProgress, ExportStarted, PreviewReady, RendersCollected
from .screens.confirm import Confirm

EXPORT_GROUP = "export"


def queued_label(ahead: int, label: str = "Export") -> str:
    """The progress row while a render waits its turn: `Queued — 2 exports ahead`."""
    head = "Queued" if label == "Export" else f"{label} queued"
    if ahead <= 0:
        return f"{head} — next to render"
    return f"{head} — {ahead} export{'s' if ahead != 1 else ''} ahead"


class ExportsMixin:
    @property
    def exporting(self: Any) -> bool:
        """An export or preview renders (its worker group is exclusive: one at a time)."""
        return self._group_running(EXPORT_GROUP)

    def export_path(self: Any) -> Path:
        from ..client.files import output_name, unique_path

        stem_source = self.first_clip or Path(str(self.draft.meta.get("title") or "addmusic") + ".mp4")
        beside_clip = self.first_clip.parent if self.first_clip else None
        if beside_clip is not None and beside_clip.is_relative_to(self.settings.folders.cache):
            beside_clip = None  # the generated sample lives in the cache: save where the app was started
        folder = self.settings.export_dir or beside_clip or Path.cwd()
        return unique_path(folder / output_name(stem_source))

    # --- actions -----------------------------------------------------------------------------

    def _one_export_at_a_time(self: Any) -> bool:
        """Whether a new export may start; says why not when one is running."""
        if self.exporting:
            self.notify("An export is already running.")
        return not self.exporting

    def action_export(self: Any) -> None:
        if self._one_export_at_a_time():
            self.run_export("high", smart=self.settings.smart_render)

    def action_export_full(self: Any) -> None:
        """An export that re-encodes every frame, whatever `smart_render` says."""
        if self._one_export_at_a_time():
            self.run_export("high", smart=False)

    def action_preview(self: Any) -> None:
        if not self._one_export_at_a_time():
            return
        if self.settings.uses_local_engine:
            self.run_export("preview")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_export("preview")

        self.push_screen(Confirm("A preview is a render: on the cloud it costs credits. Make one?"), answered)

    def action_cancel_export(self: Any) -> None:
        if not self.exporting:
            self.notify("No export is running.")
            return

        def answered(yes: bool | None) -> None:
            if yes and self.exporting and self._export is not None:
                self._cancel_requested = True
                self.cancel_export(self._export)

        self.push_screen(Confirm("Cancel the export? The render stops and nothing is saved."), answered)

    def action_copy_output(self: Any) -> None:
        if self.last_output is None:
            self.notify("Nothing exported yet.")
            return
        self.copy_to_clipboard(str(self.last_output))
        self.notify(f"Copied {self.last_output}")

    # --- workers: they only post -------------------------------------------------------------

    @work(group=EXPORT_GROUP, exclusive=True, exit_on_error=False)
    async def run_export(self: Any, quality: str, smart: bool = True) -> None:
        from ..client.exports import ExportHandle, export

        client = self.require_client()
        preview = quality == "preview"
        dest = (self.settings.folders.cache / "previews" / f"preview-{client.require_session().session_id[:8]}.mp4"
                if preview else self.export_path())
        key = f"export:{dest}"
        label = "Preview" if preview else "Export"
        record = self.session_record
        contains = record.last_edit if record else ""
        handle = ExportHandle()
        self.post_message(ExportStarted(handle, quality))
        self.post_message(ExportProgress(key, f"{label}: rendering", 0, "rendering"))
        waiting = False  # heard waiting in the engine's queue, and not started since

        def queued(ahead: int) -> None:
            nonlocal waiting
            waiting = True
            self.post_message(ExportProgress(key, queued_label(ahead, label), 0,
                                             f"queued, {ahead} ahead" if ahead else "queued, next"))

        def started() -> None:
            nonlocal waiting
            waiting = False

        def progress(phase: str, pct: float) -> None:
            if waiting and phase == "render":
                return  # the queue line stays until the render starts
            verb = "rendering" if phase == "render" else "downloading"
            self.post_message(ExportProgress(key, f"{label}: {verb} {pct:.0f}%", pct, f"{verb} {pct:.0f}%"))

        done = ExportDone(key, quality, started_at=time.time())

        def planned(plan: Any) -> None:
            done.made = plan.line()  # read by the handler once `done` is posted

        try:
            done.path = await export(client, dest, quality=quality, overwrite=preview, progress=progress,
                                     handle=handle, queued=queued, started=started, smart=smart, planned=planned)
            done.contains = contains
        except ApiError as exc:
            done.error = str(exc)
        finally:
            self.post_message(done)

    @work(group="cancel", exclusive=True, exit_on_error=False)
    async def cancel_export(self: Any, handle: Any) -> None:
        for _ in range(200):  # the render is being submitted: its id comes in a moment
            if handle.job_id or not self.exporting:
                break
            await asyncio.sleep(0.05)
        if handle.job_id and self.exporting:
            await self.require_client().cancel_render(handle.job_id)

    @work(group="preview", exit_on_error=False)
    async def show_preview(self: Any, path: Path) -> None:
        from .preview import build_preview, open_in_player, system_player_available

        width, height = self.chat.size.width - 4, self.size.height  # read only: drawn by the handler
        duration_s = self.draft.end / 1000 or None

        opened = system_player_available() and open_in_player(path)
        strip = await build_preview(path, max(20, width), frames=2 if width >= 100 else 1, duration_s=duration_s,
                                    max_rows=max(8, height // 2), min_width=(width + 4) // 2)
        self.post_message(PreviewReady(path, strip, opened))

    @work(group="collect", exclusive=True, exit_on_error=False)
    async def collect_renders(self: Any) -> None:
        from ..client.exports import collect_pending, pending_store

        client = self.require_client()
        if not pending_store(client).for_origin(client.account_key):
            return
        key = "collect"
        self.post_message(ExportProgress(key, "Rendering from last time", 0, "rendering"))

        def progress(phase: str, pct: float) -> None:
            verb = "Rendering" if phase == "render" else "Downloading"
            self.post_message(ExportProgress(key, f"{verb} from last time: {pct:.0f}%", pct,
                                             f"{verb.lower()} {pct:.0f}%"))

        collected = RendersCollected(key)
        try:
            for _item, outcome in await collect_pending(client, progress):
                if isinstance(outcome, Path):
                    collected.saved.append(outcome)
                else:
                    collected.failed.append(str(outcome))
        finally:
            self.post_message(collected)

    # --- handlers: the progress rows, the running export, what was saved ----------------------

    def on_export_started(self: Any, message: ExportStarted) -> None:
        self._export = message.handle
        self._export_quality = message.quality
        self._cancel_requested = False
        self._missed_edits = []

    async def on_export_progress(self: Any, message: ExportProgress) -> None:
        if self._widgets_gone():
            return
        if message.key not in self.chat.progress:
            await self.chat.start_progress(message.key, message.label)
        self.chat.set_progress(message.key, message.percent, message.label)
        self.status_bar.set(busy=message.status or message.label)

    async def on_export_done(self: Any, message: ExportDone) -> None:
        self._export = None
        cancelled = message.cancelled or bool(message.error and self._cancel_requested)
        self._cancel_requested = False
        missed, self._missed_edits = self._missed_edits, []
        if self._widgets_gone():
            return
        await self.chat.end_progress(message.key)
        self.status_bar.set(busy="")
        self.refresh_credits_soon()
        if cancelled:
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
        made = f" {message.made}." if message.made else ""
        await self.chat.add_notice(f"Saved {message.path}  ({self.key_for('copy')} copies the path).{made}{contains}",
                                   "success")
        if missed:
            await self.chat.add_notice(f'"{missed[-1]}" came after this export started, so the file does not have '
                                       f"it: press {self.key_for('export')} (or type export) to export again.", "info")

    async def on_renders_collected(self: Any, message: RendersCollected) -> None:
        if self._widgets_gone():
            return
        await self.chat.end_progress(message.key)
        self.status_bar.set(busy="")
        self.refresh_credits_soon()
        for path in message.saved:
            self.last_output = path
            await self.chat.add_notice(f"Saved the render from last time: {path}", "success")
        for reason in message.failed:
            await self.chat.add_notice(f"A render from last time could not be saved: {reason}", "warning")

    async def on_preview_ready(self: Any, message: PreviewReady) -> None:
        if self._widgets_gone():
            return
        if message.opened_in_player:
            await self.chat.add_notice(f"Opened the preview in your player: {message.path}", "success")
        await self.chat.add_preview(message.strip, message.path.name)
