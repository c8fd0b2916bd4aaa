"""Forgetting personal data (chalicelib.retention, run by the scheduled publish): which
submissions of a consultation still hold an e-mail, and removing it with the idempotency record
that holds a keyed fingerprint of the same content. Apart from the API's modules, so that the
API's role needs no DeleteItem."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.db import conditionally
from chalicelib.store import keys


def with_email(table: Any, consultation: str) -> Iterator[dict[str, Any]]:
    """The id and submission key of every submission of ``consultation`` that still holds an
    e-mail, whatever its status (the retention purge)."""
    kwargs: dict[str, Any] = {
        "IndexName": keys.BY_CONSULTATION,
        "KeyConditionExpression": Key("GSI3PK").eq(keys.consultation_pk(consultation)),
        "FilterExpression": "attribute_exists(#e)",
        "ProjectionExpression": "id, submission_key",
        "ExpressionAttributeNames": {"#e": "email"},
    }
    while True:
        page = table.query(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def forget_email(table: Any, item: dict[str, Any], stamp: str) -> bool:
    """Remove a submission's e-mail and delete its idempotency record (retention). True when
    this call removed the e-mail; False when it was already gone (the index is eventually
    consistent, and another run may have been first)."""
    key = item.get("submission_key")
    if key:
        table.delete_item(Key=keys.idempotency(key))
    return conditionally(
        table.update_item,
        Key=keys.submission(item["id"]),
        UpdateExpression="REMOVE #e SET email_purged_at = :at",
        ConditionExpression="attribute_exists(#e)",
        ExpressionAttributeNames={"#e": "email"},
        ExpressionAttributeValues={":at": stamp},
    )
