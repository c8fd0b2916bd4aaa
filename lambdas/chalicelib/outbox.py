"""The sender: turns due outbox messages (store.outbox) into e-mail, on its own schedule (every
minute in production: ``send_mail`` in app.py; the dev stack's mail timer locally).

A message holds what it is about, not its words: it is composed when it is sent, from the
submission, subscription or consultation as they are then (a comment withdrawn or erased in
the meantime gets nothing; the words come from chalicelib.letters). Before a message goes out:
the address must not be on the do-not-send list, and a receipt, which goes to an address nobody
has confirmed, must be within the day's limits for its address and its network (limits.json
``mail``). A message that cannot be sent now is retried with backoff; one that never can is
dropped or failed, with its recipient erased either way (store.outbox).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clock, letters, tokens
from chalicelib.links import Links
from chalicelib.mail import Mailer, MailError, MailRejected, Message
from chalicelib.spec import limits
from chalicelib.store import outbox as store
from chalicelib.store import submissions, subscriptions
from chalicelib.store.keys import MailStatus, Status

logger = logging.getLogger(__name__)

BUDGET_SECONDS = 45.0  # one run of the minute schedule stops in time for the next


class Skip(Exception):
    """This message is not to be sent (``why``: suppressed, limit, gone)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass
class SendResult:
    sent: int = 0
    dropped: int = 0
    failed: int = 0
    retried: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def send_due(
    table: Any = None,
    mailer: Mailer | None = None,
    now: datetime | None = None,
    budget: float = BUDGET_SECONDS,
) -> SendResult:
    """Send what is due, batch after batch, until nothing is or the time budget is spent."""
    from chalicelib import db, mail

    table = table if table is not None else db.table()
    mailer = mailer or mail.get()
    started, result = time.monotonic(), SendResult()
    batch = int(limits()["mail"]["send_batch"])
    while time.monotonic() - started < budget:
        moment = now or clock.now()
        items = store.due(table, moment, batch)
        if not items:
            break
        links = Links.current()
        for item in items:
            _one(table, mailer, links, item, moment, result)
        if len(items) < batch:
            break
    result.seconds = round(time.monotonic() - started, 3)
    if result.sent or result.dropped or result.failed or result.retried:
        logger.info("outbox: %s", result.as_dict())
    return result


def _one(
    table: Any, mailer: Mailer, links: Links, item: dict[str, Any], now: datetime, out: SendResult
) -> None:
    if item["status"] == MailStatus.SENDING:  # a sender died after claiming it
        logger.error(
            "outbox: %s was claimed at %s and never marked", item["id"], item.get("claimed_at")
        )
        out.failed += store.fail(table, item, now, "interrupted")
        return
    claimed = store.claim(table, item, now)
    if claimed is None:
        return
    try:
        message = compose(table, links, claimed, now)
    except Skip as skip:
        out.dropped += store.drop(table, claimed, now, skip.why)
        return
    except (ClientError, BotoCoreError):
        raise  # the database: the claim's lease runs out, the run stops
    except Exception:  # a bug or bad data in one message never stops the others
        logger.exception("outbox: %s cannot be composed; dropped", claimed["id"])
        out.dropped += store.drop(table, claimed, now, "invalid")
        return
    try:
        backend_id = mailer.send(message)
    except ValueError:  # a header the mailer refuses (mail.build_mime): never sendable
        logger.exception("outbox: %s has an unsendable header; dropped", claimed["id"])
        out.dropped += store.drop(table, claimed, now, "invalid")
        return
    except MailRejected as exc:
        logger.warning("outbox: %s refused for good: %s", claimed["id"], exc)
        out.dropped += store.drop(table, claimed, now, "rejected")
        return
    except MailError as exc:
        logger.warning("outbox: %s not sent, will retry: %s", claimed["id"], exc)
        status = store.retry(table, claimed, now, str(exc)[:200])
        out.retried += status == MailStatus.DUE
        out.failed += status == MailStatus.FAILED
        return
    store.sent(table, claimed, now, backend_id)
    out.sent += 1
    logger.info("outbox: %s (%s) sent as %s", claimed["id"], claimed["kind"], backend_id)


def compose(table: Any, links: Links, item: dict[str, Any], now: datetime) -> Message:
    """The e-mail of an outbox message, or ``Skip``."""
    to = item["recipient"]
    if store.is_suppressed(table, tokens.address_hash(to)):
        raise Skip("suppressed")
    build = COMPOSERS.get(item["kind"])
    if build is None:
        raise Skip("unknown kind")
    data, unsubscribe = build(table, links, item, now)
    letter = letters.render(item["kind"], {"site_name": links.site_name, **data})
    headers: tuple[tuple[str, str], ...] = ()
    if unsubscribe:
        headers = (
            ("List-Unsubscribe", f"<{unsubscribe}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        )
    return Message(to, letter.subject, letter.text, letter.html, headers, item["id"])


Composer = Callable[[Any, Links, dict[str, Any], datetime], tuple[dict[str, Any], str | None]]


def _within_limits(table: Any, item: dict[str, Any], now: datetime) -> None:
    rules = limits()["mail"]
    day = now.astimezone(clock.ATHENS).date().isoformat()
    scopes = [
        ("a:" + tokens.address_hash(item["recipient"]), rules["receipts_per_address_per_day"])
    ]
    if item.get("net"):
        scopes.append(("n:" + item["net"], rules["receipts_per_network_per_day"]))
    for scope, maximum in scopes:
        if not store.count(table, scope, day, int(maximum), now):
            raise Skip("limit")


def _receipt(
    table: Any, links: Links, item: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], str | None]:
    sub = submissions.get(table, item["params"]["id"])
    if sub is None or "email" not in sub or sub["status"] == Status.WITHDRAWN:
        raise Skip("gone")
    _within_limits(table, item, now)
    cons = links.consultation(sub["consultation"])
    data = {
        "site_url": links.site_url,
        "reference": sub["reference"],
        "kind": sub["kind"],
        "consultation_title": cons.title if cons else sub["consultation"],
        "consultation_url": links.site(cons.url) if cons else links.site_url,
        "target_title": _target_title(table, links, sub),
        "paragraph": sub.get("paragraph"),
        "title": sub.get("title"),
        "body": sub.get("body", ""),
        "created_at": sub["created_at"],
        "closes_at": clock.iso(cons.closes) if cons else None,
        "follow_url": links.follow(item["params"]["token"]),
    }
    return data, links.unsubscribe(item["recipient"])


def _target_title(table: Any, links: Links, sub: dict[str, Any]) -> str | None:
    if sub.get("proposal"):
        return submissions.titles(table, {sub["proposal"]}).get(sub["proposal"])
    return links.target_title(sub)


def _notice(
    table: Any, links: Links, item: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], str | None]:
    from chalicelib import notices  # the publish's side: not on the sender's usual path

    events = notices.describe(table, links, item["params"]["events"])
    if not events:
        raise Skip("gone")
    return {
        "site_url": links.site_url,
        "events": events,
        "unsubscribe_url": links.unsubscribe(item["recipient"]),
    }, links.unsubscribe(item["recipient"])


def _confirm(
    table: Any, links: Links, item: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], str | None]:
    params = item["params"]
    cons = links.consultation(params["slug"])
    if cons is None:
        raise Skip("gone")
    data = {
        "consultation_title": cons.title,
        "consultation_url": links.site(cons.url),
        "confirm_url": links.confirm(params["token"]),
        "expires_days": int(limits()["mail"]["subscription_confirm_days"]),
    }
    return data, None


def _announce(
    table: Any, links: Links, item: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], str | None]:
    params = item["params"]
    cons = links.consultation(params["slug"])
    if cons is None or not subscriptions.is_confirmed(
        table, params["slug"], tokens.address_hash(item["recipient"])
    ):
        raise Skip("gone")
    unsubscribe = links.unsubscribe(item["recipient"], params["slug"])
    results = params.get("results_url") or cons.results_url  # the publish knew it first
    data = {
        "event": params["event"],
        "consultation_title": cons.title,
        "consultation_url": links.site(cons.url),
        "closes_at": clock.iso(cons.closes),
        "results_url": links.site(results) if results else None,
        "unsubscribe_url": unsubscribe,
    }
    return data, unsubscribe


def _digest(
    table: Any, links: Links, item: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], str | None]:
    return dict(item["params"]), None


def _support_confirm(
    table: Any, links: Links, item: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], str | None]:
    """A support's confirmation link (chalicelib.supports): to an address nobody confirmed,
    so within the receipts' limits; nothing if the item is no longer published."""
    params = item["params"]
    sub = submissions.get(table, params["item"])
    if sub is None or sub.get("status") != Status.APPROVED:
        raise Skip("gone")
    cons = links.consultation(sub["consultation"])
    if cons is None:
        raise Skip("gone")
    _within_limits(table, item, now)
    data = {
        "consultation_title": cons.title,
        "item_kind": sub["kind"],
        "reference": sub.get("reference"),
        "item_title": sub.get("title") if sub["kind"] == "proposal" else None,
        "excerpt": letters.excerpt(sub.get("body")),
        "item_url": links.submission(sub),
        "confirm_url": links.support_confirm(params["token"]),
        "expires_days": int(limits()["mail"]["subscription_confirm_days"]),
    }
    return data, None


COMPOSERS: dict[str, Composer] = {
    "receipt": _receipt,
    "notice": _notice,
    "confirm": _confirm,
    "announce": _announce,
    "digest": _digest,
    "support_confirm": _support_confirm,
}
