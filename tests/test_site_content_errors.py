"""Content mistakes stop the build with a message naming the file and the field."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib.sitebuild import SiteBuildError, build_site, collected_once

FIXTURE = Path(__file__).parent / "fixtures" / "site"
INDEX = """Title: Δοκιμή
Slug: dokimi
Summary: Σύνοψη.
Theme: Περιβάλλον
Opens: {opens}
Closes: {closes}

Κείμενο.
"""
TEXT = "Title: {title}\nKind: {kind}\n{extra}\n{body}\n"


def content(
    tmp_path: Path,
    *,
    opens="2026-01-01 09:00",
    closes="2026-02-01 09:00",
    texts: dict[str, str] | None = None,
) -> Path:
    """A one-consultation content folder with the given texts (file name → Markdown)."""
    root = tmp_path / "content"
    folder = root / "consultations" / "dokimi"
    folder.mkdir(parents=True)
    (root / "pages").mkdir()
    (folder / "index.md").write_text(INDEX.format(opens=opens, closes=closes), encoding="utf-8")
    for name, text in (texts or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return root


def text(title="Κείμενο", kind="project", extra="", body="Μια παράγραφος.") -> str:
    return TEXT.format(title=title, kind=kind, extra=extra, body=body)


def build(root: Path, tmp_path: Path, project: Path, snapshot: Path | None = None) -> None:
    build_site(
        project, tmp_path / "out", snapshot=snapshot, api_url="http://api.test", content=root
    )


@pytest.mark.parametrize(
    ("kwargs", "file", "field"),
    [
        ({"texts": {"a.md": "Kind: project\n\nΧωρίς τίτλο.\n"}}, "a.md", "Title"),
        ({"texts": {"a.md": text(kind="poem")}}, "a.md", "Kind"),
        ({"closes": "2025-12-31 09:00"}, "index.md", "Closes"),
        ({"opens": "1η Ιανουαρίου"}, "index.md", "Opens"),
        ({"texts": {"a.md": text(body="Ένα. {#idio}\n\nΔύο. {#idio}")}}, "a.md", "id παραγράφου"),
        ({"texts": {"a.md": text(), "b.md": text()}}, "b.md", "Slug"),  # same title, same slug
        ({"texts": {"a.md": text(extra="Slug: Κακό Slug")}}, "a.md", "Slug"),
        ({"texts": {"a.md": text(extra="Budget: πολλά")}}, "a.md", "Budget"),
        ({"texts": {"a.md": text(title="Τίτλος \ufffe")}}, "a.md", "Title"),
        ({"texts": {"a.md": text(extra="Location: Πλατεία\u0007")}}, "a.md", "location"),
        ({"texts": {"a.md": text(title="\U000e0041\u3164")}}, "a.md", "Title"),  # empty
        ({"texts": {"a.md": text(body="Παράγραφος \ufdd0.")}}, "a.md", "content"),
    ],
    ids=[
        "missing-title",
        "unknown-kind",
        "close-before-open",
        "unparsable-date",
        "duplicate-paragraph-id",
        "duplicate-slug",
        "bad-slug",
        "bad-number",
        "noncharacter-in-title",
        "control-in-location",
        "invisible-title",
        "noncharacter-in-text",
    ],
)
def test_content_error_names_file_and_field(
    tmp_path: Path, root: Path, kwargs: dict, file: str, field: str
) -> None:
    folder = content(tmp_path, **kwargs)
    with pytest.raises(SiteBuildError) as caught:
        build(folder, tmp_path, root)
    message = str(caught.value)
    assert "ContentError" in message
    assert f"ContentError: consultations/dokimi/{file}: {field}:" in message


def test_a_build_that_fails_leaves_no_list_of_its_files(tmp_path: Path, root: Path) -> None:
    """Its writers were heard by a journal that is not kept: the next build walks everything."""
    from chalicelib import site_files

    build(content(tmp_path), tmp_path, root)
    assert site_files.read(tmp_path / "out")
    with pytest.raises(SiteBuildError):
        build(content(tmp_path / "bad", closes="2025-12-31 09:00"), tmp_path, root)
    assert not site_files.path(tmp_path / "out").exists()


def test_a_build_leaves_the_collector_as_it_found_it(tmp_path: Path, root: Path) -> None:
    """The build keeps what lived before it out of the collector's scans (gc.freeze) and gives
    it back at its end, failed or not: else a warm Lambda would never collect it again; inside
    a publish's scope, at the end of that."""
    import gc

    with pytest.raises(SiteBuildError):
        build(content(tmp_path, closes="2025-12-31 09:00"), tmp_path, root)
    assert gc.get_freeze_count() == 0
    build(content(tmp_path / "fine"), tmp_path / "fine", root)
    assert gc.get_freeze_count() == 0
    with collected_once():  # a publish's scope holds its build's freeze
        build(content(tmp_path / "again"), tmp_path / "again", root)
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_duplicate_consultation_slug(tmp_path: Path, root: Path) -> None:
    folder = content(tmp_path)
    shutil.copytree(folder / "consultations" / "dokimi", folder / "consultations" / "allo")
    duplicate = r"consultations/dokimi/index.md: Slug: «dokimi» υπάρχει ήδη \(consultations/allo/"
    with pytest.raises(SiteBuildError, match=duplicate):
        build(folder, tmp_path, root)


@pytest.mark.parametrize(
    ("data", "problem"),
    [("{not json", "Μη αναγνώσιμο"), ('{"schema_version": 1, "comments": []}', "Άκυρο")],
)
def test_invalid_snapshot_stops_the_build(
    tmp_path: Path, root: Path, data: str, problem: str
) -> None:
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(data, encoding="utf-8")
    with pytest.raises(SiteBuildError, match=f"SnapshotError: {problem}"):
        build(content(tmp_path), tmp_path, root, snapshot)


def test_missing_snapshot_is_a_site_without_comments(tmp_path: Path, root: Path) -> None:
    folder = content(tmp_path, texts={"a.md": text()})
    build(folder, tmp_path, root, tmp_path / "nothing-yet.json")
    assert (tmp_path / "out" / "diavoulefseis" / "dokimi" / "keimeno" / "index.html").is_file()


def test_pelican_cli_exits_non_zero_on_a_content_error(tmp_path: Path, root: Path) -> None:
    folder = content(tmp_path, texts={"a.md": text(kind="poem")})
    env = {**os.environ, "DIAVOULEFSI_SNAPSHOT": str(tmp_path / "none.json")}
    done = subprocess.run(
        [
            str(root / ".venv/bin/pelican"),
            str(folder),
            "-o",
            str(tmp_path / "out"),
            "-s",
            str(root / "pelicanconf.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=False,
    )
    assert done.returncode != 0
    assert "a.md: Kind:" in done.stdout + done.stderr


def test_invisible_characters_in_staff_text_are_stripped(tmp_path: Path, root: Path) -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "κρυφό")  # tag characters
    title = f"Ανάπλαση\u200f πλατείας{hidden}"
    folder = content(tmp_path, texts={"a.md": text(title=title, body=f"Ορατό.{hidden}\u2066")})
    build(folder, tmp_path, root)
    page = (tmp_path / "out" / "diavoulefseis" / "dokimi").glob("*/index.html")
    html = next(iter(page)).read_text(encoding="utf-8")
    assert "Ανάπλαση πλατείας" in html and "Ορατό." in html
    assert not any(0xE0000 <= ord(c) <= 0xE007F or c in "\u200f\u2066" for c in html)


def test_a_page_pelican_would_skip_stops_the_build(tmp_path: Path, root: Path) -> None:
    """Pelican logs a page without a title and leaves it out: a publish would delete it from
    the live site. The build fails instead, naming the file and the field."""
    folder = content(tmp_path)
    (folder / "pages" / "schetika.md").write_text("Slug: schetika\n\nΚείμενο.\n", "utf-8")
    with pytest.raises(SiteBuildError) as caught:
        build(folder, tmp_path, root)
    error = caught.value
    assert (error.file, error.field, error.problem) == (
        "pages/schetika.md",
        "Title",
        "λείπει (υποχρεωτικό πεδίο)",
    )


def test_a_content_error_carries_its_file_and_field(tmp_path: Path, root: Path) -> None:
    folder = content(tmp_path, texts={"a.md": text(kind="poem")})
    with pytest.raises(SiteBuildError) as caught:
        build(folder, tmp_path, root)
    error = caught.value
    assert (error.file, error.field) == ("consultations/dokimi/a.md", "Kind")
    assert error.problem.startswith("«poem»: επιτρέπονται")


def test_make_html_names_the_file_and_field_in_greek(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts import build as make_html

    folder = content(tmp_path)
    (folder / "pages" / "schetika.md").write_text("Slug: schetika\n\nΚείμενο.\n", "utf-8")
    argv = ["--content", str(folder), "--output", str(tmp_path / "out")]
    assert make_html.main([*argv, "--snapshot", str(tmp_path / "none.json")]) == 1
    said = capsys.readouterr().err
    assert "απέτυχε: pages/schetika.md: Title: λείπει (υποχρεωτικό πεδίο)" in said
