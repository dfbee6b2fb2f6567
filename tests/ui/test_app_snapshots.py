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
SONG_WAVE = [int(20 + 75 * abs(((i % 16) - 8) / 8)) for i in range(160)]
REEL = Draft.from_json({  # issue 9: three clips (one a still), half-second crossfades, synced, the user's song
    "t": [
        {"tt": 0, "sg": [{"id": "v1", "n": "beach.mp4", "src": "m1", "st": 0, "d": 4000},
                         {"id": "v2", "n": "sunset.jpg", "src": "m2", "st": 3500, "d": 3000, "zoom": True},
                         {"id": "v3", "n": "city.mp4", "src": "m3", "st": 6000, "d": 6000}]},
        {"tt": 1, "sg": [{"id": "a1", "n": "summer.mp3", "src": "s1", "st": 0, "d": 12000, "in": 45000, "v": 80,
                          "fo": 2000}]},
    ],
    "d": 12000, "m": {"title": "beach", "xf": 500, "sync": True, "width": 1080, "height": 1920},
})
REEL_MEDIA = [
    {"media_id": "m1", "filename": "beach.mp4", "kind": "video", "duration": 4.0, "width": 1280, "height": 720},
    {"media_id": "m2", "filename": "sunset.jpg", "kind": "image", "duration": 0, "width": 1600, "height": 1200},
    {"media_id": "m3", "filename": "city.mp4", "kind": "video", "duration": 6.0, "width": 1280, "height": 720},
    {"media_id": "s1", "filename": "summer.mp3", "kind": "audio", "duration": 50.0, "wf": SONG_WAVE, "bpm": 120},
    {"media_id": "s2", "filename": "demo.wav", "kind": "audio", "duration": 8.0, "wf": SONG_WAVE[::2], "bpm": 96},
]


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


async def reel_and_song(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.show_draft(REEL, (1280, 720), "", REEL_MEDIA)
    await app.chat.add_notice("Uploaded demo.wav (8s)", "success")
    await app.chat.add_notice('demo.wav is uploaded. Say "use my song" to put it under the video.', "info")
    await app.chat.add_user("use summer.mp3 from 0:45, half-second crossfades, sync to the beat")
    await app.chat.add_notice("applying edit: use your song…", "edit")
    reply = await app.chat.start_reply()
    await reply.write("Using summer.mp3 from 0:45 (it loops to fill 12s), with 0.5s crossfades; the cuts moved "
                      "onto the beat by at most 0.2s.")
    await reply.finish()
    await settle(pilot)


async def help_screen(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f1")
    await settle(pilot)


STATES: list[Callable[..., Awaitable[None]]] = [empty, streaming, still_working, music_and_title,
                                                 export_finished, error, help_screen, reel_and_song]


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("state", STATES, ids=[s.__name__ for s in STATES])
def test_main_states(snap_compare, tmp_path: Path, state, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=state)
