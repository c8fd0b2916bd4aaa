"""CSV injection: comments, proposals and answers that begin like a spreadsheet formula open as
the text that was written, in the CSV (a ' before them) and in the XLSX (strings, never formulas);
the data package stays valid with them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import frictionless
import openpyxl
import pytest
from site_support import build_whole_site

from chalicelib.snapshot import validate
from plugins.exports.text_files import neutralise

FIXTURE = Path(__file__).parent / "fixtures" / "site"
DATA = "anoikta-dedomena"
CONSULTATION = "prasino-kai-evangelistria"
PAYLOADS = [
    "=cmd|' /C calc'!A0",
    '+HYPERLINK("http://x")',
    "-2+3",
    "@SUM(1)",
    "\tTAB",
    "\rCR",
]
FORMULA = ("=", "+", "-", "@", "\t", "\r")

pytestmark = pytest.mark.xdist_group("opendata")


def author(name: str) -> dict[str, str | None]:
    return {
        "respondent_type": "organisation",
        "display_name": None,
        "organisation_name": name,
        "organisation_type": "other",
    }


def hostile_snapshot() -> dict:
    """Every payload in a comment's body, a proposal's title, body and location, an
    organisation's name and the municipality's answer."""
    comments, proposals = [], []
    for i, payload in enumerate(PAYLOADS):
        answer = {"disposition": "adopted", "text": payload, "answered_at": "2026-11-25T10:00:00Z"}
        comments.append(
            {
                "id": f"01jinject{i:017d}",
                "reference": f"NS-INJ{i:03d}",
                "consultation": CONSULTATION,
                "text": "anaplasi-plateias",
                "proposal": None,
                "paragraph": None,
                "parent": None,
                "author": author(payload),
                "body": payload,
                "created_at": f"2026-11-2{i}T10:00:00Z",
                "approved_at": "2026-11-25T10:00:00Z",
                "answer": answer,
            }
        )
        proposals.append(
            {
                "id": f"01jinjectp{i:016d}",
                "reference": f"NS-INP{i:03d}",
                "consultation": CONSULTATION,
                "title": payload,
                "body": payload,
                "location": payload,
                "author": author(payload),
                "created_at": f"2026-11-2{i}T11:00:00Z",
                "approved_at": "2026-11-25T11:00:00Z",
                "answer": answer,
            }
        )
    snapshot = {
        "schema_version": 1,
        "generated_at": "2026-11-26T09:00:00Z",
        "comments": comments,
        "proposals": proposals,
    }
    validate(snapshot)  # a snapshot the publish step could really write
    return snapshot


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    work = tmp_path_factory.mktemp("injection")
    snapshot = work / "snapshot.json"
    snapshot.write_text(json.dumps(hostile_snapshot(), ensure_ascii=False), encoding="utf-8")
    return build_whole_site(root, work / "output", snapshot)


def test_neutralise_prefixes_only_what_would_start_a_formula() -> None:
    assert [neutralise(p) for p in PAYLOADS] == ["'" + p for p in PAYLOADS]
    for safe in ["Σχόλιο", "2026-11-25T10:00:00Z", "a=b", "'quoted", "", " =1"]:
        assert neutralise(safe) == safe
    assert neutralise(None) is None and neutralise(3) == 3


@pytest.mark.parametrize("name", [CONSULTATION, "ola"])
def test_no_csv_cell_starts_a_formula(site: Path, name: str) -> None:
    text = (site / DATA / f"{name}.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA)]
    header, *records = rows
    column = {name: i for i, name in enumerate(header)}
    for row in records:
        original = row[column["body"]][1:]
        assert original in PAYLOADS, row
        assert row[column["body"]] == "'" + original
        for field in ("organisation_name", "answer_text"):
            assert row[column[field]] == "'" + original, field
        if row[column["kind"]] == "proposal":
            assert row[column["title"]] == row[column["location"]] == "'" + original
    assert len(records) == 2 * len(PAYLOADS)


def test_xlsx_keeps_the_payloads_as_strings(site: Path) -> None:
    workbook = openpyxl.load_workbook(site / DATA / f"{CONSULTATION}.xlsx")
    seen = []
    for sheet in ("Σχόλια", "Προτάσεις"):
        header, *rows = workbook[sheet].iter_rows()
        column = {c.value: i for i, c in enumerate(header)}
        for row in rows:
            cell = row[column["Κείμενο υποβολής"]]
            assert cell.data_type == "s", (sheet, cell.value)  # not "f", a formula
            assert row[column["Απάντηση του Δήμου"]].data_type == "s"
            # OOXML spells a carriage return _x000D_ (Excel reads it back; openpyxl does not)
            seen.append(cell.value.replace("_x000D_", "\r"))
    assert sorted(seen) == sorted(PAYLOADS * 2)
    assert not [
        c.coordinate
        for sheet in workbook
        for row in sheet.iter_rows()
        for c in row
        if c.data_type == "f"
    ]


def test_the_data_package_stays_valid_with_hostile_text(site: Path) -> None:
    report = frictionless.validate(site / DATA / "datapackage.json")
    assert report.valid, report.flatten(["taskNumber", "type", "note"])
