"""The help screen (F1, or ? in an empty composer): every key from the one actions table, as
remapped now, and example phrases by family. Esc closes it."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..actions import ACTIONS, PHRASES


def keys_table(key_for: Callable[[str], str]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("what")
    table.add_row("enter", "Send the message")
    table.add_row("↑ / ↓", "Previous / next message you sent")
    for action in ACTIONS:
        key = key_for(action.id) if action.key else "palette"
        typed = f"  (or type: {action.typed})" if action.typed else ""
        table.add_row(key, Text(f"{action.title}: {action.help}{typed}"))
    table.add_row("ctrl+p", "Command palette: every action above")
    return table


def phrases_text() -> Text:
    text = Text()
    for family, examples in PHRASES:
        text.append(f"{family}\n", "bold")
        for example in examples:
            text.append(f"  {example}\n", "italic")
    return text


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 110; height: 90%; border: thick $primary;
                                  background: $surface; padding: 0 1; }
    HelpScreen Static { margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss(None)", "Close")]

    def __init__(self, key_for: Callable[[str], str]) -> None:
        super().__init__()
        self.key_for = key_for

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Keys  (esc closes)", "bold"))
            yield Static(keys_table(self.key_for), id="keys")
            yield Static(Text("Things to type", "bold"))
            yield Static(phrases_text(), id="phrases")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def plain(self) -> str:
        """The screen's text, as a test reads it."""
        import io

        from rich.console import Console

        console = Console(width=100, record=True, file=io.StringIO())
        console.print(keys_table(self.key_for))
        console.print(phrases_text())
        return console.export_text()
