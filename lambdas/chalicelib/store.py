"""Writing a new submission: one TransactWriteItems of the submission item, its idempotency item
(``IDEM#<submission_key>``, when the client sent a key), its duplicate guard and its network's
rate count, each conditional, so either all are written or none, in one round trip.

A retried post (same key, same content) finds the IDEM item and gets the first answer again; the
same key with other content is refused. Concurrent transactions on the same key are cancelled by
DynamoDB (``TransactionConflict``) and retried a few times, after which the loser reads the
winner's IDEM item. Item layout: docs/contracts.md. No Scan anywhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import config, db, guards, ids, logs
from chalicelib.errors import ApiError
from chalicelib.spec import limits

logger = logging.getLogger(__name__)

CONFLICT_ATTEMPTS = 4
CHECK_FAILED = "ConditionalCheckFailed"


@dataclass(frozen=True)
class Accepted:
    id: str
    reference: str
    status: str
    replay: bool = False
    decoy: bool = False  # the honeypot's answer: nothing was stored

    def answer(self) -> dict[str, str]:
        return {"id": self.id, "status": self.status, "reference": self.reference}


def now_iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and ``Z`` (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def target_key(fields: dict[str, Any]) -> str | None:
    """The by_target partition of a comment; proposals have none (they are listed per
    consultation)."""
    if "text" in fields:
        return f"TARGET#{fields['consultation']}#{fields['text']}"
    if "proposal" in fields:
        return f"TARGET#{fields['consultation']}#proposal#{fields['proposal']}"
    return None


def fingerprint(kind: str, fields: dict[str, Any]) -> str:
    """What must match for a post with a known submission_key to count as a retry."""
    content = {k: v for k, v in fields.items() if k != "submission_key"}
    canonical = json.dumps([kind, content], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_item(kind: str, fields: dict[str, Any], moment: datetime) -> dict:
    """The submission item of docs/contracts.md, status ``pending``, version 1. It carries no
    trace of the network: the prefix hash lives only in the guard items, which expire."""
    sub_id, stamp = ids.new_id(int(moment.timestamp() * 1000)), now_iso(moment)
    item: dict[str, Any] = {
        "PK": f"SUB#{sub_id}",
        "SK": "SUB",
        **fields,
        "id": sub_id,
        "kind": kind,
        "status": "pending",
        "reference": ids.new_reference(),
        "publish_name": bool(fields.get("publish_name", False)),
        "consent": {"terms_version": limits()["terms_version"], "at": stamp},
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
        "GSI2PK": "STATUS#pending",
        "GSI2SK": f"{stamp}#{sub_id}",
        "GSI3PK": f"CONS#{fields['consultation']}",
        "GSI3SK": f"pending#{stamp}#{sub_id}",
    }
    target = target_key(fields)
    if target is not None:
        item["GSI1PK"], item["GSI1SK"] = target, f"{stamp}#{sub_id}"
    return item


def put_submission(
    item: dict[str, Any], fprint: str, guard_put: dict[str, Any], rate: guards.RateCount
) -> Accepted:
    """Write the submission, its IDEM item, its duplicate guard and its rate count atomically:
    one round trip. A cancelled transaction says, item by item, which condition failed.

    The first answer again on a retry (whatever the network's count); 422 when the key was used
    for other content; 429 ``rate_limited`` past the network's limit; 409 ``duplicate`` when the
    guard refuses (in this order, the contract's).
    """
    key = item.get("submission_key")
    actions = transaction(item, fprint, guard_put, rate)
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            db.table().meta.client.transact_write_items(TransactItems=list(actions.values()))
            return Accepted(item["id"], item["reference"], item["status"])
        except ClientError as exc:
            codes = _cancellation_codes(exc)
            if codes is None:
                raise
        failed = {n for n, code in zip(actions, codes, strict=False) if code == CHECK_FAILED}
        if "idem" in failed:
            return _replay(key, fprint)
        if "TransactionConflict" in codes and attempt + 1 < CONFLICT_ATTEMPTS:
            time.sleep(random.uniform(0.02, 0.05) * 2**attempt)
            continue
        if "rate" in failed:
            logs.metric("rate_limited")
            raise ApiError("rate_limited", headers={"Retry-After": str(rate.retry_after)})
        if "duplicate" in failed:
            raise ApiError("duplicate", fields={"body": "Το ίδιο κείμενο έχει ήδη υποβληθεί."})
        break
    logger.warning("submission transaction cancelled: %s", codes)
    raise _unavailable()


def transaction(
    item: dict[str, Any], fprint: str, guard_put: dict[str, Any], rate: guards.RateCount
) -> dict[str, dict[str, Any]]:
    """The TransactWriteItems actions of a submission, named, so that the cancellation reasons
    (one per action, in order) map back to them. The IDEM item comes first: a retry must be
    recognised as one whatever else its transaction would have refused."""
    name = config.get().table_name
    actions: dict[str, dict[str, Any]] = {}
    key = item.get("submission_key")
    if key is not None:
        idem = {
            "PK": f"IDEM#{key}",
            "SK": "IDEM",
            "id": item["id"],
            "reference": item["reference"],
            "status": item["status"],
            "fingerprint": fprint,
            "created_at": item["created_at"],
        }
        actions["idem"] = _put_new(name, idem)
    actions["rate"] = rate.update
    actions["duplicate"] = guard_put
    actions["submission"] = _put_new(name, item)
    return actions


def _put_new(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def _cancellation_codes(exc: ClientError) -> list[str] | None:
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


def _replay(key: str, fprint: str) -> Accepted:
    idem = db.table().get_item(Key={"PK": f"IDEM#{key}", "SK": "IDEM"}, ConsistentRead=True)
    stored = idem.get("Item")
    if stored is None:  # only if someone deleted it between the two calls
        raise _unavailable()
    if stored.get("fingerprint") != fprint:
        raise ApiError(
            "validation",
            fields={"submission_key": "Το κλειδί υποβολής χρησιμοποιήθηκε ήδη για άλλη υποβολή."},
        )
    return Accepted(stored["id"], stored["reference"], stored["status"], replay=True)


def get_submission(sub_id: str) -> dict[str, Any] | None:
    """One submission item by id (strongly consistent), or None."""
    answer = db.table().get_item(Key={"PK": f"SUB#{sub_id}", "SK": "SUB"}, ConsistentRead=True)
    return answer.get("Item")


def _unavailable() -> ApiError:
    seconds = limits()["guards"]["unavailable_retry_after_seconds"]
    return ApiError("unavailable", headers={"Retry-After": str(seconds)})


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn "the database cannot be reached" into 503 ``unavailable``; anything else is a bug
    and propagates."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        if not db.is_unavailable(exc):
            raise
        logger.warning("database unavailable: %s", type(exc).__name__)
        raise _unavailable() from exc
