"""Submission items: writing a new one and reading one (deciding on one: store.decisions).

A new submission is one TransactWriteItems of the submission item, its idempotency item (when
the client sent a ``submission_key``), its duplicate guard and its network's rate count, each
conditional, so either all are written or none, in one round trip. A retried post (same key,
same content) finds the idempotency item and gets the first answer again; the same key with other
content is refused. Concurrent transactions on the same key are cancelled by DynamoDB
(``TransactionConflict``) and retried a few times, after which the loser reads the winner's item.

The idempotency item proves nothing about a person: its fingerprint of the content (which holds
the e-mail) is an HMAC under the secret IP_HASH_KEY, it expires after ``guards.idempotency_seconds``
and the retention purge deletes it with the e-mail.

Decisions on a submission (staff's, an answer, its author's) are store.decisions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import clock, config, guards, ids, logs, text
from chalicelib.errors import ApiError, unavailable
from chalicelib.spec import limits
from chalicelib.store import counts, keys
from chalicelib.store.keys import Status

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


def fingerprint(kind: str, fields: dict[str, Any]) -> str:
    """What must match for a post with a known submission_key to count as a retry: an HMAC,
    so that nobody who guesses an address can confirm it from the stored record."""
    content = {k: v for k, v in fields.items() if k != "submission_key"}
    canonical = json.dumps([kind, content], sort_keys=True, ensure_ascii=False)
    return hmac.new(config.get().ip_hash_key, canonical.encode(), hashlib.sha256).hexdigest()


def build_item(kind: str, fields: dict[str, Any], moment: datetime) -> dict[str, Any]:
    """The submission item, status ``pending``, version 1. It carries no trace of the
    network: the prefix hash lives only in the guard items, which expire."""
    sub_id, stamp = ids.new_id(int(moment.timestamp() * 1000)), clock.iso(moment)
    status = Status.PENDING.value
    return {
        **keys.submission(sub_id),
        **fields,
        "id": sub_id,
        "kind": kind,
        "status": status,
        "reference": ids.new_reference(),
        "publish_name": bool(fields.get("publish_name", False)),
        "body_print": text.fingerprint(compared_text({"kind": kind, **fields})),
        **({"participant": guards.participant(fields["email"])} if fields.get("email") else {}),
        "consent": {"terms_version": limits()["terms_version"], "at": stamp},
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
        **keys.status_index(status, stamp, sub_id),
        **keys.consultation_index(fields["consultation"], status, stamp, sub_id),
        **keys.target_index(fields, stamp, sub_id),
    }


def compared_text(item: dict[str, Any]) -> str:
    """What grouping compares of a submission (chalicelib.campaigns): a comment's body, a
    proposal's title and description."""
    if item.get("kind") == "proposal":
        return f"{item.get('title', '')}\n{item.get('body', '')}"
    return str(item.get("body", ""))


def put_submission(
    table: Any,
    item: dict[str, Any],
    fprint: str,
    guard_put: dict[str, Any],
    rate: guards.RateCount,
    extra: dict[str, dict[str, Any]] | None = None,
) -> Accepted:
    """Write the submission, its idempotency item, its duplicate guard, its rate count and the
    ``extra`` new items (its private link, its receipt in the outbox) atomically. The first
    answer again on a retry (whatever the network's count); 422 when the key was used for other
    content; 429 ``rate_limited`` past the network's limit; 409 ``duplicate`` when the guard
    refuses (in this order, the contract's)."""
    key = item.get("submission_key")
    actions = transaction(table.name, item, fprint, guard_put, rate)
    actions.update(extra or {})
    counted = counts.change_action(table.name, item["consultation"], None, item["status"])
    if counted is not None:  # one more pending: a counts shard, in the same round trip
        actions["counts"] = counted
    codes: list[str] = []
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            table.meta.client.transact_write_items(TransactItems=list(actions.values()))
            return Accepted(item["id"], item["reference"], item["status"])
        except ClientError as exc:
            found = cancellation_codes(exc)
            if found is None:
                raise
            codes = found
        failed = {n for n, code in zip(actions, codes, strict=False) if code == CHECK_FAILED}
        if "idem" in failed and key is not None:
            return _replay(table, key, fprint)
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
    raise unavailable()


def transaction(
    table_name: str,
    item: dict[str, Any],
    fprint: str,
    guard_put: dict[str, Any],
    rate: guards.RateCount,
) -> dict[str, dict[str, Any]]:
    """The actions, named, so that the cancellation reasons (one per action, in order) map back
    to them. The idempotency item comes first: a retry must be recognised as one whatever else
    its transaction would have refused."""
    actions: dict[str, dict[str, Any]] = {}
    key = item.get("submission_key")
    if key is not None:
        now = clock.epoch()
        idem = {
            **keys.idempotency(key),
            "id": item["id"],
            "reference": item["reference"],
            "status": item["status"],
            "fingerprint": fprint,
            "created_at": item["created_at"],
            keys.TTL_ATTRIBUTE: now + int(limits()["guards"]["idempotency_seconds"]),
        }
        actions["idem"] = {
            "Put": {
                "TableName": table_name,
                "Item": idem,
                # TTL deletion is lazy: an expired record no longer counts.
                "ConditionExpression": "attribute_not_exists(PK) OR #exp <= :now",
                "ExpressionAttributeNames": {"#exp": keys.TTL_ATTRIBUTE},
                "ExpressionAttributeValues": {":now": now},
            }
        }
    actions["rate"] = rate.update
    actions["duplicate"] = guard_put
    actions["submission"] = {
        "Put": {
            "TableName": table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
    return actions


def cancellation_codes(exc: ClientError) -> list[str] | None:
    """The reasons of a cancelled transaction (one code per action, in order), else None: every
    transaction of the store maps them back to its actions."""
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    return [str(r.get("Code") or "None") for r in exc.response.get("CancellationReasons", [])]


def _replay(table: Any, key: str, fprint: str) -> Accepted:
    stored = table.get_item(Key=keys.idempotency(key), ConsistentRead=True).get("Item")
    if stored is None:  # only if someone deleted it between the two calls
        raise unavailable()
    if not hmac.compare_digest(str(stored.get("fingerprint", "")), fprint):
        raise ApiError(
            "validation",
            fields={"submission_key": "Το κλειδί υποβολής χρησιμοποιήθηκε ήδη για άλλη υποβολή."},
        )
    return Accepted(stored["id"], stored["reference"], stored["status"], replay=True)


def get(table: Any, sub_id: str) -> dict[str, Any] | None:
    """One submission item by id (strongly consistent), or None."""
    return table.get_item(Key=keys.submission(sub_id), ConsistentRead=True).get("Item")


def titles(table: Any, sub_ids: set[str]) -> dict[str, str]:
    """The titles of some proposals (one BatchGetItem per 100)."""
    found: dict[str, str] = {}
    wanted = [keys.submission(i) for i in sorted(sub_ids)]
    for start in range(0, len(wanted), 100):
        request: dict[str, Any] = {
            table.name: {"Keys": wanted[start : start + 100], "ProjectionExpression": "id, title"}
        }
        while request:
            answer = table.meta.client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table.name, []):
                if "title" in item:
                    found[item["id"]] = item["title"]
            request = answer.get("UnprocessedKeys") or {}
    return found
