"""Shared fixtures: an isolated home for every test (no developer config, token or engine leaks
in), a local engine on loopback, and small real media made with the pinned ffmpeg."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import pytest

sys.path.insert(0, str(Path(__file__).parent))

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()  # the wheel's ffmpeg, as the engine runs it


def run_ffmpeg(*args: str) -> None:
    """Make test material with the shipped ffmpeg: quiet, overwriting, failing loudly."""
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _app_setting_variables() -> tuple[str, ...]:
    from addmusic.config import SETTINGS  # the one declaration of the app's settings

    return tuple(s.env for s in SETTINGS if s.env)


_CLEARED = ("NEMO_TOKEN", "NEMO_CLIENT_ID", *_app_setting_variables(), "ADDMUSIC_HEARTBEAT_S",
            "ADDMUSIC_ENGINE_CREDITS", "ADDMUSIC_ENGINE_QUIET", "ADDMUSIC_ENGINE_TOKEN_TTL_S", "ADDMUSIC_ENGINE_IDLE_S")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ADDMUSIC_HOME", str(home))
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    return home


def make_settings(home: Path, api_url: str | None, **overrides: object):  # type: ignore[no-untyped-def]
    from addmusic.config import Folders, Settings

    root = Path(home)
    folders = Folders(root / "config", root / "data", root / "cache", root / "log")
    settings = Settings(folders=folders, api_url=api_url, render_poll_s=0.1, rate_limit_wait_s=0.2)
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


def stop_detached_engine(home: Path) -> None:
    """Stop the engine a front end started on its own (detached) for this home, if any."""
    import signal

    from addmusic.protocol.local import read_lock

    info = read_lock(home / "data" / "engine")
    if info:
        try:
            os.kill(int(info["pid"]), signal.SIGTERM)
        except ProcessLookupError:
            pass


class EngineProcess:
    """The real engine as users run it: a child process on loopback with its own data dir."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.log = data_dir.parent / f"{data_dir.name}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "addmusic.engine", "--data-dir", str(data_dir)],
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT, env={**os.environ, **env})
        self.url = self._wait_for_port()

    def _wait_for_port(self) -> str:
        from addmusic.protocol.local import read_lock

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            info = read_lock(self.data_dir)
            if info and info.get("pid") == self.process.pid:
                return f"http://127.0.0.1:{info['port']}"
            if self.process.poll() is not None:
                raise RuntimeError(f"engine exited: {self.log.read_text()}")
            time.sleep(0.05)
        raise RuntimeError("engine did not start")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def engine_factory(tmp_path: Path) -> Iterator:
    started: list[EngineProcess] = []

    def start(name: str = "engine", **env: str) -> EngineProcess:
        engine = EngineProcess(tmp_path / name, {"ADDMUSIC_HEARTBEAT_S": "0.2", **env})
        started.append(engine)
        return engine

    yield start
    for engine in started:
        engine.stop()


@pytest.fixture
def engine(engine_factory) -> EngineProcess:  # type: ignore[no-untyped-def]
    return engine_factory()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip_with_gap(media_dir: Path) -> Path:
    """10 s 640x360 H.264 + AAC whose own audio is digitally silent from 4 s to 7 s."""
    from addmusic.sample import make_sample

    return make_sample(media_dir / "gap.mp4", 10.0, width=640, height=360, silent=(4.0, 7.0))


@pytest.fixture(scope="session")
def short_clip(media_dir: Path) -> Path:
    from addmusic.sample import make_sample

    return make_sample(media_dir / "short.mp4", 3.0, width=320, height=240)
