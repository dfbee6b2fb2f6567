"""Settings declared once: the loader, the README's table and the fixtures come from SETTINGS;
wrong keys and values in config.toml are reported with the valid keys, not dropped silently."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from addmusic.config import SETTINGS, Folders, Settings, load_settings, settings_table

ROOT = Path(__file__).resolve().parents[2]


def folders(tmp_path: Path) -> Folders:
    return Folders(tmp_path / "config", tmp_path / "data", tmp_path / "cache", tmp_path / "log")


def write_config(tmp_path: Path, text: str) -> Folders:
    found = folders(tmp_path)
    found.config.mkdir(parents=True)
    (found.config / "config.toml").write_text(text, encoding="utf-8")
    return found


def test_the_readme_table_is_the_declared_settings() -> None:
    assert settings_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_settings_defaults_are_the_declared_ones(tmp_path: Path) -> None:
    settings = Settings(folders=folders(tmp_path))
    for setting in SETTINGS:
        assert getattr(settings, setting.key) == setting.default, setting.key
    assert set(s.key for s in SETTINGS) == set(Settings.__dataclass_fields__) - {"folders", "problems"}


def test_every_environment_variable_is_cleared_by_the_test_fixture() -> None:
    for setting in SETTINGS:
        if setting.env:
            assert setting.env not in os.environ, setting.env


def test_file_values_are_applied_and_converted(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, 'language = "zh"\nstill_working_s = 5\nlow_credits = 3\n'
                                                    'export_dir = "~/Videos"\n[keys]\nexport = "f5"\n'))
    assert settings.problems == []
    assert (settings.language, settings.still_working_s, settings.low_credits) == ("zh", 5.0, 3)
    assert settings.export_dir == Path("~/Videos").expanduser() and settings.keys == {"export": "f5"}


def test_unknown_and_mistyped_keys_are_reported_with_the_valid_keys(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, 'lanugage = "zh"\nlow_credits = "ten"\nstill_working_s = -1\n'
                                                    'theme = "textual-light"\n'))
    assert len(settings.problems) == 3
    unknown, low, still = settings.problems
    assert "unknown setting 'lanugage' (ignored). Valid settings: api_url, language," in unknown
    assert "low_credits must be a whole number, not 'ten' (using the default)." in low
    assert "still_working_s must be 0 or more" in still
    assert settings.low_credits == 10 and settings.language == "en" and settings.theme == "textual-light"


def test_the_environment_wins_and_a_bad_value_says_which_variable(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADDMUSIC_STILL_WORKING_S", "7")
    monkeypatch.setenv("ADDMUSIC_LANGUAGE", "zh")
    settings = load_settings(write_config(tmp_path, "still_working_s = 5\n"))
    assert settings.still_working_s == 7.0 and settings.language == "zh"
    monkeypatch.setenv("ADDMUSIC_RENDER_POLL_S", "soon")
    with pytest.raises(SystemExit, match="ADDMUSIC_RENDER_POLL_S must be a number of seconds, not 'soon'"):
        load_settings(folders(tmp_path / "other"))


@pytest.mark.parametrize(("written", "expected"), [("true", True), ("false", False)])
def test_smart_render_is_read_from_the_file(tmp_path: Path, written: str, expected: bool) -> None:
    settings = load_settings(write_config(tmp_path, f"smart_render = {written}\n"))
    assert settings.problems == [] and settings.smart_render is expected


def test_smart_render_refuses_a_non_boolean_and_reads_the_environment(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(write_config(tmp_path, 'smart_render = "maybe"\n'))
    assert settings.problems == [f"{tmp_path / 'config' / 'config.toml'}: smart_render must be true or false, "
                                 "not 'maybe' (using the default)."]
    assert settings.smart_render is True
    monkeypatch.setenv("ADDMUSIC_SMART_RENDER", "off")
    assert load_settings(folders(tmp_path / "other")).smart_render is False
    monkeypatch.setenv("ADDMUSIC_SMART_RENDER", "perhaps")
    with pytest.raises(SystemExit, match="ADDMUSIC_SMART_RENDER must be true or false"):
        load_settings(folders(tmp_path / "other"))
