"""The app for issue 9 and the inside of issue 11: an uploaded song is offered (in the session's
language), not applied, and its waveform shows at once; a queued export says how many are ahead
until it starts; workers post messages and handlers draw them (checked on the code too).

The offered-song tests use a client that answers with states built here (the contract's
`video_infos` with `kind: "audio"` and `wf`); the queue test runs on the real local engine."""

from __future__ import annotations

import ast
import asyncio
import math
import subprocess
import wave
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest
from test_app import chat_text, drop, ready, settings, type_and_send, wait_for  # noqa: F401 - settings: a fixture

from addmusic.client.api import ApiClient, Session, SessionState, UploadedFile
from addmusic.engine.jobs import pool_size
from addmusic.protocol.draft import Draft
from addmusic.ui.app import AddMusicApp
from addmusic.ui.exports import queued_label
from addmusic.ui.messages import ClientReady, Connected, Notice, ReplyChunk, TurnEnded
from addmusic.ui.widgets.trackview import TrackView
from conftest import make_settings

UI = Path(__file__).resolve().parents[2] / "tui" / "addmusic" / "ui"
SONG_WF = [int(50 + 45 * math.sin(i / 5)) for i in range(120)]
CLIP_ONLY = {"t": [{"tt": 0, "sg": [{"id": "v1", "n": "beach.mp4", "src": "m1", "st": 0, "d": 10000}]}],
             "d": 10000, "m": {}}
CLIP_INFO = {"media_id": "m1", "filename": "beach.mp4", "kind": "video", "duration": 10.0, "width": 640,
             "height": 360}


def write_song(path: Path, seconds: float = 2.0) -> Path:
    """A real (small) WAV file: what the upload check reads before anything is sent."""
    rate = 8000
    frames = bytes(int(128 + 100 * math.sin(i / 5)) & 0xFF for i in range(int(rate * seconds)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


class ScriptedClient:
    """Answers upload and state as the engine of the draft-key contract does: an audio upload is
    listed in `video_infos` (kind audio, wf, bpm); `applied` says whether the draft uses it."""

    def __init__(self, applied: bool) -> None:
        self.applied = applied
        self.session = Session("5e55i0n0")
        self.account_key = "scripted"
        self.infos: list[dict[str, Any]] = [CLIP_INFO]

    def require_session(self) -> Session:
        return self.session

    async def upload(self, path: Path, progress: Any = None) -> UploadedFile:
        if progress:
            progress(100.0)
        self.infos.append({"media_id": "s1", "filename": path.name, "kind": "audio", "duration": 2.0,
                           "wf": SONG_WF, "bpm": 120})
        return UploadedFile(path.name, "audio", "s1", 2.0, 0, 0)

    async def state(self) -> SessionState:
        draft = Draft.from_json(CLIP_ONLY)
        if self.applied:
            draft.tracks.append(Draft.from_json({"t": [{"tt": 1, "sg": [
                {"id": "a1", "n": "summer.wav", "src": "s1", "st": 0, "d": 10000, "v": 80}]}]}).tracks[0])
        return SessionState("5e55i0n0", draft, list(self.infos))

    async def new_session(self) -> Session:
        self.session = Session("n3w5e55i")
        self.infos = []
        return self.session

    async def credits(self) -> Any:
        raise AssertionError("not asked in these tests")

    async def aclose(self) -> None:
        return


class OfflineApp(AddMusicApp):
    """The real app with its connection replaced by a scripted client, handed over by the same
    messages a connect posts."""

    def __init__(self, app_settings: Any, client: ScriptedClient) -> None:
        super().__init__(app_settings)
        self.scripted = client

    def connect(self) -> None:  # type: ignore[override]
        self.post_message(ClientReady(self.scripted))  # type: ignore[arg-type]
        self.post_message(Connected("5e55i0n0"))

    async def watch_engine(self) -> None:
        return

    async def refresh_credits(self, *, announce: bool = False) -> None:
        return


@pytest.mark.parametrize(("language", "sentence"), [
    ("en", 'summer.wav is uploaded. Say "use my song" to put it under the video.'),
    ("zh", "summer.wav 已上传。说“用我的歌”就能把它放到视频下面。"),
])
async def test_an_uploaded_song_is_offered_not_applied(tmp_path: Path, language: str, sentence: str) -> None:
    song = write_song(tmp_path / "summer.wav")
    app = OfflineApp(make_settings(tmp_path, None, language=language), ScriptedClient(applied=False))
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_for(pilot, lambda: "Ready!" in app.status_bar.plain)
        await drop(pilot, song)
        await wait_for(pilot, lambda: sentence in chat_text(app))
        assert "Uploaded summer.wav (2s)" in chat_text(app)
        shown = app.query_one(TrackView).render().plain
        assert "offered: summer.wav" in shown  # its waveform at once, labelled as offered
        assert "♪ BGM" not in shown  # and the edit was not changed
        song_row = next(line for line in shown.split("\n") if line.startswith("♪ Song"))
        assert len({ch for ch in song_row if ch in "▁▂▃▄▅▆▇█"}) >= 3  # the song's own waveform


async def test_a_new_session_forgets_the_songs_offered_in_the_last_one(tmp_path: Path) -> None:
    song = write_song(tmp_path / "summer.wav")
    app = OfflineApp(make_settings(tmp_path, None), ScriptedClient(applied=False))
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_for(pilot, lambda: "Ready!" in app.status_bar.plain)
        await drop(pilot, song)
        await wait_for(pilot, lambda: "offered: summer.wav" in app.query_one(TrackView).render().plain)
        await app.start_new_session().wait()
        await wait_for(pilot, lambda: "Started a new session" in chat_text(app))
        shown = app.query_one(TrackView).render().plain
        assert shown.startswith("No clips yet") and "summer.wav" not in shown


async def test_a_song_the_engine_used_is_not_offered_again(tmp_path: Path) -> None:
    song = write_song(tmp_path / "summer.wav")
    app = OfflineApp(make_settings(tmp_path, None), ScriptedClient(applied=True))
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_for(pilot, lambda: "Ready!" in app.status_bar.plain)
        await drop(pilot, song)
        await wait_for(pilot, lambda: "Uploaded summer.wav" in chat_text(app))
        await wait_for(pilot, lambda: "♪ BGM" in app.query_one(TrackView).render().plain)
        await pilot.pause(0.2)
        assert "use my song" not in chat_text(app)
        assert "summer.wav 80%" in app.query_one(TrackView).render().plain
        assert "offered" not in app.query_one(TrackView).render().plain


async def test_reply_lines_are_drawn_by_handlers_in_the_order_posted(tmp_path: Path) -> None:
    app = OfflineApp(make_settings(tmp_path, None), ScriptedClient(applied=False))
    async with app.run_test(size=(100, 34)) as pilot:
        for message in (ReplyChunk("Added lo-fi "), ReplyChunk("music."), Notice("applying edit: add music…", "edit"),
                        ReplyChunk("\n\nAnd a title.", new_reply=True), TurnEnded()):
            app.post_message(message)
        await wait_for(pilot, lambda: "And a title." in chat_text(app))
        lines = app.chat.text_lines()
        first = next(i for i, line in enumerate(lines) if "Added lo-fi music." in line)
        edit = lines.index("applying edit: add music…")
        second = next(i for i, line in enumerate(lines) if "And a title." in line)
        assert first < edit < second  # a second reply of the turn gets its own block below the edit
        assert app._reply is None  # the turn's end closed it


# ---------------------------------------------------------------------------- the queue, for real


async def test_a_queued_export_says_how_many_are_ahead_until_it_starts(settings, clip_with_gap: Path,  # noqa: F811
                                                                      tmp_path: Path) -> None:
    clip = tmp_path / "clips" / "beach.mp4"
    clip.parent.mkdir()
    clip.write_bytes(clip_with_gap.read_bytes())
    app = AddMusicApp(settings)
    async with app.run_test(size=(100, 34)) as pilot:
        await ready(pilot, app)
        await drop(pilot, clip)
        await wait_for(pilot, lambda: "beach.mp4" in app.query_one(TrackView).draft.summary())
        # another user's long renders hold every render slot of the engine (the pool follows the CPUs)
        slots = pool_size()
        other = ApiClient(app.client.api_url, settings, account_key="another-user")
        try:
            await other.new_session()
            await other.upload(clip)
            draft = (await other.state()).draft
            draft.meta.update(width=1080, height=1920)
            blockers = [await other.submit_render(draft, "high", job_id=f"render_block{i}", smart=False)
                        for i in range(slots)]
            for _ in range(400):
                states = [(await other.render_status(b.job_id)).status for b in blockers]
                if all(state == "processing" for state in states):
                    break
                await asyncio.sleep(0.05)
            await pilot.press("ctrl+e")
            expected = queued_label(slots)  # "Queued — 1 export ahead" on this 2-core machine
            await wait_for(pilot, lambda: expected in chat_text(app), timeout=30)
            assert f"queued, {slots} ahead" in app.status_bar.plain
            for blocker in blockers:
                await other.cancel_render(blocker.job_id)  # the slots free: the export starts
            await wait_for(pilot, lambda: "Queued —" not in chat_text(app), timeout=60)
            await wait_for(pilot, lambda: "Saved " in chat_text(app), timeout=90)
            assert (clip.parent / "beach-music.mp4").is_file()
        finally:
            await other.aclose()


# ------------------------------------------------------------------------- the rule, on the code


def _worker_functions(tree: ast.Module) -> list[ast.AsyncFunctionDef]:
    def is_work(decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return isinstance(target, ast.Name) and target.id == "work"

    return [node for node in ast.walk(tree)
            if isinstance(node, ast.AsyncFunctionDef) and any(is_work(d) for d in node.decorator_list)]


WIDGET_ATTRIBUTES = {"chat", "status_bar", "tracks", "query_one", "notify", "push_screen"}
# coroutines only workers await, and the watchdog (a timer runs in its own task, like a worker)
WORKER_HELPERS = {"_open_session", "_sample", "refresh_credits", "watch_engine"}


def test_workers_post_messages_and_never_set_state_or_widgets() -> None:
    """No worker (nor a coroutine only workers await) assigns an attribute of the app or calls a
    widget: everything they learn goes through a message and its handler."""
    problems: list[str] = []
    for module in sorted(UI.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        functions = _worker_functions(tree) + [
            node for node in ast.walk(tree) if isinstance(node, ast.AsyncFunctionDef) and node.name in WORKER_HELPERS]
        for function in functions:
            for node in ast.walk(function):
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
                for target in targets:
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                            and target.value.id == "self":
                        problems.append(f"{module.name}:{node.lineno} {function.name} sets self.{target.attr}")
                if isinstance(node, ast.Call):
                    chain = node.func
                    while isinstance(chain, ast.Attribute):
                        if isinstance(chain.value, ast.Name) and chain.value.id == "self" \
                                and chain.attr in WIDGET_ATTRIBUTES:
                            problems.append(f"{module.name}:{node.lineno} {function.name} calls self.{chain.attr}")
                        chain = chain.value
    assert problems == []
    assert len([f for m in UI.glob("*.py") for f in _worker_functions(ast.parse(m.read_text()))]) >= 12


def test_the_queue_line_reads_as_people_say_it() -> None:
    assert queued_label(2) == "Queued — 2 exports ahead"
    assert queued_label(1) == "Queued — 1 export ahead"
    assert queued_label(0) == "Queued — next to render"
    assert queued_label(3, "Preview") == "Preview queued — 3 exports ahead"


async def test_an_edit_only_the_draft_shows_is_named_by_the_export(settings, short_clip: Path,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    """Crossfades change only the draft's meta (no diff line): the saved message still names that
    edit as the last one the file has (it named the upload before, in a tmux walk-through)."""
    clips = tmp_path / "clips"
    clips.mkdir()
    beach, city = clips / "beach.mp4", clips / "city.mp4"
    beach.write_bytes(short_clip.read_bytes())
    # another clip, not a copy: the engine keeps one media per content, and crossfades need two clips
    await asyncio.to_thread(subprocess.run, [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi",
                    "-i", "color=c=0x993366:s=320x240:r=25:d=3", "-f", "lavfi", "-i", "sine=f=440:d=3",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-shortest", str(city)], check=True)
    app = AddMusicApp(settings)
    async with app.run_test(size=(100, 34)) as pilot:
        await ready(pilot, app)
        await drop(pilot, beach, city)
        await wait_for(pilot, lambda: "city.mp4" in app.query_one(TrackView).draft.summary())
        await type_and_send(pilot, "add half-second crossfades")
        await wait_for(pilot, lambda: "0.5s crossfades" in app.query_one(TrackView).render().plain)
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: "Saved " in chat_text(app), timeout=90)
        assert 'It has your edits up to "add half-second crossfades".' in chat_text(app)
