"""Uploads: the file picker, the worker that sends files (it posts each step) and the handlers
that draw the progress rows, remember the clip, and offer an uploaded song without applying it.
Part of AddMusicApp (a mixin: `self` is the app)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from ..protocol.draft import AUDIO, Draft, format_duration
from ..protocol.errors import ApiError
from .connection import state_message
from .messages import Busy, Notice, Uploaded, UploadProgress

if TYPE_CHECKING:
    from ..client.api import UploadedFile

# An uploaded song is offered, not applied (docs/API.md): the chat says how to use it.
SONG_OFFERED = {
    "en": 'is uploaded. Say "use my song" to put it under the video.',
    "zh": '已上传。说“用我的歌”就能把它放到视频下面。',
}


def song_offer(name: str, language: str) -> str:
    """`summer.mp3 is uploaded. Say "use my song" to put it under the video.` (or in Chinese)."""
    lang = "zh" if language.lower().startswith("zh") else "en"
    return f"{name} {SONG_OFFERED[lang]}"


def used_sources(draft: Draft) -> set[str]:
    return {s.src for t in draft.tracks_of(AUDIO) for s in t.segments if s.src}


class UploadsMixin:
    def action_upload(self: Any) -> None:
        from .screens.picker import FilePicker

        start = self.first_clip.parent if self.first_clip else Path.cwd()

        def picked(paths: list[Path] | None) -> None:
            if paths:
                self.upload_files(paths)

        self.push_screen(FilePicker(start), picked)

    # --- the worker: it only posts ----------------------------------------------------------

    @work(group="upload", exit_on_error=False)
    async def upload_files(self: Any, paths: list[Path]) -> None:
        from ..client.files import check_upload

        client = self.require_client()
        uploads: list[UploadedFile] = []
        for path in paths:
            try:
                check_upload(path)
            except ApiError as exc:
                self.post_message(Notice(str(exc), "error"))
                continue
            key = f"upload:{path}"
            label = f"Uploading {path.name}"
            self.post_message(UploadProgress(key, label, 0))
            self.post_message(Busy(f"uploading {path.name}"))
            try:
                uploaded = await client.upload(
                    path, lambda pct, k=key, lb=label: self.post_message(UploadProgress(k, lb, pct)))
            except ApiError as exc:
                self.post_message(Uploaded(key, path, error=f"{path.name}: {exc}"))
                continue
            self.post_message(Uploaded(key, path, uploaded))
            uploads.append(uploaded)
        state = await client.state()
        names = ", ".join(u.filename for u in uploads)
        self.post_message(state_message(state, f"uploaded {names}" if uploads else ""))
        used = used_sources(state.draft)
        for song in uploads:
            if song.file_type == "audio" and song.media_id not in used:  # offered, not applied
                self.post_message(Notice(song_offer(song.filename, self.settings.language), "info"))

    # --- handlers ----------------------------------------------------------------------------

    async def on_upload_progress(self: Any, message: UploadProgress) -> None:
        if self._widgets_gone():
            return
        if message.key not in self.chat.progress:
            await self.chat.start_progress(message.key, message.label)
        self.chat.set_progress(message.key, message.percent)

    async def on_uploaded(self: Any, message: Uploaded) -> None:
        if self._widgets_gone():
            return
        await self.chat.end_progress(message.key)
        self.status_bar.set(busy="")
        uploaded = message.file
        if uploaded is None:
            await self.chat.add_notice(message.error, "error")
            return
        if self.first_clip is None and uploaded.file_type == "video":
            self.first_clip = message.path
        self._remember(clip=uploaded.filename)
        size = f", {uploaded.width}x{uploaded.height}" if uploaded.width else ""
        await self.chat.add_notice(f"Uploaded {uploaded.filename} ({format_duration(int(uploaded.duration * 1000))}"
                                   f"{size})", "success")
