"""The review app in a real headless Chromium, served for real by uvicorn on 127.0.0.1.

Why a browser as well as the TestClient tests: the parts a reviewer relies on most live in the browser
and nowhere else — the Secure, HttpOnly, SameSite=Strict session cookie being kept and sent, the
one-at-a-time reveal of blurred thumbnails (app.js), keyboard categorisation through htmx, and the
strict Content-Security-Policy not blocking the app's own scripts and styles. A TestClient cannot run
JavaScript or apply a CSP, so only a browser shows that these work together. The test also proves
that the pages fetch nothing from anywhere but the app itself (no CDN, no fonts, no telemetry), and
that a user who is not a member of a case cannot reach it by typing its addresses.

It uses Debian's Chromium (/usr/bin/chromium), never a browser downloaded by Playwright: missing, the
test is skipped locally and fails in CI (where it is installed). Full-page screenshots of the main
pages go to ``$HEROES_ARTIFACTS/browser`` (default ``test-artifacts/browser``) for a human to look at.
The evidence is the benign generated images of tests/web/conftest.py.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Response,
    expect,
    sync_playwright,
)

from heroes.accounts import hash_password
from heroes.evidence import Role
from heroes.store import case_chain
from heroes.web.state import CATEGORIES
from tests.web.conftest import PASSWORD, Web

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
]
HOST = "127.0.0.1"
TIMEOUT_MS = 10_000
OUTSIDER = "rhea"
"""A reviewer who is a member of case ``other`` only, with a one-time password to change."""
OUTSIDER_PASSWORD = "a brand new passphrase of my own"
LABELS = dict(CATEGORIES)

_MEASURE_JS = """img => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let colour = 0, edges = 0, count = 0;
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      const i = (y * canvas.width + x) * 4;
      colour = Math.max(colour, Math.abs(data[i] - data[i + 1]), Math.abs(data[i + 1] - data[i + 2]));
      if (x + 1 < canvas.width) { edges += Math.abs(data[i] - data[i + 4]); count++; }
    }
  }
  return {width: canvas.width, height: canvas.height, colour: colour, sharpness: edges / Math.max(1, count)};
}"""
"""What the browser shows of a thumbnail: size, largest channel difference (0 = grey), mean edge."""

_LOADED_JS = "img => img.complete && img.naturalWidth > 0"
_CSP_HOOK_JS = """document.addEventListener("securitypolicyviolation", e => {
  window.heroesCspViolation(e.violatedDirective + " blocked " + e.blockedURI + " at " + e.sourceFile);
});"""


@dataclass
class Watch:
    """Everything the browser did that a test may want to hold against the app."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Console errors and uncaught exceptions, as 'text @ page url'."""
    csp: list[str] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    """Answers with status 400 or more: (status, url)."""

    def attach(self, context: BrowserContext) -> None:
        """Listen to every page of a browser context (set up before any page is opened)."""
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("requestfailed", self._failed)
        context.on("response", self._response)
        context.on("console", self._console)
        context.on("weberror", lambda e: self.errors.append(f"uncaught {e.error} @ {e.page and e.page.url}"))
        context.expose_function("heroesCspViolation", self._violation)
        context.add_init_script(_CSP_HOOK_JS)

    def _violation(self, text: str) -> None:
        self.csp.append(text)

    def _failed(self, request: Request) -> None:
        self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.refused.append((response.status, response.url))

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp.append(text)
        if message.type == "error":
            self.errors.append(f"{text} @ {message.location.get('url', '')}")


def artifacts() -> Path:
    """Where screenshots go: $HEROES_ARTIFACTS/browser (test-artifacts/browser by default)."""
    folder = Path(os.environ.get("HEROES_ARTIFACTS", "test-artifacts")) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chromium() -> Path:
    """Debian's Chromium, or skip (fail in CI, which installs it)."""
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} not found: install Debian's chromium package to run the browser test"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve the app with uvicorn on 127.0.0.1 and a free port in a background thread; its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))  # bound here and handed to uvicorn: no race for the port
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, host=HOST, port=port, log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("uvicorn did not start")
            time.sleep(0.02)
        with socket.create_connection((HOST, port), timeout=5):
            pass  # it accepts connections
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop"


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot in the artefacts folder."""
    path = artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, base: str, name: str, password: str, screenshot: str = "") -> None:
    """Fill in and send the login form like a person would."""
    page.goto(f"{base}/login")
    expect(page.locator("#lead-banner")).to_be_visible()
    expect(page.locator("#username")).to_be_focused()
    if screenshot:
        shoot(page, screenshot)
    page.locator("#username").fill(name)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_load_state()
    expect(page.locator("#login-error")).to_have_count(0)


def wait_loaded(page: Page, images: Locator) -> None:
    """Wait until every image of a locator has been fetched and decoded."""
    for n in range(images.count()):
        page.wait_for_function(_LOADED_JS, arg=images.nth(n).element_handle())


def measure(image: Locator) -> dict[str, float]:
    """Size, colour and sharpness of the pixels the browser shows for an <img>."""
    result: dict[str, float] = image.evaluate(_MEASURE_JS)
    return result


def reveal(page: Page, tile: Locator) -> Response:
    """Click a tile's picture; the answer to the request for its clear thumbnail."""
    button = tile.locator("button.reveal")
    clear = str(button.get_attribute("data-clear-src"))
    with page.expect_response(lambda r: r.url.endswith(clear)) as answer:
        button.click()
    image = button.locator("img")
    expect(image).to_have_attribute("src", clear)
    expect(button).to_have_attribute("data-revealed", "true")
    page.wait_for_function(_LOADED_JS, arg=image.element_handle())
    return answer.value


def assert_blurred(tile: Locator) -> None:
    """A tile shows its blurred thumbnail, not revealed."""
    button = tile.locator("button.reveal")
    blurred = str(button.get_attribute("data-blurred-src"))
    assert blurred.endswith("/thumbnail?clear=0")
    expect(button.locator("img")).to_have_attribute("src", blurred)
    expect(button.locator("img")).to_have_class("thumb blurred")
    expect(button).to_have_attribute("data-revealed", "false")


def categorise_by_key(page: Page, tile: Locator, key: str) -> None:
    """Press a category digit on the focused tile and wait for htmx to show the decision on it."""
    expect(tile).to_be_focused()
    item_id = tile.get_attribute("data-item-id")
    with page.expect_response(
        lambda r: r.url.endswith("/decisions") and r.request.method == "POST"
    ) as answer:
        page.keyboard.press(key)
    assert answer.value.status == 200
    decision = page.locator(f"#decision-{item_id}")
    expect(decision).to_have_attribute("data-category", key)
    expect(decision.locator(".category")).to_have_text(f"{key} · {LABELS[key]}")
    expect(decision).to_contain_text("by ivan")
    expect(page.locator("#decision-message")).to_have_text("Recorded for 1 item.")


def member_review(page: Page, base: str, ids: dict[str, int]) -> None:
    """Ivan (investigator, member of op): cases, grid, reveal, keys, item, search, audit, log out."""
    log_in(page, base, "ivan", PASSWORD, screenshot="01-login")
    expect(page).to_have_url(f"{base}/")
    cookies = {c["name"]: c for c in page.context.cookies(base)}
    session = cookies.get("heroes_session")
    assert session is not None, f"Chromium kept no session cookie on http://{HOST}: {sorted(cookies)}"
    assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Strict"
    assert "heroes_session" not in page.evaluate("document.cookie")  # HttpOnly: out of scripts' reach
    expect(page.locator("#nav-user")).to_have_text("ivan (investigator)")
    expect(page.locator("#case-list tr[data-case]")).to_have_count(1)  # op only, not other

    page.locator('#case-list tr[data-case="op"] a.case-link').click()
    expect(page).to_have_url(f"{base}/cases/op")
    expect(page.locator("#case-counts")).to_have_attribute("data-items", "8")
    page.locator("#link-review").click()
    expect(page).to_have_url(f"{base}/cases/op/review")

    tiles = page.locator("#review-grid .tile")
    expect(tiles).to_have_count(8)
    for n in range(8):
        assert_blurred(tiles.nth(n))
    wait_loaded(page, page.locator("#review-grid img.thumb"))
    shoot(page, "02-review-blurred")

    first = page.locator(f"#tile-{ids['exact.png']}")
    second = page.locator(f"#tile-{ids['gps.jpg']}")
    blurred_pixels = measure(first.locator("img"))
    answer = reveal(page, first)
    assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"
    assert "no-store" in answer.headers["cache-control"]
    clear_pixels = measure(first.locator("img"))
    assert blurred_pixels["width"] == clear_pixels["width"] == 160
    assert blurred_pixels["colour"] == 0, "the blurred thumbnail is not greyscale"
    assert clear_pixels["colour"] > 40, "the revealed thumbnail is not in colour"
    assert clear_pixels["sharpness"] > 2 * blurred_pixels["sharpness"], (blurred_pixels, clear_pixels)
    shoot(page, "03-review-one-revealed")

    assert reveal(page, second).status == 200
    assert_blurred(first)  # one at a time: revealing another blurs the first again
    assert page.locator('#review-grid button.reveal[data-revealed="true"]').count() == 1
    page.wait_for_function(_LOADED_JS, arg=first.locator("img").element_handle())

    tiles.nth(0).focus()
    categorise_by_key(page, tiles.nth(0), "4")
    page.keyboard.press("ArrowRight")
    categorise_by_key(page, tiles.nth(1), "3")
    page.keyboard.press("j")
    expect(tiles.nth(2)).to_be_focused()
    page.keyboard.press("k")
    expect(tiles.nth(1)).to_be_focused()
    expect(tiles.nth(2).locator(".decision")).to_have_attribute("data-category", "")
    decided = str(tiles.nth(0).get_attribute("data-item-id"))

    page.locator(f"#tile-{decided} a.name").click()
    expect(page).to_have_url(f"{base}/cases/op/items/{decided}")
    expect(page.locator(f"#decision-{decided}")).to_have_attribute("data-category", "4")
    expect(page.locator("#decision-category")).to_have_value("4")
    expect(page.locator("#item-thumb")).to_have_attribute(
        "src", f"/cases/op/items/{decided}/thumbnail?clear=0"
    )
    page.wait_for_function(_LOADED_JS, arg=page.locator("#item-thumb").element_handle())
    expect(page.locator("#item-meta")).to_be_visible()
    shoot(page, "04-item")

    page.locator("#link-search").click()
    expect(page.locator("#search-q")).to_be_focused()
    page.locator("#search-q").fill("warehouse")
    page.locator("#search-submit").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/cases/op/search\?q=warehouse(&|$)"))
    hit = page.locator("#search-results li.search-hit")
    expect(hit).to_have_count(1)
    expect(hit).to_have_attribute("data-item-id", str(ids["letter.txt"]))
    expect(hit.locator("a.path")).to_contain_text("letter.txt")
    expect(hit.locator(".snippet")).to_contain_text("warehouse")
    shoot(page, "05-search")

    page.locator("#link-audit").click()
    expect(page).to_have_url(f"{base}/cases/op/audit")
    expect(page.locator("#audit-status")).to_have_attribute("data-verified", "true")
    decisions = page.locator('#audit-events tr[data-action="decision.record"][data-actor="ivan"]')
    expect(decisions).to_have_count(2)
    views = page.locator('#audit-events tr[data-action="thumbnail.view"][data-actor="ivan"]')
    assert views.count() >= 10  # 8 blurred, 2 clear, 1 on the item page
    expect(views.filter(has_text='"clear": true')).to_have_count(2)
    shoot(page, "06-audit")

    page.locator("#logout").click()
    expect(page).to_have_url(f"{base}/login")
    assert "heroes_session" not in {c["name"] for c in page.context.cookies(base)}
    page.goto(f"{base}/cases/op/review")  # the old session is over
    expect(page).to_have_url(f"{base}/login?next=%2Fcases%2Fop%2Freview")


def outsider_is_kept_out(page: Page, base: str, ids: dict[str, int]) -> list[str]:
    """A reviewer of another case changes her one-time password, then cannot see or open case op."""
    log_in(page, base, OUTSIDER, PASSWORD)
    expect(page).to_have_url(f"{base}/settings/password")
    expect(page.locator("#must-change")).to_be_visible()
    page.locator("#current_password").fill(PASSWORD)
    page.locator("#new_password").fill(OUTSIDER_PASSWORD)
    page.locator("#new_password_again").fill(OUTSIDER_PASSWORD)
    page.locator("#password-submit").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.locator("#nav-user")).to_have_text(f"{OUTSIDER} (reviewer)")
    expect(page.locator('#case-list tr[data-case="other"]')).to_have_count(1)
    expect(page.locator('#case-list tr[data-case="op"]')).to_have_count(0)

    item = ids["exact.png"]
    hidden = [
        f"{base}/cases/op",
        f"{base}/cases/op/review",
        f"{base}/cases/op/items/{item}",
        f"{base}/cases/op/items/{item}/thumbnail?clear=1",
        f"{base}/cases/op/search?q=warehouse",
        f"{base}/cases/op/audit",
    ]
    for url in hidden:
        answer = page.goto(url)
        assert answer is not None and answer.status == 404, (url, answer and answer.status)
        expect(page.locator("#error")).to_have_attribute("data-status", "404")
        expect(page.locator("#error-message")).to_have_text("no case named 'op'")
        assert "warehouse" not in page.content() and "exact.png" not in page.content()
    shoot(page, "07-not-a-member")
    nowhere = page.goto(f"{base}/cases/no-such-case")  # exactly like a case that does not exist
    assert nowhere is not None and nowhere.status == 404
    expect(page.locator("#error-message")).to_have_text("no case named 'no-such-case'")
    return [*hidden, f"{base}/cases/no-such-case"]


def test_a_reviewer_works_through_a_case_in_a_real_browser(web: Web) -> None:
    """Ivan reviews case op end to end; an outsider cannot reach it; nothing leaves 127.0.0.1."""
    executable = chromium()
    web.store.accounts.add_user(OUTSIDER, Role.REVIEWER, hash_password(PASSWORD), "setup", must_change=True)
    web.store.accounts.grant(OUTSIDER, web.store.case("other"), "setup")
    # Looked up before the browser starts, so the audit trail it shows holds only what ivan did after.
    ids = {name: web.item_id("op", name) for name in ("exact.png", "gps.jpg", "letter.txt")}
    watch = Watch()
    with serve(web.app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
            context.set_default_timeout(TIMEOUT_MS)
            watch.attach(context)
            page = context.new_page()
            member_review(page, base, ids)
            expected_404 = outsider_is_kept_out(page, base, ids)
            context.close()
        finally:
            browser.close()

    outside = sorted({u for u in watch.requests if urlsplit(u).hostname != HOST})
    assert not outside, f"the pages fetched from outside the app: {outside}"
    assert watch.requests, "no request was seen"
    assert not watch.csp, f"Content-Security-Policy violations: {watch.csp}"
    # An icon still loading when the next page opens is cancelled by the browser: not a failure.
    failed = [f for f in watch.failed if not (f.endswith("net::ERR_ABORTED") and "/static/favicon.svg" in f)]
    assert not failed, f"failed requests: {failed}"
    assert sorted(watch.refused) == sorted((404, u) for u in expected_404), watch.refused
    allowed_404 = set(expected_404)  # the pages name their icon, so Chromium asks for no /favicon.ico
    unexpected = [
        e
        for e in watch.errors
        if not (e.startswith("Failed to load resource: the server responded with a status of 404") and
                e.rsplit(" @ ", 1)[-1] in allowed_404)
    ]  # fmt: skip
    assert not unexpected, f"console errors: {unexpected}"
    kept_out = [e.action for e in web.store.audit_events(case_chain("op")) if e.actor == OUTSIDER]
    assert not kept_out, f"the outsider left traces in case op: {kept_out}"
