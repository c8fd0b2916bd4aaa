"""A campaign group moderated as one (chalicelib.moderation_groups): its members read from their
target, and one change per member (a decision or an answer) written in batches.

A group's members are the items of its target (the comments of one text or one proposal:
by_target; a consultation's proposals: by_consultation) that carry its ``group``, whatever their
status. Each member's change is what it would be alone — the item's update conditional on the
status and version read, and its own audit entry — and up to ``BATCH`` members go in one
TransactWriteItems with one update of a counts shard (their status moves added up: an item may
appear only once in a transaction) and one of the publish state's decision count. A batch that
DynamoDB cancels because some members changed meanwhile is written again without them; those
are read again (strongly consistent) and judged by the caller: ``already`` where it wanted them,
a ``conflict`` (they keep what was decided first), or tried again later in the run. A run stops
after its time budget (at least one batch is written), and what it did not reach is
``remaining``: running it again goes on where it stopped, since a member already moved is no
longer among those to move.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from chalicelib import clock, trigger
from chalicelib.errors import unavailable
from chalicelib.store import answers, counts, decisions, keys, queries, state, submissions
from chalicelib.store.groups import target_of, target_query

logger = logging.getLogger(__name__)

BATCH = 25  # members per transaction: 2 actions each, plus the counts and the publish state
ATTEMPTS = 4  # a batch cancelled by a concurrent transaction on a shared item: tried again
RETRIES = 3  # a member found unchanged in status but of a newer version: tried again that often
SPLIT = "split"  # the audit action of taking an item out of its group
Target = tuple[str, str, str]  # store.groups.target_of: (consultation, kind, name)


def _projection(fields: Sequence[str]) -> tuple[str, dict[str, str]]:
    names = {f"#f{n}": name for n, name in enumerate(fields)}
    return ", ".join(names), names


def members(
    table: Any, target: Target, wanted: Iterable[str], fields: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """group id → its members on ``target`` (every status), oldest first, with ``fields``
    only; one paged Query of the target (at most 100 groups asked at once)."""
    ids = sorted(set(wanted))
    if not ids:
        return {}
    projection, names = _projection([*fields, *(() if "group" in fields else ("group",))])
    kwargs = {
        **target_query(target, Attr("group").is_in(ids)),
        "ProjectionExpression": projection,
        "ExpressionAttributeNames": names,
    }
    found: dict[str, list[dict[str, Any]]] = {}
    for page in queries.pages(table, kwargs):
        for item in page.get("Items", []):
            if target_of(item) == target:  # never a reply (grouping never groups one)
                found.setdefault(str(item["group"]), []).append(item)
    for listed in found.values():
        listed.sort(key=lambda i: (str(i.get("created_at", "")), str(i["id"])))
    return found


def fresh(table: Any, ids: Iterable[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Some items as they are now (BatchGetItem, strongly consistent), with ``fields``."""
    projection, names = _projection(fields)
    found: dict[str, dict[str, Any]] = {}
    wanted = [keys.submission(i) for i in sorted(set(ids))]
    for start in range(0, len(wanted), 100):
        request: dict[str, Any] = {
            table.name: {
                "Keys": wanted[start : start + 100],
                "ConsistentRead": True,
                "ProjectionExpression": projection,
                "ExpressionAttributeNames": names,
            }
        }
        while request:
            answer = table.meta.client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table.name, []):
                found[str(item["id"])] = item
            request = answer.get("UnprocessedKeys") or {}
    return found


@dataclass(frozen=True)
class Change:
    """One member's change in a batch: its conditional update, its audit entry, and the status
    it moves to (None: it stays)."""

    item: dict[str, Any]
    update: dict[str, Any]
    audit: dict[str, Any]
    to_status: str | None = None


def decision_change(
    table_name: str, item: dict[str, Any], decision: decisions.Decision, action: str, group: str
) -> Change:
    """A member's decision, as ``decisions.decide`` writes one alone; its audit entry names
    the group."""
    audit = {**decisions.audit_entry(item, decision, action), "group": group}
    sets, values, removes = decisions.decision_changes(item, decision)
    update = decisions.update_action(
        table_name, item, at=decision.at, sets=sets, values=values, removes=removes
    )
    return Change(item, update, audit, decision.target.value)


def answer_change(
    table_name: str, item: dict[str, Any], answer: answers.Answer, group: str
) -> Change:
    """A member's answer, as ``answers.write`` writes one alone; its audit entry names the
    group."""
    audit = {**answers.audit_entry(item, answer), "group": group}
    sets, values = answers.changes(item, answer)
    update = decisions.update_action(table_name, item, at=answer.at, sets=sets, values=values)
    return Change(item, update, audit)


def commit(table: Any, changes: Sequence[Change], at: str) -> set[str]:
    """One batch as one transaction; the ids of the members whose action was cancelled (their
    condition failed, or another transaction held them), none when it committed. A cancellation
    of the shared items alone (a counts shard, the publish state) is tried again, then 503."""
    moves: Counter[tuple[str, str | None, str]] = Counter(
        (str(c.item["consultation"]), str(c.item["status"]), c.to_status)
        for c in changes
        if c.to_status is not None
    )
    for attempt in range(ATTEMPTS):
        actions: list[dict[str, Any]] = []
        for change in changes:
            actions.append(change.update)
            actions.append(
                {
                    "Put": {
                        "TableName": table.name,
                        "Item": change.audit,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            )
        move = counts.moves_action(table.name, moves)  # a shard drawn again on each attempt
        if move is not None:
            actions.append(move)
        actions.append({"Update": {"TableName": table.name, **state.counted(at, len(changes))}})
        try:
            table.meta.client.transact_write_items(TransactItems=actions)
            return set()
        except ClientError as exc:
            codes = submissions.cancellation_codes(exc)
            if codes is None:
                raise
        failed = {
            str(changes[n // 2].item["id"])
            for n, code in enumerate(codes[: 2 * len(changes)])
            if code not in ("None", "")
        }
        if failed:
            return failed
        time.sleep(random.uniform(0.02, 0.05) * 2**attempt)
    logger.warning("group batch cancelled %s times on shared items", ATTEMPTS)
    raise unavailable()


# (the member as read, as it is now) → "already" (as wanted), "retry" (still to change) or
# "conflict" (changed otherwise meanwhile: it keeps that).
Judge = Callable[[dict[str, Any], dict[str, Any]], str]
Build = Callable[[dict[str, Any], str], Change]  # (member, the batch's time) → its change


@dataclass
class Outcome:
    """What a run did: the members changed, those found already as wanted, those that changed
    otherwise meanwhile (id and status now), and how many it did not reach."""

    done: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    remaining: int = 0


def apply(
    table: Any,
    items: Sequence[dict[str, Any]],
    build: Build,
    judge: Judge,
    *,
    until: float,
    fields: Sequence[str],
) -> Outcome:
    """Change ``items`` batch by batch (see the module docstring) until done or the clock
    (``time.monotonic``) passes ``until`` — after one batch at least; each committed batch asks
    for a publish."""
    queue = deque(items)
    tries: Counter[str] = Counter()
    outcome = Outcome()
    batches = 0
    while queue and (not batches or time.monotonic() < until):
        batch = [queue.popleft() for _ in range(min(BATCH, len(queue)))]
        batches += 1
        while batch:
            at = clock.now_iso()
            failed = commit(table, [build(item, at) for item in batch], at)
            if not failed:
                outcome.done += [str(item["id"]) for item in batch]
                trigger.soon(table, at)
                break
            now = fresh(table, failed, fields)
            for item in batch:
                item_id = str(item["id"])
                if item_id not in failed:
                    continue
                current = now.get(item_id)
                verdict = judge(item, current) if current is not None else "conflict"
                if verdict == "retry" and current is not None and tries[item_id] < RETRIES:
                    tries[item_id] += 1
                    queue.append(current)
                elif verdict == "retry":
                    outcome.remaining += 1
                elif verdict == "already":
                    outcome.already.append(item_id)
                else:
                    status = current.get("status") if current else None
                    outcome.conflicts.append({"id": item_id, "status": status})
            batch = [item for item in batch if str(item["id"]) not in failed]
    outcome.remaining += len(queue)
    logger.info(
        "group run: %d changed, %d already, %d conflicts, %d remaining, %d batches",
        len(outcome.done),
        len(outcome.already),
        len(outcome.conflicts),
        outcome.remaining,
        batches,
    )
    return outcome


def split(table: Any, item: dict[str, Any], at: str, by: str) -> dict[str, Any]:
    """Take ``item`` out of its group (``group`` removed, ``group_split`` set: grouping leaves
    it alone) as one audited change, conditional on the status and version read (409 on a
    race). An approved item's published entry changes: its by_status stamp is renewed (the
    export takes it) and the publish state counts it. Returns the audit entry."""
    status = str(item["status"])
    audit = {**decisions.audit_base(item, at, by, SPLIT, status), "group": item["group"]}
    sets, values = ["group_split = :split"], dict[str, Any]({":split": True})
    published = status == keys.Status.APPROVED.value
    if published:
        sets.append("GSI2SK = :stamp")
        values[":stamp"] = keys.status_index(status, at, str(item["id"]))["GSI2SK"]
    decisions.audited(
        table,
        item,
        audit,
        at=at,
        sets=sets,
        values=values,
        removes=["group"],
        count=published,
    )
    return audit
