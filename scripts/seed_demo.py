"""Seed the dev stack's table with the demo submissions of tests/fixtures/snapshot.json.

The snapshot's approved comments and proposals become submission items in the documented layout
(docs/contracts.md), each with a placeholder email ``demo+<n>@example.invalid`` that must never
reach the site, the entry's ``participant`` and, when the entry has one, the municipality's
``answer`` as the answer route stores it (so the dev stack's publish gives the demo site back).
Idempotent: an item that already exists is left alone.

    python scripts/seed_demo.py --endpoint http://127.0.0.1:8011 --table diavoulefsi
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from chalicelib.db import conditionally
from chalicelib.spec import limits
from chalicelib.store import keys

ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)

DEMO_SNAPSHOT = ROOT / "tests" / "fixtures" / "snapshot.json"
ANSWERED_BY = "Δήμος Νέας Σμύρνης (επίδειξη)"


def demo_email(n: int) -> str:
    return f"demo+{n}@example.invalid"


def _millis(stamp: str) -> str:
    """``...:SSZ`` as ``...:SS.000Z``: the API's format, so that stamps compare as text."""
    return stamp if "." in stamp else stamp[:-1] + ".000Z"


def submission_item(
    entry: dict[str, Any], kind: str, *, email: str, status: str = "approved"
) -> dict[str, Any]:
    """The DynamoDB item of a snapshot entry (a comment or a proposal), with the private
    fields a real submission carries (email, submission key, consent). An answered entry's item
    carries its ``answer`` and changed last when it was answered, as after the answer route."""
    author = entry["author"]
    created, approved = _millis(entry["created_at"]), _millis(entry["approved_at"])
    answer = entry.get("answer")
    updated = _millis(answer["answered_at"]) if answer else approved
    item: dict[str, Any] = {
        **keys.submission(entry["id"]),
        **keys.status_index(status, updated, entry["id"]),
        **keys.consultation_index(entry["consultation"], status, created, entry["id"]),
        "id": entry["id"],
        "kind": kind,
        "status": status,
        "reference": entry["reference"],
        "consultation": entry["consultation"],
        "body": entry["body"],
        "respondent_type": author["respondent_type"],
        # an organisation is published by its name (the snapshot never names who wrote for it)
        "publish_name": bool(author.get("display_name") or author.get("organisation_name")),
        "display_name": author.get("display_name") or "Ανώνυμος συμμετέχων",
        "email": email,
        "consent": {"terms_version": limits()["terms_version"], "at": created},
        "submission_key": f"demo-{entry['id']}"[:64],
        "created_at": created,
        "updated_at": updated,
        "version": 3 if answer else 2,
        "decided_at": approved,
        "decided_by": "demo",
        "redacted": False,
    }
    if kind == "comment":
        item.update(keys.target_index(entry, created, entry["id"]))
    if status == "approved":
        item["approved_at"] = approved
    if answer:
        item["answer"] = {
            "disposition": answer["disposition"],
            "text": answer["text"],
            "answered_at": updated,
            "answered_by": ANSWERED_BY,
        }
    if entry.get("participant"):
        item["participant"] = entry["participant"]
    optional = ("text", "proposal", "paragraph", "parent", "title", "location")
    item.update({key: entry[key] for key in optional if entry.get(key) is not None})
    for key in ("organisation_name", "organisation_type"):
        if author.get(key) is not None:
            item[key] = author[key]
    return item


def demo_items(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Every entry of ``snapshot`` as a submission item, numbered for the placeholder emails."""
    entries = [("proposal", p) for p in snapshot["proposals"]]
    entries += [("comment", c) for c in snapshot["comments"]]
    return [
        submission_item(entry, kind, email=demo_email(n))
        for n, (kind, entry) in enumerate(entries, 1)
    ]


def seed(table: Any, snapshot_path: Path = DEMO_SNAPSHOT) -> int:
    """Put the demo items that are missing and mark a decision for the publish; how many new."""
    snapshot = json.loads(snapshot_path.read_text(encoding="utf-8"))
    added = 0
    for item in demo_items(snapshot):
        added += conditionally(
            table.put_item, Item=item, ConditionExpression="attribute_not_exists(PK)"
        )
    if added:
        latest = max(item["updated_at"] for item in demo_items(snapshot))
        mark_decision(table, latest)
    logger.info("demo seed: %s new submissions", added)
    return added


def mark_decision(table: Any, at: str) -> None:
    """Record a decision at ``at`` on the publish state, as moderation does: one more in the
    count, and the time (here never backwards)."""
    table.update_item(
        Key=keys.PUBLISH_STATE,
        UpdateExpression="ADD decisions :one",
        ExpressionAttributeValues={":one": 1},
    )
    conditionally(
        table.update_item,
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET last_decision_at = :at",
        ConditionExpression="attribute_not_exists(last_decision_at) OR last_decision_at < :at",
        ExpressionAttributeValues={":at": at},
    )


def main(argv: list[str] | None = None) -> int:
    import boto3

    from scripts.dynamodb_local import DUMMY_ENV

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--table", default="diavoulefsi")
    parser.add_argument("--snapshot", type=Path, default=DEMO_SNAPSHOT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=args.endpoint,
        region_name=DUMMY_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    print(f"{seed(resource.Table(args.table), args.snapshot)} demo submissions added")
    return 0


if __name__ == "__main__":
    sys.exit(main())
