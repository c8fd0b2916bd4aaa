"""Whether the site must be published now, and when it must be next: the publish step's
reasons (chalicelib.publish) read from the publish state item, and the moments a built site
stops being true (its calendar, the subscribers' «closes soon» announcements)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock, manifest, timeline


def failed_alike(current: dict[str, Any], source: str) -> bool:
    """The last run failed to build these very sources with these very decisions: building
    again every minute would fail the same way (the error waits for staff: the moderation
    summary); a fixed text, a deploy or a new decision tries again."""
    error = current.get("build_error")
    if not isinstance(error, dict) or error.get("source") != source:
        return False
    return str(error.get("decisions")) == str(int(current.get("decisions", 0)))


def retention_due(current: dict[str, Any], now: datetime) -> bool:
    return current.get("retention_on") != now.astimezone(clock.ATHENS).date().isoformat()


# Why a run publishes (``reasons``): what the logs and the publish result say.
FORCED, FIRST, DECISIONS, SOURCES, CALENDAR = "forced", "first", "decisions", "sources", "calendar"


def reasons(
    current: dict[str, Any], *, force: bool, first: bool, source: str, now: datetime
) -> list[str]:
    """Why this run must publish; empty when the live site is still true."""
    decided_at, watermark = current.get("last_decision_at"), current.get("watermark")
    # Two decisions can commit out of order, so last_decision_at may step back below the
    # watermark; the decision count cannot, and catches that case.
    decisions = (decided_at is not None and (watermark or "") < decided_at) or int(
        current.get("decisions", 0)
    ) > int(current.get("published_decisions", 0))
    next_change = current.get("next_change")
    return [
        reason
        for reason, due in (
            (FORCED, force),
            (FIRST, first),
            (DECISIONS, decisions),
            (SOURCES, current.get("source") != source),
            (CALENDAR, next_change is not None and next_change <= clock.iso(now)),
        )
        if due
    ]


def next_change(built: manifest.Manifest, now: datetime) -> str | None:
    """When a page built at ``now`` stops being true, from the manifest the build wrote."""
    from chalicelib.spec import limits

    periods = [(c.opens, c.closes) for c in built.consultations.values()]
    # The subscribers' «closes soon» announcement is due then (chalicelib.notices): a run at
    # that moment writes it, though no page changes.
    soon = timedelta(days=int(limits()["mail"]["closing_soon_days"]))
    warnings = [c.closes - soon for c in built.consultations.values()]
    moments = [m for m in (timeline.next_change(periods, now), *warnings) if m and m > now]
    return clock.iso(min(moments)) if moments else None
