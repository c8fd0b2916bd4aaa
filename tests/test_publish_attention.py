"""One bad item never stops a publish (docs/contracts.md, "Items a publish cannot publish"):
approved items written straight into DynamoDB Local by another road than the API (a lone
surrogate, a noncharacter, a title of tag characters only) are left out of a real publish of the
fixture site, everything else is published, and the list of what was left out reaches staff
through the publish state item and the moderation summary until a decision fixes it."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from moderation_support import StaffClient, data
from publish_support import comment_entry, decide, put, tree_bytes

from chalicelib import publish
from chalicelib.snapshot_delta import FULL, INCREMENTAL
from chalicelib.store import state
from chalicelib.targets import LocalDirTarget

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token

SITE_URL = "http://127.0.0.1:8000"
API_URL = "http://127.0.0.1:8010"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CONSULTATION = "prasino-kai-evangelistria"  # the fixture site's open consultation
FEED = f"diavoulefseis/{CONSULTATION}/feed.atom"
OPEN_DATA = f"anoikta-dedomena/{CONSULTATION}"
ATOM = "{http://www.w3.org/2005/Atom}"
GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
TAG_CHARACTERS = re.compile("[\U000e0000-\U000e007f]")


def tags(ascii_text: str) -> str:
    return "".join(chr(0xE0000 + ord(c)) for c in ascii_text)


def proposal_entry(n: int, **changes: Any) -> dict[str, Any]:
    entry = {
        "id": f"01jproposal{n:015d}",
        "reference": f"NS-P{n:05d}",
        "consultation": CONSULTATION,
        "title": f"Πρόταση δοκιμής αριθμός {n}",
        "body": f"Περισσότερα δέντρα και παγκάκια στο πάρκο της γειτονιάς, πρόταση {n}.",
        "location": "Πάρκο Νέας Σμύρνης",
        "author": {"respondent_type": "citizen", "display_name": f"Προτείνουσα {n}"},
        "created_at": f"2026-11-20T09:00:{n:02d}Z",
        "approved_at": f"2026-11-21T09:00:{n:02d}Z",
    }
    entry.update(changes)
    return entry


def files_mentioning(directory: Path, needle: str) -> list[str]:
    """Files whose path or content holds ``needle``."""
    raw = needle.encode("utf-8")
    return sorted(p for p, body in tree_bytes(directory).items() if needle in p or raw in body)


def attention_of(ddb: Any) -> dict[str, str]:
    listed = state.read(ddb).get("attention")
    assert isinstance(listed, list), state.read(ddb)
    found = {a["id"]: a["problem"] for a in listed}
    assert len(found) == len(listed)  # each id once
    return found


@pytest.fixture
def ddb(api_env: dict[str, str]) -> Any:
    """The app's own table: the staff routes and the publish share it."""
    from chalicelib import db

    return db.table()


@pytest.fixture
def publisher(ddb: Any, root: Path, tmp_path: Path):
    """One publish of the fixture site into a local directory, "now" pinned while its
    consultation is open; the work directory is kept between runs (incremental exports)."""
    site = tmp_path / "site"

    def run(**kwargs: Any) -> publish.PublishResult:
        return publish.run(
            target=LocalDirTarget(site),
            project_root=root,
            workdir=tmp_path / "work",
            api_url=API_URL,
            site_url=SITE_URL,
            table=ddb,
            content=root / "tests" / "fixtures" / "site" / "content",
            now=NOW,
            **kwargs,
        )

    run.site = site  # type: ignore[attr-defined]
    return run


@pytest.fixture
def seeded(ddb: Any) -> dict[str, dict[str, Any]]:
    """Good approved comments and proposals, a pending comment, and three approved items the
    API would never have let in."""
    items = {
        "good1": put(ddb, comment_entry(1, body="Πρώτο καλό σχόλιο για τα δέντρα της πλατείας.")),
        "good2": put(ddb, comment_entry(2, body="Δεύτερο καλό σχόλιο για φωτισμό στην πλατεία.")),
        # tag characters written by another road: published, without them
        "smuggled": put(
            ddb,
            comment_entry(3, body="Τρίτο καλό σχόλιο με κρυφό" + tags("HIDDEN") + " κείμενο."),
        ),
        "good_proposal": put(
            ddb,
            proposal_entry(1, title="Ποδηλατόδρομος" + tags("HIDDEN") + " στην παραλία"),
            kind="proposal",
        ),
        # boto3 sends the lone surrogate as the JSON escape "\ud800" and DynamoDB Local keeps
        # it: the item really holds one (checked in the test), no noncharacter stand-in needed.
        "surrogate": put(
            ddb, comment_entry(4, body="Σχόλιο με χαλασμένη κωδικοποίηση \ud800 στη μέση.")
        ),
        "nonchar": put(
            ddb,
            proposal_entry(2, title="Πρόταση με μη χαρακτήρα \ufffe στον τίτλο"),
            kind="proposal",
        ),
        "invisible_title": put(ddb, proposal_entry(3, title=tags("INVISIBLE")), kind="proposal"),
        "later": put(
            ddb,
            comment_entry(5, body="Σχόλιο που εγκρίνεται αργότερα από τον συντονιστή."),
            status="pending",
        ),
    }
    # A decision before the first publish, so that it leaves a watermark (later runs export
    # incrementally, the way the schedule does).
    first = put(ddb, comment_entry(6, body="Σχόλιο εγκεκριμένο λίγο πριν από τη δημοσίευση."))
    decide(ddb, first, "approved", "2026-11-25T10:00:00.000Z")
    items["good3"] = first
    return items


BAD = ("surrogate", "nonchar", "invisible_title")
GOOD_COMMENTS = ("good1", "good2", "good3", "smuggled")


def test_bad_items_are_left_out_and_reported_until_a_decision_fixes_them(
    ddb: Any, seeded: dict[str, dict[str, Any]], publisher: Any, staff: StaffClient
) -> None:
    stored = ddb.get_item(Key={"PK": seeded["surrogate"]["PK"], "SK": "SUB"})["Item"]
    assert "\ud800" in stored["body"]  # the store really holds the lone surrogate
    bad_ids = {seeded[name]["id"] for name in BAD}

    first = publisher()
    assert first.status == publish.PUBLISHED, first
    assert first.export == FULL and first.left_out == len(BAD)
    site = publisher.site

    # The good items are on the pages and in the open data, the bad ones nowhere.
    for name in GOOD_COMMENTS:
        assert [p for p in files_mentioning(site, seeded[name]["reference"]) if p.endswith(".html")]
    assert files_mentioning(site, "Τρίτο καλό σχόλιο με κρυφό κείμενο.")
    for item in (*(seeded[name] for name in BAD), seeded["later"]):
        assert files_mentioning(site, item["id"]) == [], item["id"]
        assert files_mentioning(site, item["reference"]) == [], item["reference"]
    assert files_mentioning(site, "μη χαρακτήρα") == []
    exported = json.loads((site / f"{OPEN_DATA}.json").read_bytes())
    good_comment_ids = {seeded[name]["id"] for name in GOOD_COMMENTS}
    assert {c["id"] for c in exported["comments"]} == good_comment_ids
    assert [p["id"] for p in exported["proposals"]] == [seeded["good_proposal"]["id"]]
    assert exported["proposals"][0]["title"] == "Ποδηλατόδρομος στην παραλία"
    rows = list(csv.DictReader(io.StringIO((site / f"{OPEN_DATA}.csv").read_text("utf-8-sig"))))
    assert {r["id"] for r in rows} == good_comment_ids | {seeded["good_proposal"]["id"]}
    for path, body in tree_bytes(site).items():
        if path.endswith((".html", ".json", ".csv", ".atom", ".xml")):
            assert not TAG_CHARACTERS.search(body.decode("utf-8")), path

    # The consultation's feed is well-formed XML and carries the good proposal only.
    feed = ET.fromstring((site / FEED).read_bytes())
    entry_ids = [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")]
    assert any(seeded["good_proposal"]["id"] in i for i in entry_ids), entry_ids
    assert not any(bad in i for i in entry_ids for bad in bad_ids), entry_ids
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert "Ποδηλατόδρομος στην παραλία" in titles

    # Staff see exactly the bad items, each with a Greek problem and none of its text.
    attention = attention_of(ddb)
    assert set(attention) == bad_ids
    for problem in attention.values():
        assert GREEK.search(problem), problem
        assert (
            "\ud800" not in problem
            and "\ufffe" not in problem
            and not TAG_CHARACTERS.search(problem)
        )
    assert state.read(ddb)["attention_count"] == len(BAD)
    summary = data(staff.get("/v1/moderation/summary"))
    assert sorted(summary["attention"], key=lambda a: a["id"]) == [
        {"id": i, "problem": attention[i]} for i in sorted(attention)
    ]

    # A staff decision (hiding the broken comment) clears it on the next publish.
    hidden = staff.decide(seeded["surrogate"]["id"], action="hide", reason="other")
    assert hidden.status_code == 200, hidden.body
    second = publisher()
    assert second.status == publish.PUBLISHED, second
    assert second.export == INCREMENTAL and second.left_out == len(BAD) - 1
    remaining = {seeded["nonchar"]["id"], seeded["invisible_title"]["id"]}
    assert set(attention_of(ddb)) == remaining
    assert {a["id"] for a in data(staff.get("/v1/moderation/summary"))["attention"]} == remaining
    assert files_mentioning(site, seeded["surrogate"]["id"]) == []

    # Nothing new: nothing published, and the list stays.
    before = state.read(ddb)["attention"]
    assert publisher().status == publish.NOTHING
    assert state.read(ddb)["attention"] == before

    # Another decision (an approval elsewhere): an incremental export that does not read the
    # bad items again still reports them.
    approved = staff.decide(seeded["later"]["id"], action="approve")
    assert approved.status_code == 200, approved.body
    third = publisher()
    assert (third.status, third.export) == (publish.PUBLISHED, INCREMENTAL)
    assert third.left_out == len(remaining)
    assert set(attention_of(ddb)) == remaining
    assert [p for p in files_mentioning(site, seeded["later"]["reference"]) if p.endswith(".html")]
    for bad in remaining:
        assert files_mentioning(site, bad) == [], bad
    ET.fromstring((site / FEED).read_bytes())


def test_a_forced_full_export_finds_the_same_bad_items(
    ddb: Any, seeded: dict[str, dict[str, Any]], publisher: Any
) -> None:
    """The full and the incremental exports agree on what is left out."""
    publisher()
    listed = attention_of(ddb)
    forced = publisher(force=True)
    assert (forced.status, forced.export, forced.left_out) == (publish.PUBLISHED, FULL, len(BAD))
    assert attention_of(ddb) == listed
    assert set(listed) == {seeded[name]["id"] for name in BAD}


def test_a_title_of_tag_characters_only_is_left_out_not_a_crash(ddb: Any, publisher: Any) -> None:
    good = put(ddb, comment_entry(1, body="Ένα καλό σχόλιο που πρέπει να δημοσιευτεί."))
    blank = put(ddb, proposal_entry(7, title=tags("nothing to see here")), kind="proposal")
    result = publisher()
    assert (result.status, result.left_out) == (publish.PUBLISHED, 1)
    problem = attention_of(ddb)
    assert list(problem) == [blank["id"]] and GREEK.search(problem[blank["id"]])
    assert files_mentioning(publisher.site, good["reference"])
    assert files_mentioning(publisher.site, blank["id"]) == []
    ET.fromstring((publisher.site / FEED).read_bytes())
