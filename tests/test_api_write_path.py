"""The write path of an accepted submission on DynamoDB Local: one TransactWriteItems that holds
the rate count too, and what each cancelled condition answers (replay, 429, 409)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    comment,
    one_rate_window,
    pending,
    table_resource,
)

from chalicelib import clock, db, guards
from chalicelib.spec import limits


@pytest.fixture
def calls(api_env: dict[str, str]) -> Iterator[list[str]]:
    """The DynamoDB operations the app's client sends, in order."""
    seen: list[str] = []
    events = db.table().meta.client.meta.events

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)

    events.register("before-call.dynamodb.*", record)
    yield seen
    events.unregister("before-call.dynamodb.*", record)


def rate_count(env: dict[str, str], ip: str) -> int | None:
    """The count of the network's current window (None: nothing counted)."""
    window = limits()["guards"]["rate_limit"]["window_seconds"]
    start = clock.epoch() // window * window
    key = {"PK": f"RATE#{guards.prefix_hash(ip)}#{start}", "SK": "RATE"}
    item = table_resource(env).get_item(Key=key, ConsistentRead=True).get("Item")
    return None if item is None else int(item["count"])


@pytest.mark.usefixtures("one_rate_window")
def test_an_accepted_comment_is_one_round_trip(api, api_env, calls):
    answer = api.post("/v1/comments", comment(submission_key="one-trip-0001"), ip="198.18.9.1")
    assert answer.status_code == 202, answer.body
    assert calls == ["TransactWriteItems"]
    assert rate_count(api_env, "198.18.9.1") == 1
    assert [i["id"] for i in pending(api_env)] == [json.loads(answer.body)["id"]]


@pytest.mark.usefixtures("one_rate_window")
def test_a_replay_past_the_limit_gets_its_first_answer(api, api_env, calls):
    limit = limits()["guards"]["rate_limit"]["max_submissions"]
    ip = "198.18.10.1"
    first = api.post("/v1/comments", comment(submission_key="replay-key-01"), ip=ip)
    for n in range(limit - 1):
        body = f"Άλλο σχόλιο αριθμός {n} από το ίδιο δίκτυο."
        assert api.post("/v1/comments", comment(body=body), ip=ip).status_code == 202
    assert rate_count(api_env, ip) == limit
    calls.clear()
    again = api.post("/v1/comments", comment(submission_key="replay-key-01"), ip=ip)
    assert again.status_code == 202 and json.loads(again.body) == json.loads(first.body)
    assert calls == ["TransactWriteItems", "GetItem"]  # the cancelled write, the IDEM read
    refused = api.post("/v1/comments", comment(body="Ένα ακόμη, πάνω από το όριο."), ip=ip)
    assert refused.status_code == 429
    assert (
        0
        < int(refused.headers["Retry-After"])
        <= limits()["guards"]["rate_limit"]["window_seconds"]
    )
    assert rate_count(api_env, ip) == limit and len(pending(api_env)) == limit


@pytest.mark.usefixtures("one_rate_window")
def test_a_refused_duplicate_is_not_counted(api, api_env):
    ip = "198.18.11.1"
    assert api.post("/v1/comments", comment(), ip=ip).status_code == 202
    twin = api.post("/v1/comments", comment(), ip=ip)
    assert twin.status_code == 409 and json.loads(twin.body)["error"]["code"] == "duplicate"
    assert rate_count(api_env, ip) == 1  # the cancelled transaction counted nothing


@pytest.mark.usefixtures("one_rate_window")
def test_over_the_limit_and_a_duplicate_is_429_first(api, api_env):
    limit = limits()["guards"]["rate_limit"]["max_submissions"]
    ip = "198.18.12.1"
    for n in range(limit):
        body = f"Σχόλιο αριθμός {n} πριν από το όριο του δικτύου."
        assert api.post("/v1/comments", comment(body=body), ip=ip).status_code == 202
    both = api.post(
        "/v1/comments", comment(body="Σχόλιο αριθμός 0 πριν από το όριο του δικτύου."), ip=ip
    )
    assert both.status_code == 429 and json.loads(both.body)["error"]["code"] == "rate_limited"
