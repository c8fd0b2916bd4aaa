"""Decisions on a submission: staff's (approve, reject, hide, redact), the municipality's answers
(store.answers), its author's actions (store.follow), a group's (store.group_decisions).

A decision is one transaction: the item (conditional on the status and version read, so of two
moderators deciding at once exactly one wins), its audit entry (the only place an original body
survives a redaction), the status counts (store.counts) and the decision count on the publish
state item, which asks for a publish at once (chalicelib.trigger).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import trigger
from chalicelib.errors import ApiError
from chalicelib.spec import limits
from chalicelib.store import counts, keys, state
from chalicelib.store.keys import Status
from chalicelib.store.submissions import cancellation_codes

logger = logging.getLogger(__name__)


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
        actions.append({"Update": {"TableName": table.name, **state.counted(at)}})
    try:
        table.meta.client.transact_write_items(TransactItems=actions)
    except ClientError as exc:
        if cancellation_codes(exc) is None:
            raise
        logger.info("store: %s %s lost the race (%s)", item["id"], audit.get("action"), exc)
        raise ApiError("conflict") from exc
    if count:  # the site shows this change: publish it now, not at the schedule's next tick
        trigger.soon(table, at)


def as_read(item: dict[str, Any], values: dict[str, Any]) -> str:
    """The condition that ``item`` is still as it was read, its status (``#s``) and version:
    every change of a submission is conditional on it; adds its values to ``values``."""
    values[":from"] = item["status"]
    if "version" not in item:
        return "#s = :from AND attribute_not_exists(version)"
    values[":v"] = item["version"]
    return "#s = :from AND version = :v"


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
    values = {**values, ":at": at, ":one": 1, ":zero": 0}
    sets = [*sets, "updated_at = :at", "version = if_not_exists(version, :zero) + :one"]
    condition = as_read(item, values)
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
