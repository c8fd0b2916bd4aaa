"""Abuse guards of the submission routes, as a chain (numbers: limits.json ``guards``).

Before validation (cheap, no database): ``honeypot`` then ``origin``, each ``(ok, reason)``.
After validation: the rate limit (``rate_update``, a DynamoDB counter per network prefix and fixed
window) and the duplicate guard (``duplicate_put``), both written in the submission's own
transaction (chalicelib.store): one round trip, a refused post leaves nothing behind and an
accepted submission always has its guards.

The Origin rule: a browser always sends ``Origin`` on a cross-site POST, so when ``Origin`` (or,
failing it, ``Referer``) is present it must be one of SITE_ORIGINS (``null`` is refused); when
both are absent the client is not a browser acting for another site (curl, a script, a privacy
tool stripping both), and it is allowed (the API's own origin counts too: its form pages, for
people without a script, post back to it), whatever the media type: rate limit, duplicate guard and
honeypot still apply.

Networks, not people: an IP is reduced to its /24 (IPv4) or /48 (IPv6) prefix and only
HMAC-SHA256(IP_HASH_KEY, prefix) is kept. The IP is API Gateway's ``sourceIp``; only when that is
a loopback address (``chalice local``, ``chalice.test``, never API Gateway) is the leftmost
``X-Forwarded-For`` entry used instead, so local tools can stand in for many networks.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib import config, http
from chalicelib.spec import limits
from chalicelib.store import keys


@dataclass(frozen=True)
class Visit:
    """What the pre-validation guards look at."""

    fields: Mapping[str, Any]
    headers: Mapping[str, str]


Guard = Callable[[Visit], tuple[bool, str]]


def honeypot(visit: Visit) -> tuple[bool, str]:
    """The hidden ``website`` field must be empty: people never see it, bots fill it."""
    filled = bool(str(visit.fields.get("website", "")).strip())
    return (False, "honeypot") if filled else (True, "")


def origin(visit: Visit) -> tuple[bool, str]:
    """Origin, else Referer, must be a site origin or the API's own (its form pages post back
    to it); neither present is allowed (see above). One rule with the API's other forms."""
    return (True, "") if http.same_site(visit.headers) else (False, "forbidden_origin")


CHAIN: tuple[Guard, ...] = (honeypot, origin)


def run_chain(visit: Visit) -> str | None:
    """The reason of the first guard that refuses, or None."""
    for guard in CHAIN:
        ok, reason = guard(visit)
        if not ok:
            return reason
    return None


def client_ip(context: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """The client's IP from the request context (see the module docstring for loopback)."""
    source = str(context.get("identity", {}).get("sourceIp") or "")
    address = _parse_ip(source)
    if address is not None and address.is_loopback:
        forwarded = _parse_ip(headers.get("x-forwarded-for", "").split(",")[0])
        if forwarded is not None:
            return str(forwarded)
    return str(address) if address is not None else "unknown"


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def network_prefix(ip: str) -> str:
    """``203.0.113.0/24`` or ``2001:db8:1::/48``; ``unknown`` stays one shared bucket."""
    address = _parse_ip(ip)
    if address is None:
        return "unknown"
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def prefix_hash(ip: str) -> str:
    """HMAC-SHA256 of the network prefix, keyed by IP_HASH_KEY: all that is ever stored."""
    key = config.get().ip_hash_key
    return hmac.new(key, network_prefix(ip).encode(), hashlib.sha256).hexdigest()


def participant(email: str) -> str:
    """Who wrote, for counting distinct participants only (the results page): a keyed hash of
    the e-mail, so that it survives the e-mail's purge and proves nothing to anyone without
    IP_HASH_KEY. Never shown, never exported (spec/snapshot.schema.json)."""
    key = config.get().ip_hash_key
    message = b"participant\0" + email.strip().casefold().encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class RateCount:
    """The transaction Update that counts one submission for a network in its window, and the
    Retry-After to answer if the window is already full."""

    update: dict[str, Any]
    retry_after: int


def rate_update(ip_hash: str, now: int) -> RateCount:
    """Count one submission for the prefix in the current fixed window, inside the submission's
    own transaction (chalicelib.store): refused past the limit (429), and a submission that is
    not written (a duplicate, a conflict) is not counted either.

    The window start is part of the key, so a counter is never read after its window: its
    ``expires_at`` only lets DynamoDB's TTL clean it up.
    """
    rule = limits()["guards"]["rate_limit"]
    window = int(rule["window_seconds"])
    start = now - now % window
    update = {
        "Update": {
            "TableName": config.get().table_name,
            "Key": keys.rate(ip_hash, start),
            "UpdateExpression": "ADD #n :one SET expires_at = :exp",
            "ConditionExpression": "attribute_not_exists(#n) OR #n < :max",
            "ExpressionAttributeNames": {"#n": "count"},
            "ExpressionAttributeValues": {
                ":one": 1,
                ":max": int(rule["max_submissions"]),
                ":exp": start + window,
            },
        }
    }
    return RateCount(update, start + window - now)


def duplicate_put(ip_hash: str, dedup_text: str, now: int) -> dict[str, Any]:
    """The transaction Put of the duplicate guard: fails while an unexpired twin exists (the
    expiry is checked here because TTL deletion is lazy)."""
    digest = hashlib.sha256(f"{ip_hash}\n{dedup_text}".encode()).hexdigest()
    return {
        "Put": {
            "TableName": config.get().table_name,
            "Item": {
                **keys.duplicate(digest),
                keys.TTL_ATTRIBUTE: now + int(limits()["guards"]["duplicate_window_seconds"]),
            },
            "ConditionExpression": "attribute_not_exists(PK) OR expires_at <= :now",
            "ExpressionAttributeValues": {":now": now},
        }
    }
