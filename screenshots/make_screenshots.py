"""Make the README's screenshots from a real session with the local engine on the --sample clip.

Run: python screenshots/make_screenshots.py        (writes screenshots/*.svg; takes about a minute)

Everything happens in a throw-away ADDMUSIC_HOME, so your own config, token and engine are not
touched; the engine started here is stopped at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (120, 36)


async def wait_for(pilot, predicate: Callable[[], object], timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.1)


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="addmusic-demo-"))
    os.environ["ADDMUSIC_HOME"] = str(work / "home")
    from addmusic.config import load_settings
    from addmusic.protocol.local import read_lock
    from addmusic.sample import make_sample
    from addmusic.ui.app import AddMusicApp
    from addmusic.ui.widgets.composer import Composer

    clip = make_sample(work / "beach-day.mp4", 10.0)
    settings = load_settings()
    app = AddMusicApp(settings, [clip])

    def chat() -> str:
        return "\n".join(app.chat.text_lines())

    async def shot(name: str, pilot) -> None:  # type: ignore[no-untyped-def]
        app.query_one(Composer).cursor_blink = False
        await pilot.pause(0.3)
        app.save_screenshot(f"{name}.svg", str(HERE))
        print(f"screenshots/{name}.svg")

    async def say(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
        composer = app.query_one(Composer)
        composer.load_text(text)
        await pilot.press("enter")

    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "Uploaded beach-day.mp4" in chat())
            await shot("01-clip-uploaded", pilot)
            await say(pilot, "add upbeat background music at 30% and a title 'Beach day' for 3 seconds")
            await wait_for(pilot, lambda: '"Beach day"' in app.draft.summary())
            await shot("02-music-and-title", pilot)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: "Preview ·" in chat() or bool(app.chat.query("PreviewStrip")))
            await shot("03-preview", pilot)
            await say(pilot, "export")
            await wait_for(pilot, lambda: "Saved " in chat())
            await shot("04-exported", pilot)
            await say(pilot, str(clip.with_suffix(".txt").touch() or clip.with_suffix(".txt")))
            await wait_for(pilot, lambda: "Supported formats" in chat())
            await shot("05-error", pilot)
            await pilot.press("f1")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            await shot("06-help", pilot)
            await pilot.press("escape")
            await pilot.press("ctrl+l")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "SessionsScreen")
            await shot("07-sessions", pilot)
            await pilot.press("escape")
    finally:
        info = read_lock(Path(os.environ["ADDMUSIC_HOME"]) / "data" / "engine")
        if info:
            os.kill(int(info["pid"]), signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
