"""The status bar keeps a label on every number, short ones at 80 columns."""

from __future__ import annotations

from textual.app import App, ComposeResult

from addmusic.ui.widgets.status import StatusBar


class StatusApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar()


async def test_labels_stay_at_80_columns_and_fit() -> None:
    app = StatusApp()
    async with app.run_test(size=(80, 5)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set(connection="Ready!", session="5e55i0n0abc", available=9990, frozen=10, total=10000,
                busy="rendering 42%")
        await pilot.pause()
        text = bar.plain
        assert text == "♪ │ local │ Ready! │ sess 5e55i0n0 │ credits 9,990 · 10 frozen │ rendering 42%"
        assert len(text) <= 78  # one column of padding each side
        await pilot.resize_terminal(120, 5)
        await pilot.pause()
        assert bar.plain == ("♪ addmusic │ local engine │ Ready! │ session 5e55i0n0 │ credits 9,990 · 10 frozen │ "
                             "rendering 42%")
