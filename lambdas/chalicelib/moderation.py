"""Staff moderation decisions (the queue and its reading side: chalicelib.moderation_queue).

Allowed transitions (anything else is a 409 ``conflict``):

    pending  → approved | rejected | hidden
    approved → hidden              (take a published item down)
    approved → approved            (only with ``redacted_body``: redact a published item)
    hidden   → approved            (show it again)
    rejected → approved            (on appeal)

A decision is one TransactWriteItems: the item (conditional on the status and version read, so
of two moderators deciding at once exactly one wins), its audit entry (the only place an
original body survives a redaction) and ``last_decision_at`` on the publish state item.
Answers carry only the allowlisted fields of chalicelib.moderation_queue (never email or
ip_hash).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from chalice import Response

from chalicelib import db
from chalicelib.auth import now_iso, retry_after
from chalicelib.errors import ApiError
from chalicelib.moderation_queue import STATE_KEY, STATE_LABELS, public_audit, read, with_context
from chalicelib.spec import limits

logger = logging.getLogger(__name__)

ACTIONS = {"approve": "approved", "reject": "rejected", "hide": "hidden"}
TRANSITIONS = frozenset(
    {
        ("pending", "approved"),
        ("pending", "rejected"),
        ("pending", "hidden"),
        ("approved", "hidden"),
        ("hidden", "approved"),
        ("rejected", "approved"),
    }
)
NEEDS_REASON = frozenset({"reject", "hide"})
DECISION_FIELDS = {"action": str, "reason": str, "note": str, "redacted_body": str, "version": int}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ACTION_LABELS = {"approve": "έγκριση", "reject": "απόρριψη", "hide": "απόκρυψη"}


def answers(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an ApiError (or an unreachable database) raised by a view into its JSON answer."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except ApiError as err:
            return Response(body=err.body(), status_code=err.status, headers=err.headers)
        except (BotoCoreError, ClientError) as exc:
            if not db.is_unavailable(exc):
                raise
            logger.warning("moderation: database unavailable (%s)", type(exc).__name__)
            err = ApiError("unavailable", headers=retry_after())
            return Response(body=err.body(), status_code=err.status, headers=err.headers)

    return wrapper


def decide(item_id: str, raw_body: bytes | None, staff: str) -> dict[str, Any]:
    """Apply one decision; answers the updated item and its new audit entry."""
    decision = parse_decision(raw_body)
    item = read(item_id)
    source, action = item["status"], decision["action"]
    target = ACTIONS[action]
    version = int(item.get("version", 0))
    if decision.get("version") not in (None, version):
        raise ApiError("conflict")
    redacted = decision.get("redacted_body")
    if redacted is not None:
        redacted = _check_redaction(item, redacted)
    allowed = (source, target) in TRANSITIONS or (
        source == target == "approved" and redacted is not None
    )
    if not allowed:
        raise ApiError(
            "conflict",
            message=(
                f"Η {ACTION_LABELS[action]} δεν επιτρέπεται για υποβολή σε κατάσταση "
                f"«{STATE_LABELS.get(source, source)}»."
            ),
            fields={"action": "Μη επιτρεπτή μετάβαση."},
        )
    at = now_iso()
    audit = {
        "PK": f"SUB#{item_id}",
        "SK": f"AUDIT#{at}#{version + 1:06d}",
        "at": at,
        "by": staff,
        "action": action,
        "from_status": source,
        "to_status": target,
        "version": version + 1,
        "redacted": redacted is not None,
    }
    for field in ("reason", "note"):
        if decision.get(field):
            audit[field] = decision[field]
    if redacted is not None:
        audit["original_body"] = item["body"]
    _write(item, target, at, staff, decision, redacted, audit)
    logger.info("moderation: %s %s → %s", item_id, source, target)  # who: audit trail
    updated = _applied(item, target, at, staff, decision, redacted)
    return {"item": with_context([updated])[0], "audit": public_audit(audit)}


def parse_decision(raw: bytes | None) -> dict[str, Any]:
    """The decision body: JSON object, allowlisted fields, right types, valid choices."""
    raw = raw or b""
    if len(raw) > limits()["max_request_bytes"]:
        raise ApiError("too_large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError("invalid_encoding") from exc
    except ValueError as exc:
        raise ApiError("invalid_json") from exc
    if not isinstance(data, dict):
        raise ApiError("invalid_type", fields={"": "Αναμένεται αντικείμενο JSON."})
    unknown = sorted(set(data) - set(DECISION_FIELDS))
    if unknown:
        raise ApiError("unknown_field", fields={k: "Άγνωστο πεδίο." for k in unknown})
    wrong = {
        k: "Λάθος τύπος."
        for k, v in data.items()
        if v is not None and (not isinstance(v, DECISION_FIELDS[k]) or isinstance(v, bool))
    }
    if wrong:
        raise ApiError("invalid_type", fields=wrong)
    data = {
        k: unicodedata.normalize("NFC", v).strip() if isinstance(v, str) else v
        for k, v in data.items()
        if v is not None
    }
    errors = {}
    action = data.get("action")
    if action not in ACTIONS:
        errors["action"] = "Επιλέξτε έγκριση, απόρριψη ή απόκρυψη."
    reason = data.get("reason")
    if reason and reason not in limits()["moderation_reasons"]:
        errors["reason"] = "Άγνωστος λόγος."
    elif not reason and action in NEEDS_REASON:
        errors["reason"] = "Επιλέξτε λόγο."
    note = data.get("note", "")
    if len(note) > limits()["fields"]["reason_text"]["max"] or CONTROL.search(note):
        errors["note"] = "Η σημείωση είναι πολύ μεγάλη ή περιέχει μη έγκυρους χαρακτήρες."
    if "redacted_body" in data and action != "approve":
        errors["redacted_body"] = "Η απαλοιφή γίνεται μόνο μαζί με έγκριση."
    if "version" in data and data["version"] < 0:
        errors["version"] = "Μη έγκυρη έκδοση."
    if errors:
        raise ApiError("validation", fields=errors)
    return data


def _check_redaction(item: dict[str, Any], body: str) -> str:
    field = "proposal_body" if item.get("kind") == "proposal" else "body"
    rule = limits()["fields"][field]
    if not rule.get("min", 1) <= len(body) <= rule["max"] or CONTROL.search(body):
        raise ApiError(
            "validation",
            fields={"redacted_body": f"Από {rule.get('min', 1)} έως {rule['max']} χαρακτήρες."},
        )
    if body == item.get("body"):
        raise ApiError("validation", fields={"redacted_body": "Το κείμενο δεν άλλαξε."})
    return body


def _write(
    item: dict[str, Any],
    target: str,
    at: str,
    staff: str,
    decision: dict[str, Any],
    redacted: str | None,
    audit: dict[str, Any],
) -> None:
    """The one transaction of a decision; a failed condition (or a concurrent transaction on
    the same item) is the other moderator's win: 409 conflict."""
    names = {"#s": "status"}
    values: dict[str, Any] = {
        ":to": target,
        ":from": item["status"],
        ":at": at,
        ":by": staff,
        ":one": 1,
        ":g2pk": f"STATUS#{target}",
        ":g2sk": f"{at}#{item['id']}",
        ":g3sk": f"{target}#{item['created_at']}#{item['id']}",
    }
    sets = [
        "#s = :to",
        "updated_at = :at",
        "decided_at = :at",
        "decided_by = :by",
        "version = if_not_exists(version, :zero) + :one",
        "GSI2PK = :g2pk",
        "GSI2SK = :g2sk",
        "GSI3SK = :g3sk",
    ]
    values[":zero"] = 0
    removes = []
    for attr, field in (("decision_reason", "reason"), ("decision_note", "note")):
        if decision.get(field):
            sets.append(f"{attr} = :{field}")
            values[f":{field}"] = decision[field]
        else:
            removes.append(attr)
    if target == "approved":
        sets.append("approved_at = if_not_exists(approved_at, :at)")
    if redacted is not None:
        sets += ["body = :body", "redacted = :true"]
        values.update({":body": redacted, ":true": True})
    condition = "#s = :from AND "
    if "version" in item:
        condition += "version = :v"
        values[":v"] = item["version"]
    else:
        condition += "attribute_not_exists(version)"
    update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    table = db.table()
    try:
        table.meta.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table.name,
                        "Key": {"PK": item["PK"], "SK": item["SK"]},
                        "UpdateExpression": update,
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                },
                {
                    "Put": {
                        "TableName": table.name,
                        "Item": audit,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {
                    "Update": {
                        "TableName": table.name,
                        "Key": STATE_KEY,
                        # The count only grows, even when two decisions commit out of
                        # order and last_decision_at steps back: publish compares both.
                        "UpdateExpression": "SET last_decision_at = :at ADD decisions :one",
                        "ExpressionAttributeValues": {":at": at, ":one": 1},
                    }
                },
            ]
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        logger.info("moderation: %s decision lost the race (%s)", item["id"], reasons)
        raise ApiError("conflict") from exc


def _applied(
    item: dict[str, Any],
    target: str,
    at: str,
    staff: str,
    decision: dict[str, Any],
    redacted: str | None,
) -> dict[str, Any]:
    """The item as the transaction left it (saves a read after the write)."""
    updated = {**item, "status": target, "updated_at": at, "decided_at": at, "decided_by": staff}
    updated["version"] = int(item.get("version", 0)) + 1
    for attr, field in (("decision_reason", "reason"), ("decision_note", "note")):
        updated.pop(attr, None)
        if decision.get(field):
            updated[attr] = decision[field]
    if target == "approved":
        updated.setdefault("approved_at", at)
    if redacted is not None:
        updated.update(body=redacted, redacted=True)
    return updated
