"""The text as consulted: ``Consulted:`` names a frozen copy in the consultation's folder, which
every build reads (a missing one stops it, naming the text and the file), and scripts/freeze.py
writes it when the consultation closes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.sitebuild import SiteBuildError, build_site
from plugins.consultations.models import ContentError
from plugins.consultations.reader import read_consultation
from plugins.results.diff import compare
from scripts import freeze

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)  # after the consultation closed
INDEX = """Title: Δοκιμή
Slug: dokimi
Summary: Σύνοψη.
Theme: Περιβάλλον
Opens: 2026-01-01 09:00
Closes: 2026-02-01 09:00

Κείμενο.
"""
PLATEIA = """Title: Ανάπλαση πλατείας
Kind: project
Order: 1

Η πλατεία θα ανακαινιστεί μέσα στο 2026. {#plateia}

Τα δέντρα της πλατείας θα διατηρηθούν όλα.
"""
PARKO = """Title: Πάρκο
Kind: general

Ένα πάρκο για όλους.
"""


def content(tmp_path: Path, texts: dict[str, str], folder: str = "dokimi") -> Path:
    """A one-consultation content folder with the given files (relative name → Markdown)."""
    root = tmp_path / "content"
    consultation = root / "consultations" / folder
    (root / "pages").mkdir(parents=True)
    consultation.mkdir(parents=True)
    (consultation / "index.md").write_text(INDEX, encoding="utf-8")
    for name, text in texts.items():
        (consultation / name).parent.mkdir(parents=True, exist_ok=True)
        (consultation / name).write_text(text, encoding="utf-8")
    return root


def frozen(text: str, name: str) -> str:
    """The text with ``Consulted:`` as the last line of its metadata."""
    head, _, body = text.partition("\n\n")
    return f"{head}\nConsulted: {name}\n\n{body}"


@pytest.fixture
def settings(root: Path):
    from pelican.settings import read_settings

    def settings(content: Path) -> dict:
        return read_settings(str(root / "pelicanconf.py"), override={"PATH": str(content)})

    return settings


def build(root: Path, content: Path, tmp_path: Path) -> Path:
    output = tmp_path / "out"
    api = "http://api.example.test:9000"
    build_site(root, output, snapshot=None, api_url=api, now=NOW, content=content)
    return output


# --- the build ----------------------------------------------------------------------------------
def test_a_missing_consulted_version_is_a_build_error_naming_text_and_file(
    tmp_path: Path, root: Path
) -> None:
    texts = {"plateia.md": frozen(PLATEIA, "consulted/plateia.md"), "parko.md": PARKO}
    with pytest.raises(SiteBuildError) as caught:
        build(root, content(tmp_path, texts), tmp_path)
    details = caught.value.details
    assert details["file"] == "consultations/dokimi/plateia.md"
    assert details["field"] == "Consulted"
    assert details["problem"] == (
        "δεν βρέθηκε το αρχείο consulted/plateia.md "
        "(η εκδοχή του κειμένου όπως τέθηκε σε διαβούλευση)"
    )


@pytest.mark.parametrize(
    "name",
    [
        "../allo/plateia.md",
        "/etc/plateia.md",
        "consulted/../../plateia.md",
        "consulted/plateia.txt",
    ],
    ids=["parent", "absolute", "dot-dot-inside", "not-markdown"],
)
def test_a_consulted_path_must_stay_inside_the_folder(tmp_path: Path, settings, name: str) -> None:
    root = content(tmp_path, {"plateia.md": frozen(PLATEIA, name)})
    outside = root / "consultations" / "allo" / "plateia.md"  # exists: refused all the same
    outside.parent.mkdir()
    outside.write_text(PLATEIA, encoding="utf-8")
    (root / "consultations" / "dokimi" / "consulted").mkdir()
    (root / "consultations" / "dokimi" / "consulted" / "plateia.txt").write_text(PLATEIA, "utf-8")
    with pytest.raises(ContentError) as caught:
        read_consultation(settings(root), root / "consultations" / "dokimi")
    assert (caught.value.source, caught.value.field) == (
        "consultations/dokimi/plateia.md",
        "Consulted",
    )
    assert f"«{name}»" in caught.value.problem
    assert "μέσα στον φάκελο της διαβούλευσης" in caught.value.problem


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path, settings) -> None:
    root = content(tmp_path, {"plateia.md": frozen(PLATEIA, "consulted/plateia.md")})
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text(PLATEIA, encoding="utf-8")
    (root / "consultations" / "dokimi" / "consulted").mkdir()
    os.symlink(elsewhere, root / "consultations" / "dokimi" / "consulted" / "plateia.md")
    with pytest.raises(ContentError, match=r"Consulted: «consulted/plateia\.md»"):
        read_consultation(settings(root), root / "consultations" / "dokimi")


def test_a_consulted_version_fills_the_text(tmp_path: Path, settings) -> None:
    edited = PLATEIA.replace("μέσα στο 2026.", "μέσα στο 2027.").replace("όλα.", "όλα, εκτός δύο.")
    texts = {
        "plateia.md": frozen(edited, "consulted/plateia.md"),
        "consulted/plateia.md": PLATEIA,
        "parko.md": PARKO,
        "report.md": "Title: Έκθεση\n\nΗ έκθεση.\n",
    }
    root = content(tmp_path, texts)
    consultation = read_consultation(settings(root), root / "consultations" / "dokimi")
    assert [t.source for t in consultation.texts] == [  # consulted/ and report.md: not texts
        "consultations/dokimi/plateia.md",
        "consultations/dokimi/parko.md",
    ]
    plateia, parko = consultation.texts
    assert plateia.consulted_source == "consultations/dokimi/consulted/plateia.md"
    assert plateia.consulted is not None
    assert [p.text for p in plateia.consulted] == [
        "Η πλατεία θα ανακαινιστεί μέσα στο 2026.",
        "Τα δέντρα της πλατείας θα διατηρηθούν όλα.",
    ]
    assert plateia.consulted[0].id == plateia.paragraphs[0].id == "plateia"
    assert plateia.consulted[1].id != plateia.paragraphs[1].id  # derived from the edited text
    assert plateia.paragraphs[0].text == "Η πλατεία θα ανακαινιστεί μέσα στο 2027."
    assert (parko.consulted, parko.consulted_source) == (None, None)  # not frozen
    assert [c.kind for c in compare(plateia.consulted, plateia.paragraphs)] == ["changed"] * 2


def test_an_unchanged_copy_has_the_same_paragraph_ids(tmp_path: Path, settings) -> None:
    texts = {"parko.md": frozen(PARKO, "consulted/parko.md"), "consulted/parko.md": PARKO}
    root = content(tmp_path, texts)
    (parko,) = read_consultation(settings(root), root / "consultations" / "dokimi").texts
    assert parko.consulted == parko.paragraphs
    assert [c.kind for c in compare(parko.consulted or [], parko.paragraphs)] == ["unchanged"]


# --- scripts/freeze.py --------------------------------------------------------------------------
def test_freeze_copies_each_text_and_names_the_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = content(tmp_path, {"plateia.md": PLATEIA, "parko.md": PARKO}, folder="2026-dokimi")
    folder = root / "consultations" / "2026-dokimi"
    assert freeze.main(["dokimi", "--content", str(root)]) == 0  # found by its slug
    out = capsys.readouterr().out
    assert "παγώθηκε: plateia.md → consulted/plateia.md" in out
    assert "παγώθηκε: parko.md → consulted/parko.md" in out
    assert (folder / "consulted" / "plateia.md").read_text("utf-8") == PLATEIA
    assert (folder / "consulted" / "parko.md").read_text("utf-8") == PARKO
    assert (folder / "plateia.md").read_text("utf-8") == (
        "Title: Ανάπλαση πλατείας\nKind: project\nOrder: 1\nConsulted: consulted/plateia.md\n\n"
        "Η πλατεία θα ανακαινιστεί μέσα στο 2026. {#plateia}\n\n"
        "Τα δέντρα της πλατείας θα διατηρηθούν όλα.\n"
    )
    assert (folder / "index.md").read_text("utf-8") == INDEX
    assert not (folder / "consulted" / "index.md").exists()


def test_freeze_twice_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = content(tmp_path, {"plateia.md": PLATEIA})
    folder = root / "consultations" / "dokimi"
    assert freeze.main([str(folder)]) == 0  # found by its path
    files = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    capsys.readouterr()
    assert freeze.main(["dokimi", "--content", str(root)]) == 0
    assert {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} == files
    assert "ήδη παγωμένο: plateia.md (Consulted: consulted/plateia.md)" in capsys.readouterr().out


def test_freeze_keeps_a_different_copy_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = content(tmp_path, {"plateia.md": PLATEIA, "consulted/plateia.md": PARKO})
    folder = root / "consultations" / "dokimi"
    assert freeze.main(["dokimi", "--content", str(root)]) == 1
    assert "υπάρχει ήδη το consulted/plateia.md με άλλο περιεχόμενο" in capsys.readouterr().err
    assert (folder / "consulted" / "plateia.md").read_text("utf-8") == PARKO
    assert (folder / "plateia.md").read_text("utf-8") == PLATEIA


def test_freeze_of_an_unknown_consultation_fails_in_greek(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = content(tmp_path, {"plateia.md": PLATEIA})
    assert freeze.main(["kamia", "--content", str(root)]) == 1
    assert "Δεν βρέθηκε διαβούλευση «kamia»" in capsys.readouterr().err
    assert not (root / "consultations" / "dokimi" / "consulted").exists()


def test_a_frozen_consultation_builds_and_shows_what_changed(
    tmp_path: Path, root: Path, settings
) -> None:
    source = content(tmp_path, {"plateia.md": PLATEIA, "parko.md": PARKO})
    folder = source / "consultations" / "dokimi"
    assert freeze.main([str(folder)]) == 0
    text = folder / "plateia.md"
    text.write_text(text.read_text("utf-8").replace("2026.", "2027."), encoding="utf-8")
    output = build(root, source, tmp_path)
    assert (output / "diavoulefseis" / "dokimi" / "anaplasi-plateias" / "index.html").is_file()
    assert not list(output.rglob("consulted*"))  # the copies are sources, not pages
    plateia, parko = read_consultation(settings(source), folder).texts
    assert [c.kind for c in compare(plateia.consulted or [], plateia.paragraphs)] == [
        "changed",
        "unchanged",
    ]
    assert [c.kind for c in compare(parko.consulted or [], parko.paragraphs)] == ["unchanged"]
