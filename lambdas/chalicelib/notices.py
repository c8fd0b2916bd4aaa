"""What participants and subscribers hear after a publish (run by chalicelib.publish, under its
lock, so two runs never write the same notices).

Participants: one e-mail per address per publish, listing what happened to their submissions
since the previous notices — published, not published (with the reason), answered by the
municipality, the consultation's report published. The decisions are the ``by_status`` index
entries stamped after the publish state's ``notices_mark`` and no later than what this publish
covered; each item remembers what it was told (``notified``, ``notified_answer``), so a decision
is told once. Messages have ids derived from the window, so a rerun after a crash writes
nothing twice. The first run ever tells neither the decisions nor the reports already out.

Subscribers (chalicelib.subscriptions): the consultation opened, closes in a few days, its
report is out — once per consultation and event (``META#announce``), on every run, since the
calendar moves without a publish.

Only outbox items are written here; the sender composes and sends them (chalicelib.outbox).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import clock, letters, tokens
from chalicelib.links import Links
from chalicelib.manifest import Manifest
from chalicelib.spec import limits
from chalicelib.store import keys, outbox, queries, state, submissions
from chalicelib.store import subscriptions as subs
from chalicelib.store.keys import Status

logger = logging.getLogger(__name__)

TOLD = (Status.APPROVED, Status.REJECTED, Status.HIDDEN)
MARK_BATCH = 100  # DynamoDB's most actions in one transaction
PUBLISHED, NOT_PUBLISHED, ANSWERED, REPORT = "published", "not_published", "answered", "report"
OPENED, CLOSING = "opened", "closing"


@dataclass
class NoticeResult:
    notices: int = 0  # participant e-mails written
    events: int = 0
    announcements: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def run(table: Any, built: Manifest | None, now: datetime, covered: str | None) -> NoticeResult:
    """After a publish that covered the decisions up to ``covered`` (None: nothing new was
    published, only the calendar is looked at)."""
    result = NoticeResult()
    by_address: dict[str, list[dict[str, str]]] = defaultdict(list)
    addresses: dict[str, str] = {}
    mark = state.read(table).get("notices_mark")
    window = _window(table, mark, covered, now)
    marks: list[tuple[dict[str, Any], dict[str, Any]]] = []
    if window is not None:
        for item, told in _decisions(table, *window):
            key = item["email"].casefold()
            addresses[key] = item["email"]
            by_address[key] += [{"id": item["id"], "event": e} for e in told["events"]]
            marks.append((item, told))
    announced = subs.announcements(table) if built else {}
    if mark is None and built:
        _reports_already_out(table, built, announced, now)
    reported = _reports(table, built, announced, by_address, addresses) if built else []
    ident = _ident(window[0] if window else clock.iso(now))
    for key, events in by_address.items():
        message_id = f"notice-{ident}-{tokens.address_hash(key)[:24]}"
        item = outbox.message(
            "notice", addresses[key], {"events": events}, now, message_id=message_id
        )
        result.notices += outbox.enqueue(table, item)
        result.events += len(events)
    _mark(table, marks)
    if window is not None:
        state.record_notices(table, window[1])
    if built:
        result.announcements = _announce(table, built, now, announced, reported, set(by_address))
    if result.notices or result.announcements:
        logger.info("notices: %s", result.as_dict())
    return result


def _ident(stamp: str) -> str:
    return re.sub(r"[^0-9]", "", stamp)


def _window(
    table: Any, mark: str | None, covered: str | None, now: datetime
) -> tuple[str, str] | None:
    """(after, up to) of this run's decisions, after the ``mark`` of the previous run. The
    first run ever only sets the mark: at what this publish covered (a stage that had
    decisions before notices existed does not tell them now), or at ``now`` on a site with
    nothing decided yet (its first decisions are told)."""
    if mark is None:
        state.record_notices(table, covered or clock.iso(now))
        return None
    if covered is None:
        return None
    return (mark, covered) if mark < covered else None


def _decisions(table: Any, after: str, upto: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The items decided or answered in the window, with what to tell their authors."""
    found = []
    for status in TOLD:
        for item in queries.by_status(table, status, after=after):
            if item.get("GSI2SK", "") > keys.status_after(upto) or "email" not in item:
                continue
            told = _what(item, after)
            if told["events"]:
                found.append((item, told))
    return found


def _what(item: dict[str, Any], after: str) -> dict[str, Any]:
    """What to tell about ``item``: a decision or an answer made after ``after`` and not yet
    told (an item answered now but approved before notices existed is told of the answer)."""
    events: list[str] = []
    told: dict[str, Any] = {"events": events}
    decided = (item.get("decided_at") or "") > after
    if item["status"] == Status.APPROVED:
        if decided and item.get("notified") != PUBLISHED:
            events.append(PUBLISHED)
            told["notified"] = PUBLISHED
        answer = item.get("answer")
        answered = answer.get("answered_at", "") if isinstance(answer, dict) else ""
        if answered > max(after, item.get("notified_answer", "")):
            events.append(ANSWERED)
            told["notified_answer"] = answered
    elif decided and item.get("notified") != NOT_PUBLISHED:
        events.append(NOT_PUBLISHED)
        told["notified"] = NOT_PUBLISHED
    return told


def _mark(table: Any, marks: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Remember what each author was told (not a staff change: no version, no audit): one
    transaction per ``MARK_BATCH`` items rather than a request each; a batch refused (one of
    its items written meanwhile, by a decision) is written again item by item."""
    updates = []
    for item, told in marks:
        names = [n for n in ("notified", "notified_answer") if n in told]
        updates.append(
            {
                "Key": keys.submission(item["id"]),
                "UpdateExpression": "SET " + ", ".join(f"{n} = :{n}" for n in names),
                "ExpressionAttributeValues": {f":{n}": told[n] for n in names},
            }
        )
    for start in range(0, len(updates), MARK_BATCH):
        batch = updates[start : start + MARK_BATCH]
        if len(batch) > 1:
            actions = [{"Update": {"TableName": table.name, **update}} for update in batch]
            try:
                table.meta.client.transact_write_items(TransactItems=actions)
                continue
            except ClientError as exc:
                logger.info("notices: marks one by one (%s)", exc.response["Error"]["Code"])
        for update in batch:
            table.update_item(**update)


def _reports_already_out(
    table: Any, built: Manifest, announced: dict[str, dict[str, Any]], now: datetime
) -> None:
    """The first run ever: the reports the site already shows were published before notices
    existed (a migrated site's past consultations) and are not news, as its decisions are not:
    marked told, no one is e-mailed. At ten times the bench's site that was 100,000 e-mails,
    six minutes of the first publish."""
    for slug, cons in built.consultations.items():
        if cons.report_date and cons.results_url and REPORT not in announced.get(slug, {}):
            subs.mark_announced(table, slug, REPORT, now)
            announced.setdefault(slug, {})[REPORT] = clock.iso(now)


def _reports(
    table: Any,
    built: Manifest,
    announced: dict[str, dict[str, Any]],
    by_address: dict[str, list[dict[str, str]]],
    addresses: dict[str, str],
) -> list[str]:
    """Add a ``report`` event for every participant of a consultation whose report this
    publish made public; returns those consultations."""
    reported = []
    for slug, cons in built.consultations.items():
        if not cons.report_date or not cons.results_url:
            continue
        if REPORT in announced.get(slug, {}):
            continue
        reported.append(slug)
        for item in queries.with_email(table, slug):
            if item.get("status") == Status.WITHDRAWN:
                continue
            key = item["email"].casefold()
            # the URL goes with the event: the sender's manifest may be older than this one
            event = {"event": REPORT, "consultation": slug, "title": cons.title}
            event["url"] = cons.results_url
            if event not in by_address[key]:
                addresses[key] = item["email"]
                by_address[key].append(event)
    return reported


def _announce(
    table: Any,
    built: Manifest,
    now: datetime,
    announced: dict[str, dict[str, Any]],
    reported: list[str],
    told: set[str],
) -> int:
    """Subscribers' announcements due now (``announced``: what each consultation's were told
    before this run); a subscriber already told of a report by a participant's notice of this
    run is not told twice."""
    soon = timedelta(days=int(limits()["mail"]["closing_soon_days"]))
    written = 0
    for slug, cons in built.consultations.items():
        done = announced.get(slug, {})
        due = []
        if cons.opens <= now < cons.closes and OPENED not in done:
            due.append(OPENED)
        if cons.closes - soon <= now < cons.closes and CLOSING not in done:
            due.append(CLOSING)
        if slug in reported:
            due.append(REPORT)
        for event in due:
            for sub in subs.subscribers(table, slug):
                if event == REPORT and sub["address"].casefold() in told:
                    continue
                message_id = f"announce-{slug}-{event}-{sub['address_hash'][:24]}"
                item = outbox.message(
                    "announce",
                    sub["address"],
                    {"slug": slug, "event": event, "results_url": cons.results_url},
                    now,
                    message_id=message_id,
                )
                written += outbox.enqueue(table, item)
            subs.mark_announced(table, slug, event, now)
    return written


def describe(table: Any, links: Links, events: list[dict[str, str]]) -> list[dict[str, Any]]:
    """A notice's events as its letter shows them (chalicelib.letters ``notice``), from the
    items as they are now: an event of an item withdrawn or erased since is left out."""
    spec = limits()
    shown = []
    for event in events:
        if event["event"] == REPORT:
            url = links.site(event["url"])
            shown.append({**_blank(REPORT), "consultation_title": event["title"], "url": url})
            continue
        item = submissions.get(table, event["id"])
        if item is None or "email" not in item or item["status"] == Status.WITHDRAWN:
            continue
        cons = links.consultation(item["consultation"])
        answer = item.get("answer") if isinstance(item.get("answer"), dict) else {}
        reason = item.get("decision_reason")
        shown.append(
            {
                **_blank(event["event"]),
                "reference": item["reference"],
                "kind": item["kind"],
                "redacted": bool(item.get("redacted")),
                "consultation_title": cons.title if cons else item["consultation"],
                "url": links.submission(item) if item["status"] == Status.APPROVED else None,
                "reason_label": spec["moderation_reasons"].get(reason) if reason else None,
                "disposition_label": spec["dispositions"]["labels"].get(
                    answer.get("disposition", "")
                )
                if answer
                else None,
                "answer_text": answer.get("text") if answer else None,
            }
        )
    return shown


def _blank(event: str) -> dict[str, Any]:
    return {"event": event, **dict.fromkeys(letters.EVENT_KEYS)}
