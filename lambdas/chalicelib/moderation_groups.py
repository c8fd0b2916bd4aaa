"""Campaign groups moderated as one (docs/contracts.md, "Moderating groups").

A group is the items of one target (a text's or a proposal's top-level comments, or a
consultation's proposals) that carry its id in ``group`` (chalicelib.grouping). Staff see it as
one row: how many members wait or are published, its representative (the earliest member) and
the sentences each member added to it; they approve, reject, hide or answer all of it in one
action — one audited change per member, written in batches by chalicelib.store.group_decisions,
stopping after ``BUDGET_SECONDS`` with ``remaining`` (calling again goes on where it stopped) —
and can take an item out of its group (``split``). Answers carry the queue's allowlisted fields
(chalicelib.moderation_queue ``ITEM_FIELDS``: never email).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from chalicelib import clock, cursors, db
from chalicelib.answers import parse_answer
from chalicelib.errors import ApiError
from chalicelib.moderation import parse_body, parse_decision
from chalicelib.moderation_queue import (
    ITEM_FIELDS,
    ITEM_ID,
    STATUSES,
    known_params,
    page_limit,
    public_audit,
    read,
    with_context,
)
from chalicelib.store import answers, decisions, group_decisions, keys, submissions
from chalicelib.store.groups import target_of
from chalicelib.store.keys import Action, Status
from chalicelib.text import added, sentence_forms

logger = logging.getLogger(__name__)

# Under the API function's timeout (lambdas/.chalice/config.json ``api_handler``: 15 s; API
# Gateway's own limit is 29 s): a larger group answers ``remaining`` and is called again.
BUDGET_SECONDS = 10.0
DIFFERENCES = 20  # members whose additions a group's summary shows
COUNTED = (Status.PENDING.value, Status.APPROVED.value)  # a group's ``count``
DECIDABLE = (Status.PENDING, Status.APPROVED, Status.REJECTED, Status.HIDDEN)
FIELDS = ITEM_FIELDS  # what is read of a member: what staff may see, and all a change needs
SHOW_PARAMS = frozenset({"status", "limit", "cursor"})
DECISION_FIELDS = {"action": str, "reason": str, "note": str, "status": str}
ANSWER_FIELDS = {"disposition": str, "text": str}
SPLIT_FIELDS = {"version": int}


@dataclass(frozen=True)
class Group:
    id: str
    target: group_decisions.Target
    members: list[dict[str, Any]]  # every status, oldest first


@dataclass(frozen=True)
class Where:
    """The queue's filters on a group's members (``GET /v1/moderation/items?group=``)."""

    status: str
    consultation: str | None = None
    text: str | None = None
    paragraph: str | None = None
    created_before: str | None = None


def load(group_id: str) -> Group:
    """The group and all its members; 404 for an id that names no group."""
    item = submissions.get(db.table(), group_id) if ITEM_ID.fullmatch(group_id or "") else None
    target = target_of(item) if item else None
    if target is None:
        raise ApiError("not_found")
    found = group_decisions.members(db.table(), target, [group_id], FIELDS).get(group_id)
    if not found:
        raise ApiError("not_found")
    return Group(group_id, target, found)


# --- what staff see ------------------------------------------------------------------------------


def _representative(group: Group) -> dict[str, Any]:
    counted = [m for m in group.members if m.get("status") in COUNTED]
    return (counted or group.members)[0]


def _sentences_of(item: dict[str, Any]) -> set[str]:
    return sentence_forms(submissions.compared_text(item))


def _summaries(groups: list[Group]) -> dict[str, dict[str, Any]]:
    representatives = [_representative(g) for g in groups]
    shown = with_context(representatives)
    found = {}
    for group, first, public in zip(groups, representatives, shown, strict=True):
        have = _sentences_of(first)
        counted = [m for m in group.members if m.get("status") in COUNTED]
        differences = []
        for member in counted:
            own = added(have, submissions.compared_text(member)) if member is not first else []
            if own:
                differences.append({"id": member["id"], "added": own})
                if len(differences) == DIFFERENCES:
                    break
        consultation, kind, name = group.target
        found[group.id] = {
            "id": group.id,
            "count": len(counted),
            "statuses": {s: sum(m.get("status") == s for m in counted) for s in COUNTED},
            "representative": public,
            "differences": differences,
            "target": {
                "consultation": consultation,
                "text": name if kind == "text" else None,
                "proposal": name if kind == "proposal" else None,
            },
        }
    return found


def summaries(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The summary of every group among ``items`` (a queue page): one Query per target."""
    wanted: dict[group_decisions.Target, set[str]] = {}
    for item in items:
        target = target_of(item)
        if item.get("group") and target is not None:
            wanted.setdefault(target, set()).add(str(item["group"]))
    groups = []
    for target, ids in sorted(wanted.items()):
        found = group_decisions.members(db.table(), target, ids, FIELDS)
        groups += [Group(g, target, found[g]) for g in sorted(ids) if found.get(g)]
    return _summaries(groups)


def _position(item: dict[str, Any]) -> str:
    return f"{item.get('created_at', '')}#{item['id']}"


def _page(
    chosen: list[dict[str, Any]], oldest_first: bool, limit: int, cursor: str | None, scope: str
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of members (oldest first, or newest), after the cursor's member."""
    ordered = chosen if oldest_first else chosen[::-1]
    if cursor:
        after = _decode_position(cursor, scope)
        ordered = [m for m in ordered if (_position(m) > after) is oldest_first]
        ordered = [m for m in ordered if _position(m) != after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return page, cursors.encode({"after": _position(page[-1])}, scope) if more else None


def _decode_position(cursor: str, scope: str) -> str:
    return cursors.decode(cursor, scope, {"after"})["after"]


def queue_page(
    group_id: str, where: Where, order: str, limit: int, cursor: str | None, scope: str
) -> dict[str, Any]:
    """``GET /v1/moderation/items?group=``: the group's members in the queue's shape (the
    other filters apply too: a consultation or text the group is not on gives none)."""
    group = load(group_id)
    consultation, kind, name = group.target
    chosen = [m for m in group.members if m.get("status") == where.status]
    if where.consultation not in (None, consultation):
        chosen = []
    if where.text is not None and (kind, name) != ("text", where.text):
        chosen = []
    if where.paragraph is not None:
        chosen = [m for m in chosen if m.get("paragraph") == where.paragraph]
    if where.created_before is not None:
        chosen = [m for m in chosen if str(m.get("created_at", "")) < where.created_before]
    scope = f"group|{group_id}|{scope}"
    page, next_cursor = _page(chosen, order == "oldest", limit, cursor, scope)
    return {
        "status": where.status,
        "order": order,
        "items": with_context(page),
        "cursor": next_cursor,
        "groups": _summaries([group]),
    }


def show(group_id: str, params: Mapping[str, str] | None) -> dict[str, Any]:
    """``GET /v1/moderation/groups/{id}``: the group's summary and one page of its members in
    ``status`` (pending unless asked), oldest first, each with what it ``added``."""
    params = known_params(params, SHOW_PARAMS)
    status = params.get("status", Status.PENDING.value)
    errors: dict[str, str] = {}
    if status not in STATUSES:
        errors["status"] = "Άγνωστη κατάσταση."
    limit = page_limit(params.get("limit"), errors)
    if errors:
        raise ApiError("validation", fields=errors)
    group = load(group_id)
    chosen = [m for m in group.members if m.get("status") == status]
    scope = f"members|{group_id}|{status}"
    page, next_cursor = _page(chosen, True, limit, params.get("cursor"), scope)
    summary = _summaries([group])[group.id]
    have = _sentences_of(_representative(group))
    items = with_context(page)
    for public, member in zip(items, page, strict=True):
        public["added"] = added(have, submissions.compared_text(member))
    return {"group": summary, "items": items, "cursor": next_cursor}


# --- what staff do --------------------------------------------------------------------------------
def decide_group(group_id: str, raw_body: str | bytes | None, staff: str) -> dict[str, Any]:
    """``POST /v1/moderation/groups/{id}``: one decision on every member in ``status``
    (pending unless given), each its own audited change; see the module docstring."""
    started = time.monotonic()
    data = parse_decision(raw_body, DECISION_FIELDS)
    action = Action(data["action"])
    source = data.get("status", Status.PENDING.value)
    if source not in DECIDABLE:
        raise ApiError("validation", fields={"status": "Άγνωστη ή μη επιτρεπτή κατάσταση."})
    if not keys.allowed(source, action.target):
        label = keys.STATUS_LABELS[Status(source)]
        message = f"Η {keys.ACTION_LABELS[action]} δεν επιτρέπεται για μέλη σε κατάσταση «{label}»."
        raise ApiError("validation", fields={"status": message})
    group = load(group_id)
    wanted = action.target.value
    decision = decisions.Decision(
        target=action.target, at="", by=staff, reason=data.get("reason"), note=data.get("note")
    )
    table = db.table()

    def build(item: dict[str, Any], at: str) -> group_decisions.Change:
        when = replace(decision, at=at)
        return group_decisions.decision_change(table.name, item, when, action.value, group.id)

    def judge(_read: dict[str, Any], now: dict[str, Any]) -> str:
        status = now.get("status")
        return "already" if status == wanted else "retry" if status == source else "conflict"

    outcome = group_decisions.apply(
        table,
        [m for m in group.members if m.get("status") == source],
        build,
        judge,
        until=started + BUDGET_SECONDS,
        fields=FIELDS,
    )
    logger.info("moderation: group %s %s → %s", group.id, source, wanted)  # who: audit trail
    return {
        "group": group.id,
        "action": action.value,
        "decided": outcome.done,
        "already": [m["id"] for m in group.members if m.get("status") == wanted] + outcome.already,
        "conflicts": outcome.conflicts,
        # decided otherwise before this run (by a single decision, or their author): they keep it
        "kept": [
            {"id": m["id"], "status": m["status"]}
            for m in group.members
            if m.get("status") not in (source, wanted)
        ],
        "remaining": outcome.remaining,
    }


def answer_group(group_id: str, raw_body: str | bytes | None, staff: str) -> dict[str, Any]:
    """``POST /v1/moderation/groups/{id}/answer``: the same answer on every approved member
    (chalicelib.answers' rules, each its own audited change); a member that already carries
    it is ``already``, so a second run answers only what the first did not reach."""
    started = time.monotonic()
    data = parse_answer(raw_body, ANSWER_FIELDS)
    group = load(group_id)
    given = answers.Answer(disposition=data["disposition"], text=data["text"], at="", by=staff)
    approved = [m for m in group.members if answers.answerable(m)]
    table = db.table()

    def build(item: dict[str, Any], at: str) -> group_decisions.Change:
        return group_decisions.answer_change(table.name, item, replace(given, at=at), group.id)

    def judge(read_as: dict[str, Any], now: dict[str, Any]) -> str:
        if not answers.answerable(now):
            return "conflict"
        if answers.same(now, given):
            return "already"
        return "conflict" if now.get("answer") != read_as.get("answer") else "retry"

    outcome = group_decisions.apply(
        table,
        [m for m in approved if not answers.same(m, given)],
        build,
        judge,
        until=started + BUDGET_SECONDS,
        fields=FIELDS,
    )
    logger.info("answers: group %s %s", group.id, given.disposition)  # who: the audit trail
    return {
        "group": group.id,
        "answered": outcome.done,
        "already": [m["id"] for m in approved if answers.same(m, given)] + outcome.already,
        "conflicts": outcome.conflicts,
        "remaining": outcome.remaining,
    }


def split(item_id: str, raw_body: str | bytes | None, staff: str) -> dict[str, Any]:
    """``POST /v1/moderation/items/{id}/split``: take the item out of its group (audited,
    conditional: 409 when it changed meanwhile or is in no group)."""
    data, errors = parse_body(raw_body or b"{}", SPLIT_FIELDS)
    if data.get("version", 0) < 0:
        errors["version"] = "Μη έγκυρη έκδοση."
    if errors:
        raise ApiError("validation", fields=errors)
    item = read(item_id)
    if data.get("version") not in (None, int(item.get("version", 0))):
        raise ApiError("conflict")
    if not item.get("group") or item.get("status") == Status.WITHDRAWN.value:
        raise ApiError(
            "conflict",
            message="Η υποβολή δεν ανήκει σε ομάδα.",
            fields={"group": "Η υποβολή δεν ανήκει σε ομάδα."},
        )
    at = clock.now_iso()
    audit = group_decisions.split(db.table(), item, at, staff)
    logger.info("moderation: %s split from group %s", item_id, item["group"])
    updated = {**item, "group_split": True, "updated_at": at, "version": audit["version"]}
    updated.pop("group")
    return {"item": with_context([updated])[0], "audit": public_audit(audit)}


def decide_all(group_id: str, raw_body: str | bytes | None, staff: str) -> dict[str, Any]:
    """``decide_group`` called again until nothing remains (or a call moves nothing), the
    results put together: what the command line does, and what the bench times."""
    total: dict[str, Any] = {"decided": [], "already": [], "conflicts": []}
    while True:
        result = decide_group(group_id, raw_body, staff)
        total["decided"] += result["decided"]
        total["conflicts"] += result["conflicts"]
        done = set(total["decided"])
        total["already"] = [i for i in result["already"] if i not in done]
        if not result["remaining"] or not result["decided"]:
            return {**result, **total}
