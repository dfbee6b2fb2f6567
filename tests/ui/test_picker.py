"""The upload picker driven with keys only, at 80x24, on a host app that pushes it and keeps what it
dismissed with: listing, marking several, Enter, Escape, typed paths and the size limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input, Static

from addmusic.protocol.formats import MAX_UPLOAD_BYTES
from addmusic.ui.screens.picker import FilePicker, parse_typed_paths

PENDING = object()
SIZE = (80, 24)


class Host(App[None]):
    def __init__(self, start: Path | None) -> None:
        super().__init__()
        self.start = start
        self.result: object = PENDING

    def on_mount(self) -> None:
        self.push_screen(FilePicker(self.start), self._done)

    def _done(self, result: list[Path] | None) -> None:
        self.result = result


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "clips"
    (root / "sub").mkdir(parents=True)
    for name in ("a.mp4", "b.mov", "notes.txt", ".hidden.mp4", "sub/c.mp3"):
        (root / name).write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100)
    return root


async def wait_for(pilot, predicate: Callable[[], object], timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError("timed out")


def picker(app: App) -> FilePicker:
    screen = app.screen
    assert isinstance(screen, FilePicker)
    return screen


def listed(app: App) -> list[str]:
    return [node.data.path.name for node in picker(app).tree.root.children if node.data is not None]


def label_of(app: App, name: str) -> str:
    tree = picker(app).tree
    node = next(n for n in tree.root.children if n.data is not None and n.data.path.name == name)
    return tree.render_label(node, tree.rich_style, tree.rich_style).plain


def static_text(app: App, selector: str) -> str:
    return str(picker(app).query_one(selector, Static).render())


async def loaded(pilot, names: int = 3) -> None:  # type: ignore[no-untyped-def]
    await wait_for(pilot, lambda: len(listed(pilot.app)) >= names and picker(pilot.app).tree.cursor_line >= 0)


async def test_lists_only_folders_and_media_and_hidden_on_request(folder: Path) -> None:
    app = Host(folder)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert listed(app) == ["sub", "a.mp4", "b.mov"]
        assert "ctrl+s" in static_text(app, "#hints")
        assert picker(app).query_one("#path", Input).value == f"{folder}/"
        await pilot.press("full_stop")
        await wait_for(pilot, lambda: ".hidden.mp4" in listed(app))
        assert "notes.txt" not in listed(app)
        await pilot.press("full_stop")
        await wait_for(pilot, lambda: ".hidden.mp4" not in listed(app))


async def test_marking_two_and_uploading_them_together(folder: Path) -> None:
    app = Host(folder)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("down", "space", "down", "space")
        assert "2 marked" in static_text(app, "#marked")
        assert "a.mp4, b.mov" in static_text(app, "#marked")
        assert label_of(app, "a.mp4").startswith("✓ ")
        assert not label_of(app, "sub").startswith("✓ ")
        await pilot.press("space")  # unmark b.mov, mark it again
        assert "1 marked" in static_text(app, "#marked")
        await pilot.press("space", "ctrl+s")
        await wait_for(pilot, lambda: app.result is not PENDING)
    assert app.result == [folder / "a.mp4", folder / "b.mov"]


async def test_enter_on_one_file_picks_it(folder: Path) -> None:
    app = Host(folder)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: app.result is not PENDING)
    assert app.result == [folder / "b.mov"]


async def test_escape_cancels(folder: Path) -> None:
    app = Host(folder)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.result is not PENDING)
    assert app.result is None


async def test_enter_opens_a_folder_and_backspace_comes_back(folder: Path) -> None:
    app = Host(folder)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("enter")  # on "sub"
        await wait_for(pilot, lambda: listed(app) == ["c.mp3"])
        assert picker(app).query_one("#path", Input).value == f"{folder / 'sub'}/"
        await pilot.press("backspace")
        await loaded(pilot)
        tree = picker(app).tree
        assert tree.cursor_node is not None and tree.cursor_node.data.path == folder / "sub"
        await pilot.press("right")
        await wait_for(pilot, lambda: listed(app) == ["c.mp3"])
        await pilot.press("minus")
        await loaded(pilot)
        assert app.result is PENDING


async def test_typing_a_file_path_picks_it(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(folder.parent))  # a short path to type: ~/clips/sub/c.mp3
    app = Host(folder)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("tilde")  # from the tree: starts a new path on the path line
        line = picker(app).query_one("#path", Input)
        assert line.has_focus and line.value == "~"
        await pilot.press(*"/clips/sub/c.mp3")
        await wait_for(pilot, lambda: listed(app) == ["c.mp3"])  # the tree followed the typed folder
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.result is not PENDING)
    assert app.result == [folder / "sub" / "c.mp3"]


async def test_an_empty_folder_says_there_is_nothing_to_pick(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("not media")
    app = Host(tmp_path / "empty")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Nothing to upload in empty" in static_text(app, "#message"))
        await pilot.press("enter", "space", "ctrl+s")
        assert app.result is PENDING


async def test_typing_a_missing_path_says_so(folder: Path) -> None:
    app = Host(folder)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("tab")
        line = picker(app).query_one("#path", Input)
        assert line.has_focus
        await pilot.press(*"nope.mp4", "enter")
        assert "No such file or folder" in static_text(app, "#message")
        assert app.result is PENDING


async def test_a_file_over_the_limit_is_shown_but_refused(folder: Path) -> None:
    big = folder / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(MAX_UPLOAD_BYTES + 100 * 1024 * 1024)  # sparse: costs no disk
    app = Host(folder)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, 4)
        assert listed(app) == ["sub", "a.mp4", "b.mov", "big.mp4"]
        assert "too large" in label_of(app, "big.mp4")
        await pilot.press("end")
        await pilot.pause()
        assert "larger than 500 MB — compress or trim it first" in static_text(app, "#message")
        await pilot.press("space")
        assert "Nothing marked" in static_text(app, "#marked")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.result is PENDING
        assert "big.mp4 is 600 MB, larger than 500 MB — compress or trim it first" in static_text(app, "#message")
        await pilot.press("tab", *"big.mp4", "enter")  # the path line holds the folder: append a name
        await pilot.pause(0.1)
        assert app.result is PENDING
        assert "larger than 500 MB" in static_text(app, "#message")


async def test_start_at_a_file_highlights_it(folder: Path) -> None:
    app = Host(folder / "b.mov")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: picker(app).tree.cursor_node is not None
                       and picker(app).tree.cursor_node.data.path.name == "b.mov")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.result is not PENDING)
    assert app.result == [folder / "b.mov"]


def test_parse_typed_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spaced = tmp_path / "my clip.mp4"
    spaced.write_bytes(b"x")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_typed_paths(str(spaced), Path("/")) == [spaced]
    assert parse_typed_paths(f"'{spaced}'", Path("/")) == [spaced]
    assert parse_typed_paths(str(spaced).replace(" ", "\\ "), Path("/")) == [spaced]
    assert parse_typed_paths("file://" + str(spaced).replace(" ", "%20"), Path("/")) == [spaced]
    assert parse_typed_paths("~/my clip.mp4", Path("/")) == [spaced]
    assert parse_typed_paths("my clip.mp4", tmp_path) == [spaced]
    assert parse_typed_paths("/x/a.mp4 '/y/b c.mp4'", Path("/")) == [Path("/x/a.mp4"), Path("/y/b c.mp4")]
    assert parse_typed_paths("   ", tmp_path) == []


def test_picker_module_keeps_start_up_light() -> None:
    import subprocess
    import sys

    code = ("import sys, addmusic.ui.screens.picker, addmusic.ui.preview; "
            "print(sorted(m for m in ('numpy', 'av', 'starlette', 'addmusic.engine', 'imageio_ffmpeg') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

