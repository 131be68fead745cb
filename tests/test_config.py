"""Settings precedence: defaults < heroes.toml < HEROES_* < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from heroes.config import Settings, load_settings
from heroes.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    s = load_settings({"HEROES_HOME": str(tmp_path)})
    assert s.pdq_threshold == 31 and s.home == tmp_path
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'heroes.db'}"
    assert s.effective_workers >= 1


def test_precedence(tmp_path: Path) -> None:
    toml = tmp_path / "heroes.toml"
    toml.write_text('pdq_threshold = 20\nbatch_size = 10\nworkers = 3\ndatabase-url = "sqlite:///x.db"\n')
    env = {"HEROES_HOME": str(tmp_path), "HEROES_BATCH_SIZE": "11", "HEROES_WORKERS": "4"}
    s = load_settings(env, toml, {"workers": 5, "pdq_min_quality": None})
    assert (s.pdq_threshold, s.batch_size, s.workers, s.pdq_min_quality) == (20, 11, 5, 50)
    assert s.database_url == "sqlite:///x.db"


def test_toml_found_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "h"
    home.mkdir()
    (home / "heroes.toml").write_text("pdq_threshold = 12\n")
    assert load_settings({"HEROES_HOME": str(home)}).pdq_threshold == 12


@pytest.mark.parametrize(
    ("env", "toml", "message"),
    [
        ({"HEROES_WORKERS": "many"}, "", "workers"),
        ({}, "nonsense = 1\n", "unknown setting"),
        ({}, "pdq_threshold = 300\n", "pdq_threshold"),
        ({}, "pdq_threshold = [\n", "config file"),
        ({"HEROES_BATCH_SIZE": "0"}, "", "batch_size"),
    ],
)
def test_bad_settings_are_clear_errors(tmp_path: Path, env: dict[str, str], toml: str, message: str) -> None:
    path = tmp_path / "heroes.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings({"HEROES_HOME": str(tmp_path), **env}, path)


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().workers = 3  # type: ignore[misc]
