"""Staff identity: bearer tokens, of which only the SHA-256 is stored, and the guard that turns
the gateway authorizer's verdict into the API's Greek 401.

A token is ``secrets.token_urlsafe(32)``, shown once when created; its item is keyed by its
SHA-256 (chalicelib.store.keys ``staff_token``) and holds the staff member's name,
``created_at``, optional ``expires_at`` and ``revoked``.

Why the authorizer never denies: API Gateway (and ``chalice local``, which mimics it) answers a
denying authorizer with its own English 403, which no Chalice code can reshape. So the built-in
authorizer checks the token against DynamoDB and passes its verdict in the request context, and
``guard`` (an HTTP middleware) refuses every request on an authorized route whose verdict is not
a staff name, with the contract's 401 ``unauthorized`` body. Only a request without any
``Authorization`` header is refused by the gateway itself (401 ``{"message":"Unauthorized"}``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from chalice import AuthResponse, Response

from chalicelib import clock, db
from chalicelib.errors import ApiError, unavailable
from chalicelib.store import keys

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
MIN_PREFIX = 6  # of the hash, to revoke a token by the id that `list` shows
# The context keys the authorizer hands to the app (API Gateway allows only flat strings).
CTX_STAFF = "staff"
CTX_VERDICT = "verdict"
DEV_SITE_URL = "http://127.0.0.1:8000"


def site_origin() -> str:
    """The one origin allowed to call the staff routes from a browser: the site's, where the
    moderation page lives. Read at import (CORS is part of the route table), hence not from
    config.get(), which also demands the database settings."""
    parts = urlsplit(os.environ.get("SITE_URL") or DEV_SITE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(table: Any, name: str, days: int | None = None) -> tuple[str, dict[str, Any]]:
    """Create a token for ``name``; returns ``(token, stored item)``. The token is never stored."""
    name = name.strip()
    if not name:
        raise ValueError("a staff token needs the staff member's name")
    if days is not None and days < 1:
        raise ValueError("expiry must be at least one day")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    while token.startswith("-"):  # one in 64 would read as an option: `moderate.py --token -x…`
        token = secrets.token_urlsafe(TOKEN_BYTES)
    created, digest = clock.now(), token_hash(token)
    item: dict[str, Any] = {
        **keys.staff_token(digest),
        "name": name,
        "created_at": clock.iso(created),
        "revoked": False,
        **keys.staff_index(clock.iso(created), digest),
    }
    if days is not None:
        expires = created + timedelta(days=days)
        item["expires_at"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    table.put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")
    logger.info("staff token %s created", digest[:12])
    return token, item


def verify(table: Any, header: str | None) -> tuple[bool, str]:
    """``(True, staff name)`` for a valid ``Bearer <token>`` header, else ``(False, reason)``:
    ``missing``, ``malformed``, ``unknown``, ``revoked`` or ``expired``."""
    if not header:
        return False, "missing"
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or len(token) > 256:
        return False, "malformed"
    item = table.get_item(Key=keys.staff_token(token_hash(token)), ConsistentRead=True).get("Item")
    if item is None:
        return False, "unknown"
    if item.get("revoked"):
        return False, "revoked"
    expires = item.get("expires_at")
    if expires and expires <= clock.now_iso():
        return False, "expired"
    return True, str(item["name"])


def revoke(table: Any, digest_prefix: str) -> dict[str, Any]:
    """Revoke the one token whose hash starts with ``digest_prefix`` (as ``list`` shows it)."""
    prefix = digest_prefix.strip().lower()
    if len(prefix) < MIN_PREFIX:
        raise ValueError(f"give at least {MIN_PREFIX} characters of the token's id")
    matches = [t for t in list_tokens(table) if t["hash"].startswith(prefix)]
    if len(matches) != 1:
        raise LookupError(f"{len(matches)} tokens match {digest_prefix!r}; give a longer prefix")
    digest = matches[0]["hash"]
    table.update_item(
        Key=keys.staff_token(digest),
        UpdateExpression="SET revoked = :t, revoked_at = :at",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues={":t": True, ":at": clock.now_iso()},
    )
    logger.info("staff token %s revoked", digest[:12])
    return {**matches[0], "revoked": True}


def list_tokens(table: Any) -> list[dict[str, Any]]:
    """Every token (hash prefix as ``id``, name, dates, revoked), oldest first: one Query on
    the by_target index, where every token sits under the key ``STAFF``."""
    kwargs: dict[str, Any] = {
        "IndexName": keys.BY_TARGET,
        "KeyConditionExpression": "GSI1PK = :p",
        "ExpressionAttributeValues": {":p": keys.STAFF_INDEX_PK},
        "ProjectionExpression": "PK, #n, created_at, expires_at, revoked",
        "ExpressionAttributeNames": {"#n": "name"},
    }
    tokens = []
    while True:
        page = table.query(**kwargs)
        for item in page.get("Items", []):
            digest = keys.staff_digest(item["PK"])
            tokens.append(
                {
                    "id": digest[:12],
                    "hash": digest,
                    "name": item.get("name", ""),
                    "created_at": item.get("created_at", ""),
                    "expires_at": item.get("expires_at"),
                    "revoked": bool(item.get("revoked")),
                }
            )
        if "LastEvaluatedKey" not in page:
            return tokens
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def authorize(token_header: str) -> AuthResponse:
    """The built-in authorizer's body: look the token up, pass the verdict on (see module doc).
    The authorizer result must not be cached (ttl 0), else a revoked token would live on."""
    try:
        ok, detail = verify(db.table(), token_header)
    except (BotoCoreError, ClientError) as exc:
        if not db.is_unavailable(exc):
            raise
        logger.warning("staff token check: database unavailable (%s)", type(exc).__name__)
        return AuthResponse(routes=["*"], principal_id="anonymous", context={CTX_VERDICT: "down"})
    if ok:
        # The principal lands in gateway logs: a role, not the person (who is in the audit).
        return AuthResponse(
            routes=["*"], principal_id="staff", context={CTX_STAFF: detail, CTX_VERDICT: "ok"}
        )
    logger.info("staff token refused: %s", detail)
    return AuthResponse(routes=["*"], principal_id="anonymous", context={CTX_VERDICT: detail})


def staff_name(request: Any) -> str:
    """The staff member the authorizer identified (empty when none)."""
    context = (getattr(request, "context", None) or {}).get("authorizer") or {}
    return str(context.get(CTX_STAFF) or "") if context.get(CTX_VERDICT) == "ok" else ""


def guard(routes: dict[str, dict[str, Any]], request: Any, get_response: Callable) -> Response:
    """HTTP middleware: on a route with an authorizer, no staff name → 401 (503 when the token
    could not be checked), and Chalice's English 415 becomes the contract's; other routes pass
    through untouched. CORS headers are added so the moderation page can read the refusal."""
    if request is None:
        return get_response(request)
    context = request.context or {}
    entry = routes.get(context.get("resourcePath", ""), {}).get(context.get("httpMethod", ""))
    if entry is None or entry.authorizer is None:
        return get_response(request)
    if staff_name(request):
        response = get_response(request)
        if response.status_code != 415:
            return response
        # Chalice's own refusal of a non-JSON body, in the contract's shape.
        error = ApiError("unsupported_media_type")
    elif (context.get("authorizer") or {}).get(CTX_VERDICT) == "down":
        error = unavailable()
    else:
        error = ApiError("unauthorized", headers={"WWW-Authenticate": "Bearer"})
    headers = dict(error.headers)
    if entry.cors is not None:
        headers.update(entry.cors.get_access_control_headers())
    return Response(body=error.body(), status_code=error.status, headers=headers)
