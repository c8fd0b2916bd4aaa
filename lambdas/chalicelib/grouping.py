"""The grouping step: near-identical submissions (a campaign's copies) put in groups, every
minute, off the request path (the ``group_submissions`` schedule; ``make dev``'s publish timer
and ``make publish`` run it before publishing).

A run reads what arrived since its mark (store.groups ``arrived``: pending and approved items
stamped after it, less a margin for writes still in flight), and regroups each target they are
on from all its pending and approved members (chalicelib.campaigns), so that a run is the same
whatever came before it: interrupted, it is simply run again. A group keeps the id most of its
members already carry (else its first member's), so that a new copy joining a campaign rewrites
one item, not the campaign. Items staff split out of their group (``group_split``) are left
alone. The mark advances only when every write succeeded. The by_status stamps a run gives the
published members it regroups (for the export) are kept in the state (``own``), so that the next
runs do not take them for arrivals; the first run groups everything from its one read.

What the texts quote is never what makes two of them near: the consultations' own texts
(``content``) are given to the comparison as ``quoted``.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib import campaigns, clock
from chalicelib.store import groups
from chalicelib.store.keys import Status
from chalicelib.store.submissions import compared_text

logger = logging.getLogger(__name__)

MARGIN = timedelta(minutes=5)
QUOTED_GLOB = "consultations/**/*.md"


@dataclass
class GroupingResult:
    """What one run did: the targets regrouped, their members read, the items whose group
    changed (``published``: of them, approved ones: the site changes), whether every write
    succeeded, and how long it took."""

    targets: int = 0
    read: int = 0
    changed: int = 0
    published: int = 0
    complete: bool = True
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def quoted_texts(content: Path | None) -> list[str]:
    """The consultations' texts as staff wrote them (Markdown), which comments quote."""
    if content is None or not content.is_dir():
        return []
    return [p.read_text(encoding="utf-8") for p in sorted(content.glob(QUOTED_GLOB))]


def assign(items: list[dict[str, Any]], found: Iterable[list[str]]) -> dict[str, str]:
    """member id → its group's id: the id most of the group's members already carry (one no
    other group took), else its first member's."""
    held = {i["id"]: i.get("group") for i in items}
    wanted: dict[str, str] = {}
    taken: set[str] = set()
    for members in sorted(found, key=len, reverse=True):  # the larger part keeps an old id
        carried = Counter(g for m in members if (g := held.get(m)) and g not in taken)
        choice = carried.most_common(1)[0][0] if carried else members[0]
        if choice in taken:
            choice = next((m for m in members if m not in taken), members[0])
        taken.add(choice)
        wanted.update(dict.fromkeys(members, choice))
    return wanted


def regroup(
    table: Any,
    target: tuple[str, str, str],
    quoted: list[str],
    at: str,
    result: GroupingResult,
    items: list[dict[str, Any]] | None = None,
) -> None:
    """Group ``target``'s members (``items``, else read) again and write the groups that
    changed."""
    if items is None:
        items = groups.members(table, target)
    free = [i for i in items if not i.get("group_split")]
    docs = [
        campaigns.Doc(i["id"], str(i["created_at"]), compared_text(i), i.get("body_print"))
        for i in free
    ]
    wanted = assign(free, campaigns.group(docs, quoted))
    result.targets += 1
    result.read += len(items)
    changes = [(i, wanted.get(i["id"])) for i in free if wanted.get(i["id"]) != i.get("group")]
    refused = set(groups.set_groups(table, changes, at))
    if refused:
        logger.info("grouping: %s items changed meanwhile; next run", len(refused))
        result.complete = False
    for item, _ in changes:
        if item["id"] not in refused:
            result.changed += 1
            result.published += item["status"] == Status.APPROVED.value


def run(table: Any = None, *, content: Path | None, now: datetime | None = None) -> GroupingResult:
    """One grouping run (see the module docstring); nothing new costs one GetItem and two
    Queries, and writes nothing. The first run (no mark) groups everything from the one read."""
    if table is None:
        from chalicelib import db

        table = db.table()
    started, moment = time.perf_counter(), now or clock.now()
    at = clock.iso(moment)
    current = groups.read_state(table)
    previous = current.get("mark")
    after = None
    if previous:
        after = clock.iso(_parse(str(previous)) - MARGIN)
    own = [str(s) for s in current.get("own", []) if after is None or str(s) > after]
    arrived: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for item in groups.arrived(table, after, frozenset(own)):
        if (target := groups.target_of(item)) is not None:
            arrived.setdefault(target, []).append(item)
    result = GroupingResult()
    quoted = quoted_texts(content) if arrived else []
    for target in sorted(arrived):
        regroup(table, target, quoted, at, result, arrived[target] if previous is None else None)
    groups.record_changes(table, at, result.published)
    if result.complete and (arrived or previous is None):  # nothing new: nothing written
        groups.record_mark(table, at, [*own, at] if result.published else own)
    result.seconds = round(time.perf_counter() - started, 3)
    if result.changed:
        logger.info(
            "grouping: %s targets, %s items read, %s changed (%s published)",
            result.targets,
            result.read,
            result.changed,
            result.published,
        )
    return result


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def scheduled() -> GroupingResult:
    """The scheduled run in Lambda: the consultations' texts are the packaged site source's
    (``SITE_SOURCE``, as the publish reads them)."""
    from chalicelib.sources import DEFAULT_SITE_SOURCE  # not chalicelib.publish: 2 s of imports

    root = Path(os.environ.get("SITE_SOURCE") or DEFAULT_SITE_SOURCE)
    return run(content=root / "content")
