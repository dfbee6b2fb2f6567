"""The message input: Enter sends (terminals cannot report ctrl+enter), long messages wrap and the
box grows, up/down walk the history, and pasted or dropped file paths become uploads."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from ...client.router import find_paths

MAX_HISTORY = 200


class Composer(TextArea):
    DEFAULT_CSS = """
    Composer {
        height: auto;
        min-height: 3;
        max-height: 8;
        border: round $primary 50%;
        padding: 0 1;
    }
    Composer:focus { border: round $primary; }
    """

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class HelpRequested(Message):
        """`?` typed into an empty composer."""

    class FilesDropped(Message):
        def __init__(self, paths: list[Path]) -> None:
            super().__init__()
            self.paths = paths

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus",
                         placeholder="Type what you want — e.g. add upbeat music at 30% — or drop a clip here")
        self.sent: list[str] = []
        self._history_index: int | None = None
        self._draft = ""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.submit()
            return
        if event.character == "?" and not self.text:
            event.stop()
            event.prevent_default()
            self.post_message(self.HelpRequested())
            return
        if event.key == "up" and self.cursor_at_first_line and self.sent:
            event.stop()
            event.prevent_default()
            self._walk_history(-1)
            return
        if event.key == "down" and self.cursor_at_last_line and self._history_index is not None:
            event.stop()
            event.prevent_default()
            self._walk_history(+1)
            return
        # anything else: Textual goes on to TextArea's own handler (handlers run down the MRO)

    async def _on_paste(self, event: events.Paste) -> None:
        paths = find_paths(event.text)
        if paths:  # a dropped file arrives as a paste: upload it instead of typing its path
            event.stop()
            event.prevent_default()
            self.post_message(self.FilesDropped(paths))
        # otherwise TextArea's own handler inserts the text (handlers run down the MRO)

    def submit(self) -> None:
        text = self.text.strip()
        if not text:
            return
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
            del self.sent[:-MAX_HISTORY]
        self._history_index = None
        self._draft = ""
        self.clear()
        self.post_message(self.Submitted(text))

    def _walk_history(self, step: int) -> None:
        if self._history_index is None:
            self._draft = self.text
            index = len(self.sent) + step
        else:
            index = self._history_index + step
        if index >= len(self.sent):
            self._history_index = None
            self._set(self._draft)
            return
        self._history_index = max(0, index)
        self._set(self.sent[self._history_index])

    def _set(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)
