"""Documentation that cannot drift: every setting and every command is documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from heroes.cli import cli
from heroes.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    for field in dataclasses.fields(Settings):
        assert f"`{field.name}`" in text, f"docs/settings.md does not describe {field.name}"
        assert f"HEROES_{field.name.upper()}" in text


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme.index("make demo") < readme.index("make test")
    for name, command in cli.commands.items():
        assert f"heroes {name}" in readme, f"README does not mention 'heroes {name}'"
        for sub in getattr(command, "commands", {}):
            assert f"heroes {name} {sub}" in readme, f"README does not mention 'heroes {name} {sub}'"
