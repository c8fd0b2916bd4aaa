"""Printing (theme/static/css/print.css): the results page of a closed consultation and a text
page with its comment form, printed to PDF by Debian's Chromium and read back with pdfplumber.
The document is clean (no navigation, forms or notices), every closed <details> is printed
open, absolute links carry their address, each text of the results starts on a new page, the
page count is within reason and nothing runs past the right margin.

The site is built with absolute URLs (the site URL is the local server's), as a published
build is, so the site's own links are printed with their address too."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from browser import Served, chromium, local_context, serve
from test_results_groups import SAME, member, regroup
from test_results_pages import API, NOW, OPEN_TEXT, REPORT, RESULTS, _comment, _content, _snapshot

from chalicelib.sitebuild import build_site

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MM = 72 / 25.4  # PDF points per millimetre
EDGE = 10 * MM  # no character within 10 mm of the paper's right edge (@page margin: 18 mm)
DECISION_URL = next(x[len("Decision_url: ") :] for x in REPORT.splitlines() if "_url:" in x)
PROSE = "Η στήριξη των καταστημάτων εντάσσεται στο πρόγραμμα 2026–2030."  # of the report
# A link whose text is its address (marked so, as an author can in Markdown): printed once.
BARE = "https://example.org/fakelos-diavoulefsis"
SECOND = ("deutero-keimeno", "Δεύτερο κείμενο")
SECOND_TEXT = f"""Title: {SECOND[1]}
Slug: {SECOND[0]}
Kind: general

Πρώτη παράγραφος του δεύτερου κειμένου. {{#deutero-a}}

Δεύτερη παράγραφος του δεύτερου κειμένου. {{#deutero-b}}
"""
# A comment with one long unbreakable word (a pasted address, say): it must wrap, not run off.
LONG_WORD = "https://example.org/" + "συμμετοχικόςπρογραμματισμός" * 8
EXTRA = 12  # more comments on the revised text: the document spans several pages
# two campaigns among them (four and three members): their counts' table is printed too
CAMPAIGNS = {member(n): member(10 if n < 14 else 14) for n in range(10, 17)}
# Never on paper: the skip link, the site menu, the breadcrumb's home and separator.
NAVIGATION = ["Μετάβαση στο κύριο περιεχόμενο", "Αναζήτηση", "Ανοικτά δεδομένα", "Αρχική", "›"]
FORM_AND_NOTICES = ["Υποβάλετε σχόλιο", "Η υποβολή δεν καταχωρίστηκε", "Σχόλιο στην §"]
THANKS = "Η υποβολή σας καταχωρίστηκε"


# The text each block of the page prints, as the print stylesheet lays it out: the blocks that
# hold only inline content, with what ::before and ::after add (a link's address), without
# what print does not show (display: none) or clips (visually hidden labels).
BLOCKS = """() => {
    const shown = (el) => el.checkVisibility() && getComputedStyle(el).clipPath === 'none';
    const pseudo = (el, which) => {
        const content = getComputedStyle(el, which).content;
        return content.startsWith('"') ? JSON.parse(content) : '';
    };
    const text = (node) => {
        if (node.nodeType === Node.TEXT_NODE) return node.data;
        if (node.nodeType !== Node.ELEMENT_NODE || !shown(node)) return '';
        return pseudo(node, '::before') + [...node.childNodes].map(text).join('')
            + pseudo(node, '::after');
    };
    const inline = (el) => getComputedStyle(el).display.startsWith('inline');
    return [...document.body.querySelectorAll('*')]
        .filter((el) => shown(el) && !inline(el) && [...el.children].every(inline))
        .map(text).map((t) => t.trim()).filter(Boolean);
}"""


@dataclass
class Printed:
    pages: list[dict[str, Any]]  # per page: width, height, chars, lines, text (pdfplumber)
    blocks: list[str]  # what the page's blocks should print (BLOCKS)

    @property
    def text(self) -> str:
        """The whole document's text, whitespace collapsed (lines wrap anywhere)."""
        return " ".join(" ".join(p["text"] for p in self.pages).split())

    @property
    def squeezed(self) -> str:
        """The text without any whitespace: a wrapped address reads whole."""
        return "".join(self.text.split())


def _print(context: Any, url: str, pdf: Path) -> Printed:
    page = context.new_page()
    page.goto(url)
    page.emulate_media(media="print")
    blocks = page.evaluate(BLOCKS)
    page.pdf(path=str(pdf), format="A4", print_background=False)
    page.close()
    pages = []
    with pdfplumber.open(pdf) as document:
        for p in document.pages:
            pages.append(
                {
                    "width": p.width,
                    "height": p.height,
                    "chars": [(c["x0"], c["x1"], c["text"]) for c in p.chars],
                    "lines": [
                        (line["text"], line["top"], line["chars"][0]["size"])
                        for line in p.extract_text_lines()
                    ],
                    "text": p.extract_text(),
                }
            )
    return Printed(pages, blocks)


@dataclass
class Site:
    served: Served
    texts: list[tuple[str, str]]  # (slug, title) of the closed consultation's texts
    charts: int
    characters: int  # of the results page's main content, closed <details> included
    form_labels: list[str]
    text_paragraphs: list[str]
    results: Printed
    text_page: Printed


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("print")
    content = _content(tmp)
    snapshot = _snapshot(tmp, content, extra=EXTRA)  # reads the revised text as texts[0]
    regroup(snapshot, CAMPAIGNS)
    folder = content / "consultations" / "kleisti"
    (folder / "deutero.md").write_text(SECOND_TEXT, "utf-8")
    report = folder / "report.md"
    report.write_text(f"{REPORT}\nΟ φάκελος της διαβούλευσης: <{BARE}>{{.bare-url}}\n", "utf-8")
    data = json.loads(snapshot.read_text(encoding="utf-8"))
    data["comments"] += [
        _comment(100 + n, "deutero-a", None, text=SECOND[0], body=f"Σχόλιο στο δεύτερο {n}.")
        for n in range(3)
    ]
    data["comments"].append(
        _comment(200, "deutero-b", None, text=SECOND[0], body=f"Δείτε εδώ: {LONG_WORD} τέλος.")
    )
    snapshot.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    output = tmp / "output"
    with serve(output) as served, chromium() as browser:
        build_site(
            root,
            output,
            snapshot=snapshot,
            api_url=API,
            site_url=served.url,
            now=NOW,
            content=content,
        )
        with local_context(browser) as context:
            page = context.new_page()
            page.goto(f"{served.url}/{RESULTS}")
            texts = page.eval_on_selector_all(
                "section.result-text",
                "els => els.map(s => [s.id, s.querySelector('.result-text-title').textContent])",
            )
            charts = page.locator("main figure.chart").count()
            characters = len(page.eval_on_selector("main", "m => m.textContent"))
            page.goto(f"{served.url}/{OPEN_TEXT}")
            form_labels = page.eval_on_selector_all(
                "form label, form legend, form button",
                "els => els.map(e => e.textContent.replace(/\\s+/g, ' ').trim())",
            )
            paragraphs = page.eval_on_selector_all(
                ".text-body > p", "els => els.map(e => e.textContent.trim())"
            )
            page.close()
            yield Site(
                served,
                [(slug, title.strip()) for slug, title in texts],
                charts,
                characters,
                form_labels,
                paragraphs,
                _print(context, f"{served.url}/{RESULTS}", tmp / "results.pdf"),
                _print(context, f"{served.url}/{OPEN_TEXT}", tmp / "text.pdf"),
            )


def test_the_fixture_is_what_the_checks_assume(site: Site) -> None:
    assert {slug for slug, _ in site.texts} == {"palio-keimeno", SECOND[0]}
    assert PROSE in REPORT and DECISION_URL.startswith("https://")
    assert site.charts >= 3
    assert len(site.form_labels) >= 8 and "Υποβολή σχολίου" in site.form_labels
    assert site.text_paragraphs and all(site.text_paragraphs)


def test_the_page_count_is_within_reason(site: Site) -> None:
    # At least: what comes before the texts, then each text from a page of its own. At most:
    # each text may leave one page part-empty, each chart (with its table) may take a page,
    # and the rest fills a page per 1200 characters (a page of short comments holds about
    # 2000, one of prose 3500): far more pages means something is repeated or blown up.
    pages = len(site.results.pages)
    most = len(site.texts) + site.charts + math.ceil(site.characters / 1200)
    assert max(2, len(site.texts) + 1) <= pages <= most, (pages, most)
    assert 1 <= len(site.text_page.pages) <= 3


@pytest.mark.parametrize("which", ["results", "text_page"])
def test_nothing_is_cut_at_the_right_edge(site: Site, which: str) -> None:
    printed: Printed = getattr(site, which)
    for number, page in enumerate(printed.pages, 1):
        assert page["width"] == pytest.approx(210 * MM, abs=1)  # A4
        assert page["height"] == pytest.approx(297 * MM, abs=1)
        assert page["chars"], f"page {number} is empty"
        for x0, x1, char in page["chars"]:
            assert x0 >= 0, f"page {number}: {char!r} starts left of the paper ({x0:.1f})"
            assert x1 <= page["width"] - EDGE, f"page {number}: {char!r} at {x1:.1f}"
    # Chromium leaves out of the PDF whatever overflows the page's area: what is cut shows as
    # text missing. Every block prints whole (lines wrap anywhere: compared without spaces).
    assert len(printed.blocks) > 10
    missing = [b for b in printed.blocks if "".join(b.split()) not in printed.squeezed]
    assert missing == []
    if which == "results":
        assert LONG_WORD in printed.squeezed  # the long word wrapped, all of it printed
    # What is too wide for the page Chromium does not cut but shrinks, the whole document with
    # it: a paragraph is printed at the stylesheet's 11 pt only if nothing is wider than the page.
    paragraph = PROSE if which == "results" else site.text_paragraphs[0]
    sizes = [size for page in printed.pages for text, _, size in page["lines"] if text == paragraph]
    assert sizes and sizes[0] == pytest.approx(11, abs=0.1), (paragraph, sizes)


def test_closed_details_are_printed_open(site: Site) -> None:
    # the comments of each paragraph are in a closed <details> on screen
    for n in (1, 2, *(10 + k for k in range(EXTRA))):
        assert f"Σχόλιο αποτελεσμάτων αριθμός {n} για την παράγραφο." in site.results.text
    assert "Οι ημέρες αυξάνονται σε τρεις." in site.results.text  # an answer, in there too
    assert "Σχόλιο στο δεύτερο 0." in site.results.text
    assert "Ο πίνακας ανά ημέρα" in site.results.text  # the summary, as a label
    assert "Σχόλια στην §1 (2)" in site.text_page.text  # and on a text page
    assert "Απάντηση ανώνυμου πολίτη." in site.text_page.text


def test_link_targets_are_printed_after_the_links(site: Site) -> None:
    squeezed = site.results.squeezed
    assert f"45/2026({DECISION_URL})" in squeezed  # the decision, external
    data = f"CSV({site.served.url}/anoikta-dedomena/kleisti.csv)"
    assert data in squeezed  # the site's own, absolute in a published build
    assert squeezed.count(BARE) == 1  # its text is its address: not printed twice
    assert "Περιεχόμενα" in site.results.text  # the table of contents stays, without addresses
    assert "1.ΗέκθεσητουΔήμου2.Ησυμμετοχή3." in squeezed
    assert "(#" not in squeezed


def test_no_navigation_forms_or_notices_on_paper(site: Site) -> None:
    for printed in (site.results, site.text_page):
        for label in NAVIGATION + FORM_AND_NOTICES:
            assert label not in printed.text
    for label in site.form_labels:
        assert label not in site.text_page.text
    assert "Δήμος Νέας Σμύρνης · Δημόσια διαβούλευση" in site.results.text  # the letterhead
    assert THANKS not in site.text_page.text  # the success panel, hidden until a post


def test_the_campaigns_are_printed(site: Site) -> None:
    text = site.results.text
    assert "Αυτοτελείς υποβολές και εκστρατείες" in text
    assert f"Από τα 19 σχόλια, 12 είναι αυτοτελή και 7 προέρχονται από 2 ομάδες {SAME}" in text
    assert "Από εκστρατείες 7 0" in text  # the table's row, its numbers beside it
    assert "Παλιό κείμενο Από τα 15 σχόλια, 8 είναι αυτοτελή" in text  # each text, its sentence


def test_the_text_itself_is_printed(site: Site) -> None:
    for paragraph in site.text_paragraphs:
        assert " ".join(paragraph.split()) in site.text_page.text


def test_each_text_starts_on_a_new_page(site: Site) -> None:
    section = "Τα κείμενα: σχόλια, απαντήσεις και αλλαγές"
    starts = []
    for _, title in site.texts:
        # the title as a heading line of its own (it is also a table row and in captions)
        found = [
            (index, top)
            for index, page in enumerate(site.results.pages)
            for text, top, _ in page["lines"]
            if text == title
        ]
        assert len(found) == 1, (title, found)
        index, top = found[0]
        above = [text for text, y, _ in site.results.pages[index]["lines"] if y < top]
        assert above in ([], [section]), (title, above)  # first on its page
        starts.append(index)
    assert len(set(starts)) == len(starts) and min(starts) > 0
