"""What the API's e-mails need from the site, through the manifest: the site's name, a comment's
anchor (pelicanconf's COMMENT_ANCHOR, the one the templates put on each comment), and per
consultation the results page once it is built and the day of its report once it is out. Real
Pelican on a copy of the fixture site; older manifests stay valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema
import pytest
from site_support import build_fixture_site, page

from chalicelib import manifest
from chalicelib.links import Links
from chalicelib.spec import manifest_schema
from plugins.consultations import urls

REPORT = "Title: Έκθεση αποτελεσμάτων\nDate: 2026-03-02\n\nΤι κρατήσαμε από τη διαβούλευση.\n"
COMMENT = "01jcomment000000000000001a"  # on the open consultation's text


def build(root: Path, tmp: Path, report: str | None, **overrides: Any) -> tuple[Path, dict]:
    return build_fixture_site(root, tmp, report, **overrides)


@pytest.fixture(scope="module")
def built(root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    return build(root, tmp_path_factory.mktemp("manifest"), REPORT)


def test_the_manifest_carries_what_the_mail_needs(built: tuple[Path, dict]) -> None:
    output, settings = built
    raw = json.loads((output / "consultations.json").read_text(encoding="utf-8"))
    jsonschema.validate(raw, manifest_schema())
    assert raw["site_name"] == settings["SITENAME"] == "Διαβούλευση — Δήμος Νέας Σμύρνης"
    assert raw["comment_anchor"] == settings["COMMENT_ANCHOR"] == "sxolio-{id}"
    loaded = manifest.read(output / "consultations.json")
    assert (loaded.site_name, loaded.comment_anchor) == (raw["site_name"], "sxolio-{id}")
    for cons in raw["consultations"]:  # where a comment's link lands, whatever its page
        pattern = urls.url(settings, "COMMENT_FIND", consultation=cons["slug"], bucket="{bucket}")
        assert cons["comment_url"] == "/" + pattern
    closed = loaded.consultation("kleisti")
    assert closed is not None
    assert closed.results_url == "/" + urls.url(settings, "RESULTS", consultation="kleisti")
    assert (output / closed.results_url.lstrip("/") / "index.html").is_file()
    assert closed.report_date == "2026-03-02"
    for slug in ("prasino-kai-evangelistria", "mellontiki"):  # open, upcoming: no results yet
        found = loaded.consultation(slug)
        assert found is not None and found.results_url == "" and found.report_date == ""
        assert "results_url" not in json.dumps(
            next(c for c in raw["consultations"] if c["slug"] == slug)
        )


def test_a_closed_consultation_without_a_report_has_results_but_no_report_date(
    root: Path, tmp_path: Path
) -> None:
    output, _ = build(root, tmp_path, None)
    closed = manifest.read(output / "consultations.json").consultation("kleisti")
    assert closed is not None and closed.results_url and closed.report_date == ""


def test_a_report_without_a_date_counts_from_the_closing_day(root: Path, tmp_path: Path) -> None:
    output, _ = build(root, tmp_path, "Title: Έκθεση αποτελεσμάτων\n\nΚείμενο της έκθεσης.\n")
    closed = manifest.read(output / "consultations.json").consultation("kleisti")
    assert closed is not None and closed.report_date == "2026-02-01"  # closed 1/2/2026, Athens


def test_the_comment_anchor_is_one_setting_for_pages_and_mail(root: Path, tmp_path: Path) -> None:
    output, settings = build(root, tmp_path, REPORT, COMMENT_ANCHOR="gnomi-{id}")
    text = urls.url(
        settings, "TEXT", consultation="prasino-kai-evangelistria", slug="anaplasi-plateias"
    )
    doc = page(output, text)
    assert doc.by_id(f"gnomi-{COMMENT}")
    assert not [n for n in doc.iter() if (n.get("id") or "").startswith("sxolio-")]
    loaded = manifest.read(output / "consultations.json")
    assert loaded.comment_anchor == "gnomi-{id}"
    item = {
        "kind": "comment",
        "id": COMMENT,
        "consultation": "prasino-kai-evangelistria",
        "text": "anaplasi-plateias",
    }
    link = Links("https://site.example", "https://api.example", loaded).submission(item)
    # the comment's finder page (the API knows the comment, not the page it is on), whose row
    # for it carries the same anchor and links on to the comment itself
    finder = urls.url(
        settings, "COMMENT_FIND", consultation=item["consultation"], bucket=COMMENT[-1]
    )
    assert link == f"https://site.example/{finder}#gnomi-{COMMENT}"
    onward = page(output, finder).by_id(f"gnomi-{COMMENT}").find("a").get("href")
    comment_page, anchor = urljoin("/" + finder, onward).split("#")
    assert anchor == f"gnomi-{COMMENT}" and comment_page.startswith(f"/{text}")
    assert page(output, comment_page.lstrip("/")).by_id(anchor).find("div", cls="comment")


def test_older_manifests_stay_valid_and_a_bad_anchor_is_refused() -> None:
    old = json.loads((Path(__file__).parent / "fixtures" / "consultations.json").read_bytes())
    for key in ("site_name", "comment_anchor"):
        assert key not in old
    assert not any("comment_url" in c for c in old["consultations"])
    parsed = manifest.parse(old)
    assert all(c.comment_url == "" for c in parsed.consultations.values())
    cons = next(iter(parsed.consultations.values()))
    text = next(iter(cons.texts.values()))
    item = {"kind": "comment", "id": COMMENT, "consultation": cons.slug, "text": text.slug}
    link = Links("https://site.example", "https://api.example", parsed).submission(item)
    assert link == f"https://site.example{text.url}#sxolio-{COMMENT}"  # as before: the text
    assert (parsed.site_name, parsed.comment_anchor) == ("", "")
    assert all(c.results_url == c.report_date == "" for c in parsed.consultations.values())
    for bad in ({"comment_anchor": "sxolio"}, {"comment_anchor": "#sxolio-{id}"}):
        with pytest.raises(manifest.InvalidManifest):
            manifest.parse({**old, **bad})
    closed = dict(old["consultations"][1], report_date="2 Μαρτίου")
    with pytest.raises(manifest.InvalidManifest):
        manifest.parse({**old, "consultations": [closed]})
