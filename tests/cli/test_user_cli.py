"""``heroes user``: accounts made and changed from the command line, with one-time passwords."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from heroes.accounts import authenticate
from heroes.cli.serve import _loopback
from heroes.config import load_settings
from heroes.evidence import Role
from heroes.store import CaseStore
from tests.cli.test_cli import run  # noqa: F401 - the shared CLI fixture


def _password(output: str) -> str:
    found = re.search(r"\(shown once\): (\S+)", output)
    assert found, output
    return found.group(1)


def test_user_lifecycle(run: Callable[..., Result], tmp_path: Path) -> None:  # noqa: F811
    assert run("case", "create", "op").exit_code == 0
    added = run("user", "add", "rita", "--role", "reviewer", "--case", "op")
    assert added.exit_code == 0, added.output
    first = _password(added.output)
    assert run("user", "add", "rita", "--role", "reviewer").exit_code == 2  # taken
    assert run("user", "add", "sam", "--role", "boss").exit_code == 2  # no such role
    listed = run("user", "list").stdout
    assert "rita" in listed and "reviewer" in listed and "must change password" in listed and "op" in listed
    reset = run("user", "passwd", "rita")
    second = _password(reset.output)
    assert second != first
    assert run("user", "disable", "rita").exit_code == 0
    assert "disabled" in run("user", "list").stdout
    assert run("user", "disable", "rita", "--enable").exit_code == 0
    assert run("user", "revoke", "rita", "op").exit_code == 0
    assert run("user", "grant", "rita", "nope").exit_code == 2
    assert run("user", "passwd", "ghost").exit_code == 2
    home = tmp_path / "home"  # where the run fixture keeps its store
    store = CaseStore.open(load_settings({"HEROES_HOME": str(home)}, None, {}))
    try:
        user = authenticate(store, "rita", second)
        assert user is not None and user.role is Role.REVIEWER and user.must_change_password
        assert authenticate(store, "rita", first) is None
        assert store.accounts.case_ids(user) == set()
        actions = [e.action for e in store.audit_events("global")]
        assert actions.count("user.add") == 1 and "user.passwd" in actions and "user.enable" in actions
    finally:
        store.close()


def test_loopback_detection() -> None:
    assert _loopback("127.0.0.1") and _loopback("::1") and _loopback("localhost") and _loopback("127.8.0.1")
    assert not _loopback("0.0.0.0") and not _loopback("192.0.2.10") and not _loopback("example.org")
