"""The sessions screen: earlier sessions with their clips, last edit and last export; open one,
rename it, or forget it (after a yes). The list lives client-side (`client/sessions.py`)."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...client.sessions import SessionMemory, SessionRecord
from .confirm import Confirm


def ago(when: float, now: float | None = None) -> str:
    """`just now`, `5 min ago`, `3 h ago`, `2 days ago`."""
    seconds = max(0.0, (now or time.time()) - when)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "yesterday" if days == 1 else f"{days} days ago"


def describe(record: SessionRecord, *, current: bool = False, now: float | None = None) -> Text:
    """Two lines: the name (and clips), then the last edit and the last export."""
    text = Text()
    text.append(record.title, "bold")
    if current:
        text.append("  (open now)", "italic")
    clips = ", ".join(record.clips) if record.clips else "no clips yet"
    text.append(f"  ·  {clips}")
    edit = f'last edit "{record.last_edit}" {ago(record.last_edit_at, now)}' if record.last_edit else "no edits"
    export = (f"exported {ago(record.last_export_at, now)} to {record.last_export}" if record.last_export
              else "never exported")
    text.append(f"\n  {edit} · {export}", "dim")
    return text


class Rename(ModalScreen[str | None]):
    """One line of text: the new name (Esc keeps the old one)."""

    DEFAULT_CSS = """
    Rename { align: center middle; }
    Rename > Vertical { width: 60; max-width: 90%; height: auto; border: thick $primary; background: $surface;
                        padding: 1 2; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("New name (enter saves, esc cancels):")
            yield Input(self.current, id="name")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


class SessionsScreen(ModalScreen[str | None]):
    """Returns the id of the session to open, or None."""

    DEFAULT_CSS = """
    SessionsScreen { align: center middle; }
    SessionsScreen > Vertical { width: 90%; max-width: 110; height: 80%; border: thick $primary;
                                background: $surface; padding: 0 1; }
    SessionsScreen OptionList { height: 1fr; }
    SessionsScreen #hint { color: $text-muted; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("r", "rename", "Rename"),
        Binding("d,delete", "delete", "Delete"),
    ]

    def __init__(self, memory: SessionMemory, account: str, current: str) -> None:
        super().__init__()
        self.memory, self.account, self.current = memory, account, current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Sessions", classes="title")
            yield OptionList(id="sessions")
            yield Static("enter opens · r renames · d deletes · esc closes", id="hint")

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self, highlight: str | None = None) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        records = self.memory.sessions(self.account)
        for record in records:
            options.add_option(Option(describe(record, current=record.session_id == self.current),
                                      id=record.session_id))
        if not records:
            options.add_option(Option("No sessions yet.", disabled=True))
        elif highlight:
            options.highlighted = next((i for i, r in enumerate(records) if r.session_id == highlight), 0)
        else:
            options.highlighted = 0

    def listing(self) -> list[str]:
        """The rows as plain text, one string per session (what a test reads)."""
        options = self.query_one(OptionList)
        return [str(getattr(options.get_option_at_index(i).prompt, "plain", options.get_option_at_index(i).prompt))
                for i in range(options.option_count) if options.get_option_at_index(i).id]

    def _selected(self) -> SessionRecord | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        return self.memory.get(self.account, option_id) if option_id else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def action_rename(self) -> None:
        record = self._selected()
        if record is None:
            return

        def renamed(name: str | None) -> None:
            if name:
                self.memory.update(self.account, record.session_id, name=name)
                self.reload(record.session_id)

        self.app.push_screen(Rename(record.title), renamed)

    def action_delete(self) -> None:
        record = self._selected()
        if record is None:
            return
        if record.session_id == self.current:
            self.notify("This session is open; start or open another one first.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.memory.forget(self.account, record.session_id)
                self.reload()

        warning = " Its edits were never exported." if record.unexported else ""
        self.app.push_screen(Confirm(f'Delete the session "{record.title}" from this list?{warning} '
                                     "Your clips and saved exports stay on disk."), answered)
