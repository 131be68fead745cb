"""The registered plugins: built-ins listed explicitly, third parties through entry points.

No registration happens at import time (plaso's lesson): :func:`hashers` builds the list
when asked, so tests and workers see exactly the same plugins, and a name clash between a
built-in and an installed package is an error rather than a silent override.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import TypeVar

from heroes.errors import ConfigError
from heroes.hashing import MD5, PDQ, SHA1, SHA256, VPDQ, Hasher

__all__ = ["HASHER_GROUP", "builtin_hashers", "hashers"]

HASHER_GROUP = "heroes.hashers"


def builtin_hashers() -> tuple[Hasher, ...]:
    """The hashers that ship with heroes (the EXIF reader lives with triage, which imports this module)."""
    from heroes.triage.metadata import EXIF

    return (MD5, SHA1, SHA256, PDQ, VPDQ, EXIF)


_P = TypeVar("_P", bound=Hasher)


def _unique(plugins: Iterable[_P]) -> tuple[_P, ...]:
    seen: dict[str, _P] = {}
    for plugin in plugins:
        if plugin.name in seen:
            raise ConfigError(f"two plugins are named {plugin.name!r}; plugin names must be unique")
        seen[plugin.name] = plugin
    return tuple(seen.values())


def hashers(include_entry_points: bool = True) -> tuple[Hasher, ...]:
    """Built-in hashers followed by those installed under the ``heroes.hashers`` entry-point group."""
    found: list[Hasher] = list(builtin_hashers())
    if include_entry_points:
        for point in entry_points(group=HASHER_GROUP):
            plugin = point.load()
            if not isinstance(plugin, Hasher):
                raise ConfigError(f"entry point {point.name!r} in {HASHER_GROUP} is not a Hasher")
            found.append(plugin)
    return _unique(found)
