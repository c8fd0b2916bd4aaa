"""The open data follow the change: the whole site's JSON and CSV are the consultations' files
end to end (its participation total the sum of theirs, equal to a direct count), each
consultation's files are dated by its own newest change, and a publish re-encodes only the
consultations whose data changed (counted, and seen in the files' times)."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from site_support import FIXTURE_NOW, build_whole_site

import plugins.exports as exports
from chalicelib.spec import limits
from plugins.exports.text_files import to_json

FIXTURE = Path(__file__).parent / "fixtures" / "site"
DATA = "anoikta-dedomena"
CONSULTATIONS = ["prasino-kai-evangelistria", "kleisti", "mellontiki"]  # the site's order
OPEN = "prasino-kai-evangelistria"
# each consultation's newest approval or answer in the fixture snapshot (none: nothing yet)
NEWEST = {OPEN: "2026-11-25T12:00:00Z", "kleisti": "2026-02-10T10:05:00Z", "mellontiki": None}
FIXED_DATE = "2026-01-01T00:00:00Z"
NEXT_DAY = "2026-11-27T09:00:00+02:00"  # the whole site's files take the day's new rows

pytestmark = pytest.mark.xdist_group("opendata")


def build(
    root: Path, output: Path, snapshot: Path = FIXTURE / "snapshot.json", now: str = FIXTURE_NOW
) -> Path:
    return build_whole_site(root, output, snapshot, now)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    return build(root, tmp_path_factory.mktemp("opendata-site") / "output")


def own(site: Path, slug: str, ext: str) -> bytes:
    return (site / DATA / f"{slug}.{ext}").read_bytes()


def test_the_site_csv_is_the_header_once_then_each_consultations_rows(site: Path) -> None:
    parts = [own(site, slug, "csv") for slug in CONSULTATIONS]
    header = parts[0][: parts[0].index(b"\r\n") + 2]
    assert header.startswith(b"\xef\xbb\xbfkind,kind_label,id,")
    assert all(part.startswith(header) for part in parts)
    whole = own(site, "ola", "csv")
    assert whole == header + b"".join(part[len(header) :] for part in parts)
    rows = list(csv.DictReader(io.StringIO(whole.decode("utf-8-sig"), newline="")))
    assert [(r["consultation"], r["kind"]) for r in rows] == [
        (OPEN, "proposal"),
        *[(OPEN, "comment")] * 7,
        ("kleisti", "proposal"),
        ("kleisti", "comment"),
    ]


def test_the_site_json_is_the_consultations_lists_end_to_end(site: Path) -> None:
    parts = [json.loads(own(site, slug, "json")) for slug in CONSULTATIONS]
    raw = own(site, "ola", "json")
    whole = json.loads(raw)
    expected: dict[str, Any] = {
        "consultations": [part["consultation"] for part in parts],
        "generated_at": NEWEST[OPEN],  # the newest of the consultations'
        "comments": [row for part in parts for row in part["comments"]],
        "proposals": [row for part in parts for row in part["proposals"]],
        "participation": [row for part in parts for row in part["participation"]],
    }
    expected["participation"].append(whole["participation"][-1])  # the site's: next test
    assert whole == expected
    assert raw == to_json(expected)  # laid out as every JSON file: one row per line


def test_the_site_participation_total_is_a_direct_count(site: Path) -> None:
    snapshot = json.loads((FIXTURE / "snapshot.json").read_bytes())
    whole = json.loads(own(site, "ola", "json"))
    total = whole["participation"][-1]
    assert (total["scope"], total["consultation"], total["text"]) == ("site", None, None)
    items = [*whole["comments"], *whole["proposals"]]
    kinds = Counter(item["respondent_type"] for item in items)
    answers = Counter(item["disposition"] for item in items if item["disposition"])
    assert total["comments"] == len(snapshot["comments"]) == 8
    assert total["proposals"] == len(snapshot["proposals"]) == 2
    assert (total["by_citizens"], total["by_organisations"]) == (
        kinds["citizen"],
        kinds["organisation"],
    )
    assert kinds["citizen"] > 0 and kinds["organisation"] > 0
    assert total["answered"] == sum(answers.values()) == 4
    for code in limits()["dispositions"]["labels"]:
        assert total[f"answered_{code}"] == answers[code], code


def test_each_consultation_dates_its_files_by_its_own_newest_change(site: Path) -> None:
    for slug, newest in NEWEST.items():
        assert json.loads(own(site, slug, "json"))["generated_at"] == newest, slug
        with zipfile.ZipFile(site / DATA / f"{slug}.xlsx") as book:
            core = book.read("docProps/core.xml").decode()
        assert f">{newest or FIXED_DATE}</dcterms:created>" in core, slug


def times(output: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (output / DATA).iterdir() if p.is_file()}


def contents(output: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (output / DATA).iterdir() if p.is_file()}


def test_a_publish_encodes_only_the_consultation_that_changed(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = json.loads((FIXTURE / "snapshot.json").read_bytes())
    path, output = tmp_path / "snapshot.json", tmp_path / "output"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    build(root, output, path)
    before, made_before = contents(output), times(output)

    made: list[tuple[str, str]] = []

    def counted(name: str, encode: Any) -> Any:
        def encoder(data: dict, **kwargs: Any) -> bytes:
            made.append((name, data["consultation"]["slug"]))
            return encode(data, **kwargs)

        return encoder

    for name in ("to_json", "to_csv", "to_xlsx"):
        monkeypatch.setattr(exports, name, counted(name, getattr(exports, name)))

    # a new approval in the open consultation, in a newer snapshot
    new = copy.deepcopy(snapshot["comments"][0])
    new |= {"id": "01jcomment00000000000000zz", "reference": "NS-NEW1", "parent": None}
    new |= {"body": "Ένα νέο σχόλιο.", "approved_at": "2026-11-26T08:00:00Z", "answer": None}
    snapshot["comments"].append(new)
    snapshot["generated_at"] = "2026-11-26T08:30:00Z"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    build(root, output, path, NEXT_DAY)
    assert sorted(made) == [("to_csv", OPEN), ("to_json", OPEN), ("to_xlsx", OPEN)]
    after = contents(output)
    for slug in ("kleisti", "mellontiki"):  # not encoded, not rewritten: not uploaded
        for ext in ("json", "csv", "xlsx"):
            name = f"{slug}.{ext}"
            assert after[name] == before[name] and times(output)[name] == made_before[name]
    whole = json.loads(after["ola.json"])
    assert whole["generated_at"] == "2026-11-26T08:00:00Z"
    assert (
        new["id"] in {c["id"] for c in whole["comments"]} and new["id"] in after["ola.csv"].decode()
    )
    assert whole["participation"][-1]["comments"] == 9
    package = json.loads(after["datapackage.json"])
    assert package["created"] == "2026-11-26T08:00:00Z"
    for resource in package["resources"]:  # a kept file's hash is still its bytes'
        content = after[resource["path"]]
        assert resource["bytes"] == len(content), resource["path"]
        assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()

    # a newer snapshot with the same entries: nothing is encoded or rewritten
    made.clear()
    kept = times(output)
    snapshot["generated_at"] = "2026-11-26T09:30:00Z"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    build(root, output, path, NEXT_DAY)
    assert made == []
    assert {k: v for k, v in times(output).items() if k != "index.html"} == {
        k: v for k, v in kept.items() if k != "index.html"
    }


def test_new_rows_reach_the_whole_site_files_the_next_day_a_hidden_one_leaves_at_once(
    tmp_path: Path, root: Path
) -> None:
    """The whole site's files are made at most once an Athens day for new rows (their cost is
    the whole site's), the consultation's own at once; a row that is hidden never waits."""
    snapshot = json.loads((FIXTURE / "snapshot.json").read_bytes())
    path, output = tmp_path / "snapshot.json", tmp_path / "output"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    build(root, output, path)
    data = output / DATA
    assert exports.rebuild_due(output) is None

    new = copy.deepcopy(snapshot["comments"][0])
    new |= {"id": "01jcomment00000000000000zz", "reference": "NS-NEW1", "parent": None}
    new |= {"body": "Ένα νέο σχόλιο.", "approved_at": "2026-11-26T08:00:00Z", "answer": None}
    snapshot["comments"].append(new)
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    build(root, output, path)
    ids = {c["id"] for c in json.loads((data / "ola.json").read_bytes())["comments"]}
    assert new["id"] not in ids  # waits for its day
    assert new["id"] in (data / f"{OPEN}.json").read_text(encoding="utf-8")  # its own: at once
    assert exports.rebuild_due(output) == "2026-11-26T22:00:00.000Z"  # the next Athens midnight
    page = (data / "index.html").read_text(encoding="utf-8")
    assert "ενημερώνονται μία φορά την ημέρα (τελευταία ενημέρωση: 26 Νοεμβρίου 2026)" in page

    hidden = snapshot["comments"].pop(0)
    assert hidden["consultation"] == OPEN and hidden["id"] in ids
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    build(root, output, path)
    ids = {c["id"] for c in json.loads((data / "ola.json").read_bytes())["comments"]}
    rows = csv.DictReader(io.StringIO((data / "ola.csv").read_text(encoding="utf-8-sig")))
    assert hidden["id"] not in ids and hidden["id"] not in {row["id"] for row in rows}
    assert new["id"] in ids  # made again now, with the day's new row too
    assert exports.rebuild_due(output) is None and not (output / exports.RETRACTED).exists()


def test_a_consultation_gone_from_the_site_leaves_the_whole_site_files_at_once(
    tmp_path: Path, root: Path
) -> None:
    content, output = tmp_path / "content", tmp_path / "output"
    shutil.copytree(FIXTURE / "content", content)
    snapshot = FIXTURE / "snapshot.json"
    build_whole_site(root, output, snapshot, content=content)
    whole = json.loads((output / DATA / "ola.json").read_bytes())
    assert "kleisti" in {c["consultation"] for c in whole["comments"]}

    shutil.rmtree(content / "consultations" / "kleisti")  # the same day
    build_whole_site(root, output, snapshot, content=content)
    whole = json.loads((output / DATA / "ola.json").read_bytes())
    assert "kleisti" not in {c["consultation"] for c in whole["comments"]}
    assert "kleisti" not in (output / DATA / "ola.csv").read_text(encoding="utf-8-sig")
    assert exports.rebuild_due(output) is None


@pytest.mark.parametrize(
    "state",
    [None, b'{"anoikta-dedomena/kleisti.json": "an older build\'s key"}', b"{not json"],
    ids=["lost", "older-format", "unreadable"],
)
def test_without_the_state_every_file_is_made_again_to_the_same_bytes(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch, state: bytes | None
) -> None:
    """The state only saves work: lost (a new work folder), of an older build or unreadable,
    the same data give the same files, which keep their times (the site's too: written
    beside, kept when the bytes are the same)."""
    output = build(root, tmp_path / "output")
    before, made = contents(output), times(output)
    path = output / exports.EXPORTS_STATE
    if state is None:
        path.unlink()
    else:
        path.write_bytes(state)
    encoded: list[str] = []

    def counted(data: dict) -> bytes:
        encoded.append(data["consultation"]["slug"])
        return to_json(data)

    monkeypatch.setattr(exports, "to_json", counted)
    build(root, output)
    assert encoded == CONSULTATIONS  # every consultation made again
    assert contents(output) == before
    assert {k: v for k, v in times(output).items() if k != "index.html"} == {
        k: v for k, v in made.items() if k != "index.html"
    }
    assert not [p for p in (output / DATA).iterdir() if p.name.endswith(".part")]


def test_an_older_builds_site_xlsx_is_removed(tmp_path: Path, root: Path) -> None:
    """A site built before the whole-site XLSX was dropped loses it (as the data package
    listed it), and the data package no longer lists it."""
    output = build(root, tmp_path / "output")
    package_path = output / DATA / "datapackage.json"
    package = json.loads(package_path.read_bytes())
    old = {**package["resources"][0], "path": "ola.xlsx", "format": "xlsx", "name": "ola-xlsx"}
    package["resources"].append(old)
    package_path.write_text(json.dumps(package), encoding="utf-8")
    (output / DATA / "ola.xlsx").write_bytes(b"PK an older workbook")
    build(root, output)
    assert not (output / DATA / "ola.xlsx").exists()
    paths = {r["path"] for r in json.loads(package_path.read_bytes())["resources"]}
    assert "ola.xlsx" not in paths and {"ola.json", "ola.csv"} <= paths


def test_a_publish_that_only_adds_keeps_the_days_consultation_files_until_midnight(
    tmp_path: Path, root: Path
) -> None:
    """ADDITIONS_ONLY (the publish step's word that nothing was taken back): a consultation's
    files made today keep their bytes, and the site is due at the next Athens midnight; a build
    that is not one (a hide, the midnight's) makes them with everything; a day later the
    first build that only adds makes them too."""
    snapshot = json.loads((FIXTURE / "snapshot.json").read_bytes())
    path, output = tmp_path / "snapshot.json", tmp_path / "output"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    build_whole_site(root, output, path)
    data = output / DATA
    before = {ext: own(output, OPEN, ext) for ext in exports.FORMATS}
    assert exports.rebuild_due(output) is None

    new = copy.deepcopy(snapshot["comments"][0])
    new |= {"id": "01jcomment00000000000000zy", "reference": "NS-NEW2", "parent": None}
    new |= {"body": "Ένα ακόμη νέο σχόλιο.", "approved_at": "2026-11-26T08:00:00Z"}
    snapshot["comments"].append(new)
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    build_whole_site(root, output, path, compact=False)
    assert {ext: own(output, OPEN, ext) for ext in exports.FORMATS} == before
    assert exports.rebuild_due(output) == "2026-11-26T22:00:00.000Z"
    page = (data / "index.html").read_text(encoding="utf-8")
    assert "το αργότερο τα μεσάνυχτα της ημέρας τους" in page
    package = json.loads((data / "datapackage.json").read_bytes())
    mine = next(r for r in package["resources"] if r["path"] == f"{OPEN}.json")
    assert mine["hash"] == "sha256:" + hashlib.sha256(before["json"]).hexdigest()

    build_whole_site(root, output, path)  # compact: as at midnight or after a hide
    assert new["id"] in own(output, OPEN, "json").decode("utf-8")
    assert new["reference"] in own(output, OPEN, "csv").decode("utf-8-sig")
    assert new["id"] not in own(output, "ola", "json").decode("utf-8")  # their own day

    newer = copy.deepcopy(new) | {"id": "01jcomment00000000000000zx", "reference": "NS-NEW3"}
    snapshot["comments"].append(newer)
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    build_whole_site(root, output, path, NEXT_DAY, compact=False)  # made yesterday: made now
    assert newer["id"] in own(output, OPEN, "json").decode("utf-8")
    assert exports.rebuild_due(output) is None
