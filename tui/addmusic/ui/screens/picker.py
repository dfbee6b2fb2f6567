"""Choosing files to upload without a mouse and without a desktop file dialog (there is none over
SSH): a path line that accepts typed, pasted or dropped paths, and a folder tree that shows only
what can be uploaded, where several files can be marked and sent together.

The checks here are the cheap ones — extension and size — so a 2 GB file is refused before the
user waits for anything; the content check happens when the upload starts (`check_upload`)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlparse

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Static, Tree
from textual.widgets._directory_tree import DirEntry
from textual.widgets.tree import TreeNode

from ...protocol.formats import MAX_UPLOAD_BYTES, SUPPORTED_FORMATS_TEXT, kind_of_extension

LIMIT_MB = MAX_UPLOAD_BYTES // (1024 * 1024)
TOO_LARGE = f"larger than {LIMIT_MB} MB — compress or trim it first"
HINTS = ("[b]enter[/] pick/open · [b]space[/] mark · [b]ctrl+s[/] upload marked · [b]esc[/] cancel\n"
         "[b]backspace[/]/[b]-[/] parent folder · [b].[/] hidden files · [b]tab[/] or [b]/[/] type a path")


def human_size(size: int) -> str:
    """Sizes in the same units as the limit (MiB shown as "MB"), so "501 MB" is really over 500."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    if size < 100 * 1024 * 1024:
        return f"{size / 2**20:.1f} MB"
    if size < 1024**3:
        return f"{size / 2**20:.0f} MB"
    return f"{size / 2**30:.1f} GB"


def refusal(path: Path, size: int | None = None) -> str | None:
    """Why `path` cannot be uploaded, in words for the user, or None when it can be picked."""
    if kind_of_extension(path.name) is None:
        return f"{path.name} is not a file that can be uploaded ({SUPPORTED_FORMATS_TEXT})."
    if size is None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            return f"Cannot read {path.name}: {exc.strerror or exc}."
    if size > MAX_UPLOAD_BYTES:
        return f"{path.name} is {human_size(size)}, {TOO_LARGE}."
    if size == 0:
        return f"{path.name} is empty."
    return None


def parse_typed_paths(raw: str, base: Path) -> list[Path]:
    """What was typed, pasted or dropped onto the path line, as absolute paths.

    Terminals deliver dropped files quoted ('/a b.mp4'), backslash-escaped (/a\\ b.mp4) or as
    file:// URLs, several at once separated by spaces; an unquoted path with spaces that exists
    as typed is taken whole."""
    text = raw.strip()
    if not text:
        return []

    def absolute(item: str) -> Path:
        if item.startswith("file://"):
            item = unquote(urlparse(item).path)
        path = Path(item).expanduser()
        return path if path.is_absolute() else base / path

    whole = absolute(text)
    if whole.exists():
        return [whole]
    try:
        parts = shlex.split(text)
    except ValueError:
        return [whole]
    return [absolute(part) for part in parts] or [whole]


class MediaTree(DirectoryTree):
    """A DirectoryTree of folders and uploadable files, showing sizes, marks and the size limit."""

    ICON_NODE = "▸ "
    ICON_NODE_EXPANDED = "▾ "
    ICON_FILE = "  "
    COMPONENT_CLASSES = DirectoryTree.COMPONENT_CLASSES | {
        "media-tree--marked", "media-tree--too-large", "media-tree--size"}
    DEFAULT_CSS = """
    MediaTree > .media-tree--marked { color: $success; text-style: bold; }
    MediaTree > .media-tree--too-large { color: $warning; }
    MediaTree > .media-tree--size { color: $text-muted; }
    """
    BINDINGS = [
        Binding("space", "screen.toggle_mark", "Mark", show=False),
        Binding("backspace,minus,left", "screen.parent", "Parent folder", show=False),
        Binding("right", "screen.open_folder", "Open folder", show=False),
        Binding("full_stop", "screen.toggle_hidden", "Hidden files", show=False),
        Binding("slash", "screen.type_path('/')", show=False),
        Binding("tilde", "screen.type_path('~')", show=False),
    ]

    class Loaded(Message):
        """A folder was shown; `entries` says how much of it is listed (0: nothing to pick there)."""

        def __init__(self, folder: Path, entries: int) -> None:
            super().__init__()
            self.folder = folder
            self.entries = entries

    def __init__(self, path: Path, marks: dict[Path, int], *, id: str | None = None) -> None:
        self.marks = marks
        self.sizes: dict[Path, int] = {}
        self.show_hidden = False
        self.highlight_after_load: Path | None = None
        super().__init__(path, id=id)
        self.show_root = False
        self.auto_expand = False

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Folders and supported media only; runs in the loader's thread, so sizes are read here."""
        kept = []
        for path in paths:
            if path.name.startswith(".") and not self.show_hidden:
                continue
            if self._safe_is_dir(path):
                kept.append(path)
            elif kind_of_extension(path.name) is not None:
                try:
                    self.sizes[path] = path.stat().st_size
                except OSError:
                    continue
                kept.append(path)
        return kept

    def render_label(self, node: TreeNode[DirEntry], base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style)
        entry = node.data
        if entry is None or node.allow_expand or not self.is_mounted:
            return text
        size = self.sizes.get(entry.path)
        marked = entry.path in self.marks
        too_large = size is not None and size > MAX_UPLOAD_BYTES
        if marked:
            text = Text.assemble(("✓ ", self.get_component_rich_style("media-tree--marked", partial=True)),
                                 text[len(self.ICON_FILE):])
            text.stylize(self.get_component_rich_style("media-tree--marked", partial=True))
        elif too_large:
            text = Text.assemble(("⚠ ", self.get_component_rich_style("media-tree--too-large", partial=True)),
                                 text[len(self.ICON_FILE):])
        if size is not None:
            note = f"  {human_size(size)}" + (" · too large" if too_large else "")
            part = "media-tree--too-large" if too_large else "media-tree--size"
            text.append(note, self.get_component_rich_style(part, partial=True))
        return text

    async def watch_path(self) -> None:
        """After moving to a folder, put the cursor on the entry we came from (or the first)."""
        await super().watch_path()
        self.post_message(self.Loaded(Path(self.path), len(self.root.children)))
        target, self.highlight_after_load = self.highlight_after_load, None
        for line, child in enumerate(self.root.children):  # freshly loaded: nothing is expanded yet
            if target is not None and child.data is not None and child.data.path == target:
                self.cursor_line = line
                self.scroll_to_line(line, animate=False)
                return
        if self.cursor_line < 0 and self.root.children:
            self.cursor_line = 0

    def toggle_hidden(self) -> None:
        self.show_hidden = not self.show_hidden
        self.reload()


class FilePicker(ModalScreen[list[Path] | None]):
    """Dismisses with the chosen paths (one or several), or None when cancelled."""

    DEFAULT_CSS = """
    FilePicker { align: center middle; }
    FilePicker > #picker {
        width: 100%; max-width: 120; height: 100%; max-height: 40;
        border: round $accent; border-title-color: $accent; background: $surface; padding: 0 1;
    }
    FilePicker #path { margin-bottom: 0; }
    FilePicker MediaTree { height: 1fr; background: $surface; }
    FilePicker #message { height: auto; color: $warning; }
    FilePicker #marked { height: 1; color: $success; text-wrap: nowrap; text-overflow: ellipsis; }
    FilePicker #marked.-empty { color: $text-muted; }
    FilePicker #hints { height: auto; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "upload_marked", "Upload marked"),
        Binding("ctrl+l", "type_path('')", "Path", show=False),
    ]
    AUTO_FOCUS = "MediaTree"

    def __init__(self, start: Path | None = None) -> None:
        super().__init__()
        self.marks: dict[Path, int] = {}
        folder, highlight = self._starting_point(start)
        self.folder = folder
        self._highlight = highlight
        self._base = folder

    @staticmethod
    def _starting_point(start: Path | None) -> tuple[Path, Path | None]:
        """An existing folder to open (and a file in it to highlight) from whatever the app passed."""
        try:
            path = (start or Path.cwd()).expanduser().absolute()
        except OSError:
            path = Path.home()
        highlight = path if path.is_file() else None
        while not path.is_dir():
            if path.parent == path:
                return Path.home(), None
            path = path.parent
        return path, highlight

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="picker") as box:
            box.border_title = "Add files"
            yield Input(self._folder_text(self.folder), placeholder="Type or paste a folder or file path",
                        compact=True, select_on_focus=False, id="path")
            tree = MediaTree(self.folder, self.marks, id="tree")
            tree.highlight_after_load = self._highlight
            yield tree
            yield Static("", id="message")
            yield Static("", id="marked")
            yield Static(HINTS, id="hints")

    def on_mount(self) -> None:
        self._show_marks()

    @property
    def tree(self) -> MediaTree:
        return self.query_one(MediaTree)

    @property
    def path_input(self) -> Input:
        return self.query_one("#path", Input)

    @staticmethod
    def _folder_text(folder: Path) -> str:
        return str(folder) if str(folder).endswith(os.sep) else f"{folder}{os.sep}"

    def say(self, message: str) -> None:
        self.query_one("#message", Static).update(Text(message))

    def _show_marks(self) -> None:
        label = self.query_one("#marked", Static)
        label.set_class(not self.marks, "-empty")
        if not self.marks:
            label.update("Nothing marked: space marks files, ctrl+s uploads them together")
            return
        total = sum(self.marks.values())
        names = ", ".join(path.name for path in self.marks)
        label.update(Text(f"{len(self.marks)} marked · {human_size(total)} · {names}"))

    # --- moving around -----------------------------------------------------------------------

    def go_to(self, folder: Path, *, highlight: Path | None = None, from_input: bool = False) -> None:
        """Show `folder` in the tree; the path line follows unless the user is typing in it."""
        self.folder = folder
        tree = self.tree
        tree.highlight_after_load = highlight
        tree.path = folder
        if not from_input:
            self._base = folder
            self.path_input.value = self._folder_text(folder)
            self.path_input.cursor_position = len(self.path_input.value)

    def action_parent(self) -> None:
        if self.folder.parent != self.folder:
            self.say("")
            self.go_to(self.folder.parent, highlight=self.folder)

    def action_open_folder(self) -> None:
        node = self.tree.cursor_node
        if node is not None and node.data is not None and node.allow_expand:
            self.say("")
            self.go_to(node.data.path)

    def action_toggle_hidden(self) -> None:
        self.tree.toggle_hidden()
        self.say("Showing hidden files." if self.tree.show_hidden else "Hiding hidden files.")

    def action_type_path(self, start: str) -> None:
        """Jump to the path line; `/` and `~` in the tree begin a new path right away, ctrl+l
        selects the whole line so typing replaces it."""
        line = self.path_input
        line.focus()
        if start:
            line.value = start
            line.cursor_position = len(line.value)
        else:
            line.select_all()

    @on(DirectoryTree.DirectorySelected)
    def _folder_chosen(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self.say("")
        self.go_to(event.path)

    @on(MediaTree.Loaded)
    def _loaded(self, event: MediaTree.Loaded) -> None:
        if event.entries == 0:
            hidden = "" if self.tree.show_hidden else " (. shows hidden files)"
            self.say(f"Nothing to upload in {event.folder.name or event.folder}: no folders or media files{hidden}.")

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[DirEntry]) -> None:
        """Say why a too-large file can't be picked as soon as the cursor reaches it."""
        entry = event.node.data
        size = self.tree.sizes.get(entry.path) if entry is not None else None
        if entry is not None and size is not None and size > MAX_UPLOAD_BYTES:
            self.say(refusal(entry.path, size) or "")
        else:
            self.say("")

    # --- choosing ----------------------------------------------------------------------------

    def _highlighted_file(self) -> Path | None:
        node = self.tree.cursor_node
        if node is None or node.data is None or node.allow_expand:
            return None
        return node.data.path

    def action_toggle_mark(self) -> None:
        tree = self.tree
        node = tree.cursor_node
        if node is None or node.data is None:
            return
        if node.allow_expand:
            tree.action_toggle_node()  # space on a folder keeps its usual meaning
            return
        path = node.data.path
        if path in self.marks:
            del self.marks[path]
            self.say("")
        else:
            problem = refusal(path, tree.sizes.get(path))
            if problem:
                self.say(problem)
                return
            self.marks[path] = tree.sizes.get(path) or path.stat().st_size
        node.refresh()
        self._show_marks()

    def _refresh_labels(self, paths: list[Path]) -> None:
        """Redraw the rows of `paths` wherever they are in the tree (marks changed from the path line)."""
        wanted = set(paths)
        pending = list(self.tree.root.children)
        while pending:
            node = pending.pop()
            if node.data is not None and node.data.path in wanted:
                node.refresh()
            pending.extend(node.children)

    def action_upload_marked(self) -> None:
        if self.marks:
            self.dismiss(list(self.marks))
            return
        path = self._highlighted_file()
        if path is None:
            self.say("Mark files with space first, or highlight a file.")
            return
        self._pick([path])

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(DirectoryTree.FileSelected)
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        """Enter on a file: that file alone, or — once some are marked — the marked ones."""
        event.stop()
        if self.marks:
            self.dismiss(list(self.marks))
            return
        self._pick([event.path])

    def _pick(self, paths: list[Path]) -> None:
        problems = [problem for path in paths if (problem := refusal(path, self.tree.sizes.get(path)))]
        if problems:
            self.say(" ".join(problems))
            return
        self.dismiss(paths)

    @on(Input.Changed, "#path")
    def _path_typed(self, event: Input.Changed) -> None:
        """Typing a folder's path moves the tree there at once; the path line stays as typed."""
        if not event.input.has_focus:
            return
        paths = parse_typed_paths(event.value, self._base)
        if len(paths) == 1 and paths[0].is_dir() and paths[0].resolve() != self.folder.resolve():
            self.go_to(paths[0], from_input=True)

    @on(Input.Submitted, "#path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        paths = parse_typed_paths(event.value, self._base)
        if not paths:
            self.tree.focus()
            return
        if len(paths) == 1 and paths[0].is_dir():
            self.go_to(paths[0])
            self.tree.focus()
            return
        missing = [path for path in paths if not path.exists()]
        if missing:
            self.say(f"No such file or folder: {missing[0]}")
            return
        folders = [path for path in paths if path.is_dir()]
        if folders:
            self.say(f"{folders[0]} is a folder; pick files, not folders.")
            return
        if self.marks:  # add to what is already marked rather than silently dropping it
            problems = [problem for path in paths if (problem := refusal(path))]
            if problems:
                self.say(" ".join(problems))
                return
            for path in paths:
                self.marks[path] = path.stat().st_size
            self._show_marks()
            self._refresh_labels(paths)
            self.say("Added to the marked files; ctrl+s uploads them.")
            return
        self._pick(paths)
