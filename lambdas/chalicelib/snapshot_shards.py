"""The snapshot on disk as the publish step keeps it (chalicelib.snapshot_delta): one shard per
consultation, each a valid snapshot of the schema, and beside each its entries' stamps; how a
shard's files are named, and the one snapshot of the whole site the shards make.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from chalicelib import snapshot

SHARD_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
STAMPS = ".stamps"  # a shard's stamps: the shard's file with this suffix (not *.json: no shard)


def shard_file(folder: Path, consultation: str) -> Path:
    """The shard of ``consultation``: its slug, or a digest of a name unfit for a file."""
    if SHARD_NAME.match(consultation):
        return folder / f"{consultation}.json"
    return folder / f"_{hashlib.sha256(consultation.encode('utf-8')).hexdigest()[:32]}.json"


def shard_files(shard: dict[str, Any]) -> dict[str, str]:
    """The files of one shard as the state records it (its entries, their stamps): name ->
    sha256; what a copy of the work folder carries (chalicelib.workstate)."""
    name = str(shard["file"])
    return {name: shard["sha256"], Path(name).with_suffix(STAMPS).name: shard["stamps_sha256"]}


def read_stamps(folder: Path, shard: dict[str, Any]) -> dict[str, str] | None:
    """A shard's stamps (entry id -> stamp), or None when they are not the ones its state
    records."""
    try:
        raw = (Path(folder) / shard["file"]).with_suffix(STAMPS).read_bytes()
    except (OSError, KeyError, TypeError):
        return None
    if hashlib.sha256(raw).hexdigest() != shard.get("stamps_sha256"):
        return None
    stamps = json.loads(raw)
    return stamps if isinstance(stamps, dict) else None


def merged(folder: Path, only: set[str] | None = None) -> dict[str, Any]:
    """The snapshot of the whole site the shards in ``folder`` make (sorted as ``assemble``
    sorts: by consultation first, so the shards simply follow each other); with ``only``, of
    those consultations (a build reads the shards of the consultations that changed)."""
    lists: dict[str, list[dict[str, Any]]] = {plural: [] for plural in snapshot.LISTS.values()}
    generated = snapshot.EMPTY_GENERATED_AT
    if only is None:
        paths = sorted(Path(folder).glob("*.json"))
    else:
        paths = [p for c in sorted(only) if (p := shard_file(Path(folder), c)).is_file()]
    parts = [json.loads(path.read_bytes()) for path in paths]
    for part in sorted(parts, key=_first_consultation):
        generated = max(generated, part["generated_at"])
        for plural in lists:
            lists[plural].extend(part.get(plural, []))
    for entries in lists.values():
        entries.sort(key=lambda e: (e["consultation"], e["created_at"], e["id"]))
    if not lists[snapshot.WITHDRAWN]:
        del lists[snapshot.WITHDRAWN]
    return {"schema_version": snapshot.SCHEMA_VERSION, "generated_at": generated, **lists}


def _first_consultation(part: dict[str, Any]) -> str:
    for plural in snapshot.LISTS.values():
        if part.get(plural):
            return str(part[plural][0]["consultation"])
    return ""
