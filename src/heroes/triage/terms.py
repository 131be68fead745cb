"""File-name and path terms supplied by an agency, with weights, for ranking items.

Why data, not code: the terms that matter in abuse cases are agency knowledge and change often;
they must never ship with the toolkit. heroes ships only a harmless demo list. A term list is
plain text, one term per line, optionally followed by a tab, ``;`` or ``,`` and a weight
(default 1); ``#`` starts a comment. Matching ignores case and treats ``_ - . / +`` as spaces,
so ``beach day`` finds ``Beach_Day-2.jpg``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from heroes.errors import InvalidInput, NotFound

__all__ = ["TermList"]

_SEPARATORS = re.compile(r"[\s_\-./+\\]+")


def _normalise(text: str) -> str:
    return " " + _SEPARATORS.sub(" ", text.lower()).strip() + " "


@dataclass(frozen=True, slots=True)
class TermList:
    """Weighted terms; ``matches`` says which occur in a path."""

    terms: tuple[tuple[str, float], ...]
    source: str = ""

    @classmethod
    def load(cls, path: Path) -> TermList:
        """Read a term list; a malformed weight is an error naming the line."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise NotFound(f"term list {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"term list {path} cannot be read: {exc}") from None
        terms: list[tuple[str, float]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = re.split(r"\t|;|,", line, maxsplit=1)
            term = parts[0].strip()
            try:
                weight = float(parts[1]) if len(parts) > 1 and parts[1].strip() else 1.0
            except ValueError:
                raise InvalidInput(
                    f"term list {path}, line {number}: weight {parts[1].strip()!r} is not a number"
                ) from None
            if term:
                terms.append((_normalise(term).strip(), weight))
        return cls(tuple(terms), str(path))

    def matches(self, path: str) -> list[tuple[str, float]]:
        """The terms found in a path (as whole words or word sequences), with their weights."""
        haystack = _normalise(path)
        return [(term, weight) for term, weight in self.terms if f" {term} " in haystack]
