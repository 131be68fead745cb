"""The one exception tree of the toolkit, and the one place exit codes are decided.

Library code raises these; the CLI maps them to exit codes with :func:`exit_code` and
prints the message, so a user never sees a traceback for a problem they can fix.

    HeroesError                  base; exit 1
    ├── UserError                the request cannot be done as asked; exit 2
    │   ├── NotFound             a case, hash list or file that does not exist
    │   ├── AlreadyExists        a name that is taken
    │   ├── InvalidInput         a value or file the user gave is malformed
    │   │   └── HashListFormatError   a hash list that cannot be read at all
    │   └── ConfigError          a bad setting (heroes.toml, HEROES_* or a flag)
    ├── ExternalError            something outside us failed; exit 3
    │   └── StoreUnavailable     the database cannot be reached or migrated
    └── IntegrityError           evidence or audit data fails verification; exit 4
        └── AuditChainBroken     the hash-chained audit trail was altered
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "AuditChainBroken",
    "ConfigError",
    "ExternalError",
    "HashListFormatError",
    "HeroesError",
    "IntegrityError",
    "InvalidInput",
    "NotFound",
    "StoreUnavailable",
    "UserError",
    "exit_code",
]


class HeroesError(Exception):
    """Base of every error the toolkit raises on purpose."""


class UserError(HeroesError):
    """The request cannot be carried out as given; the message says how to fix it."""


class NotFound(UserError):
    """A named case, hash list or path does not exist."""


class AlreadyExists(UserError):
    """A name that must be unique is already taken."""


class InvalidInput(UserError):
    """A value or file supplied by the user is malformed."""


class HashListFormatError(InvalidInput):
    """A hash list whose structure cannot be read at all (single bad lines are counted, not raised)."""


class ConfigError(UserError):
    """A setting from heroes.toml, the environment or a flag is invalid."""


class ExternalError(HeroesError):
    """A component outside the toolkit (database server, file system) failed."""


class StoreUnavailable(ExternalError):
    """The case store cannot be opened, reached or migrated."""


class IntegrityError(HeroesError):
    """Stored evidence or audit data does not verify."""


class AuditChainBroken(IntegrityError):
    """An audit event was edited, deleted, inserted or reordered."""


_EXIT_CODES: tuple[tuple[type[HeroesError], int], ...] = (
    (UserError, 2),
    (ExternalError, 3),
    (IntegrityError, 4),
    (HeroesError, 1),
)


def exit_code(error: BaseException) -> int:
    """Exit status for an error: 2 user error, 3 external failure, 4 integrity failure, 1 otherwise."""
    for kind, code in _EXIT_CODES:
        if isinstance(error, kind):
            return code
    return 1
