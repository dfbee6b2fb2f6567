"""The chat pane follows new content, counts what arrives while the user reads back, and follows
again on ctrl+f; the composer sends on Enter, keeps a history and turns dropped files into uploads."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import App, ComposeResult

from addmusic.ui.widgets.chat import ChatPane
from addmusic.ui.widgets.composer import Composer


class Harness(App[None]):
    BINDINGS = [("ctrl+f", "follow", "Follow")]

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []
        self.dropped: list[list[Path]] = []

    def compose(self) -> ComposeResult:
        yield ChatPane()
        yield Composer()

    def action_follow(self) -> None:
        self.query_one(ChatPane).log_view.follow()

    def on_composer_submitted(self, event: Composer.Submitted) -> None:
        self.sent.append(event.text)

    def on_composer_files_dropped(self, event: Composer.FilesDropped) -> None:
        self.dropped.append(event.paths)


def hint(app: Harness) -> str:
    widget = app.query_one("#unseen")
    return str(widget.render()) if widget.has_class("-visible") else ""


async def test_follows_counts_unseen_and_follows_again() -> None:
    app = Harness()
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(ChatPane).log_view
        for i in range(30):
            await log.add_notice(f"line {i}")
        await pilot.pause()
        assert log.following and hint(app) == ""
        log.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        await log.add_notice("new one")
        reply = await log.start_reply()
        await reply.write("streamed text")
        await pilot.pause()
        assert hint(app).startswith("2 new ↓")
        assert log.scroll_y == 0  # reading back is not interrupted
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert log.following and hint(app) == ""


async def test_streamed_reply_thousands_of_chunks() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(ChatPane).log_view
        reply = await log.start_reply()
        for i in range(2000):
            await reply.write(f"w{i} " + ("\n\n" if i % 50 == 49 else ""))
        await reply.finish()
        await pilot.pause()
        assert reply.widget.source.startswith("w0 w1 ") and "w1999" in reply.widget.source
        assert log.following


async def test_reply_can_be_rewritten_when_finished() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(ChatPane).log_view
        reply = await log.start_reply()
        await reply.write("Click the Export button.")
        await reply.finish("type **export**.")
        await pilot.pause()
        assert log.text_lines()[-1] == "type **export**."


async def test_enter_sends_and_history_walks(tmp_path: Path) -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = app.query_one(Composer)
        composer.focus()
        await pilot.press(*"first", "enter")
        await pilot.press(*"second", "enter")
        await pilot.press("enter")  # nothing typed: nothing sent
        assert app.sent == ["first", "second"]
        assert composer.text == ""
        await pilot.press("up")
        assert composer.text == "second"
        await pilot.press("up")
        assert composer.text == "first"
        await pilot.press("down", "down")
        assert composer.text == ""


async def test_long_message_wraps_and_grows() -> None:
    app = Harness()
    async with app.run_test(size=(40, 24)) as pilot:
        composer = app.query_one(Composer)
        before = composer.size.height
        composer.load_text("add some music " * 12)
        await pilot.pause()
        assert composer.size.height > before


async def test_dropped_files_become_uploads(tmp_path: Path) -> None:
    clip = tmp_path / "my clip.mp4"
    clip.write_bytes(b"x")
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = app.query_one(Composer)
        composer.focus()
        app.post_message(events.Paste(str(clip).replace(" ", "\\ ")))  # as the terminal driver does
        await pilot.pause()
        app.post_message(events.Paste("just some text"))
        await pilot.pause()
        assert app.dropped == [[clip]]
        assert composer.text == "just some text"
