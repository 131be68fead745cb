"""Exit codes are decided in one place."""

from __future__ import annotations

import pytest

from heroes import errors


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.NotFound("x"), 2),
        (errors.HashListFormatError("x"), 2),
        (errors.ConfigError("x"), 2),
        (errors.StoreUnavailable("x"), 3),
        (errors.AuditChainBroken("x"), 4),
        (errors.HeroesError("x"), 1),
        (ValueError("x"), 1),
    ],
)
def test_exit_codes(error: BaseException, code: int) -> None:
    assert errors.exit_code(error) == code


def test_the_tree_in_the_docstring_names_every_error() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        if name != "exit_code":
            assert name in doc, name
