"""Cheap structural rules from ARCHITECTURE.md, checked on the source tree."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import heroes

SRC = Path(heroes.__file__).parent
FORBIDDEN_NAMES = {"utils", "helpers", "manager", "misc", "common"}


def _modules() -> list[tuple[str, Path]]:
    return [
        ("heroes." + ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__"), p)
        for p in SRC.rglob("*.py")
        if "migrations" not in p.parts
    ]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_only_the_store_talks_to_the_database() -> None:
    """sqlite3 itself is allowed elsewhere: it reads SQLite *files* (NSRL, app databases), not the store."""
    for name, path in _modules():
        uses = {m for m in _imports(path) if m.split(".")[0] in ("sqlalchemy", "alembic", "psycopg")}
        if not name.startswith("heroes.store"):
            assert not uses, f"{name} imports {uses}; only heroes.store may"


def test_only_web_imports_fastapi() -> None:
    for name, path in _modules():
        if not name.startswith("heroes.web"):
            assert not {m for m in _imports(path) if m.split(".")[0] in ("fastapi", "starlette")}, name


def test_dependency_direction() -> None:
    """Core modules import no domain package, and no library module imports the CLI."""
    core = {"heroes.evidence", "heroes.errors", "heroes.config"}
    for name, path in _modules():
        heroes_imports = {m for m in _imports(path) if m.startswith("heroes.")}
        if name in core:
            assert heroes_imports <= core, f"{name} imports {heroes_imports - core}"
        if name.startswith("heroes.store"):
            assert all(m in core or m.startswith("heroes.store") for m in heroes_imports), name
        if not name.startswith("heroes.cli"):
            assert not any(m.startswith("heroes.cli") for m in heroes_imports), name


def test_no_grab_bag_module_names() -> None:
    for _, path in _modules():
        assert path.stem not in FORBIDDEN_NAMES, path


def test_dunder_all_lists_real_names() -> None:
    for info in pkgutil.walk_packages(heroes.__path__, "heroes."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), f"{info.name}.__all__ names missing {name}"
