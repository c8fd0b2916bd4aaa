"""The secrets in links that people receive by e-mail, and the keyed hash of an address.

- A private link (a submission's, a subscription's confirmation) is a capability: the id of
  what it opens, a dot, and 32 random bytes, URL-safe. Only the sha256 of the random part is
  stored, on the item it opens (``link_digest``), so one read finds and checks it, the table
  cannot be used to act for anyone, and the token never reaches a log (``logs.request`` logs
  the route's template).
- An address is stored, where it must be looked up again (the do-not-send list, subscriptions,
  the receipt limits), as HMAC(IP_HASH_KEY, "address" + casefolded address): equal for the same
  address, meaningless without the key.
- An unsubscribe link needs no stored state: it names its scope (every e-mail to an address, or
  one consultation's announcements) and the address hash, signed with the same key, so it works
  from any e-mail ever sent and cannot be forged for another address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from chalicelib import config

SECRET = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes, base64url without padding
REF = re.compile(r"[a-z0-9]+([.-][a-z0-9]+)*")  # an id, or a slug and an address hash
ALL = "all"  # the unsubscribe scope of every e-mail to an address


def new_link(ref: str) -> tuple[str, str]:
    """(token, digest) of a link to ``ref``: the token goes into one e-mail, the digest onto
    the item it opens."""
    secret = secrets.token_urlsafe(32)
    return f"{ref}.{secret}", digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def read_link(token: str) -> tuple[str, str] | None:
    """(ref, digest of the secret) of a token as ``new_link`` makes them, else None (anything
    else is not looked up at all)."""
    ref, _, secret = token.rpartition(".")
    if len(token) > 300 or not REF.fullmatch(ref) or not SECRET.fullmatch(secret):
        return None
    return ref, digest(secret)


def same(stored: object, computed: str) -> bool:
    """A stored digest matches (in constant time)."""
    return isinstance(stored, str) and hmac.compare_digest(stored, computed)


def _mac(message: str) -> str:
    key = config.get().ip_hash_key
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def address_hash(email: str) -> str:
    """The keyed hash of an e-mail address (casefolded: one person, one hash)."""
    return _mac("address\0" + email.strip().casefold())


def unsubscribe_token(address: str, scope: str = ALL) -> str:
    """A link token that stops e-mail to ``address`` (its hash): ``scope`` is ``all`` or a
    consultation's slug (its announcements only)."""
    hashed = address_hash(address)
    payload = f"{scope}.{hashed}"
    signature = _mac("unsubscribe\0" + payload)[:32]
    encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{encoded}.{signature}"


def read_unsubscribe(token: str) -> tuple[str, str] | None:
    """(scope, address hash) of a genuine unsubscribe token, else None."""
    encoded, _, signature = token.rpartition(".")
    if not encoded or len(token) > 400:
        return None
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(_mac("unsubscribe\0" + payload)[:32], signature):
        return None
    scope, _, hashed = payload.rpartition(".")
    return (scope, hashed) if scope and hashed else None
