"""Supports («Υποστηρίζω») of published comments and proposals, without an account
(chalicelib.supports).

One item per published item and address: the address's keyed hash (chalicelib.tokens), never
the address, which rides only in the confirmation e-mail's outbox message (store.outbox forgets
it once the message ends). ``pending`` until the e-mailed link's button is pressed (it expires,
TTL, after limits.json ``mail.subscription_confirm_days``), then ``confirmed``: counted once on
the submission (``supports``) and kept, with its link's digest (so that a reused link is told
«already counted» rather than «unknown»), until the consultation's close plus
``retention.email_days_after_close`` (the e-mail retention): as long as the consultation can
take a support, a second one from the same address stays a no-op.

A request is one transaction: the network's rate count, the pending support (conditional on
there being none, or only an expired pending one) and its confirmation e-mail. Confirming is
one transaction too: the support (pending → confirmed, conditional on its link and expiry), the
submission (``ADD supports 1``, its ``by_status`` stamp and ``updated_at`` renewed so that the
incremental export takes it, conditional on it still being approved) and the publish state's
decision count, so that the next publish shows the new count; a publish is asked for at once
(chalicelib.trigger), as grouping does (store.groups ``record_changes``). A support is not a
decision: no version, no audit entry.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import clock, trigger
from chalicelib.errors import unavailable
from chalicelib.spec import limits
from chalicelib.store import keys, state
from chalicelib.store.keys import Status
from chalicelib.store.submissions import CHECK_FAILED, cancellation_codes

logger = logging.getLogger(__name__)

PENDING, CONFIRMED = "pending", "confirmed"
LINK_DIGEST = "link_digest"  # of the confirmation link's secret (chalicelib.tokens)
# What confirming did: counted now; counted before (a reused link); the item is no longer
# published (nothing counted); no live support behind the link.
COUNTED, ALREADY, UNPUBLISHED, GONE = "counted", "already", "unpublished", "gone"
# Written: the support and its e-mail; RATE: the network is over its limit; RACED: another
# request for the same item and address committed first (the same answer).
WRITTEN, RATE, RACED = "written", "rate", "raced"
CONFLICT_ATTEMPTS = 4  # a popular item's confirmations meet on its submission item


def get(table: Any, item_id: str, address_hash: str) -> dict[str, Any] | None:
    return table.get_item(Key=keys.support(item_id, address_hash), ConsistentRead=True).get("Item")


def live(existing: dict[str, Any] | None, now: datetime) -> bool:
    """A support already made: confirmed, or pending and its link not expired."""
    if existing is None:
        return False
    if existing.get("status") == CONFIRMED:
        return True
    return int(existing.get(keys.TTL_ATTRIBUTE, 0)) > int(now.timestamp())


def expired(existing: dict[str, Any], now: datetime) -> bool:
    return int(existing.get(keys.TTL_ATTRIBUTE, 0)) <= int(now.timestamp())


def pending_item(
    submission: dict[str, Any], address_hash: str, digest: str, now: datetime
) -> dict[str, Any]:
    """A requested support of ``submission``, with its confirmation link's digest."""
    days = int(limits()["mail"]["subscription_confirm_days"])
    stamp = clock.iso(now)
    return {
        **keys.support(submission["id"], address_hash),
        "item": submission["id"],
        "kind": submission["kind"],
        "consultation": submission["consultation"],
        "address_hash": address_hash,
        "status": PENDING,
        "created_at": stamp,
        "consent": {"terms_version": limits()["terms_version"], "at": stamp},
        LINK_DIGEST: digest,
        keys.TTL_ATTRIBUTE: int((now + timedelta(days=days)).timestamp()),
    }


def request(
    table: Any,
    rate: dict[str, Any],
    support: dict[str, Any],
    message: dict[str, Any],
    now: datetime,
) -> str:
    """One transaction: ``rate`` (guards.rate_update's Update), the pending ``support`` (none
    live before it: TTL deletion is lazy, so an expired pending one may still be there) and
    its e-mail (store.outbox ``put_action``). WRITTEN, RATE or RACED."""
    put = {
        "Put": {
            "TableName": table.name,
            "Item": support,
            "ConditionExpression": "attribute_not_exists(PK) OR (#s = :p AND #e <= :now)",
            "ExpressionAttributeNames": {"#s": "status", "#e": keys.TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {":p": PENDING, ":now": int(now.timestamp())},
        }
    }
    try:
        table.meta.client.transact_write_items(TransactItems=[rate, put, message])
    except ClientError as exc:
        reasons = cancellation_codes(exc)
        if reasons is None:
            raise
        if reasons[:1] == [CHECK_FAILED]:
            return RATE
        return RACED  # the support's condition, or a concurrent transaction on it
    return WRITTEN


def count_only(table: Any, rate: dict[str, Any]) -> bool:
    """Count a request that changes nothing (a support already made) against the network's
    rate, as a new one is counted, so that the limit says nothing about who supports what.
    False past the limit."""
    try:
        table.meta.client.transact_write_items(TransactItems=[rate])
    except ClientError as exc:
        reasons = cancellation_codes(exc)
        if reasons is None:
            raise
        return reasons[:1] != [CHECK_FAILED]  # a concurrent count is no refusal
    return True


def confirm(table: Any, support: dict[str, Any], digest: str, ends: datetime, now: datetime) -> str:
    """pending → confirmed and the submission's count + 1, as one transaction (see the module
    docstring). COUNTED, ALREADY, UNPUBLISHED or GONE; ``ends``: the confirmed support's TTL."""
    at = clock.iso(now)
    item_id = support["item"]
    actions = [
        {
            "Update": {
                "TableName": table.name,
                "Key": keys.support(item_id, support["address_hash"]),
                "UpdateExpression": "SET #s = :c, confirmed_at = :at, #e = :ends",
                "ConditionExpression": "#s = :p AND #d = :digest AND #e > :now",
                "ExpressionAttributeNames": {
                    "#s": "status",
                    "#e": keys.TTL_ATTRIBUTE,
                    "#d": LINK_DIGEST,
                },
                "ExpressionAttributeValues": {
                    ":c": CONFIRMED,
                    ":p": PENDING,
                    ":at": at,
                    ":ends": int(ends.timestamp()),
                    ":digest": digest,
                    ":now": int(now.timestamp()),
                },
            }
        },
        {
            "Update": {
                "TableName": table.name,
                "Key": keys.submission(item_id),
                # Its published entry changes: restamped in by_status for the export.
                "UpdateExpression": "SET updated_at = :at, GSI2SK = :stamp ADD supports :one",
                "ConditionExpression": "#s = :approved",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {
                    ":at": at,
                    ":stamp": keys.status_index(Status.APPROVED, at, item_id)["GSI2SK"],
                    ":approved": Status.APPROVED.value,
                    ":one": 1,
                },
            }
        },
        {"Update": {"TableName": table.name, **state.counted(at)}},
    ]
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            table.meta.client.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            reasons = cancellation_codes(exc)
            if reasons is None:
                raise
            if reasons[:1] == [CHECK_FAILED]:
                current = get(table, item_id, support["address_hash"])
                return ALREADY if current and current.get("status") == CONFIRMED else GONE
            if reasons[1:2] == [CHECK_FAILED]:
                return UNPUBLISHED
            logger.info("supports: confirming met a concurrent write (attempt %d)", attempt + 1)
            time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))
            continue
        trigger.soon(table, at)  # after the commit: the count is published within a minute
        return COUNTED
    raise unavailable()
