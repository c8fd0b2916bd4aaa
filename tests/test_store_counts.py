"""The moderation summary's counts (chalicelib.store.counts) on DynamoDB Local: kept by the
changes themselves (intake, decisions, withdrawals), read with one Query instead of counting
every item, counted once with COUNT queries on a table that has none yet (bulk-loaded data),
and right under concurrent submissions (a conflict on a shard is retried)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from moderation_support import StaffClient, data, put_pending, submit_comment

from chalicelib import db
from chalicelib.store import counts, keys

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token

BODY = "Σχόλιο για τη μέτρηση των καταστάσεων στη σελίδα του συντονισμού."


def summary(staff: StaffClient, consultation: str | None = None) -> dict[str, int]:
    query = f"?consultation={consultation}" if consultation else ""
    return data(staff.get(f"/v1/moderation/summary{query}"))["counts"]


def test_the_changes_keep_the_counts(http: Any, staff: StaffClient) -> None:
    ids = [submit_comment(http, f"{BODY} {n}") for n in range(4)]
    assert summary(staff)["pending"] == 4
    staff.decide(ids[0], action="approve")
    staff.decide(ids[1], action="reject", reason="off_topic")
    staff.decide(ids[0], action="hide", reason="spam")
    want = {"pending": 2, "approved": 0, "rejected": 1, "hidden": 1, "withdrawn": 0}
    assert summary(staff) == want
    assert summary(staff, "anoichti") == want
    assert sum(summary(staff, "kleisti").values()) == 0


def test_a_bulk_loaded_table_is_counted_once_then_kept(http: Any, staff: StaffClient) -> None:
    table = db.table()
    for n in range(5):
        put_pending(table, n)  # written around the API: no counts moved
    assert summary(staff)["pending"] == 5  # the first look counts them
    put_pending(table, 99)  # still around the API: the kept counts do not see it
    assert summary(staff)["pending"] == 5
    submit_comment(http, BODY)  # through the API: counted
    assert summary(staff)["pending"] == 6
    shards = table.query(
        KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": keys.COUNTS_PK}
    )["Items"]
    assert len([s for s in shards if counts.COUNTED in s]) == 1


def test_concurrent_submissions_are_all_counted(http: Any, staff: StaffClient) -> None:
    summary(staff)  # an empty table: counted (nothing) at once
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda n: submit_comment(http, f"{BODY} ({n})"), range(24)))
    assert len(set(ids)) == 24
    assert summary(staff)["pending"] == 24


def test_the_summary_reads_the_counts_not_the_items(http: Any, staff: StaffClient) -> None:
    submit_comment(http, BODY)
    summary(staff)
    seen: list[tuple[str, str]] = []
    events = db.table().meta.client.meta.events

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        seen.append((model.name, json.dumps(params.get("IndexName"))))

    events.register("before-call.dynamodb.*", record)
    try:
        summary(staff)
    finally:
        events.unregister("before-call.dynamodb.*", record)
    assert ("Query", "null") in seen  # the counts' partition
    assert not [call for call in seen if call[1] != "null"]  # no index is counted
