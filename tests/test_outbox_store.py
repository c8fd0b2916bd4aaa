"""The outbox's transitions on DynamoDB Local (store.outbox): due → sending → sent, a claim
that two senders race for, backoff and giving up, a stale claim failed rather than resent, what
an ended message keeps, the receipt counts and the do-not-send list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.spec import limits
from chalicelib.store import keys
from chalicelib.store import outbox as store

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
def ddb(dynamodb: Any, table: str) -> Any:
    import boto3

    return boto3.resource("dynamodb", endpoint_url=dynamodb.endpoint).Table(table)


def queued(ddb: Any, **changes: Any) -> dict[str, Any]:
    item = store.message("receipt", "maria@example.gr", {"id": "x", "token": "t"}, NOW, **changes)
    assert store.enqueue(ddb, item)
    return item


def stored(ddb: Any, item: dict[str, Any]) -> dict[str, Any]:
    found = store.get(ddb, item["id"])
    assert found is not None
    return found


def test_a_message_is_due_then_claimed_once_then_sent_and_forgets_its_recipient(ddb):
    item = queued(ddb, net="abc")
    assert not store.enqueue(ddb, item)  # the same id again: nothing written
    assert [i["id"] for i in store.due(ddb, NOW, 10)] == [item["id"]]
    assert store.due(ddb, NOW - timedelta(seconds=1), 10) == []  # not yet due

    claimed = store.claim(ddb, item, NOW)
    assert claimed is not None
    assert store.claim(ddb, item, NOW) is None  # the other sender loses
    assert store.due(ddb, NOW, 10) == []  # claimed: out of sight until its lease ends
    lease = NOW + timedelta(seconds=limits()["mail"]["claim_seconds"])
    assert [i["status"] for i in store.due(ddb, lease, 10)] == ["sending"]

    assert store.sent(ddb, claimed, NOW, "smtp-1")
    ended = stored(ddb, item)
    assert ended["status"] == "sent" and ended["backend_id"] == "smtp-1"
    assert not {"recipient", "params", "net", "GSI2PK", "GSI2SK"} & set(ended)
    keep = limits()["mail"]["keep_days"] * 86400
    assert ended[keys.TTL_ATTRIBUTE] == int(NOW.timestamp()) + keep
    assert not store.sent(ddb, claimed, NOW, "smtp-2")  # marked once


def test_temporary_failures_back_off_then_give_up(ddb):
    rules = limits()["mail"]
    item = queued(ddb)
    moment = NOW
    for attempt in range(1, rules["max_attempts"]):
        claimed = store.claim(ddb, stored(ddb, item), moment)
        assert claimed is not None
        assert store.retry(ddb, claimed, moment, "421 try later") == "due"
        again = stored(ddb, item)
        assert again["attempts"] == attempt
        wait = min(rules["backoff_base_seconds"] * 2 ** (attempt - 1), rules["backoff_max_seconds"])
        assert store.due(ddb, moment + timedelta(seconds=wait - 1), 10) == []
        moment += timedelta(seconds=wait)
        assert [i["id"] for i in store.due(ddb, moment, 10)] == [item["id"]]
    claimed = store.claim(ddb, stored(ddb, item), moment)
    assert store.retry(ddb, claimed, moment, "421 try later") == "failed"
    failed = stored(ddb, item)
    assert failed["status"] == "failed" and "recipient" not in failed
    assert store.failed_since(ddb, "2000") == 1
    assert store.due(ddb, moment + timedelta(days=1), 10) == []


def test_backoff_grows_and_is_capped():
    rules = limits()["mail"]
    waits = [store.backoff(n).total_seconds() for n in range(1, 12)]
    assert waits[0] == rules["backoff_base_seconds"]
    assert waits == sorted(waits)
    assert max(waits) == rules["backoff_max_seconds"]


def test_a_dropped_message_says_why_and_keeps_nothing_personal(ddb):
    item = queued(ddb)
    claimed = store.claim(ddb, item, NOW)
    assert store.drop(ddb, claimed, NOW, "suppressed")
    dropped = stored(ddb, item)
    assert (dropped["status"], dropped["why"]) == ("dropped", "suppressed")
    assert "recipient" not in dropped and "params" not in dropped


def test_counts_stop_at_the_maximum(ddb):
    assert [store.count(ddb, "a:h", "2026-11-30", 2, NOW) for _ in range(3)] == [True, True, False]
    assert store.count(ddb, "a:h", "2026-12-01", 2, NOW)  # a new day
    assert store.count(ddb, "a:other", "2026-11-30", 2, NOW)


def test_the_do_not_send_list(ddb):
    assert not store.is_suppressed(ddb, "h1")
    store.suppress(ddb, "h1", NOW, "unsubscribe")
    store.suppress(ddb, "h1", NOW + timedelta(days=1), "follow")  # idempotent: since stays
    assert store.is_suppressed(ddb, "h1") and not store.is_suppressed(ddb, "h2")
    item = ddb.get_item(Key=keys.suppressed("h1"))["Item"]
    assert item["since"].startswith("2026-11-30")
