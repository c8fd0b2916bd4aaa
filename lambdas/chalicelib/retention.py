"""Keeping the privacy notice's retention promise (content/pages/prosopika-dedomena.md): a
submission's email is deleted at the latest limits.json ``retention.email_days_after_close``
days after its consultation closes.

Run by the scheduled publish, so it needs no Lambda or role of its own. It reads each expired
consultation's submissions through the ``by_consultation`` index (never a Scan) and removes the
email with a conditional update, so a rerun, or two overlapping runs, change nothing more. The
rest of the item stays as it was: ``version`` is not bumped, because staff never see the email
and a pending decision must not fail over it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from chalicelib.db import conditionally
from chalicelib.manifest import Manifest
from chalicelib.spec import limits
from chalicelib.store import now_iso

logger = logging.getLogger(__name__)

INDEX = "by_consultation"


def email_cutoff(now: datetime) -> datetime:
    """Consultations that closed before this moment no longer keep emails."""
    return now - timedelta(days=int(limits()["retention"]["email_days_after_close"]))


def purge_personal_data(table: Any, manifest: Manifest, now: datetime) -> int:
    """Remove the email of every submission of every consultation closed more than the
    retention period before ``now`` (timezone-aware); returns how many were removed."""
    cutoff, stamp = email_cutoff(now), now_iso(now)
    expired = [slug for slug, cons in manifest.consultations.items() if cons.closes < cutoff]
    purged = sum(
        _remove_email(table, key, stamp) for slug in expired for key in _with_email(table, slug)
    )
    logger.info(
        "retention: %s emails removed from %s consultations closed before %s",
        purged,
        len(expired),
        now_iso(cutoff),
    )
    return purged


def _with_email(table: Any, slug: str) -> Iterator[dict[str, str]]:
    """Keys of the consultation's submissions that still hold an email, page by page."""
    kwargs: dict[str, Any] = {
        "IndexName": INDEX,
        "KeyConditionExpression": "GSI3PK = :c",
        "FilterExpression": "attribute_exists(#e)",
        "ProjectionExpression": "PK, SK",
        "ExpressionAttributeNames": {"#e": "email"},
        "ExpressionAttributeValues": {":c": f"CONS#{slug}"},
    }
    while True:
        page = table.query(**kwargs)
        yield from ({"PK": item["PK"], "SK": item["SK"]} for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _remove_email(table: Any, key: dict[str, str], stamp: str) -> bool:
    """True when this call removed the email; False when it was already gone (the index is
    eventually consistent, and another run may have been first)."""
    return conditionally(
        table.update_item,
        Key=key,
        UpdateExpression="REMOVE #e SET email_purged_at = :at",
        ConditionExpression="attribute_exists(#e)",
        ExpressionAttributeNames={"#e": "email"},
        ExpressionAttributeValues={":at": stamp},
    )
