"""The chat pane: the user's messages, replies streamed live as Markdown, one line per applied
edit, notices, errors with what to do next, and progress rows for uploads and exports.

It follows new content; when the user scrolls up it stops following and counts what is new, and
`follow()` (ctrl+f) jumps back and follows again.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from rich.text import Text
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, ProgressBar, Static

FLUSH_S = 0.05  # streamed text is drawn at most 20 times a second: each draw re-lays the screen

NOTICE_ICONS = {"info": "·", "edit": "✎", "working": "⏳", "success": "✔", "warning": "!", "error": "✖"}


class UserMessage(Static):
    DEFAULT_CSS = """
    UserMessage { margin: 1 0 0 0; padding: 0 1; background: $primary 15%; color: $text; }
    """


@cache
def reply_class() -> type[Widget]:
    """The Markdown reply widget, defined on first use: markdown-it costs start-up time and the
    first screen needs none of it."""
    from markdown_it import MarkdownIt
    from textual.widgets import Markdown

    parser = MarkdownIt("gfm-like")  # one parser for all replies, not one per appended chunk

    class Reply(Markdown):
        DEFAULT_CSS = """
        Reply { margin: 0; padding: 0 1; background: transparent; }
        Reply > MarkdownParagraph { margin: 0 0 1 0; }
        """

        def __init__(self, markdown: str | None = None) -> None:
            super().__init__(markdown, parser_factory=lambda: parser)

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
        icon = NOTICE_ICONS.get(kind, "·")
        super().__init__(Text(f"{icon} {text}"), classes=f"-{kind}")
        self.kind = kind
        self.plain = text


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


class ReplyStream:
    """One reply being streamed: chunks are gathered and drawn every FLUSH_S, so typing stays
    responsive while thousands of chunks arrive; `finish` settles the final text."""

    def __init__(self, log: ChatLog, widget: Any) -> None:
        self.log = log
        self.widget = widget
        self.stream: Any = None
        self.text = ""
        self._pending = ""
        self._flusher: asyncio.Task[None] | None = None

    async def write(self, chunk: str) -> None:
        self.text += chunk
        self._pending += chunk
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_S)
        self._flusher = None
        await self._flush()

    async def _flush(self) -> None:
        if not self._pending:
            return
        if self.stream is None:
            self.stream = type(self.widget).get_stream(self.widget)
        pending, self._pending = self._pending, ""
        following = self.log.following
        await self.stream.write(pending)
        if not following:
            self.log.count_unseen(new_item=False)

    async def finish(self, final_text: str | None = None) -> None:
        """Stop streaming; when the shown text should read differently (GUI phrases rewritten),
        replace it whole."""
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self._flush()
        if self.stream is not None:
            await self.stream.stop()
            self.stream = None
        if final_text is not None and final_text != self.text:
            self.text = final_text
            await self.widget.update(final_text)
        if not self.text.strip():
            await self.widget.remove()


class ChatLog(VerticalScroll):
    DEFAULT_CSS = """
    ChatLog { height: 1fr; padding: 0 0 1 0; scrollbar-size-vertical: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.unseen = 0
        self.progress: dict[str, ProgressRow] = {}
        self._following = True

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
        following = self.following  # measured before the new widget makes the log taller
        await self.mount(widget)
        if not following:
            self.count_unseen()
        return widget

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
        lines: list[str] = []
        for child in self.children:
            if hasattr(child, "source"):  # a Markdown reply
                lines.append(child.source)
            elif isinstance(child, Notice):
                lines.append(child.plain)
            elif isinstance(child, Static):
                lines.append(str(child.render()))
            elif isinstance(child, ProgressRow):
                lines.append(str(child.label.render()))
        return lines


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

    def compose(self):  # type: ignore[no-untyped-def]
        yield self.log_view
        yield Static("", id="unseen")

    def show_unseen(self, count: int) -> None:
        hint = self.query_one("#unseen", Static)
        hint.set_class(count > 0, "-visible")
        if count:
            hint.update(f"{count} new ↓  (ctrl+f: follow)")
