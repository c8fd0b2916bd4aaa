"""Helpers of the publish tests: submission items in the documented layout, written to a real
DynamoDB Local table, with private fields that must never reach a snapshot or a site."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from scripts.publish import dynamodb_table
from scripts.seed_demo import mark_decision, submission_item


def table_of(dynamodb: Any, name: str) -> Any:
    return dynamodb_table(dynamodb.endpoint, name)


def comment_entry(n: int, **overrides: Any) -> dict[str, Any]:
    """A snapshot-shaped comment on a text of the fixture site's open consultation."""
    entry = {
        "id": f"01jcomment{n:016d}",
        "reference": f"NS-C{n:05d}",
        "consultation": "prasino-kai-evangelistria",
        "text": "anaplasi-plateias",
        "proposal": None,
        "paragraph": None,
        "parent": None,
        "author": {
            "respondent_type": "citizen",
            "display_name": f"Σχολιαστής Αριθμός{n}",
            "organisation_name": None,
            "organisation_type": None,
        },
        "body": f"Σχόλιο δοκιμής αριθμός {n} με αρκετό κείμενο.",
        "created_at": f"2026-11-20T10:{n // 60:02d}:{n % 60:02d}Z",
        "approved_at": f"2026-11-21T10:{n // 60:02d}:{n % 60:02d}Z",
    }
    entry.update(overrides)
    return entry


def put(
    table: Any,
    entry: dict[str, Any],
    *,
    kind: str = "comment",
    status: str = "approved",
    email: str | None = None,
    **private: Any,
) -> dict[str, Any]:
    """Store ``entry`` as a submission item (with an email); returns the item."""
    item = submission_item(
        entry, kind, email=email or f"private{entry['id']}@example.invalid", status=status
    )
    item.update(private)
    table.put_item(Item=item)
    return item


def decide(table: Any, item: dict[str, Any], status: str, at: str) -> None:
    """What a moderation decision does to the item and to the publish state (in short)."""
    entry_id = item["id"]
    table.update_item(
        Key={"PK": f"SUB#{entry_id}", "SK": "SUB"},
        UpdateExpression="SET #s = :s, GSI2PK = :pk, GSI2SK = :sk, updated_at = :at, "
        "decided_at = :at",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":s": status,
            ":pk": f"STATUS#{status}",
            ":sk": f"{at}#{entry_id}",
            ":at": at,
        },
    )
    mark_decision(table, at)


def tree_bytes(directory: Path) -> dict[str, bytes]:
    """Every file of the site under ``directory`` by site path, gzip (Pagefind's index)
    decompressed. Dot paths are the publish machinery's (the target manifest, the work state a
    cold start restores), which CloudFront never serves (test_infra_cloudfront_function)."""
    files = {}
    for path in directory.rglob("*"):
        rel = path.relative_to(directory).as_posix()
        if path.is_file() and not any(part.startswith(".") for part in rel.split("/")):
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            files[path.relative_to(directory).as_posix()] = data
    return files
