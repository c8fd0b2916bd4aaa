"""The outbox: e-mail waiting to be sent, and the two lists the sender consults (receipt counts,
the do-not-send list). Nothing is sent in a request: intake, the publish and the schedules write
messages here (a receipt in the submission's own transaction), and the sender (chalicelib.outbox)
sends them.

A message is due while it sits in the ``by_status`` index under ``MAIL#due``, keyed by when it
may next be tried. The sender claims it (due → sending, conditional on the attempt count read,
so of two senders exactly one gets it) and moves its index key to the end of the claim's lease;
then it sends, and marks it sent (conditional on its own claim). A claim found past its lease
means a sender died between sending and marking: the message is marked failed, never sent again
("never the same message twice", at the price of one lost message, which the staff digest
counts). A temporary failure puts it back with exponential backoff. Whatever ends a message
removes its recipient and parameters and sets the TTL: nothing personal outlives it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib import clock, ids
from chalicelib.db import conditionally
from chalicelib.spec import limits
from chalicelib.store import keys
from chalicelib.store.keys import MailStatus

logger = logging.getLogger(__name__)

PERSONAL = ("recipient", "params", "net")  # removed when a message ends


def _rules() -> dict[str, Any]:
    return limits()["mail"]


def message(
    kind: str,
    to: str,
    params: dict[str, Any],
    now: datetime,
    *,
    message_id: str | None = None,
    net: str | None = None,
) -> dict[str, Any]:
    """A new due message. ``message_id`` makes enqueuing idempotent (a rerun of the step that
    writes it finds it there); ``net`` (a network's keyed hash) counts receipts per network."""
    msg_id = message_id or ids.new_id(int(now.timestamp() * 1000))
    stamp = clock.iso(now)
    item = {
        **keys.outbox(msg_id),
        "id": msg_id,
        "kind": kind,
        "recipient": to,
        "params": params,
        "status": MailStatus.DUE.value,
        "attempts": 0,
        "created_at": stamp,
        "send_after": stamp,
        **keys.outbox_due(stamp, msg_id),
    }
    if net:
        item["net"] = net
    return item


def put_action(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    """The transaction Put of a new message (a receipt rides in its submission's transaction)."""
    return {
        "Put": {
            "TableName": table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def enqueue(table: Any, item: dict[str, Any]) -> bool:
    """Write ``item`` unless a message of that id exists (True when this call wrote it)."""
    return conditionally(table.put_item, Item=item, ConditionExpression="attribute_not_exists(PK)")


def due(table: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` messages whose time has come (and claims past their lease), oldest first."""
    answer = table.query(
        IndexName=keys.BY_STATUS,
        KeyConditionExpression=Key("GSI2PK").eq(keys.OUTBOX_DUE)
        & Key("GSI2SK").lte(keys.status_after(clock.iso(now))),
        Limit=limit,
    )
    return list(answer.get("Items", []))


def get(table: Any, message_id: str) -> dict[str, Any] | None:
    return table.get_item(Key=keys.outbox(message_id), ConsistentRead=True).get("Item")


def claim(table: Any, item: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """Take a due message for sending; None when another sender took it first."""
    stamp = clock.iso(now)
    lease = clock.iso(now + timedelta(seconds=int(_rules()["claim_seconds"])))
    claimed = conditionally(
        table.update_item,
        Key=keys.outbox(item["id"]),
        UpdateExpression="SET #s = :sending, claimed_at = :at, GSI2SK = :sk",
        ConditionExpression="#s = :due AND attempts = :attempts",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":sending": MailStatus.SENDING.value,
            ":due": MailStatus.DUE.value,
            ":attempts": item["attempts"],
            ":at": stamp,
            ":sk": keys.outbox_due(lease, item["id"])["GSI2SK"],
        },
    )
    return {**item, "status": MailStatus.SENDING.value, "claimed_at": stamp} if claimed else None


def _end(table: Any, item: dict[str, Any], now: datetime, status: MailStatus, **extra: Any) -> bool:
    """End a message (sent, failed, dropped): conditional on the state it was read in."""
    values: dict[str, Any] = {
        ":to": status.value,
        ":at": clock.iso(now),
        ":exp": int(now.timestamp()) + int(_rules()["keep_days"]) * 86400,
        ":was": item["status"],
    }
    sets = ["#s = :to", "ended_at = :at", f"{keys.TTL_ATTRIBUTE} = :exp"]
    for n, (name, value) in enumerate(sorted(extra.items())):
        sets.append(f"{name} = :x{n}")
        values[f":x{n}"] = value
    condition = "#s = :was"
    if item.get("claimed_at"):
        condition += " AND claimed_at = :claimed"
        values[":claimed"] = item["claimed_at"]
    if status is MailStatus.FAILED:  # kept in the index for the staff digest's count
        sets += ["GSI2PK = :failed", "GSI2SK = :sk"]
        values[":failed"] = keys.OUTBOX_FAILED
        values[":sk"] = f"{clock.iso(now)}#{item['id']}"
        removes = ", ".join(PERSONAL)
    else:
        removes = ", ".join((*PERSONAL, "GSI2PK", "GSI2SK"))
    return conditionally(
        table.update_item,
        Key=keys.outbox(item["id"]),
        UpdateExpression=f"SET {', '.join(sets)} REMOVE {removes}",
        ConditionExpression=condition,
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=values,
    )


def sent(table: Any, item: dict[str, Any], now: datetime, backend_id: str) -> bool:
    return _end(table, item, now, MailStatus.SENT, backend_id=backend_id)


def drop(table: Any, item: dict[str, Any], now: datetime, why: str) -> bool:
    """Not sent, on purpose (``why``: suppressed, limit, gone, rejected)."""
    return _end(table, item, now, MailStatus.DROPPED, why=why)


def fail(table: Any, item: dict[str, Any], now: datetime, why: str) -> bool:
    """Not sent, and no more attempts (counted by the staff digest)."""
    return _end(table, item, now, MailStatus.FAILED, why=why)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: base × 2^(attempts − 1), capped."""
    rules = _rules()
    seconds = int(rules["backoff_base_seconds"]) * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, int(rules["backoff_max_seconds"])))


def retry(table: Any, item: dict[str, Any], now: datetime, why: str) -> str:
    """After a temporary failure: due again later, or failed once out of attempts. Returns the
    message's new status."""
    attempts = int(item["attempts"]) + 1
    if attempts >= int(_rules()["max_attempts"]):
        fail(table, item, now, why)
        return MailStatus.FAILED.value
    later = clock.iso(now + backoff(attempts))
    conditionally(
        table.update_item,
        Key=keys.outbox(item["id"]),
        UpdateExpression="SET #s = :due, attempts = :n, send_after = :later, GSI2SK = :sk, "
        "last_error = :why REMOVE claimed_at",
        ConditionExpression="#s = :sending AND claimed_at = :claimed",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":due": MailStatus.DUE.value,
            ":sending": MailStatus.SENDING.value,
            ":claimed": item["claimed_at"],
            ":n": attempts,
            ":later": later,
            ":sk": keys.outbox_due(later, item["id"])["GSI2SK"],
            ":why": why,
        },
    )
    return MailStatus.DUE.value


# --- the receipt limits and the do-not-send list -----------------------------------------------
def count(table: Any, scope: str, day: str, maximum: int, now: datetime) -> bool:
    """Count one message for ``scope`` on ``day``; False (and nothing counted) past
    ``maximum``."""
    return conditionally(
        table.update_item,
        Key=keys.mail_count(scope, day),
        UpdateExpression="ADD #n :one SET expires_at = :exp",
        ConditionExpression="attribute_not_exists(#n) OR #n < :max",
        ExpressionAttributeNames={"#n": "count"},
        ExpressionAttributeValues={
            ":one": 1,
            ":max": maximum,
            ":exp": int(now.timestamp()) + 2 * 86400,
        },
    )


def is_suppressed(table: Any, address_hash: str) -> bool:
    return "Item" in table.get_item(Key=keys.suppressed(address_hash), ConsistentRead=True)


def suppress(table: Any, address_hash: str, now: datetime, source: str) -> None:
    """Put an address (its keyed hash) on the do-not-send list; idempotent."""
    table.update_item(
        Key=keys.suppressed(address_hash),
        UpdateExpression="SET since = if_not_exists(since, :at), #src = :src",
        ExpressionAttributeNames={"#src": "source"},
        ExpressionAttributeValues={":at": clock.iso(now), ":src": source},
    )


def failed_since(table: Any, since: str) -> int:
    """How many messages failed since ``since`` (the staff digest): failed messages keep
    their index entry under ``MAIL#failed``."""
    answer = table.query(
        IndexName=keys.BY_STATUS,
        KeyConditionExpression=Key("GSI2PK").eq(keys.OUTBOX_FAILED) & Key("GSI2SK").gt(since),
        Select="COUNT",
    )
    return int(answer.get("Count", 0))
