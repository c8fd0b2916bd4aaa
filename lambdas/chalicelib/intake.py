"""The two submission routes, ``POST /v1/comments`` and ``POST /v1/proposals``, from request to
answer. The order of the checks:

1. body: size, media type, encoding, syntax (http) and shape: allowlist and types (validation);
2. guards before validation: honeypot (answers as if accepted, stores nothing), origin;
3. the consultation exists (manifest), the fields (validation), the text and paragraph
   (manifest), the consultation is open now; then the proposal and parent (DynamoDB, strongly
   consistent reads): nothing reaches the database before everything else is in order;
4. one transaction: submission (with its private link's digest) + idempotency item + duplicate
   guard + rate count + its receipt in the outbox (store): the receipt is sent later, by the
   sender (chalicelib.outbox).

Every request leaves one structured log line (chalicelib.logs) and nothing personal.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib import (
    clock,
    db,
    form_pages,
    guards,
    http,
    ids,
    logs,
    manifest,
    tokens,
    validation,
)
from chalicelib.errors import ApiError, unavailable
from chalicelib.store import follow, outbox, submissions
from chalicelib.store.submissions import Accepted

logger = logging.getLogger(__name__)


@dataclass
class _Post:
    """What one request has established so far (the answer needs some of it)."""

    kind: str
    request: Request
    for_people: bool  # a plain HTML form post: answered with pages, not JSON
    cors: dict[str, str]
    return_to: str = "/"
    raw: Any = None  # the posted fields, once read (the form page gives them back)
    consultation: manifest.Consultation | None = None


def submit(kind: str, request: Request) -> Response:
    """Handle one post of a ``comment`` or a ``proposal``; always one log line."""
    started = time.perf_counter()
    headers = request.headers
    post = _Post(kind, request, http.from_plain_form(headers), http.cors_headers(headers))
    accepted: Accepted | None = None
    try:
        accepted = _accept(post)
        response, code = _success(post, accepted), "honeypot" if accepted.decoy else "ok"
    except ApiError as error:
        response, code = _failure(post, error), error.code
    except Exception:
        _log(request, started, 500, "bug", None)
        raise
    _log(request, started, response.status_code, code, accepted)
    return response


def _log(
    request: Request, started: float, status: int, code: str, accepted: Accepted | None
) -> None:
    logs.answered(
        request,
        started,
        status,
        code,
        submission_id=accepted.id if accepted and not accepted.decoy else None,
        replay=accepted.replay if accepted and not accepted.decoy else None,
    )


def _accept(post: _Post) -> Accepted:
    raw = post.raw = http.read_body(post.request)
    current = current_manifest()
    slug = raw.get("consultation") if isinstance(raw, dict) else None
    slug = slug.strip() if isinstance(slug, str) else ""
    cons = post.consultation = current.consultation(slug)
    return_to = raw.get("return_to") if isinstance(raw, dict) else None
    post.return_to = http.safe_return_to(return_to, cons.url if cons else "/")
    validation.check_shape(raw, post.kind)
    refused = guards.run_chain(guards.Visit(raw, post.request.headers))
    if refused == "honeypot":
        logs.metric("honeypot", kind=post.kind)
        return Accepted(ids.new_id(), ids.new_reference(), "pending", decoy=True)
    if refused:
        raise ApiError(refused)
    cons = validation.find_consultation(current, slug)
    fields = validation.clean(raw, post.kind)
    validation.check_target(cons, fields)
    now = clock.now()
    validation.check_open(cons, now)
    seconds = int(now.timestamp())
    with db.database_errors():
        table = db.table()
        _check_references(table, fields)
        ip_hash = guards.prefix_hash(guards.client_ip(post.request.context, post.request.headers))
        item = submissions.build_item(post.kind, fields, now)
        dup = guards.duplicate_put(ip_hash, validation.dedup_text(fields["body"]), seconds)
        rate = guards.rate_update(ip_hash, seconds)
        fprint = submissions.fingerprint(post.kind, fields)
        extra = _receipt(table.name, item, cons.closes, ip_hash, now)
        return submissions.put_submission(table, item, fprint, dup, rate, extra)


def _receipt(
    table_name: str, item: dict[str, Any], closes: datetime, ip_hash: str, now: datetime
) -> dict[str, dict[str, Any]]:
    """The submission's private link (its digest on the item) and its receipt, written in its
    own transaction: the token exists only in the receipt's parameters until it is sent."""
    token, digest = tokens.new_link(item["id"])
    item.update(follow.link(digest, closes))
    receipt = outbox.message(
        "receipt", item["email"], {"id": item["id"], "token": token}, now, net=ip_hash
    )
    return {"receipt": outbox.put_action(table_name, receipt)}


def current_manifest() -> manifest.Manifest:
    """The manifest every public write is checked against; 503 while none is usable."""
    try:
        return manifest.current()
    except manifest.ManifestError as exc:
        logger.warning("no usable manifest: %s", exc)
        raise unavailable() from exc


def _check_references(table: Any, fields: dict[str, Any]) -> None:
    """The proposal a comment is on (404) and the comment it answers (422) must be approved
    submissions of the same consultation (and, for the parent, the same target)."""
    target = {"consultation": fields["consultation"]}
    if "proposal" in fields:
        item = submissions.get(table, fields["proposal"])
        if not validation.verify_reference(item, "proposal", target):
            raise ApiError("not_found", fields={"proposal": "Δεν υπάρχει αυτή η πρόταση."})
    if "parent" in fields:
        for key in ("text", "proposal"):
            target[key] = fields.get(key)
        if not validation.verify_reference(
            submissions.get(table, fields["parent"]), "comment", target
        ):
            raise ApiError(
                "invalid_reference",
                fields={"parent": "Δεν υπάρχει αυτό το σχόλιο σε αυτό το κείμενο."},
            )


def _success(post: _Post, accepted: Accepted) -> Response:
    if post.for_people:  # Post/Redirect/Get: a reload does not post again
        location = form_pages.received_location(accepted.reference, post.return_to)
        return Response(
            body="", status_code=303, headers={"Location": location, "Cache-Control": "no-store"}
        )
    return http.accepted_json(accepted.answer(), post.cors)


def _failure(post: _Post, error: ApiError) -> Response:
    if post.for_people and error.code != "forbidden_origin":  # nothing for another site
        return form_pages.failure(post.kind, post.raw, error, post.return_to, post.consultation)
    return http.error_json(error, post.cors)
