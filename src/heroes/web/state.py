"""What every request handler of the review app shares: settings, store, login limiter and templates.

Why one small record: the app factory builds it once and hangs it on ``app.state``, so handlers get
the store and settings they were given (never a global, never the environment), and tests can build
as many independent apps as they like. Rendering lives here too, so every page gets the same
banner, disclaimer, CSRF token and category names without each handler repeating them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import Response

from heroes import __version__
from heroes.config import Settings
from heroes.errors import InvalidInput
from heroes.report import DISCLAIMER
from heroes.store import CaseStore

if TYPE_CHECKING:
    from heroes.web.auth import Principal, RateLimiter

__all__ = [
    "BANNER",
    "CATEGORIES",
    "WebState",
    "case_url",
    "clean_text",
    "render",
    "score_conversation",
    "web_state",
]

BANNER = "Leads for a trained human reviewer, never verdicts"
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("0", "not pertinent"),
    ("1", "abuse material (CAM)"),
    ("2", "exploitive or age difficult"),
    ("3", "CGI or animation"),
    ("4", "comparison image"),
)
"""Project VIC (US) category codes in neutral words, as shown on buttons and in decisions."""
_LABELS = dict(CATEGORIES)
_UNSAFE_TEXT = re.compile(r"[\x00\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class WebState:
    """The app's dependencies, built once by ``create_app``."""

    settings: Settings
    store: CaseStore
    limiter: RateLimiter
    templates: Jinja2Templates


def web_state(request: Request) -> WebState:
    """The state the app factory stored on the app."""
    return cast(WebState, request.app.state.web)


def case_url(name: str, *parts: object) -> str:
    """The URL of a case page; the case name is fully escaped so names with '/' or '?' still work."""
    tail = "".join(f"/{quote(str(p), safe='')}" for p in parts)
    return f"/cases/{quote(name, safe='')}{tail}"


def clean_text(value: str, field: str, limit: int = 4000) -> str:
    """User text as the store can keep it: no NUL or lone surrogates, bounded length."""
    if _UNSAFE_TEXT.search(value):
        raise InvalidInput(f"{field}: contains characters that cannot be stored")
    if len(value) > limit:
        raise InvalidInput(f"{field}: at most {limit} characters")
    return value


def category_label(code: str | None) -> str:
    """'1 · abuse material (CAM)' for a stored category code; '–' for none."""
    if code is None:
        return "–"
    return f"{code} · {_LABELS[code]}" if code in _LABELS else code


def _when(value: datetime | float | None) -> str:
    if value is None:
        return "–"
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    if moment.tzinfo is None:
        return moment.isoformat(sep=" ", timespec="seconds")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def templates() -> Jinja2Templates:
    """The page templates: autoescaped, and strict about undefined names so mistakes fail tests."""
    env = Environment(
        loader=PackageLoader("heroes.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        case_url=case_url,
        category_label=category_label,
        categories=CATEGORIES,
        banner=BANNER,
        disclaimer=DISCLAIMER,
        version=__version__,
    )
    env.filters["when"] = _when
    env.filters["urlpart"] = lambda value: quote(str(value), safe="")
    return Jinja2Templates(env=env)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    principal: Principal | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A page with the common context (user, CSRF token, banner) filled in."""
    full: dict[str, Any] = {
        "user": principal.user if principal else None,
        "csrf": principal.csrf if principal else "",
        "title": "",
    }
    full.update(context)
    return web_state(request).templates.TemplateResponse(
        request, name, full, status_code=status_code, headers=dict(headers or {})
    )


_GROOMING_LOCK = threading.Lock()


def score_conversation(
    request: Request, messages: Sequence[tuple[str, datetime | None, str]], sensitivity: str, excerpts: bool
) -> list[Any]:
    """The grooming engine's assessment after each message (author, time, text), for the API and the
    Chat check page alike. The indicator set and matcher are built once per app (example vectors are
    cached on disk); the matcher is not thread-safe, hence the lock."""
    from heroes.textrisk.grooming import ConversationState, GroomingScorer
    from heroes.textrisk.indicators import IndicatorMatcher, IndicatorSet

    with _GROOMING_LOCK:
        app = request.app.state
        if getattr(app, "grooming", None) is None:
            indicators = IndicatorSet.load()
            cache = web_state(request).settings.home / "cache" / "grooming"
            app.grooming = (indicators, IndicatorMatcher(indicators, cache_dir=cache))
        indicators, matcher = app.grooming
        scorer = GroomingScorer(matcher, indicators.indicators, None, sensitivity, excerpts=excerpts)
        state = ConversationState()
        return [scorer.feed(state, author, time, text) for author, time, text in messages]
