"""The store's reads on DynamoDB Local, against items written by the real intake route: by
target, by status, by consultation (one page and counts) and the audit trail."""

from __future__ import annotations

import json
from typing import Any

from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    comment,
    proposal,
)

from chalicelib import db, moderation
from chalicelib.store import queries


def post(api: Any, path: str, payload: dict[str, Any]) -> str:
    answer = api.post(path, payload)
    assert answer.status_code == 202, answer.body
    return json.loads(answer.body)["id"]


def test_reads_follow_the_written_keys(api: Any, api_env: dict[str, str]) -> None:
    on_text = [post(api, "/v1/comments", comment(body=f"Σχόλιο αριθμός {n} για την πλατεία."))
               for n in range(3)]  # fmt: skip
    idea = post(api, "/v1/proposals", proposal())
    table = db.table()
    assert [i["id"] for i in queries.by_target(table, "anoichti", text="proto-keimeno")] == on_text
    assert queries.by_target(table, "anoichti", proposal=idea) == []
    assert queries.by_target(table, "anoichti", text="allo-keimeno") == []

    moderation.decide(on_text[1], json.dumps({"action": "approve"}).encode(), "Δοκιμή")
    assert [i["id"] for i in queries.by_status(table, "approved")] == [on_text[1]]
    assert {i["id"] for i in queries.by_status(table, "pending")} == {*on_text[::2], idea}
    assert queries.count(table, "pending") == 3
    assert queries.count(table, "pending", "anoichti") == 3
    assert queries.count(table, "pending", "kleisti") == 0

    first, start = queries.page(table, "pending", "anoichti", oldest_first=True, limit=2)
    rest, end = queries.page(table, "pending", "anoichti", oldest_first=True, limit=2, start=start)
    assert [i["id"] for i in first + rest] == [on_text[0], on_text[2], idea]
    assert start is not None and end is None

    trail = queries.audit_trail(table, on_text[1])
    assert [(a["from_status"], a["to_status"], a["by"]) for a in trail] == [
        ("pending", "approved", "Δοκιμή")
    ]
    assert queries.audit_trail(table, on_text[0]) == []
