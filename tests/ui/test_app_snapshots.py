"""Snapshots of the main states at 80x24 and 120x36. The app here does not connect: each state
is set up through the same widget calls the workers make, with fixed ids, paths and credits, so
the pictures are stable. Behaviour against the real engine is in test_app.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from addmusic.protocol.draft import Draft
from addmusic.ui.app import AddMusicApp
from addmusic.ui.widgets.composer import Composer
from conftest import make_settings

WAVE = [int(50 + 45 * ((i % 24) / 24)) for i in range(120)]
EDIT = Draft.from_json({
    "t": [
        {"tt": 0, "sg": [{"id": "v1", "n": "beach.mp4", "src": "a1", "st": 0, "d": 10000}]},
        {"tt": 1, "sg": [{"id": "m1", "n": "Upbeat pop", "src": "gen_1", "st": 0, "d": 10000, "v": 30,
                          "fi": 1000, "fo": 2000, "duck": True, "wf": WAVE}]},
        {"tt": 7, "sg": [{"id": "t1", "tx": "Day one", "st": 0, "d": 2000}]},
    ],
    "d": 10000, "m": {"title": "beach"},
})
VIDEO_ONLY = Draft.from_json({"t": [EDIT.to_json()["t"][0]], "d": 10000})


class StillApp(AddMusicApp):
    """The real app with its network workers switched off and a fixed status."""

    def connect(self) -> None:  # type: ignore[override]
        self.status_bar.set(connection="Ready!", session="5e55i0n0", available=9990, frozen=0, total=9990)

    async def watch_engine(self) -> None:
        return


def make_app(tmp_path: Path) -> StillApp:
    app = StillApp(make_settings(tmp_path, None))
    return app


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(100):  # the stubbed connect runs after the first frame: late on a busy machine
        if "Ready!" in pilot.app.status_bar.plain:
            break
        await pilot.pause(0.02)
    pilot.app.query_one(Composer).cursor_blink = False
    await pilot.pause(0.2)  # streamed text is drawn every 50 ms


async def empty(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)


async def streaming(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.show_draft(VIDEO_ONLY)
    await app.chat.add_notice("Uploaded beach.mp4 (10s, 1280x720)", "success")
    await app.chat.add_user("add upbeat background music at 30%")
    await app.chat.add_notice("applying edit: add background music…", "edit")
    reply = await app.chat.start_reply()
    for word in "Added Upbeat pop background music at 30% (0-10s), with a".split(" "):
        await reply.write(word + " ")
    await settle(pilot)


async def still_working(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.show_draft(VIDEO_ONLY)
    await app.chat.add_user("add cinematic music and make it vertical")
    await app.chat.add_notice("Still working...", "working")
    await app.chat.add_notice("Still working...", "working")
    app.status_bar.set(busy="thinking…")
    await settle(pilot)


async def music_and_title(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.show_draft(EDIT)
    await app.chat.add_user("add upbeat background music at 30% and a title 'Day one' for 2 seconds")
    await app.chat.add_notice("applying edit: add background music…", "edit")
    await app.chat.add_notice("applying edit: add title…", "edit")
    reply = await app.chat.start_reply()
    await reply.write('Added Upbeat pop background music at 30% (0-10s). Added the title "Day one" at the '
                      "center (0-2s).")
    await reply.finish()
    await settle(pilot)


async def export_finished(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.show_draft(EDIT)
    await app.chat.add_user("export")
    await app.chat.add_notice("Saved /home/you/Videos/beach-music.mp4  (ctrl+y copies the path)", "success")
    await settle(pilot)


async def error(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    for _ in range(100):  # let the (stubbed) connect run first: it sets the credits (late on a busy machine)
        if "Ready!" in app.status_bar.plain:
            break
        await pilot.pause(0.02)
    app.show_draft(EDIT)
    app.status_bar.set(available=0, frozen=0, total=0)
    await app.chat.add_user("export")
    await app.chat.add_notice("You are out of credits. Register to get more: "
                              "https://nemovideo.com/register?bind=anon_5e55i0n", "error")
    await settle(pilot)


async def help_screen(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f1")
    await settle(pilot)


STATES: list[Callable[..., Awaitable[None]]] = [empty, streaming, still_working, music_and_title,
                                                 export_finished, error, help_screen]


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("state", STATES, ids=[s.__name__ for s in STATES])
def test_main_states(snap_compare, tmp_path: Path, state, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=state)
