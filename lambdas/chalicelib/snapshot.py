"""Export the approved submissions into the snapshot file the site build reads
(spec/snapshot.schema.json).

Only an allowlist of public fields leaves the database: names only when the author chose to
publish them, never an email, an IP hash, a submission key or a moderation note. The output is
deterministic (sorted items, sorted keys, ``generated_at`` taken from the data), so an unchanged
database gives a byte-identical file and the build can skip unchanged pages.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boto3.dynamodb.conditions import Key
from jsonschema import Draft202012Validator

from chalicelib.spec import snapshot_schema

logger = logging.getLogger(__name__)

STATUS_INDEX = "by_status"
APPROVED = "STATUS#approved"
EMPTY_GENERATED_AT = "1970-01-01T00:00:00Z"

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


def approved_items(
    table: Any, progress: Progress | None = None, page_size: int | None = None
) -> list[dict[str, Any]]:
    """Every approved submission, page by page from the by_status index (never a Scan)."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "IndexName": STATUS_INDEX,
        "KeyConditionExpression": Key("GSI2PK").eq(APPROVED),
    }
    if page_size:
        kwargs["Limit"] = page_size
    while True:
        page = table.query(**kwargs)
        items.extend(i for i in page.get("Items", []) if i.get("status") == "approved")
        if progress:
            progress(len(items))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def build(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The snapshot of ``items`` (approved submission items), sorted and schema-valid."""
    comments = [public_comment(i) for i in items if i.get("kind") == "comment"]
    proposals = [public_proposal(i) for i in items if i.get("kind") == "proposal"]
    order = lambda entry: (entry["consultation"], entry["created_at"], entry["id"])  # noqa: E731
    comments.sort(key=order)
    proposals.sort(key=order)
    stamps = [i.get("updated_at") or _approved_at(i) for i in items]
    snapshot = {
        "schema_version": 1,
        "generated_at": max(stamps, default=EMPTY_GENERATED_AT),
        "comments": comments,
        "proposals": proposals,
    }
    validate(snapshot)
    return snapshot


def validate(snapshot: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``snapshot`` matches the schema."""
    Draft202012Validator(snapshot_schema()).validate(snapshot)


def export(table: Any, progress: Progress | None = None) -> dict[str, Any]:
    """Query, filter and validate: the snapshot of the database as it is now."""
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
    data = dumps(snapshot)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return True
