"""«Ενημερώστε με» without an account: ``POST /v1/subscriptions`` asks for news of one
consultation, the e-mailed link confirms it (double opt-in), and any announcement's link ends
it in one click, as does ``/v1/unsubscribe/{token}`` for every e-mail (RFC 8058).

The request is guarded like a submission (honeypot, origin, the network's rate limit, in the
same transaction as the pending subscription, its link and its confirmation e-mail), and its
answer is the same whether or not the address is already subscribed: the form tells nobody
who follows what. Confirmation and unsubscription are a page with a button for a browser's GET
(link scanners follow links; they do not press buttons) and act on POST, idempotently.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from chalice import Response
from chalice.app import Request

from chalicelib import (
    clock,
    db,
    guards,
    http,
    intake,
    logs,
    manifest,
    pages,
    tokens,
    validation,
)
from chalicelib.errors import ApiError
from chalicelib.links import Links
from chalicelib.spec import limits
from chalicelib.store import outbox
from chalicelib.store import subscriptions as store
from chalicelib.store.submissions import CHECK_FAILED, cancellation_codes

logger = logging.getLogger(__name__)

FIELDS = frozenset({"consultation", "email", "consent", "website", "return_to"})
NOTICE = "enimerosi"  # the site's notice: #enimerosi-ok, #enimerosi-<code>


def subscribe(request: Request) -> Response:
    """Ask for a consultation's news; the confirmation e-mail goes through the outbox."""
    redirect = http.from_plain_form(request.headers)
    cors = http.cors_headers(request.headers)
    return_to = "/"
    try:
        raw = http.read_body(request)
        if not isinstance(raw, dict):
            raise ApiError("invalid_type")
        unknown = [name for name in raw if name not in FIELDS]
        if unknown:
            raise ApiError("unknown_field", fields={n[:64]: "Άγνωστο πεδίο." for n in unknown[:20]})
        current = intake.current_manifest()
        slug = str(raw.get("consultation", "")).strip()
        cons = current.consultation(slug)
        return_to = http.safe_return_to(raw.get("return_to"), cons.url if cons else "/")
        refused = guards.run_chain(guards.Visit(raw, request.headers))
        if refused == "honeypot":
            logs.metric("honeypot", kind="subscription")
            return _answer(redirect, return_to, cors)
        if refused:
            raise ApiError(refused)
        cons = validation.find_consultation(current, slug)
        email = _email(raw)
        now = clock.now()
        ip_hash = guards.prefix_hash(guards.client_ip(request.context, request.headers))
        with db.database_errors():
            _write(db.table(), cons, email, ip_hash, now)
    except ApiError as error:
        logs.metric("subscription_refused", code=error.code)
        if redirect and error.code != "forbidden_origin":
            return http.redirect(return_to, NOTICE, error.code, extra=error.headers)
        return http.error_json(error, cors)
    return _answer(redirect, return_to, cors)


def _answer(redirect: bool, return_to: str, cors: dict[str, str]) -> Response:
    if redirect:
        return http.redirect(return_to, NOTICE, "ok")
    return http.accepted_json({"status": "pending"}, cors)


def _email(raw: dict[str, Any]) -> str:
    """The address, checked as a submission's is (validation), and the consent; 422 else."""
    errors: dict[str, str] = {}
    value = raw.get("email")
    email, problem = validation.normalise("email", value) if isinstance(value, str) else ("", None)
    if not problem and not email:
        problem = validation.required_message("comment", "email")
    problem = problem or validation.length_problem("comment", "email", email)
    problem = problem or validation.email_problem(email)
    if problem:
        errors["email"] = problem
    consent = raw.get("consent")
    if not isinstance(consent, str | bool) or validation.boolean(consent) is not True:
        errors["consent"] = "Χρειάζεται να συμφωνήσετε για να λαμβάνετε ενημερώσεις."
    if errors:
        raise ApiError("validation", fields=errors)
    return email


def _write(
    table: Any, cons: manifest.Consultation, email: str, ip_hash: str, now: datetime
) -> None:
    hashed = tokens.address_hash(email)
    existing = store.get(table, cons.slug, hashed)
    if not store.should_send_confirmation(existing, now):
        return  # confirmed already, or asked less than a day ago: the same answer, no e-mail
    token, digest = tokens.new_link(f"{cons.slug}.{hashed}")
    item = store.pending_item(cons.slug, hashed, email, digest, now)
    message = outbox.message("confirm", email, {"slug": cons.slug, "token": token}, now)
    rate = guards.rate_update(ip_hash, int(now.timestamp()))
    actions = [
        rate.update,
        store.put_pending_action(table.name, item, existing),
        outbox.put_action(table.name, message),
    ]
    try:
        table.meta.client.transact_write_items(TransactItems=actions)
    except ClientError as exc:
        reasons = cancellation_codes(exc) or []
        if reasons and reasons[0] == CHECK_FAILED:
            raise ApiError("rate_limited", headers={"Retry-After": str(rate.retry_after)}) from exc
        if CHECK_FAILED in reasons or "TransactionConflict" in reasons:
            return  # a concurrent request for the same address did it
        raise


# --- confirming and ending (pages with a button, acting on POST) ------------------------------
def refusing(view: Callable[[str, Request], Response]) -> Callable[[str, Request], Response]:
    """A page's refusal (the database unreachable: 503 with Retry-After) as a page too."""

    @functools.wraps(view)
    def answer(token: str, request: Request) -> Response:
        try:
            return view(token, request)
        except ApiError as error:
            response = _message(request, Links.current(), error.status, error.message, [], "error")
            response.headers.update(error.headers)
            return response

    return answer


@refusing
def confirm(token: str, request: Request) -> Response:
    now = clock.now()
    links = Links.current()
    found = _subscription_of(token, now)
    if found is None:
        return _message(request, links, 404, "Ο σύνδεσμος δεν ισχύει", [GONE], "error")
    slug, hashed = found
    cons = links.consultation(slug)
    title = cons.title if cons else slug
    if request.method == "GET":
        return _button(
            request,
            links,
            token,
            "Επιβεβαίωση εγγραφής",
            [f"Θέλετε να λαμβάνετε ενημερώσεις για τη διαβούλευση «{title}»;"],
            "Ναι, θέλω να λαμβάνω ενημερώσεις",
        )
    if not http.same_site(request.headers):
        return _message(
            request,
            links,
            403,
            "Η ενέργεια δεν επιτράπηκε",
            [ApiError("forbidden_origin").message],
            "error",
        )
    days = int(limits()["retention"]["email_days_after_close"])
    ends = (cons.closes if cons else now) + timedelta(days=days)
    with db.database_errors():
        ok = store.confirm(db.table(), slug, hashed, ends, now)
    if not ok:
        return _message(request, links, 404, "Ο σύνδεσμος δεν ισχύει", [GONE], "error")
    return _message(
        request,
        links,
        200,
        "Η εγγραφή σας επιβεβαιώθηκε",
        [
            f"Θα λαμβάνετε ενημερώσεις για τη διαβούλευση «{title}»: όταν ανοίξει, "
            f"{limits()['mail']['closing_soon_days']} ημέρες πριν κλείσει και όταν δημοσιευτούν "
            "τα αποτελέσματά της. Κάθε μήνυμα έχει σύνδεσμο για διαγραφή με ένα κλικ."
        ],
        "success",
        [{"href": links.site(cons.url), "label": title}] if cons else None,
    )


@refusing
def unsubscribe(token: str, request: Request) -> Response:
    """RFC 8058 one-click (a POST with ``List-Unsubscribe=One-Click``), or the page's button."""
    now = clock.now()
    links = Links.current()
    found = tokens.read_unsubscribe(token)
    if found is None:
        return _message(request, links, 404, "Ο σύνδεσμος δεν ισχύει", [GONE], "error")
    scope, hashed = found
    cons = links.consultation(scope) if scope != tokens.ALL else None
    what = (
        f"για τη διαβούλευση «{cons.title if cons else scope}»"
        if scope != tokens.ALL
        else "από την πλατφόρμα"
    )
    if request.method == "GET":
        return _button(
            request,
            links,
            token,
            "Διακοπή μηνυμάτων",
            [f"Να σταματήσουν τα μηνύματα {what};"],
            "Ναι, να σταματήσουν",
        )
    with db.database_errors():
        table = db.table()
        if scope == tokens.ALL:
            if not outbox.is_suppressed(table, hashed):
                outbox.suppress(table, hashed, now, "unsubscribe")
        else:
            store.end(table, scope, hashed, now)
    logs.metric("unsubscribed", scope="all" if scope == tokens.ALL else "consultation")
    return _message(
        request,
        links,
        200,
        "Δεν θα λάβετε άλλα μηνύματα",
        [f"Σταματήσαμε τα μηνύματα {what}."],
        "success",
    )


GONE = "Ο σύνδεσμος μπορεί να έληξε, να χρησιμοποιήθηκε ήδη για διαγραφή ή να αντιγράφηκε λάθος."


def _subscription_of(token: str, now: datetime) -> tuple[str, str] | None:
    """(slug, address hash) of the pending or confirmed subscription a live link opens."""
    link = tokens.read_link(token)
    if link is None:
        return None
    ref, digest = link
    slug, _, hashed = ref.partition(".")
    with db.database_errors():
        item = store.get(db.table(), slug, hashed)
    if item is None or not tokens.same(item.get(store.LINK_DIGEST), digest):
        return None
    if int(item.get("expires_at", 0)) <= int(now.timestamp()):
        return None
    return slug, hashed


def _message(
    request: Request,
    links: Links,
    status: int,
    title: str,
    paragraphs: list[str],
    tone: str,
    more: list[dict[str, str]] | None = None,
) -> Response:
    """A page for a browser, the status and title for a script."""
    if not http.wants_html(request.headers):
        return http.json_answer({"status": status, "title": title}, status)
    return http.page(pages.message(links, title, paragraphs, tone, more), status)


def _button(
    request: Request, links: Links, token: str, title: str, paragraphs: list[str], button: str
) -> Response:
    """GET of a link that acts: a page whose one button posts back to the same address (the
    token as a relative reference, whatever prefix the API is served under)."""
    if not http.wants_html(request.headers):
        return http.json_answer({"status": 200, "title": title, "method": "POST"})
    body = pages.render(
        "confirm",
        {
            **links.frame(),
            "title": title,
            "paragraphs": paragraphs,
            "action_url": token,
            "button": button,
            "hidden": {},
        },
    )
    return http.page(body)
