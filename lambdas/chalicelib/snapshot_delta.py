"""The publish step's snapshot: the previous one brought up to date with what changed, instead of
every approved item read again (21,500 items take most of a publish on DynamoDB Local).

Every change that reaches the snapshot is a moderation decision (chalicelib.moderation), and a
decision rewrites the item's ``by_status`` keys: ``GSI2PK = STATUS#<new status>`` and ``GSI2SK =
<decided_at>#<id>``. So what changed since a point in time is two kinds of Query on that index,
``GSI2SK`` after the point: approved items (new, shown again or redacted: upserted), withdrawn
ones (by their authors, chalicelib.store.follow, which rewrites the keys the same way: a
placeholder if it was ever published, else removed) and hidden or rejected ones (taken down:
removed). The retention purge touches only ``email``, which the snapshot never carries.

The point is the older of the watermark and the ``last_decision_at`` its own run read before
exporting (a snapshot left by a run that died, or an older one left in this workdir while another
container published), minus ``MARGIN`` for a decision still in flight when that run read the
index. Beside the snapshot, ``snapshot-state.json`` keeps that point, the table, the sha256 of the
snapshot's bytes and each entry's stamp (``generated_at`` is the newest one, and an entry that
leaves may have been it). Anything in doubt (no state, another table, other bytes, a watermark
gone backwards, ``full=True``) means a full export; the result is byte-identical either way.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib import snapshot
from chalicelib.store import keys, queries

logger = logging.getLogger(__name__)

STATE_NAME = "snapshot-state.json"
# 3: entries gained answer and participant, and lost an organisation's display_name; 4: the
# withdrawn placeholders; 5: the redacted mark. A snapshot left by an older format is exported
# again in full.
STATE_FORMAT = 5
MARGIN = timedelta(minutes=5)
FULL, INCREMENTAL = "full", "incremental"


@dataclass
class Refresh:
    """What one refresh did: ``mode`` (full or incremental, and why), the items read, the
    approved items that could not be published (id -> why: chalicelib.snapshot), and the newest
    change the snapshot holds (an entry's stamp)."""

    mode: str
    reason: str
    read: int
    changed: bool
    left_out: dict[str, str]
    newest: str | None = None


def refresh(
    table: Any,
    path: Path,
    *,
    decided_at: str | None,
    watermark: str | None,
    full: bool = False,
    progress: snapshot.Progress | None = None,
) -> Refresh:
    """Bring the snapshot at ``path`` up to date; its state file goes beside it."""
    state_path = path.with_name(STATE_NAME)
    since, reason = (None, "forced") if full else _since(table, path, state_path, watermark)
    updated = None if since is None else _updated(table, path, state_path, since, progress)
    if updated is not None:
        (entries, left_out, read), mode, reason = updated, INCREMENTAL, f"since {since}"
    else:
        items = snapshot.published_items(table, progress)
        left_out = {}
        entries = snapshot.public_entries(items, left_out)
        mode, read, reason = FULL, len(items), reason or "previous snapshot and its state differ"
    data = snapshot.assemble(
        ((kind, entry) for kind, entry, _ in entries.values()), (s for *_, s in entries.values())
    )
    snapshot.validate(data)  # the whole file, once per publish
    raw = snapshot.dumps(data)
    changed = snapshot.write_bytes(raw, path)
    state = {
        "format": STATE_FORMAT,
        "table": table.name,
        "mark": decided_at,
        "watermark": watermark,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "stamps": {entry_id: s for entry_id, (*_, s) in entries.items()},
        "left_out": left_out,
    }
    snapshot.write_bytes(json.dumps(state, sort_keys=True).encode("utf-8"), state_path)
    logger.info("snapshot %s (%s): %s items read, %s entries", mode, reason, read, len(entries))
    newest = max(state["stamps"].values(), default=None)
    return Refresh(mode, reason, read, changed, left_out, newest)


def _since(
    table: Any, path: Path, state_path: Path, watermark: str | None
) -> tuple[str | None, str]:
    """The lower bound of an incremental export, or (None, why a full one is needed)."""
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, "no previous snapshot"
    except (OSError, ValueError) as exc:
        return None, f"unreadable previous snapshot ({exc})"
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        return None, "previous snapshot of another format"
    if state.get("table") != table.name:
        return None, "previous snapshot of another table"
    if state.get("sha256") != hashlib.sha256(raw).hexdigest():
        return None, "previous snapshot changed since it was written"
    mark, seen = state.get("mark"), state.get("watermark")
    if watermark is None or mark is None:
        return None, "no watermark"
    if seen is not None and watermark < seen:
        return None, "watermark went backwards (a new table?)"
    try:
        point = _parse(min(mark, watermark)) - MARGIN
    except ValueError:
        return None, "unparsable watermark"
    # Seconds precision, no zone: sorts before every GSI2SK stamp of that second or later.
    return point.strftime("%Y-%m-%dT%H:%M:%S"), ""


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _updated(
    table: Any,
    path: Path,
    state_path: Path,
    since: str,
    progress: snapshot.Progress | None,
) -> tuple[snapshot.Entries, dict[str, str], int] | None:
    """The previous snapshot's entries with the changes since ``since`` applied, and the items
    still left out; None when the snapshot and its state do not describe the same entries."""
    previous = json.loads(path.read_bytes())
    state = json.loads(state_path.read_text(encoding="utf-8"))
    stamps, left_out = state.get("stamps"), state.get("left_out")
    pairs = [(kind, e) for kind, plural in snapshot.LISTS.items() for e in previous.get(plural, [])]
    if not isinstance(stamps, dict) or set(stamps) != {e["id"] for _, e in pairs}:
        return None
    if not isinstance(left_out, dict):
        return None
    entries = {e["id"]: (kind, e, stamps[e["id"]]) for kind, e in pairs}
    approved = queries.by_status(table, keys.Status.APPROVED, after=since, progress=progress)
    for item in approved:  # decided again: examined afresh below
        left_out.pop(item.get("id"), None)
    entries.update(snapshot.public_entries(approved, left_out))
    withdrawn = queries.by_status(table, keys.Status.WITHDRAWN, after=since)
    for item in withdrawn:  # a placeholder if it was published (public_entries), else gone
        entries.pop(item["id"], None)
        left_out.pop(item["id"], None)
    entries.update(snapshot.public_entries(withdrawn, left_out))
    left = [
        item
        for status in keys.TAKEN_DOWN
        for item in queries.by_status(table, status, after=since, projection="id, #s")
    ]
    for item in left:
        entries.pop(item["id"], None)
        left_out.pop(item["id"], None)
    return entries, left_out, len(approved) + len(withdrawn) + len(left)
