"""Logging in and out, the login limiter, one-time passwords, session cookies, CSRF, API tokens and the
security headers of every answer."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from heroes.store import GLOBAL_CHAIN
from heroes.web.app import SECURITY_HEADERS
from heroes.web.auth import LOGIN_COOKIE, SESSION_COOKIE
from tests.web.conftest import PASSWORD, Web, routes

_LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _login_form(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    found = _LOGIN_TOKEN.search(page.text)
    assert found
    return found.group(1)


def _post_login(client: TestClient, name: str, password: str, token: str) -> httpx.Response:
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": "/cases/op"},
        follow_redirects=False,
    )


def test_login_sets_a_strict_session_cookie_and_logout_ends_it(web: Web) -> None:
    client = web.client()
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    token = _login_form(client)
    login_cookie = client.cookies.get(LOGIN_COOKIE)
    assert login_cookie == token
    answer = _post_login(client, "ivan", PASSWORD, token)
    assert answer.status_code == 303 and answer.headers["location"] == "/cases/op"
    cookie = next(v for v in answer.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE + "="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= flags
    home = client.get("/")
    assert home.status_code == 200 and 'data-case="op"' in home.text and "ivan" in home.text
    actions = [e.action for e in web.store.audit_events(GLOBAL_CHAIN)]
    assert "login.ok" in actions and "session.open" in actions
    login_ok = web.events(GLOBAL_CHAIN, "login.ok")[-1]
    assert login_ok["actor"] == "ivan"

    csrf = re.search(r'data-csrf="([^"]+)"', home.text)
    assert csrf
    out = client.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert web.events(GLOBAL_CHAIN, "session.close")[-1]["actor"] == "ivan"
    client.cookies.set(SESSION_COOKIE, cookie.split(";")[0].split("=", 1)[1])  # the old secret is dead
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_and_audited(web: Web) -> None:
    client = web.client()
    token = _login_form(client)
    answer = _post_login(client, "ivan", "not the password at all", token)
    assert answer.status_code == 401 and "Wrong user name or password" in answer.text
    assert SESSION_COOKIE not in client.cookies
    failed = web.events(GLOBAL_CHAIN, "login.fail")[-1]
    assert failed["target"] == "ivan" and failed["actor"] == "anonymous"
    assert _post_login(client, "nobody-here", PASSWORD, token).status_code == 401


def test_login_is_rate_limited_per_user_and_address(web: Web) -> None:
    client = web.client()
    token = _login_form(client)
    for _ in range(5):
        assert _post_login(client, "rita", "wrong password, again", token).status_code == 401
    limited = _post_login(client, "rita", PASSWORD, token)  # even the right password waits
    assert limited.status_code == 429
    assert "Too many failed logins" in limited.text and int(limited.headers["retry-after"]) > 0
    assert any(e["details"]["reason"] == "rate limited" for e in web.events(GLOBAL_CHAIN, "login.fail"))
    assert _post_login(client, "ivan", PASSWORD, token).status_code == 303  # other names are not blocked


def test_login_needs_its_csrf_token(web: Web) -> None:
    client = web.client()
    _login_form(client)
    assert _post_login(client, "ivan", PASSWORD, "forged").status_code == 403
    assert _post_login(client, "ivan", PASSWORD, "").status_code == 403


def test_a_one_time_password_must_be_changed_first(web: Web) -> None:
    client = web.client()
    token = _login_form(client)
    answer = _post_login(client, "newbie", PASSWORD, token)
    assert answer.status_code == 303 and answer.headers["location"] == "/settings/password"
    for url in ("/", "/cases/op", "/cases/op/review", "/settings"):
        moved = client.get(url, follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == "/settings/password", url
    assert client.get("/api/v1/me").status_code == 403
    page = client.get("/settings/password")
    assert page.status_code == 200 and 'id="must-change"' in page.text
    csrf = re.search(r'data-csrf="([^"]+)"', page.text)
    assert csrf
    form = {
        "csrf_token": csrf.group(1),
        "current_password": "wrong one entirely",
        "new_password": "a brand new passphrase",
        "new_password_again": "a brand new passphrase",
    }
    assert client.post("/settings/password", data=form).status_code == 403
    form["current_password"] = PASSWORD
    assert (
        client.post("/settings/password", data={**form, "new_password_again": "different"}).status_code == 400
    )
    assert (
        client.post(
            "/settings/password", data={**form, "new_password": "short", "new_password_again": "short"}
        ).status_code
        == 400
    )
    changed = client.post("/settings/password", data=form, follow_redirects=False)
    assert changed.status_code == 303 and changed.headers["location"] == "/"
    assert client.get("/").status_code == 200  # the fresh session cookie works
    assert not web.store.accounts.user("newbie").must_change_password
    fresh = web.client()
    assert _post_login(fresh, "newbie", "a brand new passphrase", _login_form(fresh)).status_code == 303


def _post_routes(web: Web) -> list[str]:
    return [path for path, methods in routes(web.app) if "POST" in methods and not path.startswith("/api/")]


def test_every_form_post_without_the_csrf_token_is_refused(web: Web) -> None:
    client, csrf = web.login("root")
    item = web.item_id("op", "exact.png")
    values = {"case": "op", "item_id": str(item), "name": "rita", "token_id": "1"}
    posts = _post_routes(web)
    assert {"/login", "/logout", "/cases/{case:path}/decisions", "/admin/users"} <= set(posts)
    for path in posts:
        url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)
        form = {"item_ids": str(item), "category": "1", "name": "someone", "user": "rita", "case": "op"}
        assert client.post(url, data=form, follow_redirects=False).status_code == 403, path
        wrong = client.post(url, data={**form, "csrf_token": "x" + csrf}, follow_redirects=False)
        assert wrong.status_code == 403, path
        header = client.post(url, data=form, headers={"X-CSRF-Token": "forged"}, follow_redirects=False)
        assert header.status_code == 403, path
    assert web.store.decisions(web.store.case("op")) == {}
    # The API takes the token in a header when a browser session is used, and needs none with a bearer token.
    body = {"item_ids": [item], "category": 1}
    assert client.post("/api/v1/cases/op/decisions", json=body).status_code == 403
    assert (
        client.post("/api/v1/cases/op/decisions", json=body, headers={"X-CSRF-Token": csrf}).status_code
        == 200
    )


def test_api_tokens_are_made_once_and_can_be_revoked(web: Web) -> None:
    client, csrf = web.login("ivan")
    made = client.post("/settings/tokens", data={"csrf_token": csrf, "name": "script"})
    assert made.status_code == 201
    secret = re.search(r'id="new-token">([^<]+)<', made.text)
    assert secret
    api = web.client()
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    me = api.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.json()["name"] == "ivan"
    item = web.item_id("op", "flipped.png")
    decided = api.post("/api/v1/cases/op/decisions", json={"item_ids": [item], "category": 3}, headers=bearer)
    assert decided.status_code == 200  # no CSRF token needed with a bearer token
    assert secret.group(1) not in client.get("/settings").text  # shown once only
    token_id = web.store.accounts.tokens(web.store.accounts.user("ivan"))[0][0]
    revoked = client.post(
        f"/settings/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    refused = api.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert api.get("/api/v1/me", headers={"Authorization": "Bearer made-up"}).status_code == 401
    assert api.get("/api/v1/me").status_code == 401
    other, other_csrf = web.login("rita")
    assert (
        other.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": other_csrf}).status_code == 404
    )


def test_security_headers_on_pages_api_static_and_errors(web: Web) -> None:
    client, _ = web.login("ivan")
    item = web.item_id("op", "exact.png")
    for url in (
        "/",
        "/cases/op/review",
        f"/cases/op/items/{item}/thumbnail",
        "/api/v1/cases",
        "/login",
        "/static/app.js",
        "/no/such/page",
        "/api/v1/cases/nope",
    ):
        answer = client.get(url)
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (url, name)
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        expected = "no-cache" if url.startswith("/static/") else "no-store"
        assert answer.headers["cache-control"] == expected, url
    page = client.get("/cases/op/review").text
    assert "<script>" not in page and " on" + "click=" not in page and "style=" not in page


def test_nul_characters_in_addresses_are_refused(web: Web) -> None:
    client, _ = web.login("ivan")
    assert client.get("/cases/op/search?q=a%00b").status_code == 400
    assert client.get("/api/v1/cases/op%00x").status_code == 400
