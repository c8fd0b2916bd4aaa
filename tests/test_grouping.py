"""The grouping step on a real DynamoDB Local table (chalicelib.grouping, store.groups): groups
per target written on the items, published members restamped for the export and a publish
asked for, a run with nothing new that writes nothing, a late copy that joins its campaign by
one write, items split out or decided meanwhile left alone, and the snapshot's group."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from publish_support import comment_entry, put, table_of

from chalicelib import clock, grouping, snapshot
from chalicelib.store import groups, keys, state

LETTER = (
    "Ζητούμε να μην κοπεί κανένα δέντρο στην πλατεία. Τα πλατάνια είναι η ψυχή της γειτονιάς "
    "και δίνουν σκιά στα παιδιά και στους ηλικιωμένους το καλοκαίρι. Τα νέα παγκάκια να μπουν "
    "γύρω από τα υπάρχοντα δέντρα και όχι στη θέση τους. Η ανάπλαση να γίνει με τους κατοίκους."
)
PASSAGE = (
    "Η ανάπλαση περιλαμβάνει την αντικατάσταση των πλακοστρώσεων, τη φύτευση είκοσι νέων "
    "δέντρων, την τοποθέτηση νέων καθιστικών και φωτισμού χαμηλής κατανάλωσης, καθώς και τη "
    "δημιουργία χώρου παιχνιδιού για μικρά παιδιά στη νότια πλευρά της πλατείας."
)
NOW = clock.iso(datetime.fromisoformat("2026-11-25T12:00:00+00:00"))


def content_with_passage(tmp_path: Path) -> Path:
    folder = tmp_path / "content" / "consultations" / "anoichti"
    folder.mkdir(parents=True)
    (folder / "plateia.md").write_text(f"Title: Πλατεία\n\n{PASSAGE}\n", encoding="utf-8")
    return tmp_path / "content"


def entry(n: int, body: str, **overrides: Any) -> dict[str, Any]:
    return comment_entry(n, body=body, **overrides)


def item_of(table: Any, sub_id: str) -> dict[str, Any]:
    return table.get_item(Key=keys.submission(sub_id), ConsistentRead=True)["Item"]


def run(table: Any, content: Path | None, at: str = NOW) -> grouping.GroupingResult:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return grouping.run(table, content=content, now=moment)


def stamp(at: str) -> str:
    return clock.iso(datetime.fromisoformat(at.replace("Z", "+00:00")))


def test_a_campaign_is_grouped_per_target_and_its_published_members_go_to_the_export(
    dynamodb: Any, table: str, tmp_path: Path
) -> None:
    db = table_of(dynamodb, table)
    copies = [
        put(db, entry(1, "Κύριε Δήμαρχε,\n" + LETTER)),
        put(db, entry(2, LETTER + " Μένω στην οδό Αιγαίου.")),
        put(db, entry(3, LETTER.upper()), status="pending"),
    ]
    other_text = [
        put(db, entry(4, LETTER, text="podilata")),
        put(db, entry(5, LETTER + " Ευχαριστώ.", text="podilata"), status="pending"),
    ]
    reply = put(db, entry(6, LETTER, parent=copies[0]["id"]))
    rejected = put(db, entry(7, LETTER), status="rejected")
    quoting = [
        put(db, entry(8, f"«{PASSAGE}» Διαφωνώ: η νότια πλευρά έχει πολλή κίνηση.")),
        put(db, entry(9, f"«{PASSAGE}» Καλό, αρκεί να μη χαθούν θέσεις στάθμευσης.")),
    ]
    proposals = [
        put(db, {**entry(10, LETTER), "title": "Να σωθούν τα δέντρα"}, kind="proposal"),
        put(db, {**entry(11, LETTER), "title": "Να σωθούν τα δέντρα!"}, kind="proposal"),
    ]
    before = state.read(db)
    result = run(db, content_with_passage(tmp_path))

    first = copies[0]["id"]
    assert {item_of(db, c["id"]).get("group") for c in copies} == {first}
    assert {item_of(db, c["id"]).get("group") for c in other_text} == {other_text[0]["id"]}
    assert {item_of(db, p["id"]).get("group") for p in proposals} == {proposals[0]["id"]}
    for alone in [reply, rejected, *quoting]:  # a reply, a rejected copy, two quotations
        assert "group" not in item_of(db, alone["id"]), alone["id"]
    assert result.complete and result.changed == 7 and result.published == 5

    # A published member's entry changed: stamped now in by_status (the incremental export
    # takes it), and a publish is asked for; a pending one keeps its stamp.
    published = item_of(db, copies[0]["id"])
    assert published["GSI2SK"] == f"{NOW}#{first}" and published["updated_at"] == NOW
    assert item_of(db, copies[2]["id"])["GSI2SK"] == copies[2]["GSI2SK"]
    after = state.read(db)
    assert after["decisions"] == before.get("decisions", 0) + 5
    assert after["publish_requested_at"] == NOW
    assert groups.mark(db) == NOW

    exported = snapshot.export(db)
    found = {e["id"]: e.get("group") for e in exported["comments"] + exported["proposals"]}
    assert found[copies[1]["id"]] == first and found[quoting[0]["id"]] is None
    snapshot.validate(exported)


def test_nothing_new_writes_nothing_and_a_late_copy_joins_by_one_write(
    dynamodb: Any, table: str
) -> None:
    db = table_of(dynamodb, table)
    copies = [put(db, entry(n, LETTER + f" Υπογραφή {n}.")) for n in range(1, 4)]
    assert run(db, None).changed == 3
    # The members grouping itself restamped (for the export) are not news: the next runs,
    # within the margin and after it, read the index and nothing else, and write nothing.
    assert groups.read_state(db)["own"] == [NOW]
    for at in ("2026-11-25T12:01:00Z", "2026-11-25T12:30:00Z"):
        later = run(db, None, at)
        assert (later.targets, later.read, later.changed) == (0, 0, 0)
    assert groups.mark(db) == NOW  # nothing new: nothing written

    late = put(
        db,
        entry(4, "Αξιότιμε κύριε Δήμαρχε, " + LETTER, created_at="2026-11-25T12:40:00Z"),
        status="pending",
    )
    db.update_item(  # a pending item is stamped in by_status at its creation, as the intake does
        Key=keys.submission(late["id"]),
        UpdateExpression="SET GSI2SK = :sk",
        ExpressionAttributeValues={":sk": f"2026-11-25T12:40:00Z#{late['id']}"},
    )
    joined = run(db, None, "2026-11-25T12:41:00Z")
    assert joined.changed == 1 and joined.published == 0
    assert item_of(db, late["id"])["group"] == copies[0]["id"]


def test_split_items_and_items_decided_meanwhile_are_left_alone(dynamodb: Any, table: str) -> None:
    db = table_of(dynamodb, table)
    copies = [put(db, entry(n, LETTER + f" Υπογραφή {n}.")) for n in range(1, 4)]
    split = put(db, entry(4, LETTER), group_split=True)
    run(db, None)
    assert "group" not in item_of(db, split["id"])
    assert item_of(db, copies[2]["id"])["group"] == copies[0]["id"]

    # A decision came between grouping's read and its write: the write is refused.
    stale = dict(item_of(db, copies[1]["id"]))
    db.update_item(
        Key=keys.submission(stale["id"]),
        UpdateExpression="SET version = version + :one",
        ExpressionAttributeValues={":one": 1},
    )
    assert not groups.set_group(db, stale, None, NOW)
    assert item_of(db, stale["id"])["group"] == copies[0]["id"]


def test_the_local_publisher_groups_before_it_publishes(dynamodb: Any, table: str) -> None:
    """``make dev``'s timer stands in for production's group_submissions schedule."""
    import threading

    from scripts.publisher import Publisher

    db = table_of(dynamodb, table)
    copies = [put(db, entry(n, LETTER + f" Υπογραφή {n}.")) for n in range(1, 4)]
    publisher = Publisher(3600, threading.Event(), table=db, project_root=Path("/nonexistent"))
    publisher.group_now()
    assert {item_of(db, c["id"]).get("group") for c in copies} == {copies[0]["id"]}
