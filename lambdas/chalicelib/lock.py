"""The publish lock: one DynamoDB item (``LOCK#publish``/``LOCK``) so that two publish runs (the
schedule, the dev timer, ``make publish``) never overlap.

A lock whose ``expires_at`` (epoch seconds, also the table's TTL attribute) has passed belongs
to a run that died: the next run takes it over. Only the owner releases it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from chalicelib.db import conditionally

logger = logging.getLogger(__name__)

KEY = {"PK": "LOCK#publish", "SK": "LOCK"}
# Longer than the longest possible run (a Lambda stops at 15 minutes).
DEFAULT_TTL_SECONDS = 15 * 60 + 60


def acquire(
    table: Any, owner: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS, now: float | None = None
) -> bool:
    """Take the lock for ``owner``; False when another live owner holds it."""
    now = time.time() if now is None else now
    taken = conditionally(
        table.put_item,
        Item={**KEY, "owner": owner, "acquired_at": int(now), "expires_at": int(now) + ttl_seconds},
        ConditionExpression="attribute_not_exists(PK) OR expires_at < :now",
        ExpressionAttributeValues={":now": int(now)},
    )
    if not taken:
        logger.info("publish lock held by another run")
    return taken


def release(table: Any, owner: str) -> bool:
    """Give the lock back; False (and nothing changes) when ``owner`` no longer holds it."""
    released = conditionally(
        table.delete_item,
        Key=KEY,
        ConditionExpression="#owner = :owner",
        ExpressionAttributeNames={"#owner": "owner"},
        ExpressionAttributeValues={":owner": owner},
    )
    if not released:
        logger.warning("publish lock was taken over before release")
    return released
