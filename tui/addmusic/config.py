"""Settings: where the API is, folders, intervals. A TOML file under the platformdirs config dir,
then environment overrides, then command-line flags (applied by cli.py).

`ADDMUSIC_HOME` puts every folder under one directory — tests use it to keep the developer's own
config, token and engine out of the way.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CLOUD_URL = "https://mega-api-prod.nemovideo.ai"
APP_DIR_NAME = "addmusic-tui"


@dataclass(frozen=True)
class Folders:
    config: Path
    data: Path
    cache: Path
    log: Path

    @classmethod
    def detect(cls) -> Folders:
        home = os.environ.get("ADDMUSIC_HOME")
        if home:
            root = Path(home).expanduser()
            return cls(root / "config", root / "data", root / "cache", root / "log")
        import platformdirs

        return cls(
            Path(platformdirs.user_config_dir(APP_DIR_NAME)),
            Path(platformdirs.user_data_dir(APP_DIR_NAME)),
            Path(platformdirs.user_cache_dir(APP_DIR_NAME)),
            Path(platformdirs.user_log_dir(APP_DIR_NAME)),
        )

    @property
    def engine(self) -> Path:
        return self.data / "engine"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise SystemExit(f"{name} must be a number of seconds, not {raw!r}") from None


@dataclass
class Settings:
    folders: Folders
    api_url: str | None = None  # None: the local engine
    language: str = "en"
    still_working_s: float = 120.0
    render_poll_s: float | None = None  # None: 30 s for the cloud, 0.5 s for loopback
    rate_limit_wait_s: float = 30.0
    chat_cap_s: float = 15 * 60
    skill_platform: str = "unknown"
    export_dir: Path | None = None
    keys: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    low_credits: int = 10

    @property
    def uses_local_engine(self) -> bool:
        return self.api_url is None

    def poll_interval(self, api_url: str) -> float:
        if self.render_poll_s is not None:
            return self.render_poll_s
        return 0.5 if is_loopback(api_url) else 30.0


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def origin_of(url: str) -> str:
    """scheme://host:port — credentials are stored and sent per origin."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def load_settings(folders: Folders | None = None) -> Settings:
    folders = folders or Folders.detect()
    settings = Settings(folders=folders)
    path = folders.config / "config.toml"
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SystemExit(f"Cannot read {path}: {exc}") from None
        _apply_file(settings, raw)
    settings.api_url = os.environ.get("ADDMUSIC_API_URL") or settings.api_url
    settings.language = os.environ.get("ADDMUSIC_LANGUAGE") or settings.language
    settings.still_working_s = _env_float("ADDMUSIC_STILL_WORKING_S", settings.still_working_s)
    if os.environ.get("ADDMUSIC_RENDER_POLL_S"):
        settings.render_poll_s = _env_float("ADDMUSIC_RENDER_POLL_S", 0.5)
    settings.rate_limit_wait_s = _env_float("ADDMUSIC_RATE_LIMIT_WAIT_S", settings.rate_limit_wait_s)
    return settings


def _apply_file(settings: Settings, raw: dict) -> None:
    if isinstance(raw.get("api_url"), str):
        settings.api_url = raw["api_url"]
    if isinstance(raw.get("language"), str):
        settings.language = raw["language"]
    if isinstance(raw.get("still_working_s"), (int, float)):
        settings.still_working_s = float(raw["still_working_s"])
    if isinstance(raw.get("render_poll_s"), (int, float)):
        settings.render_poll_s = float(raw["render_poll_s"])
    if isinstance(raw.get("skill_platform"), str):
        settings.skill_platform = raw["skill_platform"]
    if isinstance(raw.get("export_dir"), str):
        settings.export_dir = Path(raw["export_dir"]).expanduser()
    if isinstance(raw.get("theme"), str):
        settings.theme = raw["theme"]
    if isinstance(raw.get("low_credits"), int):
        settings.low_credits = raw["low_credits"]
    keys = raw.get("keys")
    if isinstance(keys, dict):
        settings.keys = {str(k): str(v) for k, v in keys.items()}
