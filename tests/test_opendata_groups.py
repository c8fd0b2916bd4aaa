"""Campaign groups in the open data: every member of a group is a row of its own with the
group's id in ``group`` (empty when in no group), in each consultation's JSON, CSV and XLSX and
in the whole site's JSON and CSV, described in the data package (valid with frictionless); a
change of a row's group reaches the files (the consultation's at once, the whole site's with the
day's new rows: nothing published is taken back)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import frictionless
import openpyxl
import pytest
from site_support import build_whole_site

import plugins.exports as exports

FIXTURE = Path(__file__).parent / "fixtures" / "site"
DATA = "anoikta-dedomena"
OPEN = "prasino-kai-evangelistria"
TITLE = "Ομάδα ίδιου ή σχεδόν ίδιου κειμένου"  # the XLSX's header of ``group``
NEXT_DAY = "2026-11-27T09:00:00+02:00"
# In the fixture's open consultation: two comments on its text in one group, the comment on
# its proposal alone in another (its other members not published), its proposal in a third.
GROUPS = {
    "01jcomment000000000000001a": "01jcomment000000000000001a",
    "01jcomment000000000000003c": "01jcomment000000000000001a",
    "01jcomment000000000000006f": "01jcomment000000000000006f",
    "01jproposal00000000000001a": "01jproposal00000000000001a",
}
UNGROUPED = "01jcomment000000000000004d"
REPLY = "01jcomment000000000000002b"

pytestmark = pytest.mark.xdist_group("opendata")


def grouped(groups: dict[str, str]) -> dict[str, Any]:
    snapshot = json.loads((FIXTURE / "snapshot.json").read_bytes())
    for kind in ("comments", "proposals"):
        for item in snapshot[kind]:
            if item["id"] in groups:
                item["group"] = groups[item["id"]]
    return snapshot


def write(path: Path, snapshot: dict[str, Any]) -> Path:
    path.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    tmp = tmp_path_factory.mktemp("opendata-groups")
    return build_whole_site(root, tmp / "output", write(tmp / "snapshot.json", grouped(GROUPS)))


def json_groups(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_bytes())
    return {row["id"]: row["group"] for kind in ("comments", "proposals") for row in data[kind]}


def csv_groups(path: Path) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
    return {row["id"]: row["group"] for row in rows}


def xlsx_groups(path: Path) -> dict[str, Any]:
    found = {}
    workbook = openpyxl.load_workbook(path)
    for sheet in ("Σχόλια", "Προτάσεις"):
        rows = list(workbook[sheet].iter_rows(values_only=True))
        header = list(rows[0])
        assert header.count(TITLE) == 1, sheet
        for row in rows[1:]:
            found[row[header.index("Αναγνωριστικό")]] = row[header.index(TITLE)]
    return found


def expected(empty: Any) -> dict[str, Any]:
    """Every row of the open consultation: its group, or ``empty``."""
    snapshot = grouped({})
    return {
        item["id"]: GROUPS.get(item["id"], empty)
        for kind in ("comments", "proposals")
        for item in snapshot[kind]
        if item["consultation"] == OPEN
    }


def test_every_member_keeps_its_group_in_json_csv_and_xlsx(site: Path) -> None:
    rows = json_groups(site / DATA / f"{OPEN}.json")
    assert rows == expected(None)  # every member a row; null when in no group
    assert rows[UNGROUPED] is None and rows[REPLY] is None
    assert csv_groups(site / DATA / f"{OPEN}.csv") == expected("")
    assert xlsx_groups(site / DATA / f"{OPEN}.xlsx") == expected(None)  # an empty cell
    # in the column's place: after the body (and a proposal's location), before the supports
    # and the author
    header = next(csv.reader(io.StringIO((site / DATA / "ola.csv").read_text("utf-8-sig"))))
    assert header[header.index("location") + 1 : header.index("location") + 4] == [
        "group",
        "supports",
        "respondent_type",
    ]


def test_the_whole_site_files_carry_the_groups(site: Path) -> None:
    whole = json_groups(site / DATA / "ola.json")
    assert {i: g for i, g in whole.items() if g} == GROUPS
    assert whole["01jcomment000000000000008h"] is None  # the closed consultation's
    assert {i: g for i, g in csv_groups(site / DATA / "ola.csv").items() if g} == GROUPS


def test_the_data_package_describes_the_group_and_validates(site: Path) -> None:
    package = json.loads((site / DATA / "datapackage.json").read_bytes())
    assert "group" in package["description"]
    for resource in package["resources"]:
        if resource["format"] == "csv":
            (field,) = [f for f in resource["schema"]["fields"] if f["name"] == "group"]
            assert field["title"] == TITLE and field["type"] == "string"
            assert "εκστρατεία" in field["description"] and "κενό" in field["description"]
        if resource["format"] == "xlsx":
            for sheet in resource["sheets"][:2]:
                assert {"name": "group", "title": TITLE} in sheet["fields"], sheet["name"]
    report = frictionless.validate(site / DATA / "datapackage.json")
    assert report.valid, report.flatten(["taskNumber", "type", "note"])


def test_a_change_of_group_reaches_the_files(tmp_path: Path, root: Path) -> None:
    """The entries changed, so the consultation's files are made again at once; the whole
    site's take it with the day's new rows (a group given is nothing taken back), and a row
    hidden meanwhile still leaves them at once."""
    output, path = tmp_path / "output", tmp_path / "snapshot.json"
    build_whole_site(root, output, write(path, grouped({})))
    own, whole = output / DATA / f"{OPEN}.json", output / DATA / "ola.json"
    assert set(json_groups(own).values()) == {None}

    build_whole_site(root, output, write(path, grouped(GROUPS)))
    assert json_groups(own) == expected(None)
    assert csv_groups(output / DATA / f"{OPEN}.csv") == expected("")
    assert xlsx_groups(output / DATA / f"{OPEN}.xlsx") == expected(None)
    assert set(json_groups(whole).values()) == {None}  # waits for its day, not retracted
    assert not (output / exports.RETRACTED).exists()
    assert exports.rebuild_due(output) == "2026-11-26T22:00:00.000Z"  # FIXTURE_NOW's midnight

    build_whole_site(root, output, path, NEXT_DAY)  # the next day: the groups are there
    assert {i: g for i, g in json_groups(whole).items() if g} == GROUPS
    assert {i: g for i, g in csv_groups(output / DATA / "ola.csv").items() if g} == GROUPS

    moved = GROUPS | {"01jcomment000000000000003c": "01jcomment000000000000005e"}
    snapshot = grouped(moved)
    snapshot["comments"] = [c for c in snapshot["comments"] if c["id"] != UNGROUPED]  # hidden
    build_whole_site(root, output, write(path, snapshot), NEXT_DAY)
    for rows in (json_groups(own), json_groups(whole), csv_groups(output / DATA / "ola.csv")):
        assert rows["01jcomment000000000000003c"] == "01jcomment000000000000005e"
        assert UNGROUPED not in rows
