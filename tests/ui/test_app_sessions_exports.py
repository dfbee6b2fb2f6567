"""Sessions, exports that meet edits, cancelled renders and renders left running — the app
against the real local engine, asserting what the user sees (chat, timeline, files on disk)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_app import chat_text, clip, ready, ready_with_clip, settings, summary, type_and_send, wait_for  # noqa: F401

from addmusic.client.launcher import LOCAL_ENGINE_KEY
from addmusic.client.sessions import SessionMemory
from addmusic.ui.app import AddMusicApp
from addmusic.ui.screens.confirm import Confirm
from addmusic.ui.screens.sessions import Rename, SessionsScreen

SIZE = (100, 34)


def second_clip(clip: Path) -> Path:  # noqa: F811 - the fixture's value
    other = clip.parent / "city.mp4"
    other.write_bytes(clip.read_bytes())
    return other


async def test_files_start_a_new_session_and_a_bare_start_resumes(settings, clip: Path) -> None:  # noqa: F811
    first = AddMusicApp(settings, [clip])
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot, first)
        await wait_for(pilot, lambda: "beach.mp4" in summary(first))
        beach_session = first.client.require_session().session_id
    city = second_clip(clip)
    second = AddMusicApp(settings, [city])
    async with second.run_test(size=SIZE) as pilot:
        await ready(pilot, second)
        await wait_for(pilot, lambda: "city.mp4" in summary(second))
        assert "beach.mp4" not in summary(second)  # not appended to yesterday's project
        assert second.client.require_session().session_id != beach_session
        assert second.export_path().name == "city-music.mp4"
        city_session = second.client.require_session().session_id
    third = AddMusicApp(settings)
    async with third.run_test(size=SIZE) as pilot:
        await ready(pilot, third)
        await wait_for(pilot, lambda: 'Resumed your last session, "city".' in chat_text(third))
        assert third.client.require_session().session_id == city_session


async def test_sessions_screen_opens_renames_and_deletes(settings, clip: Path) -> None:  # noqa: F811
    for path in (clip, second_clip(clip)):
        starter = AddMusicApp(settings, [path])
        async with starter.run_test(size=SIZE) as pilot:
            await ready(pilot, starter)
            await wait_for(pilot, lambda a=starter, p=path: p.name in summary(a))
    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await wait_for(pilot, lambda: "city.mp4" in summary(app))
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        listing = app.screen.listing()
        assert listing[0].startswith("city  (open now)  ·  city.mp4")
        assert listing[1].startswith("beach  ·  beach.mp4")
        assert 'last edit "uploaded beach.mp4"' in listing[1] and "never exported" in listing[1]

        await pilot.press("down", "r")  # rename "beach"
        await wait_for(pilot, lambda: isinstance(app.screen, Rename))
        await pilot.press(*"ctrl+a ctrl+k".split())
        for char in "Holiday":
            await pilot.press(char)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await wait_for(pilot, lambda: app.screen.listing()[1].startswith("Holiday  ·  beach.mp4"))

        await pilot.press("up", "d")  # the open session cannot be deleted
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press("down", "enter")  # open "Holiday"
        await wait_for(pilot, lambda: not isinstance(app.screen, SessionsScreen))
        await wait_for(pilot, lambda: 'Opened "Holiday".' in chat_text(app))
        assert summary(app) == "Timeline (1 track): 1. Video: beach.mp4 (0-3s)"
        assert app.export_path().name == "beach-music.mp4"

        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await pilot.press("down", "d")  # delete "city", after a yes
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Its edits were never exported" in app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: len(app.screen.listing()) == 1)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SessionsScreen))
    names = [r.title for r in SessionMemory(settings.folders.data / "sessions.json").sessions(LOCAL_ENGINE_KEY)]
    assert names == ["Holiday"]


async def test_an_edit_during_an_export_is_said_and_offered_again(settings, clip: Path) -> None:  # noqa: F811
    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready_with_clip(pilot, app, clip)
        await type_and_send(pilot, "make it vertical")
        await wait_for(pilot, lambda: "9:16 · 1080x1920" in app.tracks.render().plain)
        edited = asyncio.Event()
        real_wait = app.client.wait_render

        async def wait_render(job_id, progress=None, **options):  # type: ignore[no-untyped-def]
            await edited.wait()  # the render is still running when the edit lands, every time
            return await real_wait(job_id, progress, **options)

        app.client.wait_render = wait_render  # type: ignore[method-assign]
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: app.exporting)
        await type_and_send(pilot, "add lofi music at 30%")
        await wait_for(pilot, lambda: "BGM" in summary(app), timeout=60)
        await wait_for(pilot, lambda: 'The export that is rendering started before "add lofi music at 30%", so it '
                       "will not include it" in chat_text(app))
        edited.set()
        await wait_for(pilot, lambda: "came after this export started" in chat_text(app), timeout=90)
        text = chat_text(app)
        assert 'It has your edits up to "make it vertical".' in text
        assert '"add lofi music at 30%" came after this export started' in text
        assert "press ctrl+e (or type export) to export again" in text
        assert app.session_record.unexported  # the music never reached a file: ctrl+n would still ask


async def test_cancel_a_running_export(settings, clip: Path) -> None:  # noqa: F811
    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready_with_clip(pilot, app, clip)
        await type_and_send(pilot, "make it vertical")
        await wait_for(pilot, lambda: "1080x1920" in app.tracks.render().plain)
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: app.exporting and app._export is not None and app._export.job_id)
        job_id = app._export.job_id
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Cancel the export?" in app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: "Export cancelled: the render was stopped and nothing was saved."
                       in chat_text(app), timeout=60)
        assert not (clip.parent / "beach-music.mp4").exists()
        status = await app.client.render_status(job_id)
        assert status.status == "cancelled"
        job_dir = settings.folders.engine / "renders" / job_id
        await wait_for(pilot, lambda: not any(job_dir.glob("*.mp4")) if job_dir.exists() else True)


async def test_a_render_left_running_shows_at_once_then_is_saved(settings, clip: Path) -> None:  # noqa: F811
    first = AddMusicApp(settings)
    async with first.run_test(size=SIZE) as pilot:
        await ready_with_clip(pilot, first, clip)
        await type_and_send(pilot, "make it vertical")
        await wait_for(pilot, lambda: "1080x1920" in first.tracks.render().plain)
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: first._export is not None and first._export.job_id)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(first.screen, Confirm))
        await pilot.press("y")
    second = AddMusicApp(settings)
    async with second.run_test(size=SIZE) as pilot:
        await ready(pilot, second)
        await wait_for(pilot, lambda: "from last time" in chat_text(second), timeout=60)
        await wait_for(pilot, lambda: "Saved the render from last time" in chat_text(second), timeout=90)
        assert (clip.parent / "beach-music.mp4").is_file()
        await wait_for(pilot, lambda: "· 0 frozen" in second.status_bar.plain)


async def test_smart_rendering_is_a_setting_and_export_full_reencodes_all(settings, clip: Path,  # noqa: F811
                                                                           monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`smart_render = false` and a typed "export full" both ask the engine for every frame re-encoded;
    a plain export follows the setting."""
    from addmusic.client.api import ApiClient

    asked: list[bool] = []
    submit = ApiClient.submit_render

    async def recording(self, *args, smart: bool = True, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(smart)
        return await submit(self, *args, smart=smart, **kwargs)

    monkeypatch.setattr(ApiClient, "submit_render", recording)
    app = AddMusicApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await ready_with_clip(pilot, app, clip)
        await type_and_send(pilot, "add a title 'Hi' for 1 second")
        await wait_for(pilot, lambda: '"Hi"' in summary(app))
        await type_and_send(pilot, "export full")
        await wait_for(pilot, lambda: "Saved " in chat_text(app), timeout=60)
        said = " ".join(chat_text(app).split())  # how the picture was made is said with the file
        assert "Full re-encode (" in said and "smart rendering is off)" in said
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: chat_text(app).count("Saved ") == 2, timeout=60)
        assert " ".join(chat_text(app).split()).count("smart rendering is off") == 1
        app.settings.smart_render = False
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: chat_text(app).count("Saved ") == 3, timeout=60)
    assert asked == [False, True, False]
