"""The chat pane follows new content, counts what arrives while the user reads back, and follows
again on ctrl+f; the composer sends on Enter, keeps a history and turns dropped files into uploads."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from textual import events
from textual.app import App, ComposeResult

from addmusic.ui.widgets import chat
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


async def stream_words(reply: chat.ReplyStream, count: int, *, paragraph: int, pause_every: int = 0) -> None:
    """w0 w1 … as a model streams them, a blank line every `paragraph` words; with `pause_every`,
    a short pause every so many words lets the reply be drawn while the text still arrives."""
    for i in range(count):
        await reply.write(f"w{i} " + ("\n\n" if i % paragraph == paragraph - 1 else ""))
        if pause_every and i % pause_every == 0:
            await asyncio.sleep(0.002)


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
        await stream_words(reply, 2000, paragraph=50)
        await reply.finish()
        await pilot.pause()
        assert reply.shown == reply.text and reply.shown.startswith("w0 w1 ") and "w1999" in reply.shown
        assert log.following


async def test_long_reply_is_drawn_in_pieces_that_read_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "FLUSH_S", 0.001)
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(ChatPane).log_view
        await log.add_notice("before")
        reply = await log.start_reply()
        await stream_words(reply, 600, paragraph=20, pause_every=7)
        await reply.finish()
        await pilot.pause()
        pieces = reply.pieces
        assert len(pieces) >= 4
        for piece in pieces[:-1]:  # each ends after a whole block, holding SETTLE_BLOCKS or more
            assert piece.source.endswith("\n\n") and piece.source.count("\n\n") >= chat.SETTLE_BLOCKS
        assert list(log.children)[1:] == pieces  # in order, right after what came before
        assert "".join(log.text_lines()[1:]) == reply.shown == reply.text


async def test_code_fences_are_never_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "FLUSH_S", 0.001)
    app = Harness()
    async with app.run_test(size=(80, 24)):
        log = app.query_one(ChatPane).log_view
        reply = await log.start_reply()
        text = "".join(f"para {i}\n\n" for i in range(7)) + "```\nline a\n\nline b\n\n\nline c\n```\n\nafter\n\nend"
        for char in text:
            await reply.write(char)
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        await reply.finish()
        assert reply.shown == text
        assert all(piece.source.count("```") % 2 == 0 for piece in reply.pieces)


async def test_rewriting_a_long_reply_leaves_one_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "FLUSH_S", 0.001)
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(ChatPane).log_view
        reply = await log.start_reply()
        await stream_words(reply, 300, paragraph=10, pause_every=1)
        await reply.finish("Press **ctrl+e** to export.")
        await pilot.pause()
        assert len(reply.pieces) == 1 and log.text_lines() == ["Press **ctrl+e** to export."]


@pytest.mark.parametrize(("written", "pending", "blocks", "cut"), [
    ("", "a\n\nb\n\nc", 2, 6),  # after the second block, before "c"
    ("", "a\n\nb\n\n", 2, None),  # what follows the blank line is not known yet
    ("a\n\nb\n\n", "c", 2, 0),  # the blank line closed the last flush: end the piece right there
    ("", "a\n\nb", 2, None),  # not enough blocks
    ("a\n\n```\nx\n\ny\n", "```\n\nz", 2, 5),  # the blank line inside the fence does not count
    ("", "a\n\n```\nx\n\ny", 1, 3),  # before the fence, never inside it
    ("", "- a\n\n    more\n\nb", 1, 15),  # an indented continuation stays with its item
])
def test_settle_point(written: str, pending: str, blocks: int, cut: int | None) -> None:
    assert chat.settle_point(written, pending, blocks) == cut


async def test_a_key_holds_the_next_draw_until_its_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "KEY_QUIET_S", 0.3)
    app = Harness()
    async with app.run_test(size=(80, 24)):
        log = app.query_one(ChatPane).log_view
        start = time.monotonic()
        await log.after_echo(5)
        assert time.monotonic() - start < 0.1  # no key: draw now
        log.note_key()  # a key that echoes nothing: held for KEY_QUIET_S
        start = time.monotonic()
        await log.after_echo(5)
        assert 0.25 < time.monotonic() - start < 2
        log.note_key()  # the echo is drawn soon: held only until then
        asyncio.get_running_loop().call_later(0.05, log.echo_drawn)
        start = time.monotonic()
        await log.after_echo(5)
        assert time.monotonic() - start < 0.25
        log.note_key()  # keys keep coming: never held longer than the limit
        ticker = asyncio.create_task(_keys(log, 1.0))
        start = time.monotonic()
        await log.after_echo(0.4)
        assert 0.35 < time.monotonic() - start < 0.9
        await ticker


async def _keys(log: chat.ChatLog, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        log.note_key()
        await asyncio.sleep(0.02)


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


async def test_a_long_session_keeps_the_log_short_and_the_rest_in_the_transcript(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "MAX_ITEMS", 10)
    monkeypatch.setattr(chat, "TRIM_BATCH", 4)
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(ChatPane).log_view
        log.transcript = tmp_path / "transcripts" / "chat.md"
        await log.start_progress("up", "Uploading beach.mp4")
        reply = await log.start_reply()
        await reply.write("still being written")
        for i in range(30):
            await log.add_notice(f"line {i}")
        await pilot.pause()
        assert len(log.children) <= 10 + 4 + 1
        kept = log.text_lines()
        assert kept[0] == f"{log.trimmed} earlier messages are in {log.transcript}."
        # the upload still running and the reply still streaming stay; the oldest lines moved out
        assert "Uploading beach.mp4" in kept and log.progress["up"] in log.children
        assert reply.widget in log.children and kept[-1] == "line 29"
        saved = log.transcript.read_text().split("\n\n")
        assert log.trimmed > 0 and all(f"line {i}" in saved for i in range(log.trimmed))
        assert all(f"line {i}" not in kept for i in range(log.trimmed))
        assert all(f"line {i}" in kept for i in range(log.trimmed, 30))
        await reply.finish()


async def test_nothing_leaves_the_log_when_the_transcript_cannot_be_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "MAX_ITEMS", 5)
    monkeypatch.setattr(chat, "TRIM_BATCH", 2)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the transcript folder should be")
    app = Harness()
    async with app.run_test(size=(80, 24)):
        log = app.query_one(ChatPane).log_view
        log.transcript = blocker / "chat.md"
        for i in range(12):
            await log.add_notice(f"line {i}")
        assert log.text_lines() == [f"line {i}" for i in range(12)] and log.trimmed == 0
