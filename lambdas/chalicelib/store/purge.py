"""Forgetting personal data (chalicelib.retention, run by the scheduled publish): which
submissions of a consultation still hold an e-mail, and removing it with the idempotency record
that holds a keyed fingerprint of the same content; which consultations the site has had (so
that one removed or renamed does not keep its e-mails forever). Apart from the API's modules,
so that the API's role needs no DeleteItem."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.db import conditionally
from chalicelib.store import keys, queries


def with_email(table: Any, consultation: str) -> Iterator[dict[str, Any]]:
    """The id and submission key of every submission of ``consultation`` that still holds an
    e-mail, whatever its status (the retention purge)."""
    return queries.with_email(table, consultation, "id, submission_key")


def forget_email(table: Any, item: dict[str, Any], stamp: str) -> bool:
    """Remove a submission's e-mail and its private link's digest (the link dies with it), and
    delete its idempotency record (retention). True when this call removed the e-mail; False
    when it was already gone (the index is eventually consistent, and another run may have
    been first)."""
    key = item.get("submission_key")
    if key:
        table.delete_item(Key=keys.idempotency(key))
    return conditionally(
        table.update_item,
        Key=keys.submission(item["id"]),
        UpdateExpression="REMOVE #e, link_digest SET email_purged_at = :at",
        ConditionExpression="attribute_exists(#e)",
        ExpressionAttributeNames={"#e": "email"},
        ExpressionAttributeValues={":at": stamp},
    )


def seen_consultations(table: Any) -> dict[str, str]:
    """Every consultation a publish has seen on the site, with when it last saw it."""
    item = table.get_item(Key=keys.CONSULTATIONS_SEEN, ConsistentRead=True).get("Item") or {}
    return dict(item.get("seen", {}))


def record_seen(table: Any, seen: dict[str, str]) -> None:
    table.put_item(Item={**keys.CONSULTATIONS_SEEN, "seen": seen})


def forget_consultations(table: Any, slugs: list[str]) -> None:
    """Stop tracking consultations whose data is gone (their e-mails were just removed)."""
    if not slugs:
        return
    seen = seen_consultations(table)
    record_seen(table, {s: at for s, at in seen.items() if s not in slugs})
