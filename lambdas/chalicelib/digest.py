"""The staff's daily digest (``staff_digest`` in app.py): what waits for moderation, per
consultation, the oldest item, the items waiting longer than limits.json
``mail.digest_wait_hours``, the items the last publish had to leave out and the e-mails that
could not be sent. One message per address of ``STAFF_DIGEST_TO``, through the outbox, at most
one per address per Athens day. It names items by reference, never by their authors.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock, tokens
from chalicelib.links import Links
from chalicelib.spec import limits
from chalicelib.store import outbox, queries, state
from chalicelib.store.keys import Status

logger = logging.getLogger(__name__)


def recipients() -> list[str]:
    return [a.strip() for a in os.environ.get("STAFF_DIGEST_TO", "").split(",") if a.strip()]


def data(table: Any, links: Links, now: datetime) -> dict[str, Any]:
    """The digest's content (chalicelib.letters ``digest``)."""
    hours = int(limits()["mail"]["digest_wait_hours"])
    overdue_before = clock.iso(now - timedelta(hours=hours))
    pending = queries.by_status(table, Status.PENDING.value)
    per: dict[str, dict[str, Any]] = {}
    for item in pending:
        slug = item["consultation"]
        cons = links.consultation(slug)
        row = per.setdefault(
            slug,
            {"title": cons.title if cons else slug, "pending": 0, "oldest_at": None, "overdue": 0},
        )
        row["pending"] += 1
        row["oldest_at"] = min(filter(None, (row["oldest_at"], item["created_at"])))
        row["overdue"] += item["created_at"] < overdue_before
    oldest = min(pending, key=lambda i: i["created_at"], default=None)
    current = state.read(table)
    moderation = links.manifest.moderation_url if links.manifest else ""
    return {
        "site_url": links.site_url,
        "moderation_url": links.site(moderation) if moderation else links.site_url + "/",
        "generated_at": clock.iso(now),
        "wait_hours": hours,
        "consultations": sorted(per.values(), key=lambda r: (-r["pending"], r["title"])),
        "oldest": {
            "reference": oldest["reference"],
            "consultation_title": per[oldest["consultation"]]["title"],
            "created_at": oldest["created_at"],
        }
        if oldest
        else None,
        "overdue_total": sum(r["overdue"] for r in per.values()),
        "left_out": [{"id": a["id"], "why": a["problem"]} for a in current.get("attention", [])],
        "failed_mail": outbox.failed_since(table, clock.iso(now - timedelta(days=1))),
    }


def enqueue(table: Any = None, now: datetime | None = None) -> int:
    """Write today's digest for every staff address (idempotent per day); returns how many
    were written."""
    from chalicelib import db

    table = table if table is not None else db.table()
    now = now or clock.now()
    addresses = recipients()
    if not addresses:
        logger.warning("digest: STAFF_DIGEST_TO is empty, nobody to tell")
        return 0
    content = data(table, Links.current(), now)
    day = now.astimezone(clock.ATHENS).strftime("%Y%m%d")
    written = 0
    for address in addresses:
        message_id = f"digest-{day}-{tokens.address_hash(address)[:24]}"
        written += outbox.enqueue(
            table, outbox.message("digest", address, content, now, message_id=message_id)
        )
    logger.info("digest: %s written for %s addresses", written, len(addresses))
    return written
