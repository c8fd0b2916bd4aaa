"""The open data's rows (an allowlist), a site without a snapshot, a consultation that leaves the
site (its files go too) and a consultation slug that would take the place of the site's files."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import frictionless
import pytest

from chalicelib.sitebuild import SiteBuildError, build_site
from plugins.exports.columns import COMMENT_COLUMNS, CSV_COLUMNS, PROPOSAL_COLUMNS
from plugins.exports.data import consultation_data
from plugins.exports.text_files import to_csv, to_json
from plugins.exports.xlsx import to_xlsx

FIXTURE = Path(__file__).parent / "fixtures" / "site"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Athens"))
DATA = "anoikta-dedomena"

pytestmark = pytest.mark.xdist_group("opendata")


def consultation() -> SimpleNamespace:
    text = SimpleNamespace(slug="keimeno", title="Ένα κείμενο")
    return SimpleNamespace(
        slug="dokimi",
        title="Δοκιμή",
        theme="Θέμα",
        opens=datetime(2026, 1, 1, tzinfo=UTC),
        closes=datetime(2026, 2, 1, tzinfo=UTC),
        texts=[text],
    )


def grown_snapshot() -> dict:
    """A snapshot that has grown fields the exports do not know (and must not let out)."""
    secret = {"email": "x@example.org", "ip_hash": "ffff", "participant": "a1b2c3d4e5f60718"}
    comment = {
        "id": "01jcomment0000000000000001",
        "reference": "NS-R1",
        "consultation": "dokimi",
        "text": "keimeno",
        "proposal": None,
        "paragraph": None,
        "parent": None,
        "author": {
            "respondent_type": "organisation",
            "display_name": "Ιδιώτης Εκπρόσωπος",
            "organisation_name": "Φορέας",
            "organisation_type": "ngo",
            "phone": "210",
        },
        "body": "Σχόλιο.",
        "created_at": "2026-01-02T10:00:00Z",
        "approved_at": "2026-01-03T10:00:00Z",
        "answer": {"disposition": "adopted", "text": "Ναι.", "answered_at": "2026-01-04T10:00:00Z"},
        "decision_note": "εσωτερικό",
        **secret,
    }
    proposal = {
        "id": "01jproposal000000000000001",
        "reference": "NS-P1",
        "consultation": "dokimi",
        "title": "Πρόταση",
        "body": "Περιγραφή της πρότασης.",
        "location": None,
        "author": {
            "respondent_type": "citizen",
            "display_name": "Ελένη",
            "organisation_name": "δεν είναι φορέας",
            "organisation_type": "ngo",
        },
        "created_at": "2026-01-02T11:00:00Z",
        "approved_at": "2026-01-03T11:00:00Z",
        **secret,
    }
    other = {**comment, "id": "01jcomment0000000000000002", "consultation": "allo"}
    return {"generated_at": None, "comments": [comment, other], "proposals": [proposal]}


def test_only_the_allowlisted_columns_leave() -> None:
    data = consultation_data(consultation(), grown_snapshot())
    (comment,) = data["comments"]
    (proposal,) = data["proposals"]
    assert list(comment) == [c.name for c in COMMENT_COLUMNS]
    assert list(proposal) == [c.name for c in PROPOSAL_COLUMNS]
    assert comment["display_name"] is None  # an organisation: its name only
    assert (comment["organisation_name"], comment["organisation_type_label"]) == (
        "Φορέας",
        "Μη κυβερνητική οργάνωση",
    )
    assert (comment["disposition_label"], comment["text_title"]) == ("Ενσωματώνεται", "Ένα κείμενο")
    assert proposal["display_name"] == "Ελένη"  # a citizen has no organisation
    assert proposal["organisation_name"] is None and proposal["organisation_type"] is None
    for encoded in (to_json(data), to_csv(data)):
        text = encoded.decode("utf-8-sig")
        for secret in ("x@example.org", "ffff", "a1b2c3d4e5f60718", "εσωτερικό", "210"):
            assert secret not in text
        assert "Ιδιώτης" not in text and "δεν είναι φορέας" not in text
    header = to_csv(data).decode("utf-8-sig").splitlines()[0]
    assert header == ",".join(c.name for c in CSV_COLUMNS)


def test_an_xlsx_without_a_snapshot_date_is_still_the_same_bytes() -> None:
    data = consultation_data(consultation(), None)
    first = to_xlsx(data, title="Δοκιμή", author="Δήμος", licence="CC BY 4.0")
    assert to_xlsx(data, title="Δοκιμή", author="Δήμος", licence="CC BY 4.0") == first
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert ">2026-01-01T00:00:00Z<" in core  # the fixed date, not the build's


def fixture_copy(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(FIXTURE / "content", content)
    return content


def build(root: Path, content: Path, output: Path) -> None:
    build_site(
        root,
        output,
        snapshot=FIXTURE / "snapshot.json",
        api_url="http://api.example.test:9000",
        now=NOW,
        content=content,
    )


def test_a_consultation_that_leaves_takes_its_files_along(tmp_path: Path, root: Path) -> None:
    content, output = fixture_copy(tmp_path), tmp_path / "output"
    build(root, content, output)
    assert (output / DATA / "mellontiki.xlsx").is_file()
    other = output / DATA / "not-ours.csv"
    other.write_text("a\n", encoding="utf-8")  # a file the exports never wrote stays
    shutil.rmtree(content / "consultations" / "mellontiki")
    build(root, content, output)
    names = {p.name for p in (output / DATA).iterdir()}
    assert not {n for n in names if n.startswith("mellontiki.")}
    assert {"kleisti.csv", "ola.csv", "datapackage.json", "not-ours.csv"} <= names
    package = json.loads((output / DATA / "datapackage.json").read_bytes())
    assert not [r for r in package["resources"] if r["path"].startswith("mellontiki.")]
    assert frictionless.validate(output / DATA / "datapackage.json").valid


@pytest.mark.parametrize("slug", ["ola", "datapackage"])
def test_a_consultation_may_not_take_the_place_of_the_site_files(
    tmp_path: Path, root: Path, slug: str
) -> None:
    content = fixture_copy(tmp_path)
    index = content / "consultations" / "mellontiki" / "index.md"
    index.write_text(index.read_text().replace("Slug: mellontiki", f"Slug: {slug}"))
    with pytest.raises(SiteBuildError) as caught:
        build(root, content, tmp_path / "output")
    assert caught.value.field == "Slug" and "mellontiki" in (caught.value.file or "")
    assert "δεσμευμένο" in caught.value.problem


def test_unchanged_data_is_not_encoded_again(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consultation whose data did not change keeps its files without encoding them (the
    XLSX takes seconds on a large site); a changed one is made again (the site has no XLSX)."""
    import plugins.exports as exports

    content, output = fixture_copy(tmp_path), tmp_path / "output"
    build(root, content, output)
    before = {p.name: p.read_bytes() for p in (output / DATA).iterdir()}
    made: list[str] = []

    def counting(data: dict, **kwargs: object) -> bytes:
        made.append(kwargs["title"])  # type: ignore[arg-type]
        return to_xlsx(data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(exports, "to_xlsx", counting)
    build(root, content, output)
    assert made == []
    assert {p.name: p.read_bytes() for p in (output / DATA).iterdir()} == before

    index = content / "consultations" / "kleisti" / "index.md"
    index.write_text(index.read_text().replace("Title: Κλειστή", "Title: Ολοκληρωμένη"))
    build(root, content, output)
    assert made == ["Ολοκληρωμένη διαβούλευση"]
    assert "Ολοκληρωμένη" in (output / DATA / "kleisti.json").read_text(encoding="utf-8")
    same = "prasino-kai-evangelistria.xlsx"  # the open consultation did not change
    assert (output / DATA / same).read_bytes() == before[same]
