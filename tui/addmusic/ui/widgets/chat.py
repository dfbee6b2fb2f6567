"""The chat pane: the user's messages, replies streamed live as Markdown, one line per applied
edit, notices, errors with what to do next, and progress rows for uploads and exports.

It follows new content; when the user scrolls up it stops following and counts what is new, and
`follow()` (ctrl+f) jumps back and follows again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, ProgressBar, Static

log = logging.getLogger(__name__)

FLUSH_S = 0.1  # streamed text is drawn at most 10 times a second: each draw re-lays the screen
# Keys come first: a draw of the reply (a full layout, 10-20 ms on a long chat) waits until the
# last key's echo is on screen — or KEY_QUIET_S after a key that echoes nothing — so it falls in the
# gap before the next key; while typing goes on it is never held back longer than MAX_HOLD_S.
KEY_QUIET_S = 0.05
MAX_HOLD_S = 0.25
MAX_ITEMS = 60  # messages kept in the log; older ones go to the transcript file (see ChatLog._trim)
TRIM_BATCH = 20
SETTLE_BLOCKS = 6  # blocks per piece of a long streamed reply (see ReplyStream)
BLANK_LINES = re.compile(r"\n\n+")
FENCE = re.compile(r"^ {0,3}(?:```|~~~)", re.MULTILINE)

NOTICE_ICONS = {"info": "·", "edit": "✎", "working": "⏳", "success": "✔", "warning": "!", "error": "✖"}


class UserMessage(Static):
    DEFAULT_CSS = """
    UserMessage { margin: 1 0 0 0; padding: 0 1; background: $primary 15%; color: $text; }
    """


class NoSecondLayout:
    """One full layout per draw of a streaming reply, not two. Textual lays the whole screen out
    again whenever a layout changed a widget's size (`virtual_size` is a layout-triggering
    reactive), and again once a block that was filled in before its mount has settled. For the
    chat's widgets neither pass changes anything — the log's scrollbar is updated without it, the
    mount lays the new block out — and they doubled the work of each draw (2,000 chunks drawn 10
    times a second: 172 layouts with them, 83 without, measured). `_size_updated` is private to
    Textual (pinned <9); the snapshot tests would show a change."""

    def _size_updated(self, size: Any, virtual_size: Any, container_size: Any, layout: bool = True) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)  # type: ignore[misc]

    def refresh(self, *regions: Any, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Any:
        # a block filled in before it is mounted is laid out by the mount itself; remembering the
        # request would cost another full layout once the new block has settled
        mounted = getattr(self, "_is_mounted", False)
        return super().refresh(*regions, repaint=repaint, layout=layout and mounted,  # type: ignore[misc]
                               recompose=recompose)


@cache
def _without_second_layout(block_class: type) -> type:
    return type(block_class.__name__, (NoSecondLayout, block_class), {})


@cache
def reply_class() -> type[Widget]:
    """The Markdown reply widget, defined on first use: markdown-it costs start-up time and the
    first screen needs none of it."""
    from markdown_it import MarkdownIt
    from textual.widgets import Markdown

    parser = MarkdownIt("gfm-like")  # one parser for all replies, not one per appended chunk

    class Reply(NoSecondLayout, Markdown):
        DEFAULT_CSS = """
        Reply { margin: 0; padding: 0 1; background: transparent; }
        Reply > MarkdownParagraph { margin: 0 0 1 0; }
        """

        def __init__(self, markdown: str | None = None) -> None:
            super().__init__(markdown, parser_factory=lambda: parser)

        def get_block_class(self, block_name: str) -> type:
            return _without_second_layout(super().get_block_class(block_name))

    return Reply


class Welcome(Static):
    DEFAULT_CSS = """
    Welcome { padding: 0 1; margin: 1 0 1 0; }
    """


class Notice(Static):
    DEFAULT_CSS = """
    Notice { padding: 0 1; color: $text-muted; }
    Notice.-error { color: $error; text-style: bold; }
    Notice.-warning { color: $warning; }
    Notice.-success { color: $success; }
    Notice.-working { color: $accent; }
    Notice.-edit { color: $text-muted; text-style: italic; }
    """

    def __init__(self, text: str, kind: str = "info") -> None:
        super().__init__(self._content(text, kind), classes=f"-{kind}")
        self.kind = kind
        self.plain = text

    @staticmethod
    def _content(text: str, kind: str) -> Text:
        return Text(f"{NOTICE_ICONS.get(kind, '·')} {text}")

    def update_text(self, text: str) -> None:
        self.plain = text
        self.update(self._content(text, self.kind))


class ProgressRow(Horizontal):
    DEFAULT_CSS = """
    ProgressRow { height: 1; padding: 0 1; }
    ProgressRow > Label { width: 1fr; min-width: 16; color: $text-muted; }
    ProgressRow > ProgressBar { width: auto; }
    """

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = Label(label)
        self.bar = ProgressBar(total=100, show_eta=False)

    def compose(self):  # type: ignore[no-untyped-def]
        yield self.label
        yield self.bar


def settle_point(written: str, pending: str, blocks: int = SETTLE_BLOCKS) -> int | None:
    """Where the current piece of a streamed reply may end, as an index into `pending`: just after
    a blank line, outside code fences, before a line that starts a new block (an indented line
    could be a list item's continuation), once the piece holds `blocks` blocks. None: not yet."""
    if "\n\n" not in written[-2:] + pending:
        return None
    text = written + pending
    cut = None
    for match in BLANK_LINES.finditer(text, max(0, len(written) - 2)):
        end = match.end()
        if end >= len(text) or text[end] in " \t":
            continue
        head = text[:end]
        if end >= len(written) and len(BLANK_LINES.findall(head)) >= blocks and len(FENCE.findall(head)) % 2 == 0:
            cut = end - len(written)
    return cut


class ReplyStream:
    """One reply being streamed: chunks are gathered and drawn every FLUSH_S, so typing stays
    responsive while thousands of chunks arrive; `finish` settles the final text.

    A long reply is drawn as several Markdown pieces, one after another: once a piece holds
    SETTLE_BLOCKS blocks it is finished and the text goes on in a fresh piece. Each draw then
    re-lays only the short piece being written (layout time grows with the blocks in the widget
    that changed: 24 ms vs 11 ms per draw at the end of a 50-paragraph reply, measured)."""

    def __init__(self, log: ChatLog, widget: Any) -> None:
        self.log = log
        widget.streaming = True  # never trimmed from the log while being written
        self.pieces = [widget]
        self.stream: Any = None
        self.text = ""
        self._written = ""  # what the current piece holds
        self._pending = ""
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def widget(self) -> Any:
        """The piece being written."""
        return self.pieces[-1]

    @property
    def shown(self) -> str:
        return "".join(piece.source for piece in self.pieces)

    async def write(self, chunk: str) -> None:
        self.text += chunk
        self._pending += chunk
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_S)
        await self.log.after_echo(MAX_HOLD_S)
        self._flusher = None  # text written from now on schedules the next flush
        await asyncio.shield(self._flush())  # `finish` may cancel the wait, never a half-done flush

    async def _flush(self) -> None:
        async with self._lock:  # one flush at a time: a flush can span a mount
            if not self._pending:
                return
            pending, self._pending = self._pending, ""
            following = self.log.following
            cut = settle_point(self._written, pending)
            if cut is None:
                await self._write(pending)
            else:
                await self._write(pending[:cut])
                await self._next_piece()
                await self._write(pending[cut:])
            if not following:
                self.log.count_unseen(new_item=False)

    async def _write(self, text: str) -> None:
        if self.stream is None:
            self.stream = type(self.widget).get_stream(self.widget)
        self._written += text
        await self.stream.write(text)

    async def _stop_stream(self) -> None:
        if self.stream is not None:
            await self.stream.stop()
            self.stream = None

    async def _next_piece(self) -> None:
        await self._stop_stream()
        piece = reply_class()()
        piece.streaming = True
        await self.log.mount(piece, after=self.widget)
        self.pieces.append(piece)
        self._written = ""

    async def finish(self, final_text: str | None = None) -> None:
        """Stop streaming; when the shown text should read differently (GUI phrases rewritten),
        replace it whole."""
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self._flush()
        async with self._lock:
            await self._stop_stream()
            for piece in self.pieces:
                piece.streaming = False
            if final_text is not None and final_text != self.text:
                self.text = final_text
                for piece in self.pieces[1:]:
                    await piece.remove()
                del self.pieces[1:]
                await self.widget.update(final_text)
            if not self.text.strip():
                for piece in self.pieces:
                    await piece.remove()


class ChatLog(NoSecondLayout, VerticalScroll):
    DEFAULT_CSS = """
    ChatLog { height: 1fr; padding: 0 0 1 0; scrollbar-size-vertical: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.unseen = 0
        self.progress: dict[str, ProgressRow] = {}
        self._following = True
        self.last_key_at = 0.0  # time.monotonic()
        self.transcript: Path | None = None  # where messages trimmed from the log are kept
        self.trimmed = 0
        self._trimmed_note: Notice | None = None
        self._echoed = asyncio.Event()
        self._echoed.set()

    def note_key(self) -> None:
        """A key was pressed: its echo is drawn before more of a streaming reply."""
        self.last_key_at = time.monotonic()
        self._echoed.clear()

    def echo_drawn(self) -> None:
        """The screen has been drawn since the last key."""
        self._echoed.set()

    async def after_echo(self, limit: float) -> None:
        """Return once the last key's echo is on screen (KEY_QUIET_S after a key that echoes
        nothing), or after `limit` seconds of keys."""
        deadline = time.monotonic() + limit
        while not self._echoed.is_set():
            left = min(deadline, self.last_key_at + KEY_QUIET_S) - time.monotonic()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self._echoed.wait()

    def on_mount(self) -> None:
        self.anchor()

    @property
    def following(self) -> bool:
        """True until the user scrolls up; the anchor's own scrolling only ever goes down, so it
        cannot be mistaken for the user reading back."""
        return self._following

    def count_unseen(self, *, new_item: bool = True) -> None:
        """Something arrived while the user reads older messages (call only when not following)."""
        if new_item:
            self.unseen += 1
        elif self.unseen == 0:
            self.unseen = 1
        self._report_unseen()

    def _report_unseen(self) -> None:
        pane = self.parent
        if isinstance(pane, ChatPane):
            pane.show_unseen(self.unseen)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        at_end = new >= self.max_scroll_y - 1
        if new < old and not at_end:
            self._following = False
        elif at_end and not self._following:
            self._following = True
            self.unseen = 0
            self._report_unseen()

    def follow(self) -> None:
        self._following = True
        self.anchor()
        self.scroll_end(animate=False, immediate=True)
        self.unseen = 0
        self._report_unseen()

    async def _add(self, widget: Widget) -> Widget:
        if not self.is_attached:  # what Widget.mount refuses with MountError
            return widget  # the app is closing (an export that ended as the user quit): nobody to tell
        following = self.following  # measured before the new widget makes the log taller
        await self.mount(widget)
        if not following:
            self.count_unseen()
        if len(self.children) > MAX_ITEMS + TRIM_BATCH:
            await self._trim()
        return widget

    async def _trim(self) -> None:
        """Move the oldest messages out of the log into the transcript file: every draw lays out
        every widget in the log, so an unbounded log would make typing slower as a session goes
        on (measured: 16 ms per draw of a streaming reply with 20 earlier lines, 33 ms with 200,
        73 ms with 600). Nothing is removed that could not be written down first."""
        if self.transcript is None:
            return
        busy = {self._trimmed_note, *self.progress.values()}  # rows still updating stay where they are
        old = [child for child in self.children if child not in busy and not getattr(child, "streaming", False)]
        old = old[:TRIM_BATCH]
        texts = [text for child in old if (text := self._text_of(child)) is not None]
        try:
            self.transcript.parent.mkdir(parents=True, exist_ok=True)
            with self.transcript.open("a", encoding="utf-8") as file:
                file.write("".join(f"{text}\n\n" for text in texts))
        except OSError as exc:  # a full or read-only disk: keep everything on screen instead
            log.warning("cannot write the chat transcript %s: %s", self.transcript, exc)
            return
        self.trimmed += len(old)
        await self.remove_children(old)
        text = f"{self.trimmed} earlier messages are in {self.transcript}."
        if self._trimmed_note is None:
            self._trimmed_note = Notice(text, "info")
            await self.mount(self._trimmed_note, before=0)
        else:
            self._trimmed_note.update_text(text)

    async def add_user(self, text: str) -> None:
        await self._add(UserMessage(Text(f"› {text}")))

    async def start_reply(self) -> ReplyStream:
        widget = reply_class()()
        await self._add(widget)
        return ReplyStream(self, widget)

    async def add_notice(self, text: str, kind: str = "info") -> Notice:
        return await self._add(Notice(text, kind))  # type: ignore[return-value]

    async def add_markdown(self, text: str) -> None:
        await self._add(reply_class()(text))

    async def add_welcome(self, text: Text) -> None:
        await self._add(Welcome(text))

    async def add_widget(self, widget: Widget) -> None:
        await self._add(widget)

    async def add_preview(self, preview: Any, name: str) -> None:
        """A preview (a PreviewStrip, or the Text saying why there is none), foldable with enter
        or a click on its title. It starts folded when drawing it would push the whole
        conversation out of a short window."""
        from textual.widgets import Collapsible

        if not isinstance(preview, Widget):
            await self.add_notice(getattr(preview, "plain", str(preview)), "warning")
            return
        strip = getattr(preview, "strip", None)
        height = (strip.plain.count("\n") + 2) if strip is not None else 1
        folded = height + 3 > self.size.height
        title = f"Preview: {name}" + ("  (folded to keep the chat in view: enter or click shows it)" if folded else "")
        await self._add(Collapsible(preview, title=title, collapsed=folded, classes="preview"))

    async def start_progress(self, key: str, label: str) -> None:
        row = ProgressRow(label)
        self.progress[key] = row
        await self._add(row)

    def set_progress(self, key: str, pct: float, label: str | None = None) -> None:
        row = self.progress.get(key)
        if row is None:
            return
        row.bar.update(progress=max(0.0, min(100.0, pct)))
        if label is not None:
            row.label.update(label)

    async def end_progress(self, key: str) -> None:
        row = self.progress.pop(key, None)
        if row is not None:
            await row.remove()

    def text_lines(self) -> list[str]:
        """What the pane says, as plain text lines (for tests and copying)."""
        return [line for child in self.children if (line := self._text_of(child)) is not None]

    @staticmethod
    def _text_of(child: Widget) -> str | None:
        if hasattr(child, "source"):  # a Markdown reply
            return str(child.source)
        if isinstance(child, Notice):
            return child.plain
        if hasattr(child, "caption"):  # a preview strip: its times, not its pixels
            return str(child.caption)
        if isinstance(child, Static):
            return str(child.render())
        if isinstance(child, ProgressRow):
            return str(child.label.render())
        return None


class ChatPane(Vertical):
    """The chat log with its "N new ↓" hint underneath."""

    DEFAULT_CSS = """
    ChatPane { height: 1fr; }
    ChatPane > #unseen { dock: bottom; height: 1; display: none; background: $accent; color: $text;
                         padding: 0 1; text-align: right; }
    ChatPane > #unseen.-visible { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.log_view = ChatLog(id="chat-log")
        self.follow_key = "ctrl+f"  # the app sets the remapped key

    def compose(self):  # type: ignore[no-untyped-def]
        yield self.log_view
        yield Static("", id="unseen")

    def show_unseen(self, count: int) -> None:
        hint = self.query_one("#unseen", Static)
        hint.set_class(count > 0, "-visible")
        if count:
            hint.update(f"{count} new ↓  ({self.follow_key}: follow)")
