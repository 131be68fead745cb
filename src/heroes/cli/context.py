"""What every command shares: settings, the store (opened on first use) and error mapping."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from heroes.config import Settings, load_settings
from heroes.errors import HeroesError, exit_code
from heroes.store import CaseStore

__all__ = ["AppContext", "HeroesGroup", "err_console", "literal", "out_console"]


def literal(*values: object) -> list[Text]:
    """Table cells shown exactly as given: evidence paths and list labels may contain '[...]', which
    rich would otherwise read as markup (and fail on)."""
    return [Text("" if v is None else str(v)) for v in values]


def out_console() -> Console:
    """Console for results (stdout)."""
    console = Console(highlight=False)
    if not console.is_terminal:  # piped or logged: no terminal width to respect, keep paths whole
        console = Console(highlight=False, width=200)
    return console


def err_console() -> Console:
    """Console for progress and messages (stderr), so stdout stays machine-readable."""
    return Console(stderr=True, highlight=False)


class AppContext:
    """Lazily built settings and store for one CLI invocation."""

    def __init__(self, env: Mapping[str, str], config_file: Path | None, overrides: dict[str, Any]) -> None:
        self._env = env
        self._config_file = config_file
        self._overrides = overrides
        self._settings: Settings | None = None
        self._store: CaseStore | None = None

    @property
    def settings(self) -> Settings:
        """Merged settings (defaults < heroes.toml < HEROES_* < flags)."""
        if self._settings is None:
            self._settings = load_settings(self._env, self._config_file, self._overrides)
        return self._settings

    @property
    def store(self) -> CaseStore:
        """The case store, migrated on first use."""
        if self._store is None:
            self._store = CaseStore.open(self.settings)
        return self._store

    @property
    def settings_env(self) -> dict[str, str]:
        """The environment the settings were read from (for commands that derive their own)."""
        return dict(self._env)

    @property
    def actor(self) -> str:
        """Who the audit trail names."""
        return self.settings.effective_actor

    def close(self) -> None:
        """Release the database."""
        if self._store is not None:
            self._store.close()


class HeroesGroup(click.Group):
    """A click group that turns HeroesError into a one-line message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, mapping our errors to exit codes."""
        try:
            return super().invoke(ctx)
        except HeroesError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(exit_code(error))
