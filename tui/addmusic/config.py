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
from typing import Any
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


@dataclass(frozen=True)
class Setting:
    """One setting, declared once: the loader, the README's table and the tests read this."""

    key: str  # the name in config.toml and on Settings
    type: type  # str, float, int, bool, Path or dict (a table)
    default: Any
    env: str | None  # the environment variable that overrides the file
    help: str

    @property
    def kind(self) -> str:
        return {str: "text", float: "seconds", int: "whole number", bool: "true/false", Path: "folder",
                dict: "table"}[self.type]


SETTINGS: tuple[Setting, ...] = (
    Setting("api_url", str, None, "ADDMUSIC_API_URL",
            "API server to speak to; unset: the local engine (`--cloud` uses " + CLOUD_URL + ")"),
    Setting("language", str, "en", "ADDMUSIC_LANGUAGE", "reply language for new sessions (`en`, `zh`, ...)"),
    Setting("export_dir", Path, None, None, "where the app saves exports; unset: next to the first clip"),
    Setting("still_working_s", float, 120.0, "ADDMUSIC_STILL_WORKING_S",
            'how often "⏳ Still working..." is shown while no reply text arrives'),
    Setting("render_poll_s", float, None, "ADDMUSIC_RENDER_POLL_S",
            "seconds between render status checks; unset: 30 for the cloud, 0.5 on this machine"),
    Setting("rate_limit_wait_s", float, 30.0, "ADDMUSIC_RATE_LIMIT_WAIT_S",
            "wait before the one retry after HTTP 429 when the server names no time"),
    Setting("chat_cap_s", float, 15 * 60.0, None, "longest a reply may take before the turn is given up"),
    Setting("skill_platform", str, "unknown", None, "the `X-Skill-Platform` attribution header"),
    Setting("theme", str, None, None, "any Textual theme name, e.g. `textual-light`"),
    Setting("low_credits", int, 10, None, "the status bar warns at or below this many credits"),
    Setting("smart_render", bool, True, "ADDMUSIC_SMART_RENDER",
            "exports copy the frames the edit leaves alone; `false`: every frame re-encoded"),
    Setting("keys", dict, {}, None,
            "`[keys]` table: action id = key, e.g. `export = \"f5\"` (ids: see the help screen)"),
)
SETTING_BY_KEY = {s.key: s for s in SETTINGS}


def _default(key: str) -> Any:
    value = SETTING_BY_KEY[key].default
    return field(default_factory=lambda: dict(value)) if isinstance(value, dict) else value


@dataclass
class Settings:
    folders: Folders
    api_url: str | None = _default("api_url")  # None: the local engine
    language: str = _default("language")
    still_working_s: float = _default("still_working_s")
    render_poll_s: float | None = _default("render_poll_s")  # None: 30 s for the cloud, 0.5 s for loopback
    rate_limit_wait_s: float = _default("rate_limit_wait_s")
    chat_cap_s: float = _default("chat_cap_s")
    skill_platform: str = _default("skill_platform")
    export_dir: Path | None = _default("export_dir")
    keys: dict[str, str] = _default("keys")
    theme: str | None = _default("theme")
    low_credits: int = _default("low_credits")
    smart_render: bool = _default("smart_render")
    problems: list[str] = field(default_factory=list)  # what config.toml got wrong, said at start

    @property
    def uses_local_engine(self) -> bool:
        return self.api_url is None

    def poll_interval(self, api_url: str) -> float:
        if self.render_poll_s is not None:
            return self.render_poll_s
        return 0.5 if is_loopback(api_url) else 30.0


def settings_table() -> str:
    """The README's settings table, from SETTINGS (a test keeps the README equal to it)."""
    rows = ["| setting | kind | default | environment | what it does |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        default = "unset" if s.default is None else f"`{_toml(s.default)}`"
        rows.append(f"| `{s.key}` | {s.kind} | {default} | {f'`{s.env}`' if s.env else ''} | {s.help} |")
    return "\n".join(rows)


def _toml(value: Any) -> str:
    """A default as it is written in config.toml."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return "{}" if value == {} else str(value)


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def origin_of(url: str) -> str:
    """scheme://host:port — credentials are stored and sent per origin."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def load_settings(folders: Folders | None = None) -> Settings:
    """config.toml, then the environment. A wrong key or value in the file is reported in
    `settings.problems` (with the valid keys) and the default is kept; a wrong environment value
    stops the start with a sentence saying which variable."""
    folders = folders or Folders.detect()
    settings = Settings(folders=folders)
    path = folders.config / "config.toml"
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SystemExit(f"Cannot read {path}: {exc}") from None
        settings.problems = apply_file(settings, raw, path)
    for setting in SETTINGS:
        raw_env = os.environ.get(setting.env) if setting.env else None
        if raw_env is None or raw_env.strip() == "":
            continue
        try:
            setattr(settings, setting.key, _convert(setting, raw_env))
        except ValueError as exc:
            raise SystemExit(f"{setting.env} {exc}") from None
    return settings


_BOOL_WORDS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False,
               "off": False}


def _convert(setting: Setting, value: Any) -> Any:
    """`value` as the setting's type, or ValueError with the end of a sentence saying why."""
    if setting.type is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"must be a number of seconds, not {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"must be a number of seconds, not {value!r}") from None
        if number < 0:
            raise ValueError(f"must be 0 or more, not {value!r}")
        return number
    if setting.type is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, not {value!r}")
        return value
    if setting.type is bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower() if isinstance(value, str) else ""
        if word in _BOOL_WORDS:
            return _BOOL_WORDS[word]
        raise ValueError(f"must be true or false, not {value!r}")
    if setting.type is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError('must be a table of names to keys, e.g. [keys] export = "f5"')
        return {str(k): v for k, v in value.items()}
    if not isinstance(value, str):
        raise ValueError(f"must be text in quotes, not {value!r}")
    return Path(value).expanduser() if setting.type is Path else value


def apply_file(settings: Settings, raw: dict[str, Any], path: Path | str = "config.toml") -> list[str]:
    """Apply config.toml's values; return one sentence per key it could not use."""
    problems: list[str] = []
    valid = ", ".join(s.key for s in SETTINGS)
    for key, value in raw.items():
        setting = SETTING_BY_KEY.get(key)
        if setting is None:
            problems.append(f"{path}: unknown setting {key!r} (ignored). Valid settings: {valid}.")
            continue
        try:
            setattr(settings, key, _convert(setting, value))
        except ValueError as exc:
            problems.append(f"{path}: {key} {exc} (using the default).")
    return problems
