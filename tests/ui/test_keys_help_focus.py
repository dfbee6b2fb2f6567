"""Keys, help and focus, driven with Pilot on the app with its network workers off (what is
sent to the chat is recorded instead): one actions table behind bindings, footer, palette and
hints; F1 and ? open help; Esc closes every modal; typed characters are never dropped; previews
are foldable and drawn at a useful size."""

from __future__ import annotations

from pathlib import Path

from test_app_snapshots import StillApp
from textual.command import CommandPalette
from textual.widgets import Collapsible, Footer

from addmusic.ui.actions import ACTIONS, key_of
from addmusic.ui.screens.confirm import Confirm
from addmusic.ui.screens.help import HelpScreen
from addmusic.ui.widgets.composer import Composer
from addmusic.ui.widgets.trackview import TrackView
from conftest import make_settings


class RecordingApp(StillApp):
    """Records the messages that would go to the chat stream."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.sent: list[str] = []

    def run_turn(self, text: str) -> None:  # type: ignore[override]
        self.sent.append(text)


def make(tmp_path: Path, **overrides: object) -> RecordingApp:
    return RecordingApp(make_settings(tmp_path, None, **overrides))


def footer_text(app: RecordingApp) -> str:
    footer = app.query_one(Footer)
    return " ".join(str(getattr(child, "key_display", "")) + " " + str(getattr(child, "description", ""))
                    for child in footer.query("FooterKey"))


def test_every_action_has_a_method_and_unique_keys() -> None:
    from addmusic.ui.app import AddMusicApp

    keys = [a.key for a in ACTIONS if a.key]
    assert len(keys) == len(set(keys))
    for action in ACTIONS:
        assert callable(getattr(AddMusicApp, f"action_{action.method}")), action.id
    assert key_of("cancel") == "esc" and key_of("export", {"export": "f5"}) == "f5"


async def test_a_remapped_key_shows_remapped_everywhere(tmp_path: Path) -> None:
    app = make(tmp_path, keys={"export": "f5", "upload": "f2"})
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(50):  # the footer fills in after the first frames
            await pilot.pause(0.05)
            if footer_text(app).strip():
                break
        welcome = "\n".join(app.chat.text_lines())
        assert "(or press f2)" in welcome and "(or f5) when it sounds right" in welcome
        assert "ctrl+e" not in welcome and "ctrl+o" not in welcome
        assert "press f2 to upload" in app.query_one(TrackView).render().plain
        assert "f5" in footer_text(app) and "^e" not in footer_text(app)
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert commands["Export"].endswith("(f5)") and commands["Upload clips"].endswith("(f2)")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.plain()
        assert "f5" in text and "ctrl+e" not in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        exported = []
        app.action_export = lambda: exported.append(True)  # type: ignore[method-assign]
        await pilot.press("f5")
        assert exported == [True]


async def test_help_from_f1_and_question_mark_with_phrases_by_family(tmp_path: Path) -> None:
    app = make(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.plain()
        for words in ("ctrl+e", "Export", "ctrl+z", "Undo", "ctrl+l", "Sessions", "Music", "Titles",
                      "make it vertical for Reels", "undo"):
            assert words in text, words
        await pilot.press("escape")
        assert app.focused is app.query_one(Composer)
        await pilot.press("?")  # an empty composer: help
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("w", "h", "y", "?")  # in a sentence it is a question mark
        assert not isinstance(app.screen, HelpScreen)
        assert app.query_one(Composer).text == "why?"


async def test_esc_closes_the_palette_and_every_modal(tmp_path: Path) -> None:
    from addmusic.ui.screens.picker import FilePicker
    from addmusic.ui.screens.sessions import SessionsScreen

    app = make(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CommandPalette)
        from addmusic.client.sessions import SessionMemory

        for screen in (HelpScreen(app.key_for), Confirm("Sure?"), FilePicker(tmp_path),
                       SessionsScreen(SessionMemory(tmp_path / "s.json"), "local-engine", "")):
            app.push_screen(screen)
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("escape")
            await pilot.pause()
            assert len(app.screen_stack) == 1, type(screen).__name__


async def test_undo_and_redo_are_actions_that_send_to_the_chat(tmp_path: Path) -> None:
    app = make(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+z")
        await pilot.press("ctrl+g")
        assert app.sent == ["undo", "redo"]
        text = "\n".join(app.chat.text_lines())
        assert "› undo" in text and "› redo" in text
        await pilot.press("h", "i")  # with text in the composer, ctrl+z undoes the typing instead
        await pilot.press("ctrl+z")
        assert app.sent == ["undo", "redo"]
        assert app.query_one(Composer).text == ""
        commands = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Undo", "Redo", "Sessions", "Help", "Cancel export"} <= commands


async def test_typing_after_tab_or_follow_goes_to_the_composer(tmp_path: Path) -> None:
    app = make(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        composer = app.query_one(Composer)
        await pilot.press("tab")
        assert app.focused is not composer
        await pilot.press("a", "d", "d")
        assert app.focused is composer and composer.text == "add"
        app.query_one(TrackView).focus()
        await pilot.press("ctrl+f")
        assert app.focused is composer
        await pilot.press(" ", "x")
        assert composer.text == "add x"


async def test_cancel_export_with_nothing_running_says_so(tmp_path: Path) -> None:
    app = make(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_cancel_export()
        await pilot.pause()
        assert len(app.screen_stack) == 1  # no question when there is nothing to cancel
        assert any("No export is running." in str(n.message) for n in app._notifications)


async def test_preview_folds_at_80x24_and_is_wide_at_120x36(tmp_path: Path, short_clip: Path) -> None:
    from addmusic.ui.preview import PreviewStrip

    for size, folded in (((80, 24), True), ((120, 36), False)):
        app = make(tmp_path)
        async with app.run_test(size=size) as pilot:
            worker = app.show_preview(short_clip)
            await worker.wait()
            await pilot.pause()
            box = app.chat.query_one(Collapsible)
            assert box.collapsed is folded, size
            assert ("folded to keep the chat in view" in box.title) is folded
            strip = app.chat.query_one(PreviewStrip)
            widest = max(len(line) for line in strip.strip.plain.split("\n"))
            assert widest >= app.chat.size.width // 2, (size, widest)
            if folded:  # the conversation stays in view; one key shows the preview
                assert "Welcome!" in "\n".join(app.chat.text_lines())
                box.collapsed = False
                await pilot.pause()
                assert strip.display


async def test_config_problems_and_unknown_key_ids_are_said_at_start(tmp_path: Path) -> None:
    app = make(tmp_path, keys={"exprot": "f5", "upload": "f2"},
               problems=["config.toml: unknown setting 'lanugage' (ignored). Valid settings: api_url, language"])
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.2)
        text = "\n".join(app.chat.text_lines())
        assert "unknown setting 'lanugage'" in text
        assert ("config.toml [keys]: unknown action 'exprot' (ignored). Valid actions: export, export_full, upload,"
                in text)
        assert "(or press f2)" in text  # the known one still applies


def test_the_readme_key_table_is_the_actions_table() -> None:
    from addmusic.ui.actions import keys_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert keys_markdown() in readme


async def test_progress_is_drawn_by_its_handler_and_keeps_the_status_short(tmp_path: Path) -> None:
    from addmusic.ui.messages import ExportDone, ExportProgress

    app = make(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for pct in (10, 20, 42):  # queued steps: a newer one replaces an older one still waiting
            app.post_message(ExportProgress("export:x", f"Export: rendering {pct}%", pct, f"rendering {pct}%"))
        await pilot.pause(0.1)
        assert "Export: rendering 42%" in app.chat.text_lines()
        assert app.status_bar.plain.endswith("│ rendering 42%")
        app.post_message(ExportDone("export:x", "high", cancelled=True))
        await pilot.pause(0.1)
        lines = app.chat.text_lines()
        assert "Export: rendering 42%" not in lines
        assert "Export cancelled: the render was stopped and nothing was saved." in lines
        assert "rendering" not in app.status_bar.plain


def test_progress_messages_replace_only_their_own_row() -> None:
    from addmusic.ui.messages import ExportDone, ExportProgress

    older = ExportProgress("a", "A 1%", 1)
    assert older.can_replace(ExportProgress("a", "A 2%", 2))
    assert not older.can_replace(ExportProgress("b", "B 2%", 2))
    assert not older.can_replace(ExportDone("a", "high"))


async def test_the_sample_clip_exports_where_the_app_was_started(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = make(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    async with app.run_test(size=(80, 24)):
        app.first_clip = app.settings.folders.cache / "sample.mp4"
        assert app.export_path() == work / "sample-music.mp4"
        app.first_clip = tmp_path / "clips" / "beach.mp4"
        assert app.export_path() == tmp_path / "clips" / "beach-music.mp4"


async def test_a_modal_keeps_its_own_keys_that_the_main_screen_also_uses(tmp_path: Path) -> None:
    from textual.widgets import Input

    from addmusic.ui.screens.picker import FilePicker

    app = make(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        picker = FilePicker(tmp_path)
        app.push_screen(picker)
        await pilot.pause()
        await pilot.press("ctrl+l")  # the picker's "type a path", not the main screen's sessions
        await pilot.pause()
        assert app.screen is picker and isinstance(app.focused, Input)
