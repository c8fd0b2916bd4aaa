"""Withdrawn by their authors: the snapshot keeps only the place of what was published
(``withdrawn``), exported in full and incrementally from DynamoDB Local after a real withdrawal
(chalicelib.store.follow), and real Pelican shows «Αποσύρθηκε από τον συντάκτη» there, with the
replies under it and the same anchor, while the open data and the results no longer count it."""

from __future__ import annotations

import csv
import io
import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from site_support import Node, page

from chalicelib import clock, db, snapshot, snapshot_delta, snapshot_shards
from chalicelib.snapshot_delta import FULL, INCREMENTAL
from chalicelib.store import follow, keys, state
from chalicelib.store.keys import Status
from scripts.seed_demo import mark_decision
from tests.publish_support import comment_entry, put

FIXTURE = Path(__file__).parent / "fixtures" / "site"
NOW = "2026-11-26T12:00:00+02:00"
LABEL = "Αποσύρθηκε από τον συντάκτη"
OPEN = "diavoulefseis/prasino-kai-evangelistria/"
TEXT = OPEN + "anaplasi-plateias/"
CLOSED_TEXT = "diavoulefseis/kleisti/palio-keimeno/"
PROPOSAL = "01jproposal00000000000001a"
PARENT = "01jcomment000000000000001a"  # on §eisagogi, answered, with a reply
REPLY = "01jcomment000000000000002b"
CLOSED_COMMENT = "01jcomment000000000000008h"  # the closed consultation's only comment


# --- the site -------------------------------------------------------------------------------
def _withdrawn_snapshot(path: Path) -> dict[str, Any]:
    """The fixture snapshot with a comment that has a reply, a proposal with comments and the
    closed consultation's comment withdrawn (and a placeholder whose text is gone)."""
    data = json.loads((FIXTURE / "snapshot.json").read_text(encoding="utf-8"))
    gone = {PARENT, CLOSED_COMMENT}
    places = [
        snapshot.placeholder({**c, "kind": "comment"}) for c in data["comments"] if c["id"] in gone
    ]
    places += [
        snapshot.placeholder({**p, "kind": "proposal"})
        for p in data["proposals"]
        if p["id"] == PROPOSAL
    ]
    places.append(
        {
            "id": "01jcomment00000000000000zz",
            "kind": "comment",
            "consultation": "prasino-kai-evangelistria",
            "text": "keimeno-pou-den-yparchei",
            "proposal": None,
            "paragraph": None,
            "parent": None,
            "created_at": "2026-11-25T10:00:00Z",
        }
    )
    data["comments"] = [c for c in data["comments"] if c["id"] not in gone]
    data["proposals"] = [p for p in data["proposals"] if p["id"] != PROPOSAL]
    data["withdrawn"] = places
    snapshot.validate(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def site(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pelican alone (no Pagefind) on the fixture site with that snapshot."""
    from pelican.settings import read_settings

    from chalicelib.sitebuild import run_pelican

    tmp = tmp_path_factory.mktemp("withdrawn")
    _withdrawn_snapshot(tmp / "snapshot.json")
    output = tmp / "output"
    settings = read_settings(
        str(root / "pelicanconf.py"),
        override={
            "PATH": str(FIXTURE / "content"),
            "OUTPUT_PATH": str(output),
            "THEME": str(root / "theme"),
            "SNAPSHOT_PATH": str(tmp / "snapshot.json"),
            "CONSULTATION_NOW": NOW,
            "CACHE_PATH": str(tmp / "cache"),
        },
    )
    run_pelican(settings)
    return output


def _dd(doc: Node, term: str) -> str:
    """The ``<dd>`` after the ``<dt>`` that reads ``term``."""
    for dl in doc.find_all("dl"):
        kids = [n for n in dl.children if isinstance(n, Node)]
        for dt, dd in pairwise(kids):
            if dt.tag == "dt" and dt.text() == term:
                return dd.text()
    raise AssertionError(f"no <dt>{term}</dt>")


def test_a_withdrawn_comment_leaves_its_place_anchor_and_replies(site: Path) -> None:
    doc = page(site, TEXT)
    placeholder = doc.by_id(f"sxolio-{PARENT}")
    own = placeholder.find("div")  # its own part, before the replies
    assert own.classes == ["comment", "comment-withdrawn"] and own.text() == LABEL  # no author
    reply = doc.by_id(f"sxolio-{REPLY}")
    assert placeholder in list(reply.ancestors())  # the reply stays readable, under it
    assert "Απάντηση ανώνυμου πολίτη." in reply.text()
    main = doc.find("main").text()
    assert "alert" not in main and "«εισαγωγικά»" not in main  # the withdrawn text is gone
    # no reply link to it, and it is not a comment one can reply to
    assert not [a for a in doc.find_all("a") if a.get("data-parent") == PARENT]
    parents = [a.get("data-parent") for a in doc.find_all("a") if a.get("data-parent")]
    assert PARENT not in parents and REPLY in parents  # no «Απάντηση» to a withdrawn comment
    assert "Σχόλια στην §1 (1)" in main  # the reply only
    assert "Σύνολο δημοσιευμένων σχολίων: 4." in main


def test_a_withdrawn_proposal_keeps_its_page_and_its_comments(site: Path) -> None:
    doc = page(site, f"{OPEN}protaseis/{PROPOSAL}/")
    main = doc.find("main")
    assert main.find("h1").text() == LABEL
    assert "Ποδηλατόδρομος" not in main.text() and "Ποδηλατόδρομος" not in doc.find("title").text()
    assert doc.by_id("sxolio-01jcomment000000000000006f")
    assert doc.by_id("sxolio-01jcomment000000000000007g")
    assert "Σχόλια στην πρόταση (2)" in main.text()
    assert doc.find_all("form") == [] and not doc.find_all("script", src=True)
    listing = page(site, f"{OPEN}protaseis/").find("main").text()
    assert LABEL not in listing and "Δεν υπάρχουν ακόμη δημοσιευμένες προτάσεις." in listing
    feed = (site / OPEN / "feed.atom").read_text(encoding="utf-8")
    assert PROPOSAL not in feed and LABEL not in feed


def test_counts_exports_and_results_leave_them_out(site: Path) -> None:
    home = page(site, "").find_all("li", cls="card")[0].text()
    # 7 comments less the withdrawn one (those on the withdrawn proposal are still published)
    assert "2 κείμενα · 6 σχόλια · 0 προτάσεις" in home
    data = json.loads((site / "anoikta-dedomena" / "prasino-kai-evangelistria.json").read_bytes())
    ids = {row["id"] for row in data["comments"]} | {row["id"] for row in data["proposals"]}
    assert PARENT not in ids and PROPOSAL not in ids and REPLY in ids
    rows = list(csv.DictReader(io.StringIO((site / "anoikta-dedomena" / "ola.csv").read_text())))
    assert not {PARENT, PROPOSAL, CLOSED_COMMENT} & {row["id"] for row in rows}
    assert {row["parent"] for row in rows if row["id"] == REPLY} == {PARENT}  # a reply says so
    assert not [row for row in rows if LABEL in row.values()]
    closed = page(site, CLOSED_TEXT)
    assert closed.by_id(f"sxolio-{CLOSED_COMMENT}").text() == LABEL
    results = page(site, "diavoulefseis/kleisti/apotelesmata/")
    assert _dd(results, "Σχόλια") == "0" and _dd(results, "Προτάσεις") == "1"
    assert not results.find_all(id=f"sxolio-{CLOSED_COMMENT}")
    for path in site.rglob("*.html"):
        assert "keimeno-pou-den-yparchei" not in path.read_text(encoding="utf-8")


def test_the_pages_with_placeholders_are_valid_html(site: Path) -> None:
    from browser import format_problems, nu_check

    pages = [site / TEXT / "index.html", site / OPEN / "protaseis" / PROPOSAL / "index.html"]
    problems = nu_check(pages)
    assert not problems, "Nu HTML Checker:\n" + format_problems(problems)


# --- the snapshot, from DynamoDB Local --------------------------------------------------------
@pytest.fixture
def ddb(api_env: dict[str, str]) -> Any:
    return db.table()


def _withdraw(ddb: Any, item: dict[str, Any]) -> None:
    """What the private link's «withdraw» does (chalicelib.store.follow), on the item as stored."""
    stored = ddb.get_item(Key=keys.submission(item["id"]), ConsistentRead=True)["Item"]
    assert follow.withdraw(ddb, stored, clock.now())


def _refresh(ddb: Any, path: Path) -> snapshot_delta.Refresh:
    current = state.read(ddb)
    done = snapshot_delta.refresh(
        ddb, path, decided_at=current.get("last_decision_at"), watermark=current.get("watermark")
    )
    if current.get("last_decision_at"):
        state.advance_watermark(ddb, current["last_decision_at"])
    return done


def _entry(n: int, **more: Any) -> dict[str, Any]:
    return comment_entry(n, consultation="anoichti", text="proto-keimeno", **more)


def test_the_export_keeps_only_the_place_of_a_published_withdrawn_item(ddb, tmp_path):
    parent = put(ddb, _entry(1, paragraph="eisagogi"), email="parent@example.invalid")
    reply = put(ddb, _entry(2, parent=_entry(1)["id"]))
    pending = put(ddb, _entry(3), status="pending", email="pending@example.invalid")
    proposal = put(
        ddb,
        {
            "id": "01jproposal0000000000000009",
            "reference": "NS-P00009",
            "consultation": "anoichti",
            "title": "Πρόταση που αποσύρεται",
            "body": "Το κείμενο της πρότασης που ο συντάκτης της αποσύρει αργότερα.",
            "location": "Πλατεία Δοκιμής",  # a reserved word in DynamoDB
            "author": {"respondent_type": "citizen", "display_name": "Συντάκτρια Πρότασης"},
            "created_at": "2026-11-20T09:00:00Z",
            "approved_at": "2026-11-21T09:00:00Z",
        },
        kind="proposal",
    )
    for item in (parent, pending, proposal):
        _withdraw(ddb, item)

    data = snapshot.export(ddb)
    raw = snapshot.dumps(data).decode("utf-8")
    snapshot.validate(data)
    assert [c["id"] for c in data["comments"]] == [reply["id"]]
    assert data["proposals"] == []
    assert data["withdrawn"] == [  # by consultation, creation, id
        {
            "id": proposal["id"],
            "kind": "proposal",
            "consultation": "anoichti",
            "text": None,
            "proposal": None,
            "paragraph": None,
            "parent": None,
            "created_at": proposal["created_at"],
        },
        {
            "id": parent["id"],
            "kind": "comment",
            "consultation": "anoichti",
            "text": "proto-keimeno",
            "proposal": None,
            "paragraph": "eisagogi",
            "parent": None,
            "created_at": parent["created_at"],
        },
    ]
    assert pending["id"] not in raw  # withdrawn before publication: never anywhere
    for gone in (parent, proposal):
        assert gone["body"] not in raw and gone["reference"] not in raw
        assert gone["display_name"] not in raw and gone["email"] not in raw
    assert "Πλατεία Δοκιμής" not in raw and "@" not in raw


def test_without_withdrawals_the_snapshot_has_no_withdrawn_list(ddb):
    put(ddb, _entry(1))
    assert "withdrawn" not in snapshot.export(ddb)  # the bytes older builds wrote


def test_incremental_export_of_a_withdrawal_equals_the_full_one(ddb, tmp_path):
    path = tmp_path / "snapshot"  # the shards
    items = [put(ddb, _entry(n)) for n in range(1, 6)]
    pending = put(ddb, _entry(6), status="pending")
    hidden = put(ddb, _entry(7), status=Status.HIDDEN.value)  # never approved: no place kept
    mark_decision(ddb, clock.iso(clock.now()))
    assert _refresh(ddb, path).mode == FULL

    _withdraw(ddb, items[0])
    _withdraw(ddb, pending)
    _withdraw(ddb, hidden)
    second = _refresh(ddb, path)
    assert second.mode == INCREMENTAL and second.changed
    assert snapshot.dumps(snapshot_shards.merged(path)) == snapshot.dumps(snapshot.export(ddb))
    data = snapshot_shards.merged(path)
    assert [w["id"] for w in data["withdrawn"]] == [items[0]["id"]]
    assert items[0]["id"] not in {c["id"] for c in data["comments"]}

    third = _refresh(ddb, path)  # withdrawing again changes nothing
    assert third.mode == INCREMENTAL and not third.changed
    stored = ddb.get_item(Key=keys.submission(items[0]["id"]), ConsistentRead=True)["Item"]
    assert not follow.withdraw(ddb, stored, clock.now())
    assert snapshot.dumps(snapshot_shards.merged(path)) == snapshot.dumps(snapshot.export(ddb))


def test_a_snapshot_of_the_previous_format_is_exported_again_in_full(ddb, tmp_path):
    path = tmp_path / "snapshot"
    put(ddb, _entry(1))
    mark_decision(ddb, clock.iso(clock.now()))
    _refresh(ddb, path)
    state_path = path.with_name(snapshot_delta.STATE_NAME)
    old = json.loads(state_path.read_text(encoding="utf-8")) | {"format": 3}
    state_path.write_text(json.dumps(old), encoding="utf-8")
    again = _refresh(ddb, path)
    assert again.mode == FULL and "format" in again.reason
