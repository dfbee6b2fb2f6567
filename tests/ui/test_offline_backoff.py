"""`--cloud` with no network: the app says so once and retries with growing waits (it used to
repeat the same line every 3 s)."""

from __future__ import annotations

from pathlib import Path

from test_app import wait_for

from addmusic.ui.app import AddMusicApp
from conftest import make_settings


class FastRetries(AddMusicApp):
    """Records each retry wait the app asks for and retries at once, six times, so the test is quick."""

    waits: list[float]

    def set_timer(self, delay, callback=None, **kwargs):  # type: ignore[no-untyped-def, override]
        if callback == self.connect:
            self.waits.append(delay)
            if len(self.waits) >= 6:  # then leave the app waiting, its status line still
                return super().set_timer(3600, callback, **kwargs)
            delay = 0.01
        return super().set_timer(delay, callback, **kwargs)


async def test_unreachable_cloud_is_said_once_and_retried_with_back_off(isolated_home: Path) -> None:
    app = FastRetries(make_settings(isolated_home, "http://127.0.0.1:9"))
    app.waits = []
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_for(pilot, lambda: len(app.waits) >= 6, timeout=30)
        assert app.waits[:6] == [3.0, 6.0, 12.0, 24.0, 48.0, 60.0]
        lines = "\n".join(app.chat.text_lines())
        assert lines.count("Cannot reach") == 1
        await wait_for(pilot, lambda: "Offline — retrying in 60s" in app.status_bar.plain, timeout=10)
