"""scripts/seed_demo.py: the dev stack's table, seeded from the demo snapshot, exports the same
snapshot back (answers and participants included), so `make dev` publishes the demo site."""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.snapshot import build, public_entries, validate
from scripts.seed_demo import ANSWERED_BY, DEMO_SNAPSHOT, demo_items

MILLIS = re.compile(r"(T\d{2}:\d{2}:\d{2})\.000Z")


def demo() -> dict[str, Any]:
    return json.loads(DEMO_SNAPSHOT.read_text(encoding="utf-8"))


def same_stamps(value: Any) -> Any:
    """``...:SS.000Z`` (the API's stamps, as seeded) as ``...:SSZ`` (the demo snapshot's)."""
    return json.loads(MILLIS.sub(r"\1Z", json.dumps(value, ensure_ascii=False)))


def test_an_answered_entry_seeds_an_item_that_exports_the_same_answer() -> None:
    snapshot = demo()
    entry = next(c for c in snapshot["comments"] if c.get("answer"))
    item = next(i for i in demo_items(snapshot) if i["id"] == entry["id"])
    assert item["answer"]["answered_by"] == ANSWERED_BY
    assert item["participant"] == entry["participant"]
    assert item["updated_at"] == item["GSI2SK"].split("#")[0] > item["approved_at"]
    kind, exported, _ = public_entries([item])[entry["id"]]
    assert kind == "comment"
    assert same_stamps(exported["answer"]) == entry["answer"]
    assert "answered_by" not in exported["answer"]


def test_the_seeded_table_exports_the_demo_snapshot_back() -> None:
    snapshot = demo()
    items = demo_items(snapshot)
    assert all("@example.invalid" in item["email"] for item in items)
    exported = same_stamps(build(items))
    validate(exported)
    for kind in ("comments", "proposals"):
        by_id = {e["id"]: e for e in snapshot[kind]}
        assert {e["id"]: e for e in exported[kind]} == {
            i: {**e, "answer": e.get("answer"), "participant": e.get("participant")}
            for i, e in by_id.items()
        }
