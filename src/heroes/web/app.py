"""The app factory: routers, static files, security headers and the mapping of errors to answers.

Why a factory: ``heroes serve`` and the tests each build an app around the settings and store they
hold, with nothing read from the environment or kept in globals. Security headers are added by a
small ASGI middleware to every answer (a strict Content-Security-Policy: scripts, styles and images
only from this origin; no framing; no referrer; no MIME sniffing; nothing but static files may be
cached, since pages and thumbnails show evidence). Errors the toolkit raises on purpose become 4xx
answers with their message (pages as HTML, the API as JSON); anything else is a 500 that shows no
traceback.
"""

from __future__ import annotations

import logging
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heroes import __version__
from heroes.config import Settings
from heroes.errors import AlreadyExists, ExternalError, HeroesError, NotFound, UserError
from heroes.store import CaseStore
from heroes.web import api, pages
from heroes.web.auth import LoginRequired, PasswordChangeRequired, RateLimiter
from heroes.web.state import WebState, render, templates

__all__ = ["SECURITY_HEADERS", "create_app"]

_LOG = logging.getLogger("heroes.web")

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class SecurityHeaders:
    """Adds the security headers (and ``Cache-Control: no-store`` outside /static) to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            message = "NUL characters are not allowed in addresses"
            response: Response = (
                JSONResponse({"detail": message}, status_code=400)
                if str(scope["path"]).startswith("/api/")
                else PlainTextResponse(message, status_code=400)
            )
            await response(scope, receive, self._wrap(scope, send))
            return
        await self.app(scope, receive, self._wrap(scope, send))

    @staticmethod
    def _wrap(scope: Scope, send: Send) -> Send:
        static = str(scope["path"]).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                headers["Cache-Control"] = "no-cache" if static else "no-store"
            await send(message)

        return send_with_headers


def _printable(text: str) -> str:
    """Text that can always be encoded in an answer (lone surrogates from hostile JSON escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") and request.url.path != "/api/docs"


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error as JSON for the API and as a page (with the banner) for people."""
    message = _printable(message)
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    principal = getattr(request.state, "principal", None)
    return render(request, "error.html", {"status": status, "message": message, "title": "Error"}, principal,
                  status_code=status, headers=headers)  # fmt: skip


def _status_of(error: HeroesError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, AlreadyExists):
        return 409
    if isinstance(error, UserError):
        return 400
    if isinstance(error, ExternalError):
        return 503
    return 500


async def _heroes_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HeroesError)
    return _error(request, _status_of(exc), str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return _error(request, exc.status_code, str(exc.detail), dict(exc.headers or {}) or None)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _wants_json(request):
        # FastAPI's shape (loc, msg, type) without echoing the input back: it may be large, private, or
        # not even encodable.
        detail = [
            {"loc": [_printable(str(p)) if isinstance(p, str) else p for p in e.get("loc", ())],
             "msg": _printable(str(e.get("msg", ""))), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]  # fmt: skip
        return JSONResponse({"detail": detail}, status_code=422)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'input'}: {e.get('msg', 'invalid')}"
        for e in exc.errors()
    )
    return _error(request, 400, f"bad input ({problems})")


async def _login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/"
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def _password_change(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/settings/password", status_code=303)


async def _unexpected(request: Request, exc: Exception) -> Response:
    _LOG.exception("unexpected error on %s %s", request.method, request.url.path)
    if _wants_json(request):
        response: Response = JSONResponse({"detail": "internal error; it was logged"}, status_code=500)
    else:
        response = PlainTextResponse(
            "Internal error; it was logged. Leads for a trained human reviewer, never verdicts.",
            status_code=500,
        )
    for name, value in {**SECURITY_HEADERS, "Cache-Control": "no-store"}.items():
        response.headers[name] = value
    return response


def create_app(settings: Settings, store: CaseStore | None = None) -> FastAPI:
    """The review web app and REST API around a store (opened from the settings when not given)."""
    app = FastAPI(
        title="HEROES review API",
        version=__version__,
        description=(
            "Cases, items, matches, search, review decisions, hash lists, users and the audit trail. "
            "Every result is a lead for a trained human reviewer, never a verdict. Authenticate with "
            "'Authorization: Bearer <token>' (make a token on the settings page)."
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.web = WebState(settings, store or CaseStore.open(settings), RateLimiter(), templates())
    handlers: dict[Any, Any] = {
        HeroesError: _heroes_error,
        StarletteHTTPException: _http_error,
        RequestValidationError: _validation_error,
        LoginRequired: _login_required,
        PasswordChangeRequired: _password_change,
        Exception: _unexpected,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(files("heroes.web") / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
