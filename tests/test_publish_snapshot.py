"""The snapshot export against DynamoDB Local: public fields only, anonymity, order, schema."""

from __future__ import annotations

import json
import random

import jsonschema
import pytest

from chalicelib import snapshot
from chalicelib.spec import snapshot_schema
from tests.publish_support import comment_entry, put, table_of


@pytest.fixture
def ddb(dynamodb, table):
    return table_of(dynamodb, table)


def test_only_public_fields_and_only_approved_items(ddb, tmp_path):
    named = put(ddb, comment_entry(1), decision_note="σημείωση συντονιστή XYZ")
    anonymous = put(
        ddb,
        comment_entry(2, author={"respondent_type": "citizen", "display_name": None}),
        display_name="Κρυφό Ονοματεπώνυμο",
    )
    organisation = put(
        ddb,
        comment_entry(
            3,
            author={
                "respondent_type": "organisation",
                "display_name": None,
                "organisation_name": None,
                "organisation_type": "union",
            },
        ),
        display_name="Κρυφός Εκπρόσωπος",
        organisation_name="Κρυφό Σωματείο",
    )
    pending = put(
        ddb, comment_entry(4, body="Εκκρεμές σχόλιο που δεν δημοσιεύεται."), status="pending"
    )
    hidden = put(
        ddb, comment_entry(5, body="Κρυμμένο σχόλιο που δεν δημοσιεύεται."), status="hidden"
    )
    proposal = put(
        ddb,
        {
            "id": "01jproposal0000000000000001",
            "reference": "NS-P00001",
            "consultation": "anoichti",
            "title": "Πρόταση δοκιμής",
            "body": "Περιγραφή της πρότασης δοκιμής με αρκετό κείμενο για το όριο.",
            "location": None,
            "author": {"respondent_type": "citizen", "display_name": "Προτείνων Πολίτης"},
            "created_at": "2026-11-20T09:00:00Z",
            "approved_at": "2026-11-21T09:00:00Z",
        },
        kind="proposal",
    )

    path = tmp_path / "snapshot.json"
    assert snapshot.write(snapshot.export(ddb), path)
    raw = path.read_text(encoding="utf-8")
    data = json.loads(raw)
    jsonschema.validate(data, snapshot_schema())

    assert [c["id"] for c in data["comments"]] == [named["id"], anonymous["id"], organisation["id"]]
    assert [p["id"] for p in data["proposals"]] == [proposal["id"]]
    for item in (named, anonymous, organisation, pending, hidden, proposal):
        assert "ip_hash" not in item  # the network hash lives only in expiring guard items
        for private in ("email", "submission_key"):
            assert item[private] not in raw
    for secret in ("σημείωση συντονιστή", "Κρυφό", "Κρυφός", pending["body"], hidden["body"]):
        assert secret not in raw
    assert "@" not in raw
    by_id = {c["id"]: c for c in data["comments"]}
    assert by_id[named["id"]]["author"]["display_name"] == named["display_name"]
    assert by_id[anonymous["id"]]["author"]["display_name"] is None
    assert by_id[organisation["id"]]["author"] == {
        "respondent_type": "organisation",
        "display_name": None,
        "organisation_name": None,
        "organisation_type": "union",
    }


def test_deterministic_order_and_bytes(ddb, tmp_path):
    numbers = list(range(1, 13))
    random.Random(5).shuffle(numbers)
    for n in numbers:
        consultation = "kleisti" if n % 3 == 0 else "anoichti"
        put(ddb, comment_entry(n, consultation=consultation))

    first = snapshot.export(ddb)
    keys = [(c["consultation"], c["created_at"], c["id"]) for c in first["comments"]]
    assert keys == sorted(keys)
    assert len(keys) == 12
    assert first["generated_at"] == max(c["approved_at"] for c in first["comments"])

    path = tmp_path / "snapshot.json"
    assert snapshot.write(first, path) is True
    before = path.read_bytes()
    assert snapshot.write(snapshot.export(ddb), path) is False  # same bytes: file untouched
    assert path.read_bytes() == before == snapshot.dumps(snapshot.export(ddb))

    lines = before.decode("utf-8").splitlines()  # one entry per line, keys sorted
    assert [json.loads(line.rstrip(",")) for line in lines if line.startswith('{"')] == [
        *first["comments"],
    ]
    assert json.loads(before) == first
    shuffled = {key: first[key] for key in reversed(list(first))}
    assert snapshot.dumps(shuffled) == before


def test_every_page_of_the_index_is_read(ddb):
    for n in range(1, 8):
        put(ddb, comment_entry(n))
    seen = []
    items = snapshot.approved_items(ddb, progress=seen.append, page_size=2)
    assert len(items) == 7
    assert len(seen) >= 4 and seen[-1] == 7


def test_an_empty_database_gives_a_valid_empty_snapshot(ddb):
    data = snapshot.export(ddb)
    assert data["comments"] == [] and data["proposals"] == []
    jsonschema.validate(data, snapshot_schema())


def test_an_invalid_item_is_left_out_and_the_rest_exported(ddb, tmp_path):
    bad = put(ddb, comment_entry(1, reference="bad reference"))
    put(ddb, comment_entry(2))
    left_out: dict[str, str] = {}
    entries = snapshot.public_entries(snapshot.approved_items(ddb), left_out)
    assert list(left_out) == [bad["id"]] and "σχήμα" in left_out[bad["id"]]
    assert [e["reference"] for _, e, _ in entries.values()] == [comment_entry(2)["reference"]]
    path = tmp_path / "snapshot.json"
    snapshot.write(snapshot.export(ddb), path)  # the whole file is valid without it
    assert [c["id"] for c in json.loads(path.read_bytes())["comments"]] == list(entries)


def test_unchanged_entries_keep_their_lines_changed_ones_are_encoded(ddb):
    for n in range(1, 6):
        put(ddb, comment_entry(n))
    data = snapshot.export(ddb)
    raw = snapshot.dumps(data)
    loaded = json.loads(raw)
    known = snapshot.written_lines(raw, loaded)
    assert set(known) == {c["id"] for c in data["comments"]}
    assert snapshot.dumps(loaded, known) == raw

    marked = {i: (entry, line[:-1] + b', "reused": true}') for i, (entry, line) in known.items()}
    loaded["comments"][2] = {**loaded["comments"][2], "body": "Άλλο κείμενο."}
    written = json.loads(snapshot.dumps(loaded, marked))["comments"]
    assert [c.get("reused", False) for c in written] == [True, True, False, True, True]
    assert written[2] == loaded["comments"][2]  # a new object: encoded afresh
    assert snapshot.dumps(loaded, known) == snapshot.dumps(loaded)

    older = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()
    assert snapshot.written_lines(older, data) == {}  # another layout: nothing reused
