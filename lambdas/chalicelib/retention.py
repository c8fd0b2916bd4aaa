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
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.manifest import Manifest
from chalicelib.spec import limits
from chalicelib.store import purge, subscriptions

logger = logging.getLogger(__name__)


def email_cutoff(now: datetime) -> datetime:
    """Consultations that closed before this moment no longer keep emails."""
    return now - timedelta(days=int(limits()["retention"]["email_days_after_close"]))


def purge_personal_data(table: Any, manifest: Manifest, now: datetime) -> int:
    """Remove the email (and the idempotency record) of every submission of every consultation
    closed more than the retention period before ``now`` (timezone-aware), and of every
    consultation the site has not had for ``retention.days_after_removal`` days (removed or
    renamed: it has no closing date any more); returns how many emails were removed."""
    cutoff, stamp = email_cutoff(now), clock.iso(now)
    expired = [slug for slug, cons in manifest.consultations.items() if cons.closes < cutoff]
    gone = removed(table, manifest, now)
    purged = 0
    for slug in expired + gone:
        purged += sum(
            purge.forget_email(table, item, stamp) for item in purge.with_email(table, slug)
        )
    for slug in gone:
        for sub in subscriptions.subscribers(table, slug):
            subscriptions.end(table, slug, sub["address_hash"], now)
    purge.forget_consultations(table, gone)
    logger.info(
        "retention: %s emails removed from %s consultations closed before %s and %s removed",
        purged,
        len(expired),
        clock.iso(cutoff),
        len(gone),
    )
    return purged


def removed(table: Any, manifest: Manifest, now: datetime) -> list[str]:
    """Record the consultations the site has now, and return those it has not had for
    ``retention.days_after_removal`` days (their data goes as if they had closed long ago)."""
    days = int(limits()["retention"]["days_after_removal"])
    seen = purge.seen_consultations(table)
    stamp = clock.iso(now)
    current = {slug: stamp for slug in manifest.consultations}
    purge.record_seen(table, {**seen, **current})
    limit = clock.iso(now - timedelta(days=days))
    return sorted(slug for slug, last in seen.items() if slug not in current and last < limit)
