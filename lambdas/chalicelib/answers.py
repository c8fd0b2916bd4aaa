"""The municipality's answers to approved comments and proposals (staff routes).

One answer is a disposition from limits.json ``dispositions`` and a short plain text cleaned by
the one cleaner; it is written by chalicelib.store.answers (conditional, audited) and published
with the next run. Many items can get the same answer at once (the selected comments of one
paragraph): each is its own conditional write, and the answer says which succeeded and why the
others did not, so that staff can retry only those.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from chalicelib import clock, db
from chalicelib.errors import ApiError
from chalicelib.moderation import parse_body
from chalicelib.moderation_queue import ITEM_ID, public_audit, read, with_context
from chalicelib.spec import limits
from chalicelib.store import answers, keys

logger = logging.getLogger(__name__)

ANSWER_FIELDS = {"disposition": str, "text": str, "version": int}
BULK_FIELDS = {"ids": list, "disposition": str, "text": str}


def dispositions() -> dict[str, str]:
    """code → label, in the order staff choose from."""
    return dict(limits()["dispositions"]["labels"])


def answer(item_id: str, raw_body: str | bytes | None, staff: str) -> dict[str, Any]:
    """Answer one item (or change its answer); answers the item and the new audit entry."""
    data = _checked(*parse_body(raw_body, ANSWER_FIELDS))
    item = read(item_id)
    if data.get("version") not in (None, int(item.get("version", 0))):
        raise ApiError("conflict")
    updated, audit = _write(item, data, staff)
    return {"item": with_context([updated])[0], "audit": public_audit(audit)}


def answer_many(raw_body: str | bytes | None, staff: str) -> dict[str, Any]:
    """The same answer on each of ``ids``: ``answered`` (ids) and ``failed`` (id, code,
    message) — one item that cannot be answered never stops the others."""
    data, errors = parse_body(raw_body, BULK_FIELDS)
    ids = data.pop("ids", None)
    most = int(limits()["fields"]["answer_ids"]["max"])
    if not isinstance(ids, list) or not ids:
        errors["ids"] = "Επιλέξτε τουλάχιστον μία υποβολή."
    elif len(ids) > most:
        errors["ids"] = f"Έως {most} υποβολές σε μία απάντηση."
    elif not all(isinstance(i, str) and ITEM_ID.fullmatch(i) for i in ids):
        errors["ids"] = "Μη έγκυρο αναγνωριστικό υποβολής."
    data = _checked(data, errors)
    answered: list[str] = []
    failed: list[dict[str, str]] = []
    for item_id in dict.fromkeys(ids or []):  # each once, in the order given
        try:
            _write(read(item_id), data, staff)
        except ApiError as err:
            failed.append({"id": item_id, "code": err.code, "message": err.message})
            continue
        answered.append(item_id)
    logger.info("answers: %d answered, %d failed", len(answered), len(failed))
    return {"answered": answered, "failed": failed}


def parse_answer(
    raw_body: str | bytes | None, allowed: Mapping[str, type] = ANSWER_FIELDS
) -> dict[str, Any]:
    """An answer's body checked (``allowed``: a group's answer has no version,
    chalicelib.moderation_groups): the cleaned fields, else 400 or a Greek 422."""
    return _checked(*parse_body(raw_body, allowed))


def _checked(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The disposition is one of the list; the text within its limits; else a Greek 422."""
    choices = dispositions()
    if data.get("disposition") not in choices and "disposition" not in errors:
        errors["disposition"] = "Επιλέξτε απάντηση: " + ", ".join(choices.values()) + "."
    rule = limits()["fields"]["answer_text"]
    length = len(data.get("text", ""))
    if "text" not in errors and not rule["min"] <= length <= rule["max"]:
        errors["text"] = (
            "Γράψτε την απάντηση του Δήμου."
            if length == 0
            else f"Η απάντηση πρέπει να έχει από {rule['min']} έως {rule['max']} χαρακτήρες."
        )
    if data.get("version", 0) < 0:
        errors["version"] = "Μη έγκυρη έκδοση."
    if errors:
        raise ApiError("validation", fields=errors)
    return data


def _write(
    item: dict[str, Any], data: dict[str, Any], staff: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    if not answers.answerable(item):
        label = keys.STATUS_LABELS.get(item["status"], item["status"])
        raise ApiError(
            "conflict",
            message=f"Απαντήσεις δίνονται μόνο σε εγκεκριμένες υποβολές (αυτή: «{label}»).",
            fields={"status": "Η υποβολή δεν είναι εγκεκριμένη."},
        )
    given = answers.Answer(
        disposition=data["disposition"], text=data["text"], at=clock.now_iso(), by=staff
    )
    audit = answers.audit_entry(item, given)
    answers.write(db.table(), item, given, audit)
    logger.info("answers: %s %s", item["id"], given.disposition)  # who: the audit trail
    return answers.applied(item, given), audit
