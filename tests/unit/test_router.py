"""Words routed without the chat stream, dropped paths, and GUI phrases rewritten (API.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from addmusic.client.router import (
    CHAT,
    CREDITS,
    EXPORT,
    EXPORT_FULL,
    STATE,
    UPLOAD,
    find_paths,
    rewrite_reply,
    route,
)


@pytest.mark.parametrize(("text", "action"), [
    ("export", EXPORT), ("Export!", EXPORT), ("export it please", EXPORT), ("download", EXPORT),
    ("download it", EXPORT), ("send me the video", EXPORT), ("导出", EXPORT), ("  EXPORT  ", EXPORT),
    ("credits", CREDITS), ("credits?", CREDITS), ("balance", CREDITS), ("积分", CREDITS), ("余额", CREDITS),
    ("what's my balance", CREDITS),
    ("status", STATE), ("show tracks", STATE), ("状态", STATE), ("show the timeline", STATE),
    ("upload", UPLOAD), ("上传", UPLOAD),
    ("export full", EXPORT_FULL), ("Full export please", EXPORT_FULL), ("完整导出", EXPORT_FULL),
    ("don't export full", CHAT),
    ("don't export yet", CHAT), ("do not export", CHAT), ("不要导出", CHAT), ("wait, export", CHAT),
    ("export it as vertical with music at 30% and a title", CHAT),
    ("add background music", CHAT), ("make the export louder", CHAT), ("", CHAT),
    ("lower the music to 20%", CHAT), ("how do I export a vertical version for reels?", CHAT),
])
def test_route(text: str, action: str) -> None:
    assert route(text).action == action


@pytest.fixture
def clips(tmp_path: Path) -> list[Path]:
    names = ["beach day.mp4", "it's.mov", "plain.mp4", "song.mp3"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    return [tmp_path / n for n in names]


def test_paths_pasted_in_every_terminal_form(clips: list[Path]) -> None:
    beach, quote, plain, song = clips
    escaped = str(beach).replace(" ", "\\ ")
    assert find_paths(str(plain)) == [plain]
    assert find_paths(f"'{beach}'") == [beach]
    assert find_paths(f'"{beach}"') == [beach]
    assert find_paths(escaped) == [beach]
    assert find_paths(str(beach)) == [beach]  # unquoted spaces: one whole path
    assert find_paths("file://" + str(beach).replace(" ", "%20")) == [beach]
    assert find_paths(f"{escaped} '{plain}' {song}") == [beach, plain, song]
    assert find_paths(str(quote).replace("'", "\\'")) == [quote]
    assert route(f"'{beach}' {plain}").action == UPLOAD
    assert route(f"'{beach}' {plain}").paths == [beach, plain]


def test_sentences_and_missing_files_are_not_paths(clips: list[Path], tmp_path: Path) -> None:
    assert find_paths(f"add music to {clips[2]}") == []
    assert find_paths(str(tmp_path / "missing.mp4")) == []
    assert find_paths(str(tmp_path / "notes.txt")) == [tmp_path / "notes.txt"]  # refused later, with formats
    assert route(f"add music to {clips[2]}").action == CHAT


@pytest.mark.parametrize(("reply", "expected", "actions"), [
    ("Click the Export button to download.", "type **export** to download.", ["export"]),
    ("点击导出按钮", "type **export**", ["export"]),
    ("You can preview in the timeline.", "You can type **show tracks**.", ["state"]),
    ("Drag the title to 5s.", "describe the change in words (e.g. “move the title to 5s”) the title to 5s.", []),
    ("Open the project to see it.", "type **status** to see it.", ["state"]),
    ("Added music at 30%.", "Added music at 30%.", []),
])
def test_gui_phrases_become_commands(reply: str, expected: str, actions: list[str]) -> None:
    text, offered = rewrite_reply(reply)
    assert text == expected
    assert [a.key for a in offered] == actions
