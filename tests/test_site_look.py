"""What the restyled pages say, on the fixture site (more proposals than its snapshot has, for
the plurals): a caption above the H1 that never repeats the title or the consultation, the
consultation states as tags, «προτάσεις», the index of every text and proposal for readers
without JavaScript, a visible link to each paragraph and each comment, the open-data table in a
labelled region of its own, the search page's Pagefind options."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from site_support import FIXTURE_SITE, build_fixture_site, page

ROOT = Path(__file__).resolve().parent.parent
OPEN = "diavoulefseis/prasino-kai-evangelistria/"
TEXT = OPEN + "anaplasi-plateias/"
PROPOSAL = OPEN + "protaseis/01jproposal00000000000001a/"
EXTRA = 4  # proposals added to the open consultation: 5 in all

pytestmark = pytest.mark.xdist_group("site_look")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("look")
    data = json.loads((FIXTURE_SITE / "snapshot.json").read_text(encoding="utf-8"))
    first = data["proposals"][0]
    for n in range(EXTRA):
        data["proposals"].append(
            {**first, "id": f"01jproposal0000000000000{n}x", "reference": f"NS-PPPX0{n}"}
            | {"title": f"Πρόταση δοκιμής {n}"}
        )
    snapshot = tmp / "snapshot.json"
    snapshot.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    output, _ = build_fixture_site(ROOT, tmp, SNAPSHOT_PATH=str(snapshot))
    return output


def test_home_cards_count_proposals_in_greek(site: Path) -> None:
    cards = [c.text() for c in page(site, "").find_all("li", cls="card")]
    assert "2 κείμενα · 7 σχόλια · 5 προτάσεις" in cards[0]
    assert "1 πρόταση" in cards[1]
    every_page = " ".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert "πρότασεις" not in every_page and "5 προτάσεις" in every_page


def test_the_caption_never_repeats_the_title_or_the_consultation(site: Path) -> None:
    text = page(site, TEXT)
    captions = [p.text() for p in text.find("main").find_all("p", cls="theme")]
    assert captions == ["Έργο"]  # the kind of text only: the consultation is in the breadcrumb
    assert "govgr-caption-m" in text.find("p", cls="theme").classes
    assert [p.text() for p in page(site, PROPOSAL).find_all("p", cls="theme")] == ["Πρόταση"]
    for url in ("", OPEN, TEXT, PROPOSAL, OPEN + "protaseis/", "diavoulefseis/kleisti/"):
        doc = page(site, url)
        crumbs = [li.text() for li in doc.find_all("li", cls="govgr-breadcrumbs__list-item")]
        h1 = doc.find("h1").text()
        for caption in doc.find("main").find_all("p", cls="theme"):
            assert caption.text() != h1, url
            if url not in ("", OPEN + "protaseis/"):  # there the H1 does not name it
                assert caption.text() not in crumbs, url


def test_consultation_states_are_gov_gr_tags(site: Path) -> None:
    states = {
        tag.text(): tag.classes
        for doc in (page(site, ""),)
        for tag in doc.find_all("strong", cls="tag")
    }
    assert states == {
        "Ανοιχτή": ["tag", "govgr-tag__primary"],
        "Ολοκληρώθηκε": ["tag", "govgr-tag__gray"],
        "Σύντομα": ["tag", "govgr-tag__secondary"],
    }


def test_the_index_of_every_text_and_proposal(site: Path) -> None:
    doc = page(site, "evretirio/")
    main = doc.find("main")
    assert main.find("h1").text() == "Όλα τα κείμενα και οι προτάσεις"
    assert "data-pagefind-body" not in main.attrs  # every title would match every search
    manifest = json.loads((site / "consultations.json").read_text(encoding="utf-8"))
    sections = main.find_all("section", cls="catalogue")
    assert [s.find("h2").text() for s in sections] == [
        c["title"] for c in manifest["consultations"]
    ]
    for section, consultation in zip(sections, manifest["consultations"], strict=True):
        hrefs = [(a.get("href") or "").removeprefix("..") for a in section.find_all("a")]
        for text in consultation["texts"]:
            assert text["url"] in hrefs, text["url"]
    open_section = sections[0]
    proposals = [a for a in open_section.find_all("a") if "/protaseis/" in (a.get("href") or "")]
    assert len(proposals) == 1 + EXTRA
    assert "Ποδηλατόδρομος στη λεωφόρο" in [a.text() for a in proposals]
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>/evretirio/</loc>" in sitemap


def test_without_javascript_search_points_to_the_index_not_the_sitemap(site: Path) -> None:
    raw = (site / "anazitisi" / "index.html").read_text(encoding="utf-8")
    noscript = re.search(r"<noscript>(.*?)</noscript>", raw, re.S)
    assert noscript and 'href="../evretirio/"' in noscript.group(1)
    assert "sitemap.xml" not in raw


def test_every_paragraph_and_comment_has_a_visible_link_to_itself(site: Path) -> None:
    doc = page(site, TEXT)
    body = doc.find("div", cls="text-body")
    tools = body.find_all("div", cls="para-tools")
    links = [t.find("a", cls="para-permalink") for t in tools]
    paragraphs = [
        n.get("id")
        for n in body.iter()
        if n.tag in ("p", "li") and n.get("id") and not n.get("id").startswith("sxolio-")
    ]
    assert [a.get("href") for a in links] == [f"#{pid}" for pid in paragraphs]
    assert links[0].text() == "Σύνδεσμος στην §1"
    comments = [li for li in doc.find_all("li") if (li.get("id") or "").startswith("sxolio-")]
    assert len(comments) >= 5
    for li in comments:
        comment = li.find("div", cls="comment")
        if "comment-withdrawn" in comment.classes:
            continue
        link = comment.find("p", cls="permalink").find("a")
        # the comment's address: its comment page (where it stays when the text has many)
        target, anchor = urljoin("/" + TEXT, link.get("href")).split("#")
        assert anchor == li.get("id") and target.startswith(f"/{TEXT}")
        assert page(site, target.lstrip("/")).by_id(anchor).find("div", cls="comment")
        assert link.text().startswith("Σύνδεσμος στο σχόλιο NS-")  # its name says which
    css = (ROOT / "theme" / "static" / "css" / "site.css").read_text(encoding="utf-8")
    assert ".text-body>[id]:target" in css and ".comments li:target>.comment" in css


def test_the_open_data_table_scrolls_in_a_labelled_region(site: Path) -> None:
    doc = page(site, "anoikta-dedomena/")
    region = doc.find("div", cls="govgr-table-container")
    assert region.get("role") == "region" and region.get("tabindex") == "0"
    caption = region.find("table").find("caption")
    assert region.get("aria-labelledby") == caption.get("id")
    assert caption.text() == "Αρχεία ανά διαβούλευση"


def test_search_shows_no_thumbnails() -> None:
    script = (ROOT / "theme" / "static" / "js" / "search.js").read_text(encoding="utf-8")
    assert re.search(r"showImages:\s*false", script)


def test_the_accessibility_statement_is_for_wcag_2_2() -> None:
    statement = (ROOT / "content" / "pages" / "prosvasimotita.md").read_text(encoding="utf-8")
    for said in (
        "(WCAG) 2.2, επίπεδο AA",
        "EN 301 549",
        "3.2.6",
        "2.5.8",
        "2.4.11",
        "44 × 44 pixel",
        "«Όλα τα κείμενα και οι προτάσεις»",
        "υποσέλιδο κάθε σελίδας",
    ):
        assert said in statement, said
    assert "χάρτης του ιστοτόπου" not in statement  # the no-JS way is the index now
