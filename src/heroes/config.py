"""One frozen Settings object, built once per process and passed down explicitly.

Precedence, lowest first: built-in defaults < ``heroes.toml`` < ``HEROES_*`` environment
variables < command-line flags. No module reads the environment at import time: the CLI
calls :func:`load_settings` with ``os.environ`` and hands the result down, which keeps
library code testable and lets worker processes receive the exact same settings.

Every field is documented in ``docs/settings.md``; a test fails when the two drift.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from heroes.errors import ConfigError

__all__ = ["Settings", "default_home", "load_settings"]

ENV_PREFIX = "HEROES_"


def default_home(env: Mapping[str, str]) -> Path:
    """Data directory: $HEROES_HOME, else $XDG_DATA_HOME/heroes, else ~/.local/share/heroes."""
    if env.get("HEROES_HOME"):
        return Path(env["HEROES_HOME"]).expanduser()
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "heroes"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of the toolkit, with its default."""

    home: Path = dataclasses.field(default_factory=lambda: default_home({}))
    database_url: str = ""
    workers: int = 0
    batch_size: int = 64
    pdq_threshold: int = 31
    pdq_min_quality: int = 50
    pdq_draft_size: int = 512
    max_image_pixels: int = 100_000_000
    max_image_bytes: int = 256 * 1024 * 1024
    read_chunk_bytes: int = 1024 * 1024
    whole_file_bytes: int = 64 * 1024 * 1024
    actor: str = ""
    terms_file: str = ""
    name_model_file: str = ""

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under ``home``."""
        return self.database_url or f"sqlite:///{self.home / 'heroes.db'}"

    @property
    def effective_workers(self) -> int:
        """Worker processes for hashing: the setting, or one per core."""
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)

    @property
    def effective_actor(self) -> str:
        """Who the audit trail names: the setting, or the operating-system user."""
        if self.actor:
            return self.actor
        try:
            import getpass

            return getpass.getuser()
        except (KeyError, OSError):
            return f"uid:{os.getuid()}"


def _coerce(name: str, raw: Any, kind: type) -> Any:
    try:
        if kind is Path:
            return Path(str(raw)).expanduser()
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError("a boolean is not a number")
            return int(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {raw!r} ({exc})") from None


_TYPE_NAMES: dict[str, type] = {"Path": Path, "int": int, "str": str}
_KINDS: dict[str, type] = {f.name: _TYPE_NAMES[str(f.type)] for f in fields(Settings)}


def load_settings(
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge defaults, heroes.toml, HEROES_* variables and flags (``None`` flags are ignored)."""
    env = {} if env is None else env
    values: dict[str, Any] = {"home": default_home(env)}
    known = {f.name for f in fields(Settings)}

    path = config_file
    if path is None and env.get("HEROES_CONFIG"):
        path = Path(env["HEROES_CONFIG"])
    if path is None:
        for candidate in (Path("heroes.toml"), values["home"] / "heroes.toml"):
            if candidate.is_file():
                path = candidate
                break
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {path}: {exc}") from None
        for key, raw in data.items():
            name = key.replace("-", "_")
            if name not in known:
                raise ConfigError(f"config file {path}: unknown setting {key!r}")
            values[name] = _coerce(name, raw, _KINDS[name])

    for name in known:
        var = ENV_PREFIX + name.upper()
        if var in env:
            values[name] = _coerce(name, env[var], _KINDS[name])
    for name, raw in (overrides or {}).items():
        if raw is None:
            continue
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _coerce(name, raw, _KINDS[name])

    settings = Settings(**values)
    _validate(settings)
    return settings


def _validate(s: Settings) -> None:
    if not 0 <= s.pdq_threshold <= 256:
        raise ConfigError(f"pdq_threshold must be between 0 and 256, not {s.pdq_threshold}")
    if not 0 <= s.pdq_min_quality <= 100:
        raise ConfigError(f"pdq_min_quality must be between 0 and 100, not {s.pdq_min_quality}")
    for name in ("batch_size", "max_image_pixels", "max_image_bytes", "read_chunk_bytes"):
        if getattr(s, name) <= 0:
            raise ConfigError(f"{name} must be positive")
    if s.workers < 0 or s.pdq_draft_size < 0 or s.whole_file_bytes < 0:
        raise ConfigError("workers, pdq_draft_size and whole_file_bytes cannot be negative")
