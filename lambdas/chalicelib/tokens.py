"""The secrets in links that people receive by e-mail, and the keyed hash of an address.

- A private link (a submission's, a subscription's confirmation) is a capability: 32 random
  bytes, URL-safe. Only its sha256 is stored (``store.follow``), so the table cannot be used to
  act for anyone, and the token never reaches a log (``logs.request`` logs the route's template).
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

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes, base64url without padding
ALL = "all"  # the unsubscribe scope of every e-mail to an address


def new_capability() -> tuple[str, str]:
    """(token, digest): the token goes into one e-mail, the digest into the table."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    """A token as ``new_capability`` makes them (anything else is not looked up at all)."""
    return bool(TOKEN.fullmatch(token))


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
