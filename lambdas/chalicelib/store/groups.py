"""Campaign groups in the table: what grouping reads (the submissions that arrived since its
mark, the members of a target) and the one write it makes (a submission's ``group``).

A submission's ``group`` is not a staff decision: it changes no status and no version, and it
has no audit entry. It is written conditionally on the status, version and group read, so a
decision or another grouping run that came first wins and the item is grouped again next run.
When a published (approved) item's group changes, the site changes: its ``by_status`` stamp is
renewed, as an answer's is, so that the incremental export takes it (chalicelib.snapshot_delta),
and the caller asks for a publish (``record_changes``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from botocore.exceptions import ClientError

from chalicelib import trigger
from chalicelib.db import conditionally
from chalicelib.store import decisions, keys, queries, state
from chalicelib.store.keys import Status
from chalicelib.store.submissions import CHECK_FAILED, cancellation_codes

logger = logging.getLogger(__name__)

# The statuses grouped: what waits for moderation and what is published. A rejected, hidden or
# withdrawn item leaves its group (and is never shown in one).
GROUPED = (Status.PENDING.value, Status.APPROVED.value)
# What grouping needs of a submission (``#s``: status, a reserved word; ``#g``: group).
FIELDS = (
    "id, kind, consultation, #t, proposal, parent, title, body, body_print, created_at, "
    "#s, version, #g, group_split, GSI2SK"
)
BATCH = 25  # group writes per transaction: one round trip instead of 25
NAMES = {"#s": "status", "#g": "group", "#t": "text"}


def read_state(table: Any) -> dict[str, Any]:
    """How far grouping has looked (``mark``: the start of its last complete run) and the
    by_status stamps its own recent writes gave published items (``own``)."""
    return table.get_item(Key=keys.GROUPING_STATE, ConsistentRead=True).get("Item") or {}


def mark(table: Any) -> str | None:
    found = read_state(table).get("mark")
    return str(found) if found else None


def record_mark(table: Any, at: str, own: list[str]) -> None:
    table.update_item(
        Key=keys.GROUPING_STATE,
        UpdateExpression="SET mark = :m, own = :o",
        ExpressionAttributeValues={":m": at, ":o": own},
    )


def arrived(
    table: Any, after: str | None, own: frozenset[str] = frozenset()
) -> Iterator[dict[str, Any]]:
    """The pending and approved submissions stamped after ``after`` (all of them when None): a
    new submission is pending, stamped at its creation; one decided quickly is approved. An item
    whose stamp is one of grouping's ``own`` (it restamped a published member) is not news."""
    for status in GROUPED:
        for page in queries.by_status_pages(
            table,
            status,
            keys.status_after(after) if after else None,
            projection=FIELDS,
            names=NAMES,
        ):
            yield from (i for i in page if str(i.get("GSI2SK", "")).split("#")[0] not in own)


def target_of(item: dict[str, Any]) -> tuple[str, str, str] | None:
    """(consultation, kind of target, target) of a groupable item: a top-level comment on a text
    or a proposal, or a proposal (all of a consultation's proposals are one target); a reply is
    never grouped (it answers someone)."""
    consultation = item.get("consultation")
    if not consultation or item.get("parent"):
        return None
    if item.get("kind") == "proposal":
        return (consultation, keys.PROPOSALS_TARGET, "")
    if item.get("text"):
        return (consultation, "text", str(item["text"]))
    if item.get("proposal"):
        return (consultation, "proposal", str(item["proposal"]))
    return None


def target_query(target: tuple[str, str, str], wanted: ConditionBase) -> dict[str, Any]:
    """The Query of ``target``'s items that match ``wanted`` (a filter): a text's or a
    proposal's comments on by_target, a consultation's proposals on by_consultation. Its
    results still hold replies (the filter cannot tell them): ``target_of`` sorts them out."""
    consultation, kind, name = target
    if kind == keys.PROPOSALS_TARGET:
        return {
            "IndexName": keys.BY_CONSULTATION,
            "KeyConditionExpression": Key("GSI3PK").eq(keys.consultation_pk(consultation)),
            "FilterExpression": wanted & Attr("kind").eq("proposal"),
        }
    pk = keys.target_pk(consultation, name if kind == "text" else None, name or None)
    return {
        "IndexName": keys.BY_TARGET,
        "KeyConditionExpression": Key("GSI1PK").eq(pk),
        "FilterExpression": wanted,
    }


def members(table: Any, target: tuple[str, str, str]) -> list[dict[str, Any]]:
    """Every pending or approved, top-level item of ``target``, with ``FIELDS``."""
    kwargs = {
        **target_query(target, Attr("status").is_in(list(GROUPED))),
        "ProjectionExpression": FIELDS,
        "ExpressionAttributeNames": NAMES,
    }
    found = [i for page in queries.pages(table, kwargs) for i in page.get("Items", [])]
    return [i for i in found if target_of(i) == target]


def _update(table_name: str, item: dict[str, Any], group: str | None, at: str) -> dict[str, Any]:
    """The conditional update giving ``item`` its ``group`` (None: none): conditional on the
    status, version and group read. A published item is stamped ``at`` in by_status and
    ``updated_at`` (its entry changes: the incremental export takes it)."""
    values: dict[str, Any] = {}
    condition = decisions.as_read(item, values)
    if item.get("group"):
        condition += " AND #g = :old"
        values[":old"] = item["group"]
    else:
        condition += " AND attribute_not_exists(#g)"
    update = "SET #g = :g" if group else "REMOVE #g"
    if group:
        values[":g"] = group
    if item["status"] == Status.APPROVED.value:
        restamp = keys.status_index(item["status"], at, item["id"])["GSI2SK"]
        update += (", " if group else " SET ") + "GSI2SK = :stamp, updated_at = :at"
        values.update({":stamp": restamp, ":at": at})
    return {
        "TableName": table_name,
        "Key": keys.submission(item["id"]),
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#s": "status", "#g": "group"},
        "ExpressionAttributeValues": values,
    }


def set_group(table: Any, item: dict[str, Any], group: str | None, at: str) -> bool:
    """Give one item its group; False when it changed since it was read."""
    update = _update(table.name, item, group, at)
    del update["TableName"]
    return conditionally(table.update_item, **update)


def set_groups(table: Any, changes: list[tuple[dict[str, Any], str | None]], at: str) -> list[str]:
    """``set_group`` for many items, ``BATCH`` per transaction; returns the ids of the items
    that changed since they were read (left for the next run). A batch cancelled by one such
    item is written again without it."""
    refused: list[str] = []
    for start in range(0, len(changes), BATCH):
        batch = changes[start : start + BATCH]
        for _attempt in range(BATCH + 1):
            if not batch:
                break
            actions = [{"Update": _update(table.name, i, g, at)} for i, g in batch]
            try:
                table.meta.client.transact_write_items(TransactItems=actions)
                break
            except ClientError as exc:
                codes = cancellation_codes(exc)
                if codes is None:
                    raise
                failed = {n for n, code in enumerate(codes) if code == CHECK_FAILED}
                refused += [batch[n][0]["id"] for n in sorted(failed)]
                batch = [change for n, change in enumerate(batch) if n not in failed]
                if not failed:  # another transaction on one of them: a moment, then again
                    time.sleep(random.uniform(0.02, 0.1))
        else:
            refused += [i["id"] for i, _ in batch]  # kept conflicting: the next run
    return refused


def record_changes(table: Any, at: str, published: int) -> None:
    """``published`` approved items changed group at ``at``: the site must change, as after
    a decision (the publish state's decision count and stamp, and a publish asked for now)."""
    if not published:
        return
    table.update_item(**state.counted(at, published))
    trigger.soon(table, at)
