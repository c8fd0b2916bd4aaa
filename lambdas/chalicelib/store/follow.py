"""A participant's private link and what its holder may do to their own submission: withdraw
it, have their name removed, have their personal data erased (chalicelib.follow).

The link's token is never stored: the submission holds the sha256 of its secret part
(``link_digest``, chalicelib.tokens) and when it dies (``link_expires_at``: when the e-mail is
purged anyway, limits.json ``retention``); the purge removes the digest with the e-mail. Every
action is one audited, conditional transaction (store.decisions.audited: status and version
as read), by ``AUTHOR``; repeating an action finds nothing left to do and writes nothing, so a
double click or a replayed form changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock, tokens
from chalicelib.spec import limits
from chalicelib.store import decisions, keys, queries, submissions
from chalicelib.store.keys import Status

logger = logging.getLogger(__name__)

AUTHOR = "author"  # who, in the audit trail, for the participant's own actions
LINK_DIGEST, LINK_EXPIRES = "link_digest", "link_expires_at"
# The person: what "erase my personal data" removes (the participant hash too: it is a
# pseudonym of the e-mail). The idempotency record holds only a keyed fingerprint and expires
# in a day (limits.json guards.idempotency_seconds).
PERSONAL = ("email", "display_name", "organisation_name", "participant", "submission_key")
TEXT = ("body", "title", "location")  # what a withdrawal removes besides the person


def expires(closes: datetime) -> int:
    """When a submission's link dies: with its e-mail, after the consultation closes."""
    days = int(limits()["retention"]["email_days_after_close"])
    return int((closes + timedelta(days=days)).timestamp())


def link(digest: str, closes: datetime) -> dict[str, Any]:
    """The attributes a new submission gets for its private link."""
    return {LINK_DIGEST: digest, LINK_EXPIRES: expires(closes)}


def opened(table: Any, sub_id: str, digest: str, now: datetime) -> dict[str, Any] | None:
    """The submission a live link opens, or None (unknown, another secret, expired)."""
    item = submissions.get(table, sub_id)
    if item is None or not tokens.same(item.get(LINK_DIGEST), digest):
        return None
    return item if int(item.get(LINK_EXPIRES, 0)) > int(now.timestamp()) else None


def _audit(item: dict[str, Any], at: str, action: str, to_status: str) -> dict[str, Any]:
    return decisions.audit_base(item, at, AUTHOR, action, to_status)


def withdraw(table: Any, item: dict[str, Any], now: datetime) -> bool:
    """Withdraw ``item``: never published, or replaced on the site by a placeholder from the
    next publish; its text and the person's data are deleted. False when already withdrawn."""
    if item["status"] == Status.WITHDRAWN or item["status"] not in keys.WITHDRAWABLE:
        return False
    at, target = clock.iso(now), Status.WITHDRAWN.value
    values: dict[str, Any] = {":false": False}
    sets = ["withdrawn_at = :at", "publish_name = :false"]
    decisions.moved(item, target, at, sets, values)
    removes = [f for f in (*PERSONAL, *TEXT) if f in item]
    published = item["status"] == Status.APPROVED
    if not published and "approved_at" in item:
        removes.append("approved_at")  # hidden since: the site has no place to keep for it
    decisions.audited(
        table,
        item,
        _audit(item, at, "withdraw", target),
        at=at,
        sets=sets,
        values=values,
        removes=removes,
        count=published,
    )
    _forget_originals(table, item["id"])
    return True


def _restamped(item: dict[str, Any], at: str, sets: list[str], values: dict[str, Any]) -> bool:
    """A published item's change reaches the next publish's incremental export through its
    ``by_status`` sort key (chalicelib.snapshot_delta), as a decision's does. True when the
    site shows the item (the publish must run)."""
    if item["status"] != Status.APPROVED:
        return False
    sets.append("GSI2SK = :restamp")
    values[":restamp"] = keys.status_index(item["status"], at, item["id"])["GSI2SK"]
    return True


def anonymise(table: Any, item: dict[str, Any], now: datetime) -> bool:
    """Publish ``item`` without a name from the next publish on. False when it had none."""
    if item.get("publish_name") is not True or item["status"] == Status.WITHDRAWN:
        return False
    _same_status(table, item, now, "anonymise", ["publish_name = :false"])
    return True


def erase(table: Any, item: dict[str, Any], now: datetime) -> bool:
    """Erase the person's data from ``item`` (GDPR art. 17); the text stays, anonymous.
    False when there is nothing left to erase."""
    removes = [f for f in PERSONAL if f in item]
    if not removes:
        return False
    sets = ["publish_name = :false", "erased_at = :at"]
    _same_status(table, item, now, "erase", sets, removes)
    _forget_originals(table, item["id"])
    return True


def _same_status(
    table: Any,
    item: dict[str, Any],
    now: datetime,
    action: str,
    sets: list[str],
    removes: list[str] | None = None,
) -> None:
    """An author's change that leaves the status as it is (the publish runs if it shows)."""
    at, values = clock.iso(now), {":false": False}
    shown = _restamped(item, at, sets, values)
    audit = _audit(item, at, action, item["status"])
    decisions.audited(
        table, item, audit, at=at, sets=sets, values=values, removes=removes, count=shown
    )


def _forget_originals(table: Any, sub_id: str) -> None:
    """A redacted original may hold what the person wanted gone: removed at once, not at its
    TTL (an update: the API's role deletes nothing)."""
    for key in queries.originals(table, sub_id):
        table.update_item(
            Key={"PK": key["PK"], "SK": key["SK"]}, UpdateExpression="REMOVE original_body"
        )
