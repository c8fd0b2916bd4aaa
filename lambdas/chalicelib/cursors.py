"""The moderation API's opaque page cursors: a query's continuation key and the scope it
belongs to (the query's parameters), base64url JSON, checked on the way back in so that a cursor
from another query, or an altered one, is a 422 and never a key DynamoDB is handed."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.errors import ApiError


def encode(last_key: dict[str, Any], scope: str) -> str:
    raw = json.dumps({"k": last_key, "s": scope}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSOR = "Μη έγκυρος δείκτης σελίδας."


def decode(cursor: str, scope: str, names: set[str]) -> dict[str, str]:
    """The key inside an opaque cursor (``encode``), checked to belong to ``scope`` and
    to hold exactly ``names``, each a string; 422 otherwise."""
    invalid = ApiError("validation", fields={"cursor": BAD_CURSOR})
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise invalid from exc
    key = data.get("k") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("s") != scope
        or not isinstance(key, dict)
        or set(key) != names
        or not all(isinstance(v, str) for v in key.values())
    ):
        raise invalid
    return key
