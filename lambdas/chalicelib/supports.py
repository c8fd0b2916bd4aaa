"""«Υποστηρίζω» instead of copies: anyone may support a published comment or proposal with an
e-mail address and their consent, no account; the support counts once the e-mailed link's
button is pressed, once per address and item, and the count appears with the next publish.

- ``GET /v1/supports/new?item=<id>&return_to=<site path>``: the form (support_pages), for the
  site's «Υποστηρίζω» link; 404 when the item is not published, 409 when its consultation is
  not open.
- ``POST /v1/supports`` (form or JSON: ``item``, ``email``, ``consent``, ``return_to``,
  ``website``): guarded like a submission (honeypot, origin, the network's rate limit in the
  same transaction as the pending support and its e-mail). 202 ``{"status": "pending"}``, or
  303 to «check your e-mail» (``/v1/supports/sent``); the same answer, and nothing written or
  sent, when the address already supports the item (pending or confirmed): the form tells
  nobody who supports what, and cannot be used to bomb an inbox.
- ``GET``/``POST /v1/supports/confirm/{token}``: a page with one button (mail scanners follow
  links, they do not press buttons); the POST counts (store.supports ``confirm``). A reused link
  says it was counted already; an unknown, altered or expired one is a 404 page.

Only the address's keyed hash is stored (store.supports); the address itself is in the outbox
message until it is sent. Every request leaves one log line (chalicelib.logs) and nothing
personal: no address, no token, no network.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib import (
    clock,
    db,
    guards,
    http,
    intake,
    logs,
    support_pages,
    tokens,
    validation,
)
from chalicelib.errors import ApiError
from chalicelib.links import Links
from chalicelib.manifest import Consultation
from chalicelib.spec import limits
from chalicelib.store import outbox, submissions
from chalicelib.store import supports as store
from chalicelib.store.keys import Status

FIELDS = frozenset({"item", "email", "consent", "return_to", "website"})
ITEM_ID = re.compile(r"[a-z0-9]{8,40}")  # a submission's id (snapshot.schema.json $defs/id)
SUPPORTED = frozenset({"comment", "proposal"})
NOT_PUBLISHED = "Δεν υπάρχει δημοσιευμένο σχόλιο ή πρόταση με αυτό το αναγνωριστικό."
GONE = "Ο σύνδεσμος δεν ισχύει: μπορεί να έληξε ή να αντιγράφηκε λάθος."
WITHDRAWN = (
    "Το σχόλιο ή η πρόταση δεν είναι πλέον δημοσιευμένο, οπότε η υποστήριξή σας δεν καταμετρήθηκε."
)


@dataclass
class _Post:
    request: Request
    for_people: bool  # a plain HTML form post: answered with pages
    cors: dict[str, str]
    raw: Any = None
    return_to: str = ""
    found: tuple[dict[str, Any], Consultation] | None = None
    started: float = field(default_factory=time.perf_counter)


# --- the form ---------------------------------------------------------------------------------
def new(request: Request) -> Response:
    """``GET /v1/supports/new``: the form, aimed at one published item."""
    query: dict[str, str] = dict(request.query_params or {})
    try:
        sub, cons = _published(str(query.get("item", "")))
        validation.check_open(cons, clock.now())
    except ApiError as error:
        return support_pages.refused(request.headers, Links.current(), error)
    links = Links.current()
    shown = {
        "item": sub["id"],
        "return_to": http.safe_return_to(query.get("return_to"), cons.url),
        "typed": {},
        "errors": {},
        "problem": None,
        "action": "../supports",
    }
    return support_pages.form(links, sub, cons, _what(links, sub, cons), shown)


def sent(request: Request) -> Response:
    """``GET /v1/supports/sent?back=<site path>``: «check your e-mail»."""
    query: dict[str, str] = dict(request.query_params or {})
    back = http.safe_return_to(query.get("back"), "/")
    return support_pages.sent(Links.current(), back)


# --- the request ------------------------------------------------------------------------------
def submit(request: Request) -> Response:
    """``POST /v1/supports``; always one log line."""
    headers = request.headers
    post = _Post(request, http.from_plain_form(headers), http.cors_headers(headers))
    try:
        code = _accept(post)
        response = _accepted(post)
    except ApiError as error:
        code, response = error.code, _refused(post, error)
    except Exception:
        logs.answered(request, post.started, 500, "bug")
        raise
    logs.answered(request, post.started, response.status_code, code)
    return response


def _accept(post: _Post) -> str:
    raw = post.raw = http.read_body(post.request)
    _check_shape(raw)
    post.return_to = http.safe_return_to(raw.get("return_to"), "")
    refused = guards.run_chain(guards.Visit(raw, post.request.headers))
    if refused == "honeypot":
        logs.metric("honeypot", kind="support")
        return "honeypot"
    if refused:
        raise ApiError(refused)
    item_id, email = _fields(raw)
    sub, cons = post.found = _published(item_id)
    post.return_to = post.return_to or cons.url
    now = clock.now()
    validation.check_open(cons, now)
    ip_hash = guards.prefix_hash(guards.client_ip(post.request.context, post.request.headers))
    with db.database_errors():
        _write(db.table(), sub, email, ip_hash, now)
    return "ok"


def _check_shape(raw: Any) -> None:
    """An object of strings (the checkbox may be a JSON boolean) with allowed names only."""
    if not isinstance(raw, dict):
        raise ApiError("invalid_type", fields={"": "Αναμενόταν αντικείμενο JSON με πεδία."})
    unknown = [name for name in raw if name not in FIELDS]
    if unknown:
        raise ApiError("unknown_field", fields={n[:64]: "Άγνωστο πεδίο." for n in unknown[:20]})
    wrong = {
        name: "Αναμενόταν κείμενο."
        for name, value in raw.items()
        if not (isinstance(value, str) or (name == "consent" and isinstance(value, bool)))
    }
    if wrong:
        raise ApiError("invalid_type", fields=wrong)


def _fields(raw: dict[str, Any]) -> tuple[str, str]:
    """The item's id and the address, cleaned and checked as a submission's are; 422 else."""
    errors: dict[str, str] = {}
    item, problem = validation.normalise("item", str(raw.get("item", "")))
    if problem or not item:
        errors["item"] = problem or "Λείπει το σχόλιο ή η πρόταση που υποστηρίζετε."
    email, problem = validation.normalise("email", str(raw.get("email", "")))
    if not problem and not email:
        problem = validation.required_message("comment", "email")
    problem = problem or validation.length_problem("comment", "email", email)
    problem = problem or validation.email_problem(email)
    if problem:
        errors["email"] = problem
    consent = raw.get("consent", "")
    if validation.boolean(consent) is not True:
        errors["consent"] = validation.message("consent")
    if errors:
        raise ApiError("validation", fields=errors)
    return item, email


def _published(item_id: str) -> tuple[dict[str, Any], Consultation]:
    """The approved comment or proposal ``item_id`` names and its consultation; 404 else (503
    while the manifest or the database cannot be read)."""
    current = intake.current_manifest()
    sub = None
    if ITEM_ID.fullmatch(item_id):
        with db.database_errors():
            sub = submissions.get(db.table(), item_id)
    cons = current.consultation(str(sub.get("consultation", ""))) if sub else None
    if (
        sub is None
        or cons is None
        or sub.get("status") != Status.APPROVED
        or sub.get("kind") not in SUPPORTED
    ):
        raise ApiError("not_found", message=NOT_PUBLISHED, fields={"item": NOT_PUBLISHED})
    return sub, cons


def _write(table: Any, sub: dict[str, Any], email: str, ip_hash: str, now: datetime) -> None:
    """The pending support and its e-mail, or nothing if the address already supports it;
    the network's rate counts either way (its limit tells nothing about who supports what)."""
    hashed = tokens.address_hash(email)
    rate = guards.rate_update(ip_hash, int(now.timestamp()))
    limited = ApiError("rate_limited", headers={"Retry-After": str(rate.retry_after)})
    if store.live(store.get(table, sub["id"], hashed), now):
        if not store.count_only(table, rate.update):
            raise limited
        logs.metric("support", outcome="repeated")
        return
    token, digest = tokens.new_link(f"{sub['id']}.{hashed}")
    support = store.pending_item(sub, hashed, digest, now)
    params = {"item": sub["id"], "token": token}
    message = outbox.message("support_confirm", email, params, now, net=ip_hash)
    done = store.request(table, rate.update, support, outbox.put_action(table.name, message), now)
    if done == store.RATE:
        raise limited
    logs.metric("support", outcome="requested" if done == store.WRITTEN else "repeated")


def _accepted(post: _Post) -> Response:
    if post.for_people:  # Post/Redirect/Get
        location = support_pages.sent_location(post.return_to or "/")
        return Response(
            body="", status_code=303, headers={"Location": location, "Cache-Control": "no-store"}
        )
    return http.accepted_json({"status": "pending"}, post.cors)


def _refused(post: _Post, error: ApiError) -> Response:
    if not post.for_people or error.code == "forbidden_origin":  # nothing for another site
        return http.error_json(error, post.cors)
    links = Links.current()
    found = post.found
    if found is None and error.code in support_pages.CORRECTABLE and isinstance(post.raw, dict):
        try:
            found = _published(str(post.raw.get("item", "")))
        except ApiError:
            found = None
    if found is None or error.code not in support_pages.CORRECTABLE:
        return support_pages.refused(post.request.headers, links, error, post.return_to or "/")
    sub, cons = found
    shown = {
        "item": sub["id"],
        "return_to": post.return_to or cons.url,
        "typed": support_pages.typed(post.raw),
        "errors": dict(error.fields) if error.code == "validation" else {},
        "problem": None if error.code == "validation" else error.message,
        "action": None,  # back to this route
        "paragraphs": support_pages.advice(error),
    }
    described = _what(links, sub, cons)
    return support_pages.form(links, sub, cons, described, shown, error.status, error.headers)


def _what(links: Links, sub: dict[str, Any], cons: Consultation) -> dict[str, str]:
    proposal = sub.get("proposal") if sub["kind"] == "comment" else None
    title = None
    if proposal:
        with db.database_errors():
            title = submissions.titles(db.table(), {str(proposal)}).get(str(proposal))
    return support_pages.what(links, sub, cons, title)


# --- confirming -------------------------------------------------------------------------------
def _pages(view: Callable[[str, Request], Response]) -> Callable[[str, Request], Response]:
    """A confirmation's refusals (404, 403, 503) as pages or JSON errors; one log line."""

    @functools.wraps(view)
    def answer(token: str, request: Request) -> Response:
        started = time.perf_counter()
        try:
            response, code = view(token, request), "ok"
        except ApiError as error:
            response = support_pages.refused(request.headers, Links.current(), error)
            code = error.code
        logs.answered(request, started, response.status_code, code)
        return response

    return answer


@_pages
def confirm(token: str, request: Request) -> Response:
    """``GET``: the button; ``POST``: count the support (see the module docstring)."""
    now = clock.now()
    links = Links.current()
    support, digest = _support_of(token)
    if support.get("status") == store.CONFIRMED:
        return _already(request, links)
    if store.expired(support, now):
        raise ApiError("not_found", message=GONE)
    with db.database_errors():
        sub = submissions.get(db.table(), support["item"])
    cons = links.consultation(str(sub.get("consultation", ""))) if sub else None
    if sub is None or cons is None or sub.get("status") != Status.APPROVED:
        raise ApiError("not_found", message=WITHDRAWN)
    if request.method == "GET":
        return support_pages.button(request.headers, links, token, _what(links, sub, cons))
    if not http.same_site(request.headers):
        raise ApiError("forbidden_origin")
    days = int(limits()["retention"]["email_days_after_close"])
    ends = max(cons.closes, now) + timedelta(days=days)
    with db.database_errors():
        done = store.confirm(db.table(), support, digest, ends, now)
    logs.metric("support", outcome=f"confirm_{done}")
    if done == store.ALREADY:
        return _already(request, links)
    if done == store.UNPUBLISHED:
        raise ApiError("not_found", message=WITHDRAWN)
    if done == store.GONE:
        raise ApiError("not_found", message=GONE)
    url = links.submission(sub)
    return support_pages.outcome(
        request.headers,
        links,
        "Η υποστήριξή σας καταμετρήθηκε",
        [
            "Ευχαριστούμε. Ο αριθμός των υποστηρίξεων θα εμφανιστεί στη σελίδα με την επόμενη "
            "ενημέρωσή της, συνήθως μέσα σε λίγα λεπτά."
        ],
        {"status": "confirmed", "counted": True},
        [{"href": url, "label": "Στη σελίδα της διαβούλευσης"}] if url else None,
    )


def _support_of(token: str) -> tuple[dict[str, Any], str]:
    """The support a genuine link opens and the digest of its secret; 404 for anything else
    (malformed, unknown, altered: one answer)."""
    link = tokens.read_link(token)
    if link is not None:
        ref, digest = link
        item_id, _, hashed = ref.partition(".")
        with db.database_errors():
            support = store.get(db.table(), item_id, hashed) if hashed else None
        if support is not None and tokens.same(support.get(store.LINK_DIGEST), digest):
            return support, digest
    raise ApiError("not_found", message=GONE)


def _already(request: Request, links: Links) -> Response:
    return support_pages.outcome(
        request.headers,
        links,
        "Η υποστήριξή σας έχει ήδη καταμετρηθεί",
        ["Κάθε διεύθυνση μετράει μία φορά· δεν χρειάζεται να κάνετε κάτι άλλο."],
        {"status": "confirmed", "counted": False},
    )
