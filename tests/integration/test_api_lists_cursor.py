"""Every list of the open API pages by cursor (erp_core/api/cursor.py): found from the app's own OpenAPI
document, walked a row at a time; rows added between two pages are neither skipped nor repeated, which
page numbers cannot promise; page/per_page keep working for existing clients."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.integration.conftest import make_order


@pytest.fixture
def admin(app, users):
    from erp_core.auth.services import create_api_token
    from erp_core.extensions import db

    with app.app_context():
        _record, secret = create_api_token(users["admin"], "lists", users["admin"])
        db.session.remove()
    return {"Authorization": f"Bearer {secret}"}


def _lists(app) -> dict[str, dict]:
    """GET operations answering {items: [...]} and their query parameters, from the OpenAPI document."""
    from erp_core.api import api

    with app.app_context():
        spec = api.spec.to_dict()
    schemas = spec["components"]["schemas"]
    found = {}
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        answer = (operation or {}).get("responses", {}).get("200", {}).get("content", {}) \
            .get("application/json", {}).get("schema", {})
        if "$ref" not in answer:
            continue
        body = schemas[answer["$ref"].rsplit("/", 1)[-1]]
        if "items" in body.get("properties", {}):
            found[path] = {"params": {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"},
                           "answer": set(body["properties"])}
    return found


def test_every_list_of_the_api_takes_a_cursor_and_answers_the_next_one(app):
    lists = _lists(app)
    assert len(lists) >= 15, sorted(lists)
    missing = {path: sorted({"cursor"} - spec["params"]) + sorted({"next_cursor"} - spec["answer"])
               for path, spec in lists.items()
               if "cursor" not in spec["params"] or "next_cursor" not in spec["answer"]}
    assert missing == {}


def _walk(client, path: str, headers: dict, size_param: str, cursor: str | None = None) -> list[dict]:
    items = []
    while True:
        query = {size_param: 1, **({"cursor": cursor} if cursor else {})}
        answer = client.get(path, query_string=query, headers=headers)
        assert answer.status_code == 200, (path, answer.json)
        assert len(answer.json["items"]) <= 1
        items += answer.json["items"]
        cursor = answer.json["next_cursor"]
        if cursor is None or not answer.json["items"]:  # a feed (the audit log, the journal) never ends:
            return items  # its cursor waits for what comes next
        assert len(items) < 500, f"{path} never ends"


def test_every_list_walked_by_cursor_gives_what_one_big_page_gives(app, client, admin, world):
    with app.app_context():
        for n in range(3):
            make_order(f"CUR-{n}", [("A", 1)])
    walked = 0
    for path, spec in _lists(app).items():
        if "{" in path:
            continue  # the lists of one object (a webhook's deliveries) are walked below
        size = "per_page" if "per_page" in spec["params"] else "limit"
        whole = client.get(path, query_string={size: 500}, headers=admin)
        assert whole.status_code == 200, (path, whole.json)
        by_cursor = _walk(client, path, admin, size)
        canon = sorted(json.dumps(item, sort_keys=True) for item in whole.json["items"])
        assert sorted(json.dumps(item, sort_keys=True) for item in by_cursor) == canon, path
        walked += bool(by_cursor)
    assert walked >= 5  # the world has SKUs, orders, stock in bins, stock moves and shops at least


def test_orders_added_between_two_pages_are_neither_skipped_nor_repeated(app, client, admin, world):
    with app.app_context():
        first_ids = [make_order(f"PG-{n}", [("A", 1)]) for n in range(5)]
    page = client.get("/api/v1/orders", query_string={"per_page": 2}, headers=admin).json
    assert [o["id"] for o in page["items"]] == sorted(first_ids, reverse=True)[:2]
    assert page["total"] == 5 and page["page"] == 1
    with app.app_context():  # newer orders arrive while the client pages
        for n in range(3):
            make_order(f"PG-NEW-{n}", [("A", 1)])
    rest = _walk(client, "/api/v1/orders", admin, "per_page", cursor=page["next_cursor"])
    # the cursor goes on after the last one seen: the three older ones, each once
    assert [o["id"] for o in rest] == sorted(first_ids, reverse=True)[2:]
    # while page 2 by number would have shown two of the first page again
    by_number = client.get("/api/v1/orders", query_string={"per_page": 2, "page": 2}, headers=admin).json
    assert {o["id"] for o in by_number["items"]} & {o["id"] for o in page["items"]}
    # a page read by cursor has no total (no count per page of a long sync)
    assert client.get("/api/v1/orders", query_string={"per_page": 2, "cursor": page["next_cursor"]},
                      headers=admin).json["total"] is None


def test_skus_page_by_cursor_and_changed_ones_are_found_by_updated_since(app, client, admin, world):
    from erp_core.catalog.services import sku_by_code, update_sku
    from erp_core.models_base import utcnow

    first = client.get("/api/v1/skus", query_string={"per_page": 1}, headers=admin).json
    for n in range(2):  # SKUs created while the client pages come after it, once
        assert client.post("/api/v1/skus", json={"code": f"NEW-{n}", "name": f"New {n}"}, headers=admin).status_code \
            == 201
    rest = _walk(client, "/api/v1/skus", admin, "per_page", cursor=first["next_cursor"])
    codes = [s["code"] for s in first["items"] + rest]
    assert len(codes) == len(set(codes)) and codes[-2:] == ["NEW-0", "NEW-1"]
    since = utcnow() - timedelta(seconds=1)
    later = utcnow() + timedelta(minutes=1)
    with app.app_context():
        update_sku(sku_by_code("A"), shelf_life_days=30)
    changed = client.get("/api/v1/skus", query_string={"updated_since": since.isoformat()}, headers=admin).json
    assert "A" in {s["code"] for s in changed["items"]}
    assert client.get("/api/v1/skus", query_string={"updated_since": later.isoformat()},
                      headers=admin).json["items"] == []


def test_a_cursor_not_given_out_by_the_api_is_refused_in_both_languages(client, admin, world):
    for lang, word in (("en", "cursor"), ("zh-CN", "游标")):
        answer = client.get("/api/v1/orders", query_string={"cursor": "bm9wZQ"},
                            headers={**admin, "Accept-Language": lang})
        assert answer.status_code == 422 and answer.json["code"] == "bad_cursor"
        assert word in answer.json["message"], answer.json
