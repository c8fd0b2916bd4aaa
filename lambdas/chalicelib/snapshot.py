"""Export the approved submissions into the snapshot file the site build reads
(spec/snapshot.schema.json).

Only an allowlist of public fields leaves the database: names only when the author chose to
publish them, never an email, an IP hash, a submission key or a moderation note. The output is
deterministic (sorted items, sorted keys, ``generated_at`` taken from the data), so an unchanged
database gives a byte-identical file and the build can skip unchanged pages.

A full export reads every approved item; the publish step usually needs only what changed since
its previous snapshot (chalicelib.snapshot_delta), and both give the same bytes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from chalicelib.spec import snapshot_schema

logger = logging.getLogger(__name__)

STATUS_INDEX = "by_status"
APPROVED = "STATUS#approved"
EMPTY_GENERATED_AT = "1970-01-01T00:00:00Z"
SCHEMA_VERSION = 1

# progress(done) after every page of the query: the command line shows it with rich.
Progress = Callable[[int], None]


def _author(item: dict[str, Any]) -> dict[str, Any]:
    named = item.get("publish_name") is True
    return {
        "respondent_type": item.get("respondent_type", "citizen"),
        "display_name": item.get("display_name") if named else None,
        "organisation_name": item.get("organisation_name") if named else None,
        "organisation_type": item.get("organisation_type"),
    }


def _approved_at(item: dict[str, Any]) -> str:
    return item.get("approved_at") or item.get("decided_at") or item["updated_at"]


def stamp(item: dict[str, Any]) -> str:
    """The item's last change as the snapshot's ``generated_at`` counts it."""
    return item.get("updated_at") or _approved_at(item)


def public_comment(item: dict[str, Any]) -> dict[str, Any]:
    """The public face of a comment item: exactly the fields of the schema, nothing else."""
    return {
        "id": item["id"],
        "reference": item["reference"],
        "consultation": item["consultation"],
        "text": item.get("text"),
        "proposal": item.get("proposal"),
        "paragraph": item.get("paragraph"),
        "parent": item.get("parent"),
        "author": _author(item),
        "body": item["body"],
        "created_at": item["created_at"],
        "approved_at": _approved_at(item),
    }


def public_proposal(item: dict[str, Any]) -> dict[str, Any]:
    """The public face of a proposal item."""
    return {
        "id": item["id"],
        "reference": item["reference"],
        "consultation": item["consultation"],
        "title": item["title"],
        "body": item["body"],
        "location": item.get("location"),
        "author": _author(item),
        "created_at": item["created_at"],
        "approved_at": _approved_at(item),
    }


PUBLIC = {"comment": ("comments", public_comment), "proposal": ("proposals", public_proposal)}


def query_status(
    table: Any,
    status: str,
    after: str | None = None,
    progress: Progress | None = None,
    page_size: int | None = None,
    projection: str | None = None,
) -> list[dict[str, Any]]:
    """The items of ``status`` from the by_status index (never a Scan), page by page; with
    ``after``, only those whose ``GSI2SK`` (decision time, then id) sorts after it."""
    from boto3.dynamodb.conditions import Key  # here: the site build imports validate() only

    condition = Key("GSI2PK").eq(f"STATUS#{status}")
    if after is not None:
        condition &= Key("GSI2SK").gt(after)
    kwargs: dict[str, Any] = {"IndexName": STATUS_INDEX, "KeyConditionExpression": condition}
    if page_size:
        kwargs["Limit"] = page_size
    if projection:
        kwargs["ProjectionExpression"] = projection
        kwargs["ExpressionAttributeNames"] = {"#s": "status"}
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**kwargs)
        items.extend(i for i in page.get("Items", []) if i.get("status") == status)
        if progress:
            progress(len(items))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def approved_items(
    table: Any, progress: Progress | None = None, page_size: int | None = None
) -> list[dict[str, Any]]:
    """Every approved submission."""
    return query_status(table, "approved", progress=progress, page_size=page_size)


def assemble(entries: Iterable[tuple[str, dict[str, Any]]], stamps: Iterable[str]) -> dict:
    """The snapshot of public ``(kind, entry)`` pairs: sorted, ``generated_at`` the newest
    stamp. The one place that decides the order, so every way of exporting gives one file."""
    lists: dict[str, list[dict[str, Any]]] = {"comments": [], "proposals": []}
    for kind, entry in entries:
        lists[PUBLIC[kind][0]].append(entry)
    for entries_of_kind in lists.values():
        entries_of_kind.sort(key=lambda e: (e["consultation"], e["created_at"], e["id"]))
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": max(stamps, default=EMPTY_GENERATED_AT),
        **lists,
    }


def public_entries(items: list[dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any], str]]:
    """id -> (kind, public entry, stamp) of approved submission items (other kinds dropped)."""
    return {
        i["id"]: (i["kind"], PUBLIC[i["kind"]][1](i), stamp(i))
        for i in items
        if i.get("kind") in PUBLIC
    }


def build(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The snapshot of ``items`` (approved submission items); ``write`` validates it."""
    found = public_entries(items).values()
    return assemble(((kind, entry) for kind, entry, _ in found), (s for *_, s in found))


@cache
def _fast_validator() -> Callable[[Any], Any]:
    """The schema compiled to Python once per process: a 20,000-comment snapshot validates in
    a fraction of a second instead of seconds (jsonschema stays for the error message)."""
    return fastjsonschema.compile(snapshot_schema())


def validate(snapshot: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``snapshot`` matches the schema."""
    try:
        _fast_validator()(snapshot)
    except fastjsonschema.JsonSchemaValueException as fast:
        # The reference validator names the failing place in the words staff are used to.
        error = best_match(Draft202012Validator(snapshot_schema()).iter_errors(snapshot))
        raise error or ValidationError(fast.message) from fast


def export(table: Any, progress: Progress | None = None) -> dict[str, Any]:
    """Query and filter: the snapshot of the database as it is now (full export)."""
    snapshot = build(approved_items(table, progress))
    logger.info(
        "snapshot exported: %s comments, %s proposals",
        len(snapshot["comments"]),
        len(snapshot["proposals"]),
    )
    return snapshot


def dumps(snapshot: dict[str, Any]) -> bytes:
    """The canonical serialisation: the same snapshot always gives the same bytes."""
    text = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, indent=1)
    return (text + "\n").encode("utf-8")


def write(snapshot: dict[str, Any], path: Path) -> bool:
    """Validate and write atomically; False (file untouched) when the bytes are the same."""
    validate(snapshot)
    return write_bytes(dumps(snapshot), path)


def write_bytes(data: bytes, path: Path) -> bool:
    """Replace ``path`` atomically with ``data``; False (untouched) when already equal."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return True
