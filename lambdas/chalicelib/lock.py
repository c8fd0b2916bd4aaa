"""The publish lock: one DynamoDB item (``LOCK#publish``/``LOCK``) so that two publish runs (the
schedule, the dev timer, ``make publish``) never overlap.

A lock whose ``expires_at`` (epoch seconds, also the table's TTL attribute) has passed belongs
to a run that died: the next run takes it over. Only the owner releases it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

KEY = {"PK": "LOCK#publish", "SK": "LOCK"}
# Longer than the longest possible run (a Lambda stops at 15 minutes).
DEFAULT_TTL_SECONDS = 15 * 60 + 60


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def acquire(
    table: Any, owner: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS, now: float | None = None
) -> bool:
    """Take the lock for ``owner``; False when another live owner holds it."""
    now = time.time() if now is None else now
    try:
        table.put_item(
            Item={
                **KEY,
                "owner": owner,
                "acquired_at": int(now),
                "expires_at": int(now) + ttl_seconds,
            },
            ConditionExpression="attribute_not_exists(PK) OR expires_at < :now",
            ExpressionAttributeValues={":now": int(now)},
        )
    except ClientError as exc:
        if _conditional_failed(exc):
            logger.info("publish lock held by another run")
            return False
        raise
    return True


def release(table: Any, owner: str) -> bool:
    """Give the lock back; False (and nothing changes) when ``owner`` no longer holds it."""
    try:
        table.delete_item(
            Key=KEY,
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": owner},
        )
    except ClientError as exc:
        if _conditional_failed(exc):
            logger.warning("publish lock was taken over before release")
            return False
        raise
    return True
