"""Start-up weight, the engine dying under the app, keys from the config file, the debug log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from test_app import ready, wait_for

from addmusic.config import load_settings
from addmusic.protocol.local import read_lock
from addmusic.ui.app import AddMusicApp
from addmusic.ui.widgets.composer import Composer
from conftest import make_settings, stop_detached_engine

HEAVY = ("numpy", "av", "starlette", "uvicorn", "addmusic.engine", "imageio_ffmpeg")


def test_app_process_imports_no_engine_code() -> None:
    code = ("import sys; import addmusic.cli, addmusic.ui.app; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_screen_draws_up_to_240_times_a_second_unless_the_user_says_otherwise() -> None:
    code = "import addmusic.ui.app; from textual import constants; print(constants.MAX_FPS)"
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    ours = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    theirs = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**env, "TEXTUAL_FPS": "30"})
    assert (ours.stdout.strip(), theirs.stdout.strip()) == ("240", "30")


async def test_keys_are_echoed_before_more_of_a_reply_and_idle_collection_runs(isolated_home: Path) -> None:
    import gc

    from addmusic.ui.collector import NEVER

    app = AddMusicApp(make_settings(isolated_home, None))
    try:
        async with app.run_test(size=(100, 34)) as pilot:
            await ready(pilot, app)
            log = app.chat
            echoes: list[str] = []
            real_echo_drawn = log.echo_drawn

            def echo_drawn() -> None:
                echoes.append(app.query_one(Composer).text)  # what the screen shows by then
                real_echo_drawn()

            log.echo_drawn = echo_drawn  # type: ignore[method-assign]
            await pilot.press("h", "i")
            await wait_for(pilot, lambda: len(echoes) == 2, timeout=5)
            # one call per key, each after the key reached the composer (both may follow one frame)
            assert echoes[0] in ("h", "hi") and echoes[1] == "hi" and log.last_key_at > 0
            assert gc.get_threshold()[2] == NEVER  # full collections only when quiet
        assert gc.get_threshold()[2] != NEVER  # and CPython's own again once the app is gone
    finally:
        stop_detached_engine(isolated_home)


async def test_engine_dying_is_said_plainly_and_restarted(isolated_home: Path) -> None:
    settings = make_settings(isolated_home, None)
    app = AddMusicApp(settings)
    engine_dir = isolated_home / "data" / "engine"
    try:
        async with app.run_test(size=(100, 34)) as pilot:
            await ready(pilot, app)
            session = app.client.require_session().session_id
            first_pid = read_lock(engine_dir)["pid"]
            os.kill(first_pid, signal.SIGKILL)
            await wait_for(pilot, lambda: "The local engine stopped" in "\n".join(app.chat.text_lines()),
                           timeout=20)
            await wait_for(pilot, lambda: (read_lock(engine_dir) or {}).get("pid") not in (None, first_pid)
                           and "Ready!" in app.status_bar.plain, timeout=30)
            assert app.client.require_session().session_id == session  # the session is kept
            await app.refresh_credits()  # posts the balance; its handler draws it
            await wait_for(pilot, lambda: "10,000" in app.status_bar.plain, timeout=10)
    finally:
        stop_detached_engine(isolated_home)


async def test_unreachable_cloud_never_sits_on_connecting(isolated_home: Path) -> None:
    app = AddMusicApp(make_settings(isolated_home, "http://127.0.0.1:9"))
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_for(pilot, lambda: "Offline" in app.status_bar.plain, timeout=15)
        assert "Cannot reach" in "\n".join(app.chat.text_lines())


def test_keys_are_remappable_from_the_config_file(isolated_home: Path) -> None:
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[keys]\nexport = "f5"\nupload = "f2"\n')
    settings = load_settings()
    assert settings.keys == {"export": "f5", "upload": "f2"}


async def test_remapped_key_runs_the_action(isolated_home: Path) -> None:
    settings = make_settings(isolated_home, None, keys={"credits": "f6"})

    class Quiet(AddMusicApp):
        def connect(self) -> None:  # type: ignore[override]
            self.status_bar.set(connection="Ready!")

        async def watch_engine(self) -> None:
            return

    app = Quiet(settings)
    calls: list[str] = []
    app.action_credits = lambda: calls.append("credits")  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("ctrl+b")  # the old key no longer does it
        await pilot.pause()
    assert calls == ["credits"]


def test_debug_flag_prints_the_log_path(isolated_home: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "addmusic.cli", "credits", "--debug", "--api-url",
                             "http://127.0.0.1:9"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Cannot reach" in result.stderr
    log_line = next(line for line in result.stderr.splitlines() if line.startswith("Debug log: "))
    assert Path(log_line.removeprefix("Debug log: ")).is_file()
