"""The app driven with Pilot against the real local engine (started by the app itself, as users
get it): every action, asserting what the user sees — chat text, the timeline, the status bar,
files on disk."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual import events

from addmusic.ui.app import AddMusicApp
from addmusic.ui.screens.confirm import Confirm
from addmusic.ui.widgets.composer import Composer
from addmusic.ui.widgets.trackview import TrackView
from conftest import make_settings, stop_detached_engine

SIZE = (100, 34)


@pytest.fixture
def settings(isolated_home: Path) -> Iterator:
    yield make_settings(isolated_home, None)
    stop_detached_engine(isolated_home)


@pytest.fixture
def clip(short_clip: Path, tmp_path: Path) -> Path:
    """A fresh copy per test, so exports land in the test's own folder."""
    target = tmp_path / "clips" / "beach.mp4"
    target.parent.mkdir()
    target.write_bytes(short_clip.read_bytes())
    return target


async def wait_for(pilot, predicate: Callable[[], object], timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.05)
    shown = "\n".join(pilot.app.chat.text_lines()[-12:])
    raise AssertionError("timed out waiting for the screen to show it; the chat ends with:\n" + shown)


def chat_text(app: AddMusicApp) -> str:
    return "\n".join(app.chat.text_lines())


def summary(app: AddMusicApp) -> str:
    return app.query_one(TrackView).draft.summary()


async def ready(pilot, app: AddMusicApp) -> None:  # type: ignore[no-untyped-def]
    await wait_for(pilot, lambda: "Ready!" in app.status_bar.plain)


async def type_and_send(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    composer = pilot.app.query_one(Composer)
    composer.focus()
    composer.load_text(text)
    await pilot.press("enter")


async def drop(pilot, *paths: Path) -> None:  # type: ignore[no-untyped-def]
    """What a terminal sends when files are dragged in: a paste of quoted paths."""
    text = " ".join(f"'{p}'" for p in paths)
    pilot.app.post_message(events.Paste(text))  # the terminal driver posts pastes to the app
    await pilot.pause()


async def ready_with_clip(pilot, app: AddMusicApp, clip: Path) -> None:  # type: ignore[no-untyped-def]
    """Ready!, then the clip dropped in and on the timeline."""
    await ready(pilot, app)
    await drop(pilot, clip)
    await wait_for(pilot, lambda: clip.name in summary(app))


async def test_start_shows_ready_backend_and_credits(settings) -> None:  # type: ignore[no-untyped-def]
    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await wait_for(pilot, lambda: "credits 10,000 · 0 frozen" in app.status_bar.plain)
        status = app.status_bar.plain
        assert "local engine" in status and "session " in status
        assert "Welcome!" in chat_text(app)
        assert app.focused is app.query_one(Composer)


async def test_quitting_while_a_worker_awaits_the_server_is_quiet(settings) -> None:  # type: ignore[no-untyped-def]
    """CI once saw the app crash on exit: a worker woke up after the screen was gone and its
    error handler queried the removed chat pane. Closing mid-request must end quietly."""
    app = AddMusicApp(settings)
    woke = asyncio.Event()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        client = app.client
        real_credits = client.credits

        async def slow_credits():  # type: ignore[no-untyped-def]
            balance = await real_credits()
            while app.screen.children:  # answer just as the shutdown removes the widgets
                await asyncio.sleep(0)
            woke.set()
            return balance

        client.credits = slow_credits  # type: ignore[method-assign]
        await pilot.press("ctrl+b")
        await pilot.pause(0.05)
        # leaving the block shuts the app down while the worker still waits
    assert woke.is_set()  # the worker did wake up after the widgets were gone, and nothing raised


async def test_drop_ask_for_music_and_export(settings, clip: Path) -> None:  # type: ignore[no-untyped-def]
    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await drop(pilot, clip)
        await wait_for(pilot, lambda: "Uploaded beach.mp4 (3s, 320x240)" in chat_text(app))
        await wait_for(pilot, lambda: summary(app) == "Timeline (1 track): 1. Video: beach.mp4 (0-3s)")

        await type_and_send(pilot, "add upbeat background music at 30% and a title 'Day one' for 2 seconds")
        await wait_for(pilot, lambda: '"Day one"' in summary(app))
        text = chat_text(app)
        assert "› add upbeat background music at 30%" in text
        assert "applying edit: add background music…" in text
        assert "at 30%" in text  # the reply, streamed
        assert ", 30%)" in summary(app)

        await type_and_send(pilot, "export")
        expected = clip.parent / "beach-music.mp4"
        await wait_for(pilot, lambda: f"Saved {expected}" in chat_text(app), timeout=60)
        assert expected.stat().st_size > 10_000
        await pilot.press("ctrl+y")
        assert app.clipboard == str(expected)

        await pilot.press("ctrl+e")  # never overwrites: the next export gets -1
        second = clip.parent / "beach-music-1.mp4"
        await wait_for(pilot, lambda: f"Saved {second}" in chat_text(app), timeout=60)
        assert second.is_file()
        await wait_for(pilot, lambda: "credits 9,997" in app.status_bar.plain)


async def test_tracks_credits_new_session_and_errors(settings, clip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = AddMusicApp(settings)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    async with app.run_test(size=SIZE) as pilot:
        await ready_with_clip(pilot, app, clip)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "Timeline (1 track): 1. Video: beach.mp4 (0-3s)" in chat_text(app))
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: "Credits: 10,000 available · 0 frozen · 10,000 total" in chat_text(app))
        await type_and_send(pilot, str(notes))  # a typed path is an upload; this one is refused
        await wait_for(pilot, lambda: "Supported formats" in chat_text(app))
        await type_and_send(pilot, "make the cat dance")
        await wait_for(pilot, lambda: "make the cat dance" in chat_text(app).split("›")[-1] and
                       "didn't understand" in chat_text(app))
        await pilot.press("ctrl+n")  # the clip was never exported: it asks first
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        assert '"beach" has edits that were never exported' in str(app.screen.question)
        await pilot.press("y")
        await wait_for(pilot, lambda: "Started a new session" in chat_text(app))
        await wait_for(pilot, lambda: summary(app) == "Timeline (0 tracks): empty")


async def test_resumes_last_session_and_collects_renders(settings, clip: Path) -> None:  # type: ignore[no-untyped-def]
    first = AddMusicApp(settings)
    async with first.run_test(size=SIZE) as pilot:
        await ready_with_clip(pilot, first, clip)
        session = first.client.require_session().session_id
    second = AddMusicApp(settings)
    async with second.run_test(size=SIZE) as pilot:
        await ready(pilot, second)
        await wait_for(pilot, lambda: 'Resumed your last session, "beach".' in chat_text(second))
        assert second.client.require_session().session_id == session
        assert summary(second) == "Timeline (1 track): 1. Video: beach.mp4 (0-3s)"


async def test_still_working_then_cancel_reads_state(settings, clip: Path,  # type: ignore[no-untyped-def]
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADDMUSIC_ENGINE_THINK_S", "3")
    monkeypatch.setenv("ADDMUSIC_HEARTBEAT_S", "0.1")
    settings.still_working_s = 0.5
    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready_with_clip(pilot, app, clip)
        await type_and_send(pilot, "add lofi music")
        await wait_for(pilot, lambda: "Still working..." in chat_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Stopped listening. The message was not re-sent" in chat_text(app))
        await wait_for(pilot, lambda: chat_text(app).rstrip().endswith("(0-3s)"))
        # the engine still applies the edit it received; the next read shows it — nothing was sent twice
        for _ in range(30):  # read the timeline until the edit shows (the engine thinks for 3 s)
            await pilot.press("ctrl+t")
            await pilot.pause(0.5)
            if "BGM" in summary(app):
                break
        assert "BGM" in summary(app)
        assert chat_text(app).count("› add lofi music") == 1


async def test_quit_while_rendering_asks_first(settings, clip: Path) -> None:  # type: ignore[no-untyped-def]
    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready_with_clip(pilot, app, clip)
        await type_and_send(pilot, "make it vertical")
        await wait_for(pilot, lambda: "1080x1920" in str(app.draft.meta.get("width")) + "x" + str(
            app.draft.meta.get("height")))
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: app.exporting)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, Confirm))
        assert app.is_running
        await wait_for(pilot, lambda: "Saved " in chat_text(app), timeout=90)


async def test_preview_draws_frames_in_the_chat(settings, clip: Path) -> None:  # type: ignore[no-untyped-def]
    from addmusic.ui.preview import PreviewStrip

    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready_with_clip(pilot, app, clip)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: bool(app.chat.query(PreviewStrip)), timeout=60)
        strip = app.chat.query_one(PreviewStrip)
        assert "▀" in str(strip.render())


async def test_picker_uploads_marked_files(settings, clip: Path) -> None:  # type: ignore[no-untyped-def]
    from addmusic.ui.screens.picker import FilePicker

    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, FilePicker))
        picker = app.screen
        picker.dismiss([clip])  # the picker's own keys are tested in test_picker.py
        await wait_for(pilot, lambda: "Uploaded beach.mp4" in chat_text(app))


async def test_two_model_replies_in_one_turn_are_two_blocks(settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """ADK's text, tool call, text: the second reply starts its own block below the edit line,
    instead of running on in the first one (the client marks it with `new_reply`)."""
    from addmusic.client import chat

    async def scripted_turn(client, text, draft):  # type: ignore[no-untyped-def]
        yield chat.TextDelta("Adding some music.")
        yield chat.EditApplied("add_music")
        yield chat.TextDelta("\n\nDone: lo-fi at 30%.", new_reply=True)
        yield chat.TurnDone("Adding some music.\n\nDone: lo-fi at 30%.", True, None)

    monkeypatch.setattr(chat, "chat_turn", scripted_turn)
    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await type_and_send(pilot, "add music")
        await wait_for(pilot, lambda: "Done: lo-fi at 30%." in chat_text(app))
        lines = app.chat.text_lines()  # one entry per block
        first = next(i for i, line in enumerate(lines) if "Adding some music." in line)
        second = next(i for i, line in enumerate(lines) if "Done: lo-fi" in line)
        edit = next(i for i, line in enumerate(lines) if "add music" in line.lower() and i > first)
        assert first < edit < second
        assert lines[first].strip() == "Adding some music."
        assert lines[second].strip() == "Done: lo-fi at 30%."
