"""Submission items: writing a new one, reading one, deciding on one, forgetting its email.

A new submission is one TransactWriteItems of the submission item, its idempotency item (when
the client sent a ``submission_key``), its duplicate guard and its network's rate count, each
conditional, so either all are written or none, in one round trip. A retried post (same key,
same content) finds the idempotency item and gets the first answer again; the same key with other
content is refused. Concurrent transactions on the same key are cancelled by DynamoDB
(``TransactionConflict``) and retried a few times, after which the loser reads the winner's item.

The idempotency item proves nothing about a person: its fingerprint of the content (which holds
the e-mail) is an HMAC under the secret IP_HASH_KEY, it expires after ``guards.idempotency_seconds``
and the retention purge deletes it with the e-mail.

A decision is one transaction too: the item (conditional on the status and version read, so of
two moderators deciding at once exactly one wins), its audit entry (the only place an original
body survives a redaction) and the decision count on the publish state item.
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

from chalicelib import clock, config, guards, ids, logs, text, trigger
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
            found = _cancellation_codes(exc)
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


def _cancellation_codes(exc: ClientError) -> list[str] | None:
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


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


@dataclass(frozen=True)
class Decision:
    """One moderation decision, checked by chalicelib.moderation: what the write needs."""

    target: Status
    at: str
    by: str
    reason: str | None = None
    note: str | None = None
    redacted_body: str | None = None


def audit_base(
    item: dict[str, Any], at: str, by: str, action: str, to_status: str
) -> dict[str, Any]:
    """What every audit entry of ``item`` holds: when, who, what, and the version it makes."""
    version = int(item.get("version", 0)) + 1
    return {
        **keys.audit(item["id"], at, version),
        "at": at,
        "by": by,
        "action": action,
        "from_status": item["status"],
        "to_status": to_status,
        "version": version,
    }


def audit_entry(item: dict[str, Any], decision: Decision, action: str) -> dict[str, Any]:
    """The audit entry of ``decision`` on ``item``."""
    entry = audit_base(item, decision.at, decision.by, action, decision.target.value)
    entry["redacted"] = decision.redacted_body is not None
    if decision.reason:
        entry["reason"] = decision.reason
    if decision.note:
        entry["note"] = decision.note
    return entry


def original_item(item: dict[str, Any], audit: dict[str, Any]) -> dict[str, Any]:
    """The body a redaction replaces, kept for staff beside its audit entry until its TTL (the
    only home of a redacted original; the audit trail shows it while it lasts)."""
    days = int(limits()["retention"]["redacted_original_days"])
    moment = datetime.fromisoformat(audit["at"].replace("Z", "+00:00"))
    return {
        **keys.original(item["id"], audit["at"], int(audit["version"])),
        "original_body": item["body"],
        keys.TTL_ATTRIBUTE: int(moment.timestamp()) + days * 86400,
    }


def moved(
    item: dict[str, Any], target: str, at: str, sets: list[str], values: dict[str, Any]
) -> None:
    """Add to an update what moving ``item`` to status ``target`` at ``at`` sets: the status and
    its keys in the by_status and by_consultation indexes."""
    sets.append("#s = :to")
    values[":to"] = target
    index = {
        **keys.status_index(target, at, item["id"]),
        **keys.consultation_index(item["consultation"], target, item["created_at"], item["id"]),
    }
    for n, (attr, key) in enumerate(sorted(index.items())):
        sets.append(f"{attr} = :k{n}")
        values[f":k{n}"] = key


def decide(table: Any, item: dict[str, Any], decision: Decision, audit: dict[str, Any]) -> None:
    """The one transaction of a decision (``audited``)."""
    sets, values, removes = decision_changes(item, decision)
    extra = [original_item(item, audit)] if decision.redacted_body is not None else []
    at = decision.at
    audited(table, item, audit, at=at, sets=sets, values=values, removes=removes, puts=extra)


def decision_changes(
    item: dict[str, Any], decision: Decision
) -> tuple[list[str], dict[str, Any], list[str]]:
    """What ``decision`` sets and removes on ``item`` (the update's parts, for ``audited`` or
    for ``update_action`` in a group's batch: store.group_decisions)."""
    target, at = decision.target.value, decision.at
    values: dict[str, Any] = {":by": decision.by}
    sets = ["decided_at = :at", "decided_by = :by"]
    moved(item, target, at, sets, values)
    removes = []
    for attr, value in (("decision_reason", decision.reason), ("decision_note", decision.note)):
        if value:
            sets.append(f"{attr} = :{attr}")
            values[f":{attr}"] = value
        else:
            removes.append(attr)
    if decision.target is Status.APPROVED:
        sets.append("approved_at = if_not_exists(approved_at, :at)")
    if decision.redacted_body is not None:
        sets += ["body = :body", "redacted = :true"]
        values.update({":body": decision.redacted_body, ":true": True})
    return sets, values, removes


def audited(
    table: Any,
    item: dict[str, Any],
    audit: dict[str, Any],
    *,
    at: str,
    sets: list[str],
    values: dict[str, Any],
    removes: list[str] | None = None,
    puts: list[dict[str, Any]] | None = None,
    count: bool = True,
) -> None:
    """One staff change as one transaction: the item's update (``sets``, plus ``updated_at``
    and the version), conditional on the status and version read, so of two members of staff
    changing it at once exactly one wins; its audit entry; and the decision count on the
    publish state item, so that the next publish takes it. The loser (a failed condition, or a
    concurrent transaction on the same item) gets 409 ``conflict``. Decisions (here) and
    answers (store.answers) and authors' actions (store.follow) are written by it; ``puts``
    are more new items of the same change (a redacted original), and ``count=False`` leaves the
    publish alone (a change the site does not show). A counted change asks for a publish at
    once (chalicelib.trigger), after it committed."""
    actions = [
        update_action(table.name, item, at=at, sets=sets, values=values, removes=removes),
        {
            "Put": {
                "TableName": table.name,
                "Item": audit,
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
        *({"Put": {"TableName": table.name, "Item": extra}} for extra in (puts or [])),
    ]
    move = counts.change_action(table.name, item["consultation"], item["status"], values.get(":to"))
    if move is not None:  # the status changes: the counts move in the same transaction
        actions.append(move)
    if count:
        actions.append(
            {
                "Update": {
                    "TableName": table.name,
                    "Key": keys.PUBLISH_STATE,
                    # The count only grows, even when two decisions commit out of order and
                    # last_decision_at steps back: publish compares both.
                    "UpdateExpression": "SET last_decision_at = :at ADD decisions :one",
                    "ExpressionAttributeValues": {":at": at, ":one": 1},
                }
            }
        )
    try:
        table.meta.client.transact_write_items(TransactItems=actions)
    except ClientError as exc:
        if _cancellation_codes(exc) is None:
            raise
        logger.info("store: %s %s lost the race (%s)", item["id"], audit.get("action"), exc)
        raise ApiError("conflict") from exc
    if count:  # the site shows this change: publish it now, not at the schedule's next tick
        trigger.soon(table, at)


def update_action(
    table_name: str,
    item: dict[str, Any],
    *,
    at: str,
    sets: list[str],
    values: dict[str, Any],
    removes: list[str] | None = None,
) -> dict[str, Any]:
    """The item's update of one staff change (``audited``; a group's batch): ``sets`` plus
    ``updated_at`` and the version, conditional on the status and version read."""
    values = {**values, ":at": at, ":from": item["status"], ":one": 1, ":zero": 0}
    sets = [*sets, "updated_at = :at", "version = if_not_exists(version, :zero) + :one"]
    condition = "#s = :from AND "
    if "version" in item:
        condition += "version = :v"
        values[":v"] = item["version"]
    else:
        condition += "attribute_not_exists(version)"
    # Placeholders for the removed names: some (location, group) are DynamoDB reserved words.
    names = {"#s": "status", **{f"#r{n}": name for n, name in enumerate(removes or [])}}
    update = "SET " + ", ".join(sets)
    if removes:
        update += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(removes)))
    return {
        "Update": {
            "TableName": table_name,
            "Key": keys.submission(item["id"]),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def applied(item: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """The item as ``decide`` left it (saves a read after the write)."""
    at = decision.at
    updated = {
        **item,
        "status": decision.target.value,
        "updated_at": at,
        "decided_at": at,
        "decided_by": decision.by,
        "version": int(item.get("version", 0)) + 1,
    }
    for attr, value in (("decision_reason", decision.reason), ("decision_note", decision.note)):
        updated.pop(attr, None)
        if value:
            updated[attr] = value
    if decision.target is Status.APPROVED:
        updated.setdefault("approved_at", at)
    if decision.redacted_body is not None:
        updated.update(body=decision.redacted_body, redacted=True)
    return updated
