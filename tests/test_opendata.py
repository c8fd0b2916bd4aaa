"""The open data of the fixture site, built once: JSON, CSV and XLSX per consultation, JSON and
CSV for the whole site, the data package (valid with frictionless), the index page, no personal
name of an organisation and no participant hash anywhere, the same bytes from the same snapshot."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import frictionless
import openpyxl
import pytest
from site_support import page

from chalicelib.sitebuild import build_site
from chalicelib.spec import limits

FIXTURE = Path(__file__).parent / "fixtures" / "site"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Athens"))
API = "http://api.example.test:9000"
DATA = "anoikta-dedomena"
CONSULTATIONS = ["prasino-kai-evangelistria", "kleisti", "mellontiki"]
OPEN = "prasino-kai-evangelistria"
ORGANISATION_COMMENT = "01jcomment000000000000004d"
PERSON_OF_ORGANISATION = "Νίκος Ν."  # wrote for «Σύλλογος Γονέων»: never published
PARTICIPANTS = ["a1b2c3d4e5f60718", "0f0e0d0c0b0a0908"]  # keyed hashes in the fixture snapshot
NEWEST = "2026-11-25T12:00:00Z"  # the open consultation's newest approval (the fixture's newest)
GREEK = re.compile("[\u0370-\u03ff]")
CSV_HEADER = [
    "kind",
    "kind_label",
    "id",
    "reference",
    "consultation",
    "consultation_title",
    "text",
    "text_title",
    "paragraph",
    "proposal",
    "parent",
    "title",
    "body",
    "location",
    "group",
    "supports",
    "respondent_type",
    "respondent_type_label",
    "display_name",
    "organisation_name",
    "organisation_type",
    "organisation_type_label",
    "created_at",
    "approved_at",
    "disposition",
    "disposition_label",
    "answer_text",
    "answered_at",
]

pytestmark = pytest.mark.xdist_group("opendata")


def build(output: Path, root: Path) -> Path:
    build_site(
        root,
        output,
        snapshot=FIXTURE / "snapshot.json",
        api_url=API,
        now=NOW,
        content=FIXTURE / "content",
    )
    return output


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    return build(tmp_path_factory.mktemp("opendata") / "output", root)


def data_files(site: Path) -> dict[str, bytes]:
    """Every file under the open-data folder, an XLSX's parts each as a file of their own."""
    found = {}
    for path in sorted((site / DATA).rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(site).as_posix()
        found[name] = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                for part in archive.namelist():
                    found[f"{name}!{part}"] = archive.read(part)
    return found


def csv_rows(site: Path, name: str) -> list[dict[str, str]]:
    raw = (site / DATA / f"{name}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the Greek
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_every_format_per_consultation_and_for_the_whole_site(site: Path) -> None:
    names = {p.name for p in (site / DATA).iterdir()}
    expected = {f"{c}.{ext}" for c in CONSULTATIONS for ext in ("json", "csv", "xlsx")}
    assert names == expected | {"ola.json", "ola.csv", "datapackage.json", "index.html"}
    whole = json.loads((site / DATA / "ola.json").read_bytes())
    assert [c["slug"] for c in whole["consultations"]] == CONSULTATIONS
    assert len(whole["comments"]) == 8 and len(whole["proposals"]) == 2
    assert {r["id"] for r in csv_rows(site, "ola")} == {
        *(c["id"] for c in whole["comments"]),
        *(p["id"] for p in whole["proposals"]),
    }
    assert len(csv_rows(site, "mellontiki")) == 0  # a header, no rows


def test_no_organisation_member_name_and_no_participant_hash_in_any_file(site: Path) -> None:
    files = data_files(site)
    assert any("!xl/sharedStrings.xml" in name for name in files)  # the XLSX's text is read
    for name, content in files.items():
        text = content.decode("utf-8", errors="replace")
        assert PERSON_OF_ORGANISATION not in text, name
        assert "participant" not in text, name
        for participant in PARTICIPANTS:
            assert participant not in text, name
    # ... while the organisation itself is there, by its name, in every format
    for ext in ("json", "csv", "xlsx!xl/sharedStrings.xml"):
        assert "Σύλλογος Γονέων" in files[f"{DATA}/{OPEN}.{ext}"].decode("utf-8"), ext
    assert "Μαρία Παπά" in files[f"{DATA}/{OPEN}.csv"].decode("utf-8")  # a citizen who chose to


def test_json_carries_the_answers_with_their_labels_and_only_public_fields(site: Path) -> None:
    data = json.loads((site / DATA / f"{OPEN}.json").read_bytes())
    labels = limits()["dispositions"]["labels"]
    comments = {c["id"]: c for c in data["comments"]}
    answered = comments[ORGANISATION_COMMENT]
    assert (answered["disposition"], answered["disposition_label"]) == ("partly", labels["partly"])
    assert answered["answer_text"] == "Ενσωματώνεται εν μέρει στο τελικό κείμενο."
    assert answered["answered_at"] == "2026-11-20T09:10:00Z"
    assert answered["display_name"] is None and answered["organisation_name"] == "Σύλλογος Γονέων"
    assert answered["organisation_type_label"] == limits()["organisation_types"]["union"]
    assert answered["respondent_type_label"] == limits()["respondent_types"]["organisation"]
    unanswered = comments["01jcomment000000000000002b"]
    assert unanswered["disposition"] is None and unanswered["answer_text"] is None
    closed = json.loads((site / DATA / "kleisti.json").read_bytes())
    assert closed["proposals"][0]["disposition_label"] == labels["not_adopted"]
    keys = {k for item in [*data["comments"], *data["proposals"]] for k in item}
    assert not keys & {"author", "answer", "participant", "email", "ip_hash", "submission_key"}


def test_csv_has_the_allowlisted_columns_with_labels_beside_codes(site: Path) -> None:
    raw = (site / DATA / f"{OPEN}.csv").read_bytes().decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(raw))) == CSV_HEADER
    rows = {r["id"]: r for r in csv_rows(site, OPEN)}
    assert len(rows) == 8
    row = rows[ORGANISATION_COMMENT]
    assert (row["kind"], row["kind_label"]) == ("comment", "Σχόλιο")
    assert (row["disposition"], row["disposition_label"]) == ("partly", "Ενσωματώνεται εν μέρει")
    assert row["display_name"] == "" and row["organisation_name"] == "Σύλλογος Γονέων"
    proposal = rows["01jproposal00000000000001a"]
    assert (proposal["kind"], proposal["title"]) == ("proposal", "Ποδηλατόδρομος στη λεωφόρο")
    assert rows["01jcomment000000000000001a"]["text_title"] == "Ανάπλαση πλατείας"


def sheet_rows(path: Path, sheet: str) -> list[list[openpyxl.cell.cell.Cell]]:
    workbook = openpyxl.load_workbook(path)
    return [list(row) for row in workbook[sheet].iter_rows()]


def test_xlsx_has_three_sheets_greek_headers_and_labels_beside_codes(site: Path) -> None:
    path = site / DATA / f"{OPEN}.xlsx"
    assert openpyxl.load_workbook(path).sheetnames == ["Σχόλια", "Προτάσεις", "Συμμετοχή"]
    for sheet in ("Σχόλια", "Προτάσεις", "Συμμετοχή"):
        header = [c.value for c in sheet_rows(path, sheet)[0]]
        assert all(GREEK.search(h) for h in header), (sheet, header)
    rows = sheet_rows(path, "Σχόλια")
    header = [c.value for c in rows[0]]
    column = {title: i for i, title in enumerate(header)}
    code = column["Απόφαση του Δήμου (κωδικός)"]
    assert header[code + 1] == "Απόφαση του Δήμου"
    assert header[column["Είδος φορέα (κωδικός)"] + 1] == "Είδος φορέα"
    row = next(r for r in rows if r[column["Αναγνωριστικό"]].value == ORGANISATION_COMMENT)
    assert [c.value for c in row[code : code + 3]] == [
        "partly",
        "Ενσωματώνεται εν μέρει",
        "Ενσωματώνεται εν μέρει στο τελικό κείμενο.",
    ]
    assert row[column["Όνομα πολίτη"]].value is None
    count = column["Υποστηρίζουν"]  # the one number: confirmed supports
    assert row[count].value == 0 and row[count].data_type == "n"
    texts = [c for n, c in enumerate(row) if c.value is not None and n != count]
    assert all(c.data_type == "s" for c in texts)  # strings as strings
    proposals = sheet_rows(path, "Προτάσεις")
    assert len(proposals) == 2 and proposals[1][0].value == "01jproposal00000000000001a"


def test_xlsx_participation_counts_per_text_and_consultation(site: Path) -> None:
    rows = sheet_rows(site / DATA / f"{OPEN}.xlsx", "Συμμετοχή")
    header = [c.value for c in rows[0]]
    values = [dict(zip(header, (c.value for c in r), strict=True)) for r in rows[1:]]
    assert [v["Επίπεδο"] for v in values] == [
        "Κείμενο",
        "Κείμενο",
        "Προτάσεις",
        "Σύνολο διαβούλευσης",
    ]
    text, _, proposals, total = values
    assert text["Κείμενο"] == "Ανάπλαση πλατείας"
    assert (text["Σχόλια"], text["Από πολίτες"], text["Από φορείς"]) == (5, 3, 2)
    assert (proposals["Σχόλια"], proposals["Προτάσεις"]) == (2, 1)
    assert (total["Σχόλια"], total["Προτάσεις"], total["Απαντήθηκαν"]) == (7, 1, 2)
    assert total["Απαντήσεις: Ενσωματώνεται εν μέρει"] == 1
    assert total["Απαντήσεις: Προβλέπεται ήδη"] == 1
    assert total["Απαντήσεις: Ενσωματώνεται"] == 0
    assert rows[-1][header.index("Σχόλια")].data_type == "n"  # counts are numbers
    everything = json.loads((site / DATA / "ola.json").read_bytes())["participation"][-1]
    assert (everything["scope"], everything["scope_label"]) == ("site", "Σύνολο ιστότοπου")
    assert everything["answered"] == 4


def test_the_data_package_describes_every_file_and_is_valid(site: Path) -> None:
    package = json.loads((site / DATA / "datapackage.json").read_bytes())
    paths = {r["path"] for r in package["resources"]}
    assert paths == {p.name for p in (site / DATA).iterdir()} - {"datapackage.json", "index.html"}
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert GREEK.search(package["title"]) and "4727/2020" in package["description"]
    assert package["created"] == NEWEST  # the data's newest change, not the snapshot's time
    assert "XLSX υπάρχει μόνο ανά διαβούλευση" in package["description"]
    for resource in package["resources"]:
        assert GREEK.search(resource["title"]) and resource["hash"].startswith("sha256:")
        if resource["format"] == "csv":
            fields = resource["schema"]["fields"]
            assert [f["name"] for f in fields] == CSV_HEADER
            assert all(GREEK.search(f["title"]) and GREEK.search(f["description"]) for f in fields)
        if resource["format"] == "xlsx":
            assert [s["name"] for s in resource["sheets"]] == ["Σχόλια", "Προτάσεις", "Συμμετοχή"]
    report = frictionless.validate(site / DATA / "datapackage.json")
    assert report.valid, report.flatten(["taskNumber", "type", "note"])
    assert {task.type for task in report.tasks} == {"table", "json", "file"}


def test_frictionless_sees_a_broken_csv(site: Path, tmp_path: Path) -> None:
    """The validation reads the data: a date that is not a date makes the package invalid."""
    copy = tmp_path / DATA
    shutil.copytree(site / DATA, copy)
    path = copy / "kleisti.csv"
    path.write_bytes(path.read_bytes().replace(b"2026-01-11T10:00:00Z", b"not a date"))
    package = json.loads((copy / "datapackage.json").read_bytes())
    for resource in package["resources"]:
        resource.pop("hash")
        resource.pop("bytes")
    (copy / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    report = frictionless.validate(copy / "datapackage.json")
    assert not report.valid
    assert {e.type for task in report.tasks for e in task.errors} == {"type-error"}


def test_the_index_page_links_every_file_and_explains_them(site: Path) -> None:
    index = page(site, f"{DATA}/")
    links = {a.get("href") for a in index.find("main").find_all("a")}
    for name in CONSULTATIONS:
        for ext in ("json", "csv", "xlsx"):
            assert f"../{DATA}/{name}.{ext}" in links, (name, ext)
    assert {f"../{DATA}/ola.json", f"../{DATA}/ola.csv"} <= links
    assert f"../{DATA}/ola.xlsx" not in links
    assert f"../{DATA}/datapackage.json" in links
    text = index.find("main").text()
    assert "Σε XLSX τα δεδομένα υπάρχουν ανά διαβούλευση" in text
    assert "CC BY 4.0" in text and "ν. 4727/2020" in text
    assert "απόστροφο '" in text and "=" in text and "@" in text
    assert "Frictionless Data Package" in text


def test_the_same_snapshot_gives_the_same_bytes(site: Path, tmp_path: Path, root: Path) -> None:
    core = zipfile.ZipFile(site / DATA / f"{OPEN}.xlsx").read("docProps/core.xml").decode()
    assert f'<dcterms:created xsi:type="dcterms:W3CDTF">{NEWEST}<' in core
    again = build(tmp_path / "fresh" / "output", root)
    assert data_files(again) == data_files(site)

    # A rebuild over the same output leaves every data file as it was (not even rewritten).
    copy = tmp_path / "copy" / "output"
    shutil.copytree(site, copy)
    before = {p: p.stat().st_mtime_ns for p in (copy / DATA).iterdir() if p.name != "index.html"}
    build(copy, root)
    after = {p: p.stat().st_mtime_ns for p in (copy / DATA).iterdir() if p.name != "index.html"}
    assert after == before
