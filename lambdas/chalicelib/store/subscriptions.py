"""Subscriptions to a consultation's news, without an account (chalicelib.subscriptions), and
what each consultation's subscribers have been told (chalicelib.notices).

One item per consultation and address (its keyed hash): ``pending`` until the link of the
confirmation e-mail is followed (double opt-in; it expires, TTL, after limits.json
``mail.subscription_confirm_days``), then ``confirmed`` and listed under the consultation in
the ``by_target`` index, until the person unsubscribes (``ended``: the address is removed at
once) or the e-mail retention ends it (TTL). The address itself is kept only while it is needed
to write to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib import clock
from chalicelib.db import conditionally
from chalicelib.spec import limits
from chalicelib.store import keys

PENDING, CONFIRMED, ENDED = "pending", "confirmed", "ended"
LINK_DIGEST = "link_digest"  # of the confirmation link's secret (chalicelib.tokens)
RESEND_AFTER = timedelta(hours=24)  # a second request within a day sends nothing again


def get(table: Any, slug: str, address_hash: str) -> dict[str, Any] | None:
    return table.get_item(Key=keys.subscription(slug, address_hash), ConsistentRead=True).get(
        "Item"
    )


def should_send_confirmation(existing: dict[str, Any] | None, now: datetime) -> bool:
    """A new request, an ended one, or a pending one whose last e-mail is a day old."""
    if existing is None or existing.get("status") == ENDED:
        return True
    if existing.get("status") == CONFIRMED:
        return False
    sent = existing.get("confirm_sent_at", "")
    return sent < clock.iso(now - RESEND_AFTER)


def pending_item(
    slug: str, address_hash: str, address: str, digest: str, now: datetime
) -> dict[str, Any]:
    """A requested subscription, with its confirmation link's digest (chalicelib.tokens)."""
    days = int(limits()["mail"]["subscription_confirm_days"])
    stamp = clock.iso(now)
    return {
        **keys.subscription(slug, address_hash),
        "slug": slug,
        "address_hash": address_hash,
        "address": address,
        "status": PENDING,
        "created_at": stamp,
        "confirm_sent_at": stamp,
        LINK_DIGEST: digest,
        keys.TTL_ATTRIBUTE: int((now + timedelta(days=days)).timestamp()),
    }


def put_pending_action(
    table_name: str, item: dict[str, Any], seen: dict[str, Any] | None
) -> dict[str, Any]:
    """The transaction Put of a (re)requested subscription, conditional on the state read."""
    put: dict[str, Any] = {"TableName": table_name, "Item": item}
    if seen is None:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    else:
        put["ConditionExpression"] = "#s = :s AND confirm_sent_at = :c"
        put["ExpressionAttributeNames"] = {"#s": "status"}
        put["ExpressionAttributeValues"] = {
            ":s": seen.get("status"),
            ":c": seen.get("confirm_sent_at", ""),
        }
    return {"Put": put}


def confirm(table: Any, slug: str, address_hash: str, ends: datetime, now: datetime) -> bool:
    """pending → confirmed (listed under the consultation until ``ends``). True when confirmed
    now or before (idempotent); False when there is nothing to confirm."""
    index = keys.subscribers_index(slug, address_hash)
    ok = conditionally(
        table.update_item,
        Key=keys.subscription(slug, address_hash),
        UpdateExpression="SET #s = :c, confirmed_at = :at, GSI1PK = :pk, GSI1SK = :sk, "
        f"{keys.TTL_ATTRIBUTE} = :exp",
        ConditionExpression="#s = :p AND attribute_exists(address)",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":c": CONFIRMED,
            ":p": PENDING,
            ":at": clock.iso(now),
            ":exp": int(ends.timestamp()),
            ":pk": index["GSI1PK"],
            ":sk": index["GSI1SK"],
        },
    )
    return ok or is_confirmed(table, slug, address_hash)


def is_confirmed(table: Any, slug: str, address_hash: str) -> bool:
    item = get(table, slug, address_hash)
    return item is not None and item.get("status") == CONFIRMED


def end(table: Any, slug: str, address_hash: str, now: datetime) -> bool:
    """Unsubscribe: the address goes at once, the item a day later (TTL). False when there was
    no live subscription (idempotent)."""
    return conditionally(
        table.update_item,
        Key=keys.subscription(slug, address_hash),
        UpdateExpression="SET #s = :e, ended_at = :at, "
        f"{keys.TTL_ATTRIBUTE} = :exp REMOVE address, GSI1PK, GSI1SK",
        ConditionExpression="#s IN (:p, :c)",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":e": ENDED,
            ":p": PENDING,
            ":c": CONFIRMED,
            ":at": clock.iso(now),
            ":exp": int(now.timestamp()) + 86400,
        },
    )


def subscribers(table: Any, slug: str) -> Iterator[dict[str, Any]]:
    """The confirmed subscribers of a consultation: address and its hash."""
    kwargs: dict[str, Any] = {
        "IndexName": keys.BY_TARGET,
        "KeyConditionExpression": Key("GSI1PK").eq(keys.subscribers_pk(slug)),
        "ProjectionExpression": "address, address_hash",
    }
    while True:
        page = table.query(**kwargs)
        yield from (i for i in page.get("Items", []) if i.get("address"))
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def announcements(table: Any) -> dict[str, dict[str, Any]]:
    """What each consultation's subscribers have been told so far (slug -> event -> when): one
    Query for every consultation, not a read each (30 reads every publish at ten times the
    1× site)."""
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(keys.ANNOUNCEMENTS_PK),
        "ConsistentRead": True,
    }
    found: dict[str, dict[str, Any]] = {}
    while True:
        page = table.query(**kwargs)
        found.update((item["SK"], item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def mark_announced(table: Any, slug: str, event: str, now: datetime) -> None:
    table.update_item(
        Key=keys.announcement(slug),
        UpdateExpression="SET #e = if_not_exists(#e, :at)",
        ExpressionAttributeNames={"#e": event},
        ExpressionAttributeValues={":at": clock.iso(now)},
    )
