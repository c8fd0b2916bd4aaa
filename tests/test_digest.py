"""The staff's daily digest (chalicelib.digest): what waits, per consultation, what waits too
long, what the publish left out, the e-mails that failed; one per staff address per day."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    comment,
    table_resource,
)

from chalicelib import clock, digest, manifest
from chalicelib.links import Links
from chalicelib.spec import limits
from chalicelib.store import outbox, state


def post(api: Any, **changes: Any) -> dict[str, Any]:
    answer = api.post("/v1/comments", comment(**changes))
    assert answer.status_code == 202, answer.body
    return json.loads(answer.body)


def test_the_digest_counts_what_waits_and_what_waits_too_long(api, api_env, monkeypatch):
    table = table_resource(api_env)
    hours = limits()["mail"]["digest_wait_hours"]
    old = post(api, body="Ένα σχόλιο που περιμένει πολύ καιρό τον έλεγχο.")
    post(api, body="Ένα πρόσφατο σχόλιο στην ανοιχτή διαβούλευση.")
    state.record_attention(table, {"abc123": "Περιέχει χαρακτήρες που δεν είναι κείμενο."})
    links = Links.current(manifest.current())
    key = {"PK": f"SUB#{old['id']}", "SK": "SUB"}
    old_item = table.get_item(Key=key)["Item"]
    table.update_item(  # as if it had come in two days and an hour ago
        Key=key,
        UpdateExpression="SET created_at = :c",
        ExpressionAttributeValues={":c": clock.iso(clock.now() - timedelta(hours=hours + 1))},
    )
    data = digest.data(table, links, clock.now())
    [row] = data["consultations"]
    assert (row["pending"], row["overdue"]) == (2, 1)
    assert data["overdue_total"] == 1
    assert data["oldest"]["reference"] == old_item["reference"]
    assert data["left_out"] == [
        {"id": "abc123", "why": "Περιέχει χαρακτήρες που δεν είναι κείμενο."}
    ]
    assert data["failed_mail"] == 0
    assert data["moderation_url"] == links.site_url + "/"  # this manifest does not name the page
    named = dataclasses.replace(links.manifest, moderation_url="/moderation/")
    with_page = digest.data(table, Links(links.site_url, links.api_url, named), clock.now())
    assert with_page["moderation_url"] == links.site_url + "/moderation/"
    assert "maria@example.gr" not in json.dumps(data, default=str)  # references, never authors


def test_one_digest_per_address_per_day(api, api_env, monkeypatch):
    table = table_resource(api_env)
    monkeypatch.setenv("STAFF_DIGEST_TO", "moderation@example.gr, dpo@example.gr")
    post(api)
    assert digest.enqueue(table) == 2
    assert digest.enqueue(table) == 0  # the same day again: nothing new
    due = outbox.due(table, clock.now() + timedelta(seconds=1), 50)
    digests = [m for m in due if m["kind"] == "digest"]
    assert sorted(m["recipient"] for m in digests) == ["dpo@example.gr", "moderation@example.gr"]
    assert digest.enqueue(table, clock.now() + timedelta(days=1)) == 2
    monkeypatch.setenv("STAFF_DIGEST_TO", "")
    assert digest.enqueue(table) == 0
