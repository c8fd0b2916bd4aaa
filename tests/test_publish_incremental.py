"""The incremental snapshot (chalicelib.snapshot_delta) on DynamoDB Local: after real moderation
decisions (approvals, hides, rejections, re-approvals, redactions) it reads only what changed and
writes exactly the bytes of a full export; anything in doubt falls back to a full export."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib import db, moderation, publish, snapshot, snapshot_delta, snapshot_shards
from chalicelib.snapshot_delta import FULL, INCREMENTAL
from chalicelib.store import keys, state
from tests.publish_support import comment_entry, decide, put

PROPOSAL = {
    "id": "01jproposal0000000000000001",
    "reference": "NS-P00001",
    "consultation": "anoichti",
    "title": "Πρόταση για το πάρκο",
    "body": "Περισσότερα δέντρα και παγκάκια στο πάρκο της γειτονιάς.",
    "location": "Πάρκο Νέας Σμύρνης",
    "author": {"respondent_type": "citizen", "display_name": "Προτείνουσα Πολίτισσα"},
    "created_at": "2026-11-20T09:00:00Z",
    "approved_at": "2026-11-21T09:00:00Z",
}


@pytest.fixture
def ddb(api_env: dict[str, str]) -> Any:
    """The app's own table (moderation.decide writes through chalicelib.db)."""
    return db.table()


def entry(n: int) -> dict[str, Any]:
    return comment_entry(n, consultation="anoichti", text="proto-keimeno")


def seed(ddb: Any) -> dict[str, dict[str, Any]]:
    """Twenty approved comments, a proposal and three pending comments."""
    items = {f"a{n}": put(ddb, entry(n)) for n in range(1, 21)}
    items["p"] = put(ddb, PROPOSAL, kind="proposal")
    items.update({f"q{n}": put(ddb, entry(n), status="pending") for n in range(21, 24)})
    return items


def approve(item: dict[str, Any], **extra: Any) -> None:
    moderation.decide(item["id"], json.dumps({"action": "approve", **extra}).encode(), "Δοκιμή")


def take_down(item: dict[str, Any], action: str) -> None:
    body = {"action": action, "reason": "offensive"}
    moderation.decide(item["id"], json.dumps(body).encode(), "Δοκιμή")


def refresh(ddb: Any, path: Path, **kwargs: Any) -> snapshot_delta.Refresh:
    """What a publish run does: the state read at its start, the watermark advanced after."""
    current = state.read(ddb)
    done = snapshot_delta.refresh(
        ddb,
        path,
        decided_at=current.get("last_decision_at"),
        watermark=current.get("watermark"),
        **kwargs,
    )
    if current.get("last_decision_at"):
        state.advance_watermark(ddb, current["last_decision_at"])
    return done


def merged(path: Path) -> dict[str, Any]:
    return snapshot_shards.merged(path)


def merged_bytes(path: Path) -> bytes:
    """The whole-site snapshot the shards make, as one file would hold it."""
    return snapshot.dumps(snapshot_shards.merged(path))


def full_export(ddb: Any) -> bytes:
    return snapshot.dumps(snapshot.export(ddb))


def approved_count(ddb: Any) -> int:
    return len(snapshot.approved_items(ddb))


def test_incremental_equals_full_after_every_kind_of_decision(ddb, tmp_path):
    items = seed(ddb)
    path = tmp_path / "snapshot"
    approve(items["q21"])  # so that a decision time (the mark) exists
    first = refresh(ddb, path)
    assert first.mode == FULL and first.read == 22 == approved_count(ddb)
    assert merged_bytes(path) == full_export(ddb)

    approve(items["q22"])  # pending → approved
    take_down(items["a1"], "hide")  # approved → hidden
    take_down(items["q23"], "reject")  # pending → rejected (never published: nothing to remove)
    approve(items["a2"], redacted_body="Σχόλιο με [απαλείφθηκε] στοιχεία.")  # redaction
    take_down(items["p"], "hide")  # a proposal leaves
    second = refresh(ddb, path)
    assert second.mode == INCREMENTAL and second.changed
    # Only the items decided since the mark (minus the margin: q21 again), not all 22 approved.
    assert second.read == 6
    data = merged_bytes(path)
    assert data == full_export(ddb)
    assert "[απαλείφθηκε]".encode() in data and items["a1"]["body"].encode() not in data
    assert json.loads(data)["proposals"] == []

    approve(items["a1"])  # hidden → approved again
    approve(  # a proposal shown again, redacted
        items["p"], redacted_body="Περισσότερα δέντρα και [απαλείφθηκε] στο πάρκο της γειτονιάς."
    )
    take_down(items["a1"], "hide")  # the newest change leaves: generated_at goes back
    third = refresh(ddb, path)
    assert third.mode == INCREMENTAL
    assert merged_bytes(path) == full_export(ddb)
    generated = merged(path)["generated_at"]
    assert generated < state.read(ddb)["last_decision_at"]  # the hide was last
    assert items["a1"]["body"].encode() not in merged_bytes(path)

    fourth = refresh(ddb, path)  # nothing decided since: same bytes, file untouched
    assert fourth.mode == INCREMENTAL and not fourth.changed and fourth.read == 6


def test_a_decision_in_flight_before_the_mark_is_caught_by_the_margin(ddb, tmp_path):
    items = seed(ddb)
    path = tmp_path / "snapshot"
    decide(ddb, items["q21"], "approved", "2026-11-26T12:00:00.000Z")
    assert refresh(ddb, path).mode == FULL
    # Stamped before the mark, committed after the export read the index.
    decide(ddb, items["q22"], "approved", "2026-11-26T11:58:30.000Z")
    decide(ddb, items["q23"], "approved", "2026-11-26T12:01:00.000Z")
    done = refresh(ddb, path)
    assert done.mode == INCREMENTAL and done.read == 3
    ids = {c["id"] for c in merged(path)["comments"]}
    assert {items[k]["id"] for k in ("q21", "q22", "q23")} <= ids
    assert merged_bytes(path) == full_export(ddb)


def test_an_item_read_again_only_for_the_margin_leaves_its_shard_alone(ddb, tmp_path, monkeypatch):
    items = seed(ddb)
    other = put(ddb, comment_entry(40, consultation="kleisti", text="palio"), status="pending")
    path = tmp_path / "snapshot"
    decide(ddb, other, "approved", "2026-11-26T12:00:00.000Z")  # another consultation's, the mark
    assert refresh(ddb, path).mode == FULL
    loaded: list[str] = []
    real = snapshot_delta._load_shard

    def spy(folder: Path, consultation: str, *rest: Any) -> Any:
        loaded.append(consultation)
        return real(folder, consultation, *rest)

    monkeypatch.setattr(snapshot_delta, "_load_shard", spy)
    decide(ddb, items["q22"], "approved", "2026-11-26T12:01:00.000Z")
    done = refresh(ddb, path)
    assert done.mode == INCREMENTAL and done.read == 2  # ``other`` again: inside the margin
    assert loaded == ["anoichti"]  # kleisti's shard already holds ``other`` as it is
    assert merged_bytes(path) == full_export(ddb)


def test_the_stamps_live_beside_their_shard_and_only_the_touched_ones_are_read(
    ddb, tmp_path, monkeypatch
):
    items = seed(ddb)
    old = put(ddb, comment_entry(40, consultation="kleisti", text="palio"), status="pending")
    decide(ddb, old, "approved", "2026-11-20T12:00:00.000Z")  # long before anything else
    approve(items["q21"])  # a decision: the watermark an incremental refresh needs
    path = tmp_path / "snapshot"
    assert refresh(ddb, path).mode == FULL
    state = json.loads(path.with_name(snapshot_delta.STATE_NAME).read_bytes())
    assert set(state["shards"]) == {"anoichti", "kleisti"}
    assert not any("stamps" in shard for shard in state["shards"].values())  # the state is small
    for consultation, shard in state["shards"].items():
        stamps = json.loads((path / shard["file"]).with_suffix(snapshot_shards.STAMPS).read_bytes())
        entries = json.loads((path / shard["file"]).read_bytes())
        assert set(stamps) == {e["id"] for plural in ("comments", "proposals")
                               for e in entries.get(plural, [])}, consultation  # fmt: skip
    read: list[str] = []
    real = snapshot_delta.read_stamps
    monkeypatch.setattr(
        snapshot_delta,
        "read_stamps",
        lambda folder, shard: read.append(shard["file"]) or real(folder, shard),
    )
    approve(put(ddb, comment_entry(41, consultation="triti", text="allo"), status="pending"))
    done = refresh(ddb, path)
    assert done.mode == INCREMENTAL and done.shards == ["triti"]
    approve(put(ddb, comment_entry(42, consultation="triti", text="allo"), status="pending"))
    assert refresh(ddb, path).mode == INCREMENTAL
    assert "triti.json" in read  # its stamps: which of its entries are there, as which change
    assert "kleisti.json" not in read  # nothing of it was read again: its stamps stay unread
    assert merged_bytes(path) == full_export(ddb)


def _tamper_snapshot(ddb: Any, path: Path) -> None:
    (shard,) = [p for p in path.glob("*.json") if b'"NS-C00003"' in p.read_bytes()]
    shard.write_bytes(shard.read_bytes().replace(b'"NS-C00003"', b'"NS-X00003"'))


def _other_table(ddb: Any, path: Path) -> None:
    state_path = path.with_name(snapshot_delta.STATE_NAME)
    state = json.loads(state_path.read_text(encoding="utf-8"))
    state_path.write_text(json.dumps({**state, "table": "another"}), encoding="utf-8")


def _lost_state(ddb: Any, path: Path) -> None:
    path.with_name(snapshot_delta.STATE_NAME).unlink()


def _stamps_disagree(ddb: Any, path: Path) -> None:
    """A shard's stamps lack one of its entries (and the state vouches for them)."""
    state_path = path.with_name(snapshot_delta.STATE_NAME)
    state = json.loads(state_path.read_text(encoding="utf-8"))
    for shard in state["shards"].values():
        stamps_path = (path / shard["file"]).with_suffix(snapshot_shards.STAMPS)
        stamps = json.loads(stamps_path.read_bytes())
        stamps.popitem()
        stamps_path.write_bytes(json.dumps(stamps).encode())
        shard["stamps_sha256"] = hashlib.sha256(stamps_path.read_bytes()).hexdigest()
    state_path.write_text(json.dumps(state), encoding="utf-8")


def _stamps_changed(ddb: Any, path: Path) -> None:
    """A shard's stamps are not the bytes the state records."""
    for stamps_path in path.glob(f"*{snapshot_shards.STAMPS}"):
        stamps_path.write_bytes(stamps_path.read_bytes().replace(b"2026", b"2025"))


def _watermark_back(ddb: Any, path: Path) -> None:
    ddb.put_item(Item={**keys.PUBLISH_STATE, "watermark": "2020-01-01T00:00:00.000Z"})


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_tamper_snapshot, "changed since"),
        (_other_table, "another table"),
        (_lost_state, "no previous snapshot"),
        (_stamps_disagree, "differ"),
        (_stamps_changed, "differ"),
        (_watermark_back, "backwards"),
    ],
)
def test_any_doubt_means_a_full_export(ddb, tmp_path, spoil, reason):
    items = seed(ddb)
    path = tmp_path / "snapshot"
    approve(items["q21"])
    refresh(ddb, path)
    approve(items["q22"])
    assert refresh(ddb, path).mode == INCREMENTAL
    spoil(ddb, path)
    approve(items["q23"])
    done = refresh(ddb, path)
    assert done.mode == FULL and reason in done.reason
    assert done.read == 24 == approved_count(ddb)
    assert merged_bytes(path) == full_export(ddb)


def test_force_and_a_missing_watermark_export_everything(ddb, tmp_path):
    items = seed(ddb)
    path = tmp_path / "snapshot"
    assert refresh(ddb, path).mode == FULL  # no decision yet: no mark, no watermark
    approve(items["q21"])
    assert refresh(ddb, path).mode == FULL  # the previous run had no mark
    approve(items["q22"])
    assert refresh(ddb, path, full=True).mode == FULL
    approve(items["q23"])
    assert refresh(ddb, path).mode == INCREMENTAL
    assert merged_bytes(path) == full_export(ddb)


def test_an_invalid_change_is_left_out_and_the_rest_refreshed(ddb, tmp_path):
    items = seed(ddb)
    path = tmp_path / "snapshot"
    approve(items["q21"])
    refresh(ddb, path)
    before = merged_bytes(path)
    ddb.update_item(
        Key={"PK": items["q22"]["PK"], "SK": "SUB"},
        UpdateExpression="SET #r = :r",
        ExpressionAttributeNames={"#r": "reference"},
        ExpressionAttributeValues={":r": "bad reference"},
    )
    approve(items["q22"])
    approve(items["q23"])
    done = refresh(ddb, path)
    assert done.mode == INCREMENTAL and list(done.left_out) == [items["q22"]["id"]]
    ids = {c["id"] for c in merged(path)["comments"]}
    assert items["q21"]["id"] in ids and items["q23"]["id"] in ids
    assert items["q22"]["id"] not in ids and merged_bytes(path) != before
    # still left out on the next refresh (nothing new), until a decision fixes it
    assert list(refresh(ddb, path).left_out) == [items["q22"]["id"]]


def test_a_publish_run_after_a_decision_exports_incrementally(ddb, root, tmp_path):
    from chalicelib.targets import LocalDirTarget

    items = seed(ddb)
    approve(items["q21"])
    kwargs = {
        "target": LocalDirTarget(tmp_path / "site"),
        "project_root": root,
        "workdir": tmp_path / "work",
        "api_url": "http://127.0.0.1:8010",
        "site_url": "http://127.0.0.1:8000",
        "table": ddb,
        "content": root / "tests" / "fixtures" / "site" / "content",
    }
    assert publish.run(**kwargs).export == FULL
    take_down(items["a3"], "hide")
    second = publish.run(**kwargs)
    assert (second.status, second.export) == (publish.PUBLISHED, INCREMENTAL)
    assert merged_bytes(tmp_path / "work" / "snapshot") == full_export(ddb)
    assert state.read(ddb)["watermark"] == state.read(ddb)["last_decision_at"]


def test_only_what_takes_something_back_is_a_retraction(ddb, tmp_path):
    """The search index may let pages that only gained something wait in its delta; a hide, a
    redaction or a full export (which cannot tell) must make it forget at once."""
    items = seed(ddb)
    path = tmp_path / "snapshot"
    approve(items["q21"])
    assert refresh(ddb, path).retracted  # full: cannot tell
    approve(items["q22"])
    added = refresh(ddb, path)
    assert (added.mode, added.retracted) == (INCREMENTAL, False)
    take_down(items["q23"], "reject")  # never published: nothing to take back
    assert refresh(ddb, path).retracted is False
    approve(items["a2"], redacted_body="Σχόλιο με [απαλείφθηκε] στοιχεία.")
    assert refresh(ddb, path).retracted
    take_down(items["a4"], "hide")
    assert refresh(ddb, path).retracted


def test_gaining_an_answer_a_group_or_supports_takes_nothing_back():
    before = {"id": "x", "body": "Σχόλιο.", "author": {"display_name": "Α"}}
    retracts = snapshot_delta.retracts
    assert retracts(None, before) is False
    gained = {**before, "group": "g1", "supports": 3, "answer": {"text": "Ναι."}}
    assert retracts(before, gained) is False
    assert retracts(gained, {**gained, "supports": 4, "group": "g2"}) is False
    assert retracts(gained, {**gained, "answer": {"text": "Όχι."}})  # an answer changed
    assert retracts(gained, {**gained, "answer": None})
    assert retracts(before, {**before, "body": "Σχόλιο [απαλείφθηκε]."})
    assert retracts(before, {**before, "author": {"display_name": "Β"}})


def test_a_publish_after_approvals_fills_the_delta_and_one_after_a_hide_empties_it(
    ddb, root, tmp_path
):
    """Approvals: the consultation's bundle keeps its files, its changed pages wait in the
    search delta. A hide: the bundle is indexed again, the delta goes, and the hidden
    comment's words are in no index file."""
    from chalicelib import search_bundles
    from chalicelib.targets import LocalDirTarget

    shown = {n: put(ddb, comment_entry(n, body=f"Σχόλιο {n}: λέξη{n}ξ εδώ.")) for n in (61, 62)}
    waiting = [put(ddb, comment_entry(n), status="pending") for n in (63, 64)]
    approve(waiting[0])
    work = tmp_path / "work"
    kwargs = {
        "target": LocalDirTarget(tmp_path / "site"),
        "project_root": root,
        "workdir": work,
        "api_url": "http://127.0.0.1:8010",
        "site_url": "http://127.0.0.1:8000",
        "table": ddb,
        "content": root / "tests" / "fixtures" / "site" / "content",
    }
    publish.run(**kwargs)
    output = work / "output"
    listing = output / search_bundles.ROOT / search_bundles.LIST_NAME
    bundle = next((output / search_bundles.ROOT).glob("*/prasino-kai-evangelistria/"))
    entry = (bundle / search_bundles.ENTRY).stat().st_mtime_ns

    approve(waiting[1])
    publish.run(**kwargs)
    assert (bundle / search_bundles.ENTRY).stat().st_mtime_ns == entry
    delta = output / search_bundles.DELTA_FOLDER
    assert (delta / search_bundles.ENTRY).is_file()
    listed = json.loads(listing.read_text(encoding="utf-8"))
    assert search_bundles.DELTA_ID in listed["bundles"] and listed["replaced"]
    published = tmp_path / "site" / search_bundles.DELTA_FOLDER / search_bundles.ENTRY
    assert published.is_file()  # the delta reaches the target like any bundle

    hidden = "λέξη61ξ".encode()
    assert any(hidden in data for data in _index_files(output))
    take_down(shown[61], "hide")
    publish.run(**kwargs)
    assert (bundle / search_bundles.ENTRY).stat().st_mtime_ns != entry
    assert not delta.exists()
    listed = json.loads(listing.read_text(encoding="utf-8"))
    assert search_bundles.DELTA_ID not in listed["bundles"] and "replaced" not in listed
    assert not any(hidden in data for data in _index_files(output))


def _index_files(output: Path) -> list[bytes]:
    """Every search index file, decompressed."""
    import gzip

    from chalicelib.search_bundles import ROOT

    found = []
    for path in (output / ROOT).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found.append(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return found
