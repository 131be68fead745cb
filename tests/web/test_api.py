"""The REST API with bearer tokens: what each route answers, that views and decisions are audited with
the caller's name, and that bad input is a 4xx."""

from __future__ import annotations

import json

from heroes.store import case_chain
from tests.web.conftest import Web


def test_cases_items_matches_and_item_details(web: Web) -> None:
    api, token = web.client(), web.token("ivan")
    cases = api.get("/api/v1/cases", headers=token).json()
    assert [c["name"] for c in cases] == ["op"] and cases[0]["counts"]["items"] == 8
    case = api.get("/api/v1/cases/op", headers=token).json()
    assert case["counts"]["matched_items"] == 2 and case["scans"][0]["status"] == "finished"
    page = api.get("/api/v1/cases/op/items", params={"per_page": 3, "order": "hits"}, headers=token).json()
    assert page["total"] == 8 and len(page["rows"]) == 3 and page["rows"][0]["hits"] == 2
    assert page["rows"][0]["reasons"] and "raw_path" not in page["rows"][0]["item"]
    assert api.get("/api/v1/cases/op/items", params={"page": 3, "per_page": 3}, headers=token).json()["rows"]
    exact = web.item_id("op", "exact.png")
    detail = api.get(f"/api/v1/cases/op/items/{exact}", headers=token).json()
    assert detail["item"]["path"].endswith("exact.png")
    assert {m["how"] for m in detail["matches"]} == {"md5", "pdq 0"}
    matches = api.get("/api/v1/cases/op/matches", headers=token).json()
    assert {m["path"].rsplit("/", 1)[-1] for m in matches} == {"exact.png", "flipped.png"}
    assert api.get("/api/v1/cases/op/items/999999", headers=token).status_code == 404
    lists = api.get("/api/v1/hashlists", headers=token).json()
    assert lists[0]["name"] == "bad" and lists[0]["role"] == "known-bad"
    actors = {e.actor for e in web.store.audit_events(case_chain("op")) if e.action.endswith(".api-item")}
    assert actors == {"ivan"}


def test_search_and_bulk_decisions(web: Web) -> None:
    api, token = web.client(), web.token("ivan")
    found = api.get("/api/v1/cases/op/search", params={"q": "warehouse keys"}, headers=token).json()
    assert [h["item"]["path"].rsplit("/", 1)[-1] for h in found] == ["letter.txt"]
    assert "warehouse" in found[0]["snippet"]
    near = api.get("/api/v1/cases/op/search", params={"bbox": "40,-4,41,-3"}, headers=token).json()
    assert [h["item"]["path"].rsplit("/", 1)[-1] for h in near] == ["gps.jpg"]
    assert api.get("/api/v1/cases/op/search", params={"bbox": "x"}, headers=token).status_code == 400
    assert api.get("/api/v1/cases/op/search", params={"since": "soon"}, headers=token).status_code == 422
    ids = [web.item_id("op", f"other/{n}.jpg") for n in range(3)]
    done = api.post(
        "/api/v1/cases/op/decisions",
        headers=token,
        json={"item_ids": ids, "category": 0, "tags": ["family"], "note": "checked"},
    )
    assert done.status_code == 200 and done.json() == {"recorded": 3, "category": "0"}
    decided = web.store.decisions(web.store.case("op"))
    assert all(decided[i].category == "0" and decided[i].decided_by == "ivan" for i in ids)
    event = web.events(case_chain("op"), "decision.record")[-1]
    assert event["actor"] == "ivan" and event["details"]["items"] == ids  # type: ignore[index]
    page = api.get("/api/v1/cases/op/items", params={"undecided": True}, headers=token).json()
    assert page["total"] == 5
    for bad in (
        {"item_ids": [], "category": 1},
        {"item_ids": ids, "category": 5},
        {"item_ids": [0]},
        {"item_ids": ids, "note": "\ud800"},
        {"item_ids": ids, "tags": [""]},
    ):
        raw = json.dumps(bad)  # escapes the lone surrogate, as a hostile client could send it
        answer = api.post(
            "/api/v1/cases/op/decisions", headers={**token, "Content-Type": "application/json"}, content=raw
        )
        assert answer.status_code == 422, bad
    stranger = web.item_id("other", "a.jpg")
    assert (
        api.post("/api/v1/cases/op/decisions", headers=token, json={"item_ids": [stranger]}).status_code
        == 404
    )


def test_users_and_audit(web: Web) -> None:
    api, root = web.client(), web.token("root")
    users = api.get("/api/v1/users", headers=root).json()
    assert {"root", "ivan", "audrey"} <= {u["name"] for u in users}
    made = api.post("/api/v1/users", headers=root, json={"name": "pat", "role": "auditor", "cases": ["op"]})
    assert made.status_code == 201
    assert made.json()["user"]["must_change_password"] and len(made.json()["one_time_password"]) >= 12
    assert web.store.accounts.members(web.store.case("op")).count("pat") == 1
    again = api.post("/api/v1/users", headers=root, json={"name": "pat", "role": "auditor"})
    assert again.status_code == 409
    assert api.post("/api/v1/users", headers=root, json={"name": "p q", "role": "auditor"}).status_code == 400
    assert api.post("/api/v1/users", headers=root, json={"name": "r", "role": "ruler"}).status_code == 422
    assert (
        api.post(
            "/api/v1/users", headers=root, json={"name": "r", "role": "auditor", "cases": ["nope"]}
        ).status_code
        == 404
    )
    assert "r" not in {u.name for u in web.store.accounts.users()}
    audit = api.get("/api/v1/cases/op/audit", params={"limit": 5}, headers=web.token("audrey")).json()
    assert audit["verified"] is True and audit["chain"] == "case:op" and len(audit["events"]) == 5
    assert audit["events"][0]["seq"] == 1 and audit["events"][0]["action"] == "case.create"
    me = api.get("/api/v1/me", headers=web.token("audrey")).json()
    assert me == {
        "name": "audrey",
        "role": "auditor",
        "disabled": False,
        "must_change_password": False,
        "blur_thumbnails": True,
    }


def test_the_openapi_schema_describes_every_api_route(web: Web) -> None:
    schema = web.client().get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/cases",
        "/api/v1/cases/{case}",
        "/api/v1/cases/{case}/items",
        "/api/v1/cases/{case}/search",
        "/api/v1/cases/{case}/decisions",
        "/api/v1/hashlists",
        "/api/v1/users",
        "/api/v1/cases/{case}/audit",
    } <= paths
    assert not any(p.startswith(("/cases", "/login", "/admin", "/settings")) for p in paths)
    assert {"HTTPBearer", "APIKeyCookie"} <= set(schema["components"]["securitySchemes"])
    ok = schema["paths"]["/api/v1/cases/{case}/items"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/ItemPage")
    docs = web.client().get("/api/docs")
    assert docs.status_code == 200 and "/api/v1/cases/{case}/decisions" in docs.text
