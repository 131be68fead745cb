"""The registered plugins: built-ins listed explicitly, third parties through entry points.

No registration happens at import time (plaso's lesson): :func:`hashers` builds the list
when asked, so tests and workers see exactly the same plugins, and a name clash between a
built-in and an installed package is an error rather than a silent override.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from heroes.errors import ConfigError
from heroes.hashing import MD5, PDQ, SHA1, SHA256, VPDQ, Hasher

if TYPE_CHECKING:
    from heroes.triage.artifacts import ArtifactParser

__all__ = ["HASHER_GROUP", "PARSER_GROUP", "builtin_hashers", "builtin_parsers", "hashers", "parsers"]

HASHER_GROUP = "heroes.hashers"
PARSER_GROUP = "heroes.parsers"


def builtin_hashers() -> tuple[Hasher, ...]:
    """The per-file plug-ins that ship with heroes (those of triage live there; triage imports this
    module, so they are imported when asked for)."""
    from heroes.triage.artifacts import APP_DATABASES
    from heroes.triage.metadata import EXIF
    from heroes.triage.text import TEXT

    return (MD5, SHA1, SHA256, PDQ, VPDQ, EXIF, TEXT, APP_DATABASES)


def builtin_parsers() -> tuple[ArtifactParser, ...]:
    """The app-database parsers that ship with heroes (SMS, WhatsApp, Chrome, Firefox)."""
    from heroes.triage.artifacts import BUILTIN_PARSERS

    return BUILTIN_PARSERS


class _Named(Protocol):
    name: str


_P = TypeVar("_P", bound=_Named)


def _unique(plugins: Iterable[_P]) -> tuple[_P, ...]:
    seen: dict[str, _P] = {}
    for plugin in plugins:
        if plugin.name in seen:
            raise ConfigError(f"two plugins are named {plugin.name!r}; plugin names must be unique")
        seen[plugin.name] = plugin
    return tuple(seen.values())


def _installed(group: str, kind: type[Any], builtins: Iterable[_P], include: bool) -> tuple[_P, ...]:
    """Built-ins followed by the plug-ins of an entry-point group, each checked against its protocol."""
    found: list[_P] = list(builtins)
    if include:
        for point in entry_points(group=group):
            plugin = point.load()
            if not isinstance(plugin, kind):
                raise ConfigError(f"entry point {point.name!r} in {group} is not a {kind.__name__}")
            found.append(plugin)
    return _unique(found)


def hashers(include_entry_points: bool = True) -> tuple[Hasher, ...]:
    """Built-in hashers followed by those installed under the ``heroes.hashers`` entry-point group."""
    return _installed(HASHER_GROUP, Hasher, builtin_hashers(), include_entry_points)


def parsers(include_entry_points: bool = True) -> tuple[ArtifactParser, ...]:
    """Built-in artifact parsers followed by those installed under the ``heroes.parsers`` group."""
    from heroes.triage.artifacts import ArtifactParser

    return _installed(PARSER_GROUP, ArtifactParser, builtin_parsers(), include_entry_points)
