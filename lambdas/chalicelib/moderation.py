"""Staff moderation decisions (the queue and its reading side: chalicelib.moderation_queue).

The allowed transitions are chalicelib.store.keys ``TRANSITIONS`` (anything else is a 409
``conflict``); this module checks a decision's body and asks the store to write it in one
transaction with its audit entry. Answers carry only the allowlisted fields of
chalicelib.moderation_queue (never email or ip_hash).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Response

from chalicelib import clock, db, text
from chalicelib.errors import ApiError
from chalicelib.moderation_queue import public_audit, read, with_context
from chalicelib.spec import limits
from chalicelib.store import decisions, keys
from chalicelib.store.keys import Action

logger = logging.getLogger(__name__)

DECISION_FIELDS = {"action": str, "reason": str, "note": str, "redacted_body": str, "version": int}
# A body field whose cleaning rule (chalicelib.text.FIELDS) has another name.
FIELD_RULES = {"text": "answer_text", "disposition": "reason"}


def json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an ApiError (or an unreachable database) raised by a view into its JSON answer."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with db.database_errors():
                return view(*args, **kwargs)
        except ApiError as err:
            return Response(body=err.body(), status_code=err.status, headers=err.headers)

    return wrapper


def decide(item_id: str, raw_body: str | bytes | None, staff: str) -> dict[str, Any]:
    """Apply one decision; answers the updated item and its new audit entry."""
    parsed = parse_decision(raw_body)
    item = read(item_id)
    source, action = item["status"], Action(parsed["action"])
    version = int(item.get("version", 0))
    if parsed.get("version") not in (None, version):
        raise ApiError("conflict")
    redacted = parsed.get("redacted_body")
    if redacted is not None:
        redacted = _check_redaction(item, redacted)
    if not keys.allowed(source, action.target, redacting=redacted is not None):
        label = keys.STATUS_LABELS.get(source, source)  # StrEnum keys: found by their value
        raise ApiError(
            "conflict",
            message=(
                f"Η {keys.ACTION_LABELS[action]} δεν επιτρέπεται για υποβολή σε κατάσταση "
                f"«{label}»."
            ),
            fields={"action": "Μη επιτρεπτή μετάβαση."},
        )
    decision = decisions.Decision(
        target=action.target,
        at=clock.now_iso(),
        by=staff,
        reason=parsed.get("reason"),
        note=parsed.get("note"),
        redacted_body=redacted,
    )
    audit = decisions.audit_entry(item, decision, action.value)
    decisions.decide(db.table(), item, decision, audit)
    logger.info("moderation: %s %s → %s", item_id, source, action.target)  # who: audit trail
    updated = decisions.applied(item, decision)
    return {"item": with_context([updated])[0], "audit": public_audit(audit)}


def parse_decision(
    raw: str | bytes | None, allowed: Mapping[str, type] = DECISION_FIELDS
) -> dict[str, Any]:
    """The decision body: JSON object, allowlisted fields (``allowed``: a group's decision has
    others, chalicelib.moderation_groups), right types, valid choices."""
    data, errors = parse_body(raw, allowed)
    for name, value in list(data.items()):
        if value == "" and name == "redacted_body":  # empty once cleaned: nothing would remain
            errors[name] = "Το κείμενο μετά την απαλοιφή δεν μπορεί να είναι κενό."
        if value == "":
            del data[name]
    action = data.get("action")
    if action not in keys.ACTION_TARGETS:
        errors["action"] = "Επιλέξτε έγκριση, απόρριψη ή απόκρυψη."
    reason = data.get("reason")
    if reason and reason not in limits()["moderation_reasons"]:
        errors["reason"] = "Άγνωστος λόγος."
    elif not reason and action in keys.NEEDS_REASON and "reason" not in errors:
        errors["reason"] = "Επιλέξτε λόγο."
    note_max = limits()["fields"]["reason_text"]["max"]
    if len(data.get("note", "")) > note_max:
        errors["note"] = f"Η σημείωση δέχεται έως {note_max} χαρακτήρες."
    if "redacted_body" in data and action != "approve":
        errors["redacted_body"] = "Η απαλοιφή γίνεται μόνο μαζί με έγκριση."
    if "version" in data and data["version"] < 0:
        errors["version"] = "Μη έγκυρη έκδοση."
    if errors:
        raise ApiError("validation", fields=errors)
    return data


def parse_body(
    raw: str | bytes | None, allowed: Mapping[str, type]
) -> tuple[dict[str, Any], dict[str, str]]:
    """A staff route's JSON body: an object of ``allowed`` fields of the right types, its
    strings through the one cleaner (chalicelib.text, each by its field's rule). Returns the
    cleaned fields (None dropped; "" kept, for the caller to judge) and the field errors found
    so far; a body that is not such an object is refused at once (400, 413)."""
    if isinstance(raw, str):  # chalice hands a JSON body over as text
        raw = raw.encode("utf-8", "surrogatepass")
    raw = raw or b""
    if len(raw) > limits()["max_request_bytes"]:
        raise ApiError("too_large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError("invalid_encoding") from exc
    except (ValueError, RecursionError) as exc:  # RecursionError: nested a thousand deep
        raise ApiError("invalid_json") from exc
    if not isinstance(data, dict):
        raise ApiError("invalid_type", fields={"": "Αναμένεται αντικείμενο JSON."})
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ApiError("unknown_field", fields={k: "Άγνωστο πεδίο." for k in unknown})
    wrong = {
        k: "Λάθος τύπος."
        for k, v in data.items()
        if v is not None and (not isinstance(v, allowed[k]) or isinstance(v, bool))
    }
    if wrong:
        raise ApiError("invalid_type", fields=wrong)
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, str):
            try:
                value = text.clean_field(FIELD_RULES.get(name) or name, value)
            except text.TextError as exc:
                if exc.code == "invalid_encoding":
                    raise ApiError("invalid_encoding", fields={name: exc.reason}) from exc
                errors[name] = exc.reason
                continue
        if value is not None:
            cleaned[name] = value
    return cleaned, errors


def _check_redaction(item: dict[str, Any], body: str) -> str:
    field = "proposal_body" if item.get("kind") == "proposal" else "body"
    rule = limits()["fields"][field]
    if not rule.get("min", 1) <= len(body) <= rule["max"]:
        raise ApiError(
            "validation",
            fields={"redacted_body": f"Από {rule.get('min', 1)} έως {rule['max']} χαρακτήρες."},
        )
    if body == item.get("body"):
        raise ApiError("validation", fields={"redacted_body": "Το κείμενο δεν άλλαξε."})
    return body
