"""The publish step's snapshot: the previous one brought up to date with what changed, instead of
every approved item read again (21,500 items take most of a publish on DynamoDB Local), and kept
as one file per consultation (a *shard*, itself a valid snapshot of the schema), so that a change
rewrites the shard of its consultation only and the build reads what it needs.

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
index. Beside the folder, ``snapshot-state.json`` keeps that point, the table, and per shard its
file's size, modification time and sha256 and its newest stamp (the shard's ``generated_at``).
Each entry's stamp (an entry that leaves may have been the newest) is kept beside its shard, in
``<shard>.stamps``, whose sha256 the state records: a refresh reads the stamps of the
consultations its changes touch, not the whole site's (215,000 at ten times the 1× site: 12 MB
of JSON read three times a publish). Anything in doubt (no state, another table, a shard changed
since it was written, a watermark gone backwards, ``full=True``) means a full export; the result
is byte-identical either way (``snapshot_shards.merged`` gives the one snapshot of the whole
site the shards make).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib import snapshot
from chalicelib.snapshot_shards import STAMPS, read_stamps, shard_file
from chalicelib.store import keys, queries

logger = logging.getLogger(__name__)

STATE_NAME = "snapshot-state.json"
# 3: entries gained answer and participant, and lost an organisation's display_name; 4: the
# withdrawn placeholders; 5: the redacted mark; 6: one shard per consultation; 7: the campaign
# group; 8: the count of confirmed supports («Υποστηρίζω», chalicelib.supports); 9: a shard's
# entries one per line (snapshot.dumps); 10: the stamps beside their shard. A snapshot left by
# an older format is exported again in full.
STATE_FORMAT = 10
MARGIN = timedelta(minutes=5)
# What an entry gains without taking anything back: the search index may add to what it holds.
ADDITIVE = frozenset({"group", "supports", "answer"})
FULL, INCREMENTAL = "full", "incremental"


@dataclass
class Refresh:
    """What one refresh did: ``mode`` (full or incremental, and why), the items read, the
    approved items that could not be published (id -> why: chalicelib.snapshot), the newest
    change the snapshot holds (an entry's stamp), the consultations whose shard changed, and
    whether something published was taken back (``retracted``: an entry left, became a
    placeholder or changed other than by gaining an answer, a group or supports; always so for a
    full export, which cannot tell). Only then must the search index forget words at once
    (chalicelib.search_bundles); what was only added can wait in its delta."""

    mode: str
    reason: str
    read: int
    changed: bool
    left_out: dict[str, str]
    newest: str | None = None
    shards: list[str] = field(default_factory=list)
    retracted: bool = True


def shard_digests(folder: Path) -> dict[str, str] | None:
    """Consultation → the sha256 of its shard, as the state beside ``folder`` records them, or
    None when the shards are not the ones the state describes (then nothing is taken as
    unchanged). A consultation without entries has no shard."""
    state = _read_state(Path(folder).with_name(STATE_NAME))
    shards = state.get("shards") if state else None
    if not isinstance(shards, dict) or not _shards_intact(Path(folder), shards):
        return None
    return {consultation: str(shard["sha256"]) for consultation, shard in shards.items()}


def refresh(
    table: Any,
    folder: Path,
    *,
    decided_at: str | None,
    watermark: str | None,
    full: bool = False,
    progress: snapshot.Progress | None = None,
) -> Refresh:
    """Bring the shards in ``folder`` up to date; the state goes beside the folder."""
    folder = Path(folder)
    state_path = folder.with_name(STATE_NAME)
    previous = None if full else _read_state(state_path)
    since, reason = (None, "forced") if full else _since(table, folder, previous, watermark)
    updated = None
    lines: dict[str, snapshot.Known] = {}  # a loaded shard's lines, kept for its unchanged entries
    if since is not None and previous is not None:
        updated = _updated(table, folder, previous, since, progress, lines)
    retracted = True
    if updated is not None and previous is not None:
        (touched, left_out, read, retracted), mode, reason = updated, INCREMENTAL, f"since {since}"
        shards = previous["shards"]
    else:
        left_out = {}
        touched, read = _everything(table, left_out, progress)
        mode, reason = FULL, reason or "previous snapshot and its state differ"
        shards = {}
        for stale in [*folder.glob("*.json"), *folder.glob(f"*{STAMPS}")]:
            stale.unlink()
    changed: list[str] = []
    for consultation, entries in sorted(touched.items()):
        path = shard_file(folder, consultation)
        if not entries:
            path.unlink(missing_ok=True)
            path.with_suffix(STAMPS).unlink(missing_ok=True)
            shards.pop(consultation, None)
            changed.append(consultation)
            continue
        data = snapshot.assemble(
            ((kind, entry) for kind, entry, _ in entries.values()),
            (s for *_, s in entries.values()),
        )
        if mode == FULL:
            snapshot.validate(data)  # each shard, once per full export
        # Incremental: every entry was checked against its part of the schema when it entered
        # (snapshot.publishable), the carried-over ones by an earlier run whose bytes the state
        # vouches for, and ``assemble`` makes the rest: no second whole-shard pass.
        raw = snapshot.dumps(data, lines.get(consultation))
        if snapshot.write_bytes(raw, path):
            changed.append(consultation)
        stamps = json.dumps({entry_id: s for entry_id, (*_, s) in entries.items()}).encode()
        snapshot.write_bytes(stamps, path.with_suffix(STAMPS))
        stat = path.stat()
        shards[consultation] = {
            "file": path.name,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "stamps_sha256": hashlib.sha256(stamps).hexdigest(),
            "newest": max(s for *_, s in entries.values()),
        }
    state = {
        "format": STATE_FORMAT,
        "table": table.name,
        "mark": decided_at,
        "watermark": watermark,
        "shards": shards,
        "left_out": left_out,
    }
    snapshot.write_bytes(json.dumps(state, sort_keys=True).encode("utf-8"), state_path)
    newest = max((str(shard["newest"]) for shard in shards.values()), default=None)
    logger.info(
        "snapshot %s (%s): %s items read, %s shards changed", mode, reason, read, len(changed)
    )
    return Refresh(mode, reason, read, bool(changed), left_out, newest, changed, retracted)


def _everything(
    table: Any, left_out: dict[str, str], progress: snapshot.Progress | None
) -> tuple[dict[str, snapshot.Entries], int]:
    """A full export, streamed: each page of raw items becomes public entries at once, grouped
    by consultation (a large site's raw items never sit in memory together)."""
    grouped: dict[str, snapshot.Entries] = {}
    read = 0
    for status in (keys.Status.APPROVED, keys.Status.WITHDRAWN):  # as published_items
        for page in queries.by_status_pages(table, status):
            read += len(page)
            _place(grouped, snapshot.public_entries(page, left_out), create=True)
            if progress:
                progress(read)
    return grouped, read


def _read_state(state_path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _since(
    table: Any, folder: Path, state: dict[str, Any] | None, watermark: str | None
) -> tuple[str | None, str]:
    """The lower bound of an incremental export after ``state``, or (None, why not)."""
    if state is None:
        return None, "no previous snapshot, or an unreadable one"
    if state.get("format") != STATE_FORMAT:
        return None, "previous snapshot of another format"
    if state.get("table") != table.name:
        return None, "previous snapshot of another table"
    shards = state.get("shards")
    if not isinstance(shards, dict) or not _shards_intact(folder, shards):
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


def _shards_intact(folder: Path, shards: dict[str, Any]) -> bool:
    """Every shard the state lists is there as it was written (its size and time: a stat, not
    a read; a shard a change loads is hashed too), and there is no other."""
    try:
        present = {path.name for path in folder.glob("*.json")}
        for consultation, shard in shards.items():
            path = shard_file(folder, consultation)
            stat = path.stat()
            if (stat.st_size, stat.st_mtime_ns) != (shard["size"], shard["mtime_ns"]):
                return False
            present.discard(path.name)
    except (OSError, KeyError, TypeError):
        return False
    return not present


def adopt(folder: Path) -> int:
    """Shards copied here from elsewhere (a cold start's archive, chalicelib.workstate) have
    new times: those whose bytes are the ones the state describes are recorded with their new
    size and time, so the next refresh trusts them; how many."""
    state_path = Path(folder).with_name(STATE_NAME)
    state = _read_state(state_path)
    if state is None or not isinstance(state.get("shards"), dict):
        return 0
    adopted = 0
    for consultation, shard in state["shards"].items():
        path = shard_file(Path(folder), consultation)
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(raw).hexdigest() == shard.get("sha256"):
            stat = path.stat()
            shard.update(size=stat.st_size, mtime_ns=stat.st_mtime_ns)
            adopted += 1
    snapshot.write_bytes(json.dumps(state, sort_keys=True).encode("utf-8"), state_path)
    return adopted


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _load_shard(
    folder: Path, consultation: str, shard: dict[str, Any], stamps: dict[str, str]
) -> tuple[snapshot.Entries, snapshot.Known] | None:
    """A shard's entries and lines, or None when it is not the one its state describes."""
    raw = shard_file(folder, consultation).read_bytes()
    if hashlib.sha256(raw).hexdigest() != shard.get("sha256"):
        return None
    previous = json.loads(raw)
    pairs = [(kind, e) for kind, plural in snapshot.LISTS.items() for e in previous.get(plural, [])]
    if set(stamps) != {e["id"] for _, e in pairs}:
        return None
    entries = {e["id"]: (kind, e, stamps[e["id"]]) for kind, e in pairs}
    return entries, snapshot.written_lines(raw, previous)


def _updated(
    table: Any,
    folder: Path,
    state: dict[str, Any],
    since: str,
    progress: snapshot.Progress | None,
    lines: dict[str, snapshot.Known],
) -> tuple[dict[str, snapshot.Entries], dict[str, str], int, bool] | None:
    """The shards the changes since ``since`` touch, as they are now (an emptied one maps to no
    entries), the items still left out, the items read and whether a published entry was taken
    back (``retracts``); None when a touched shard and its state do not describe the same
    entries. The lines of each loaded shard go into ``lines``."""
    shards, left_out = state["shards"], state.get("left_out")
    if not isinstance(left_out, dict):
        return None

    approved = queries.by_status(table, keys.Status.APPROVED, after=since, progress=progress)
    withdrawn = queries.by_status(table, keys.Status.WITHDRAWN, after=since)
    left = [
        item
        for status in keys.TAKEN_DOWN
        for item in queries.by_status(table, status, after=since, projection="id, #s, consultation")
    ]
    read = len(approved) + len(withdrawn) + len(left)
    # The stamps of the shards these items belong to (an item keeps its consultation): which
    # of them a shard holds, and as which change.
    stamps: dict[str, dict[str, str]] = {}
    for consultation in _consultations([*approved, *withdrawn, *left]):
        if consultation in shards:
            found = read_stamps(folder, shards[consultation])
            if found is None:
                return None
            stamps[consultation] = found

    def held(item: dict[str, Any]) -> dict[str, str]:
        return stamps.get(str(item.get("consultation")), {})

    def known(item: dict[str, Any]) -> bool:
        """Read again only because of the margin: its shard holds it as it is now (at ten
        times the site, such items made every publish load and write ten shards)."""
        return held(item).get(item["id"]) == snapshot.stamp(item)

    approved = [item for item in approved if not known(item)]
    withdrawn = [item for item in withdrawn if not known(item)]
    left = [item for item in left if item["id"] in held(item) or item["id"] in left_out]
    touched: dict[str, snapshot.Entries] = {}
    for consultation in _consultations([*approved, *withdrawn, *left]):
        shard = shards.get(consultation)
        loaded = (
            ({}, {})
            if shard is None
            else _load_shard(folder, consultation, shard, stamps[consultation])
        )
        if loaded is None:
            return None
        touched[consultation], lines[consultation] = loaded

    def drop(entry_id: str) -> None:
        for entries in touched.values():
            entries.pop(entry_id, None)
        left_out.pop(entry_id, None)

    published = {i: e for entries in touched.values() for i, (_, e, _) in entries.items()}
    for item in approved:  # decided again: examined afresh
        left_out.pop(item.get("id"), None)
    shown = snapshot.public_entries(approved, left_out)
    retracted = any(retracts(published.get(i), e) for i, (_, e, _) in shown.items())
    retracted = retracted or any(item["id"] in published for item in [*withdrawn, *left])
    _place(touched, shown)
    for item in withdrawn:  # a placeholder if it was published (public_entries), else gone
        drop(item["id"])
    _place(touched, snapshot.public_entries(withdrawn, left_out))
    for item in left:
        drop(item["id"])
    return touched, left_out, read, retracted


def _consultations(items: list[dict[str, Any]]) -> set[str]:
    return {str(c) for item in items if (c := item.get("consultation"))}


def retracts(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    """Whether ``after`` takes back something of the published ``before``: a changed text, name
    or date, or an answer changed (gaining one, a group or supports takes nothing back)."""
    if before is None:
        return False
    kept = {k: v for k, v in before.items() if k not in ADDITIVE}
    if kept != {k: v for k, v in after.items() if k not in ADDITIVE}:
        return True
    return before.get("answer") is not None and before.get("answer") != after.get("answer")


def _place(
    touched: dict[str, snapshot.Entries], entries: snapshot.Entries, create: bool = False
) -> None:
    for entry_id, found in entries.items():
        consultation = found[1]["consultation"]
        if create:
            touched.setdefault(consultation, {})
        touched[consultation][entry_id] = found
