"""How many submissions each status holds, for the whole site and per consultation: a few small
items instead of counting every item on each look (a COUNT query reads all 200,000 approved
items of a large site, page by page).

The counts live in ``SHARDS`` items under one partition (``keys.counts_shard``); every change
adds to one shard picked at random, inside the change's own transaction: an accepted submission
(store.submissions.put_submission: +1 pending, still one round trip) and every change of status
(store.decisions.audited). With one shared item, concurrent submissions would conflict on it;
with shards they rarely do, and a conflict is retried like any other. Reading sums the shards
(one Query). A table that has no counts yet (items written before they existed, or loaded in
bulk) is counted once with COUNT queries the first time someone asks, and the result kept in
shard 0, with ``COUNTED``, under a condition so that two first looks do not both write; a change
made while that count runs may be missed (it runs once).
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.db import conditionally
from chalicelib.store import keys, queries
from chalicelib.store.keys import Status

logger = logging.getLogger(__name__)

SHARDS = 16
SITE = "*"  # the whole site's counts; a consultation's carry its slug
COUNTED = "counted"  # on shard 0, set by the first full count


def attribute(consultation: str, status: str) -> str:
    return f"{consultation}|{status}"


def change_action(
    table_name: str, consultation: str, old: str | None, new: str | None
) -> dict[str, Any] | None:
    """The transaction action that moves one item from ``old`` to ``new`` (``old`` None: a new
    submission); None when the status does not change."""
    if new is None or old == new:
        return None
    changes = {new: 1, **({old: -1} if old else {})}
    names: dict[str, str] = {}
    values: dict[str, int] = {}
    terms = []
    for n, (status, by) in enumerate(sorted(changes.items())):
        for m, scope in enumerate((SITE, consultation)):
            names[f"#c{n}{m}"] = attribute(scope, status)
            terms.append(f"#c{n}{m} :v{n}")
        values[f":v{n}"] = by
    return {
        "Update": {
            "TableName": table_name,
            "Key": keys.counts_shard(random.randrange(SHARDS)),
            "UpdateExpression": "ADD " + ", ".join(terms),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def moves_action(
    table_name: str, moves: Mapping[tuple[str, str | None, str], int]
) -> dict[str, Any] | None:
    """One transaction action for many items' moves, ``(consultation, old, new) → how many``
    (a group's batch: store.group_decisions): each counter changes once, on one shard (an
    item appears once in a transaction); None when nothing changes."""
    deltas: Counter[str] = Counter()
    for (consultation, old, new), many in moves.items():
        if old == new or not many:
            continue
        for scope in (SITE, consultation):
            deltas[attribute(scope, new)] += many
            if old:
                deltas[attribute(scope, old)] -= many
    changed = sorted((name, by) for name, by in deltas.items() if by)
    if not changed:
        return None
    return {
        "Update": {
            "TableName": table_name,
            "Key": keys.counts_shard(random.randrange(SHARDS)),
            "UpdateExpression": "ADD " + ", ".join(f"#c{n} :v{n}" for n in range(len(changed))),
            "ExpressionAttributeNames": {f"#c{n}": name for n, (name, _) in enumerate(changed)},
            "ExpressionAttributeValues": {f":v{n}": by for n, (_, by) in enumerate(changed)},
        }
    }


def read(table: Any, consultation: str | None, consultations: list[str]) -> dict[str, int]:
    """Per status, the whole site's counts or one consultation's; ``consultations`` are the
    site's, for the first full count."""
    return _scope(_counted(table, consultations), consultation or SITE)


def read_all(table: Any, consultations: list[str]) -> dict[str, dict[str, int]]:
    """Per status, the whole site's counts (``SITE``) and each consultation's: those of
    ``consultations`` (the site's, also for the first full count) and any other the counts
    hold; one Query."""
    shards = _counted(table, consultations)
    scopes = {name.rpartition("|")[0] for shard in shards for name in shard if "|" in name}
    return {scope: _scope(shards, scope) for scope in sorted(scopes | {SITE, *consultations})}


def _counted(table: Any, consultations: list[str]) -> list[dict[str, Any]]:
    shards = _shards(table)
    if not any(COUNTED in shard for shard in shards):
        recount(table, consultations)
        shards = _shards(table)
    return shards


def _scope(shards: list[dict[str, Any]], scope: str) -> dict[str, int]:
    return {
        s.value: max(0, sum(int(shard.get(attribute(scope, s.value), 0)) for shard in shards))
        for s in Status
    }


def _shards(table: Any) -> list[dict[str, Any]]:
    answer = table.query(KeyConditionExpression=Key("PK").eq(keys.COUNTS_PK), ConsistentRead=True)
    return list(answer.get("Items", []))


def recount(table: Any, consultations: list[str]) -> None:
    """Count every status (and per consultation) with COUNT queries and keep the result in
    shard 0 (the other shards emptied); the first one written wins."""
    counted: dict[str, Any] = {}
    for status in Status:
        counted[attribute(SITE, status.value)] = queries.count(table, status.value)
        for slug in consultations:
            counted[attribute(slug, status.value)] = queries.count(table, status.value, slug)
    first = {**keys.counts_shard(0), **counted, COUNTED: True}
    if not conditionally(
        table.put_item, Item=first, ConditionExpression=f"attribute_not_exists({COUNTED})"
    ):
        return  # another first look counted meanwhile
    for n in range(1, SHARDS):  # what they held is in the count (emptied: the API deletes nothing)
        table.put_item(Item=keys.counts_shard(n))
    logger.info("submission counts recounted for %s consultations", len(consultations))
