"""The restyled demo site in Debian's Chromium, as a phone (390×844) and a desktop see it: every
target at least 44×44 CSS px, nothing wider than the phone, the paragraph or comment a link
opens highlighted, search results in the site's own look, a text page that prints on two
pages, axe-core's WCAG 2.2 AA rules. Screenshots of the main pages at both widths are left in
build/screenshots/ for people to look at (not compared)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from browser import (
    AXE_JS,
    AXE_TAGS,
    Served,
    build_demo,
    chromium,
    html_pages,
    local_context,
    serve,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROOT = Path(__file__).resolve().parent.parent
API = "http://127.0.0.1:9"  # forms are not sent here; nothing listens
OPEN = "diavoulefseis/perivallon-kai-poiotita-zois/"
TEXT = OPEN + "anaplasi-tis-plateias-neas-smyrnis/"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TARGET = 44  # CSS px: WCAG 2.5.5's size, beyond 2.5.8's 24
SHOTS = ROOT / "build" / "screenshots"

# Every a, button, input, select, textarea and summary shown, with its size; a link inside
# running text (its block says more, in letters, than its links do) is WCAG 2.5.8's inline
# exception and is left out, as are elements hidden or out of sight (the skip link until focused).
TARGETS = """() => {
    const inline = (el) => getComputedStyle(el).display.startsWith('inline');
    const said = (node, link) => [...node.childNodes].map((child) => {
        if (child.nodeType === Node.TEXT_NODE) return child.data;
        if (child.nodeType !== Node.ELEMENT_NODE || child.tagName === 'A') return '';
        return inline(child) ? said(child, link) : '';
    }).join('');
    const inProse = (el) => {
        if (el.tagName !== 'A') return false;
        let block = el.parentElement;
        while (block && inline(block)) block = block.parentElement;
        return /\\p{L}/u.test(said(block, el));
    };
    const shown = (el) => {
        const box = el.getBoundingClientRect();
        return el.checkVisibility({visibilityProperty: true}) && box.width > 1 && box.height > 1
            && !el.closest('[aria-hidden=true]') && el.type !== 'hidden';
    };
    return [...document.querySelectorAll('a, button, input, select, textarea, summary')]
        .filter((el) => shown(el) && !inProse(el))
        .map((el) => {
            const box = el.getBoundingClientRect();
            const name = (el.textContent || el.id || el.name || el.type).replace(/\\s+/g, ' ');
            return [el.tagName.toLowerCase(), name.trim().slice(0, 40), box.width, box.height];
        });
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    output = build_demo(tmp_path_factory.mktemp("look") / "output", api_url=API)
    with serve(output) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_every_target_is_44_px_on_a_phone(site: Served, browser: Any) -> None:
    small: dict[str, list] = {}
    counted = 0
    with local_context(browser, viewport=PHONE) as context:
        page = context.new_page()
        for url in ("", OPEN, TEXT, OPEN + "protaseis/"):
            page.goto(f"{site.url}/{url}")
            targets = page.evaluate(TARGETS)
            counted += len(targets)
            kinds = {tag for tag, *_ in targets}
            if url == TEXT:
                assert {"a", "summary", "input", "select", "textarea", "button"} <= kinds
            if found := [t for t in targets if t[2] < TARGET - 0.01 or t[3] < TARGET - 0.01]:
                small[url] = found
        # the skip link, once focused (the first Tab)
        page.keyboard.press("Tab")
        box = page.locator("a.govgr--skip-link").bounding_box()
        assert box and box["height"] >= TARGET and box["width"] >= TARGET
    assert counted > 100
    assert small == {}, json.dumps(small, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("width", [320, PHONE["width"]])  # 320: WCAG 1.4.10's reflow width
def test_nothing_is_wider_than_a_phone(site: Served, browser: Any, width: int) -> None:
    wide = {}
    with local_context(browser, viewport={**PHONE, "width": width}) as context:
        page = context.new_page()
        pages = [p for p in html_pages(site.directory) if not p.startswith("moderation")]
        for url in pages:
            page.goto(f"{site.url}/{url}")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                wide[url] = scroll
        assert len(pages) > 30
        # the open-data table is wider: it scrolls in its own region, by keyboard too
        page.goto(f"{site.url}/anoikta-dedomena/")
        region = page.locator(".govgr-table-container")
        sizes = region.evaluate("(el) => [el.scrollWidth, el.clientWidth]")
        assert sizes[0] > sizes[1], sizes
        assert region.get_attribute("tabindex") == "0"
        region.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("(el) => el.scrollLeft > 0", arg=region.element_handle())
    assert wide == {}


HIGHLIGHT = "rgb(255, 242, 168)"
BACKGROUND = "(el) => getComputedStyle(el).backgroundColor"


def test_the_paragraph_or_comment_a_link_opens_stands_out(site: Served, browser: Any) -> None:
    with local_context(browser, viewport=PHONE, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(f"{site.url}/{TEXT}")
        link = page.locator("a.para-permalink").nth(1)
        assert link.inner_text() == "Σύνδεσμος στην §2"
        target = link.get_attribute("href")
        link.click()
        assert page.evaluate("location.hash") == target
        paragraph = page.locator(target)
        assert paragraph.evaluate(BACKGROUND) == HIGHLIGHT
        assert page.locator(".text-body > p").first.evaluate(BACKGROUND) != HIGHLIGHT
        # a comment under a paragraph, in its closed <details>: opened, shown, highlighted
        comment = page.locator(".para-tools details li[id]").first
        anchor = comment.get_attribute("id")
        assert not page.locator(".para-tools details").first.evaluate("(d) => d.open")
        page.goto(f"{site.url}/{TEXT}#{anchor}")
        box = page.locator(f"#{anchor} > .comment")
        assert box.is_visible() and box.evaluate(BACKGROUND) == HIGHLIGHT
        assert box.evaluate("(el) => el.getBoundingClientRect().top") < PHONE["height"]
        # its «Σύνδεσμος»: the comment page that keeps it, where it stands out the same way
        box.locator(".permalink a").click()
        assert page.url.endswith(f"/#{anchor}") and not page.url.endswith(f"{TEXT}#{anchor}")
        there = page.locator(f"#{anchor} > .comment")
        assert there.is_visible() and there.evaluate(BACKGROUND) == HIGHLIGHT


def test_search_results_look_like_the_site(site: Served, browser: Any) -> None:
    with local_context(browser, viewport=PHONE) as context:
        page = context.new_page()
        page.goto(f"{site.url}/anazitisi/")
        page.fill("#anazitisi-oros", "πλατεία")
        page.wait_for_selector(".pagefind-ui__result")
        assert page.locator(".pagefind-ui__result-thumb").count() == 0  # no empty column
        title = page.locator(".pagefind-ui__result-link").first
        link = page.locator("a.govgr-breadcrumbs__link").first  # any of the site's links
        style = """(el) => { const s = getComputedStyle(el);
            return [s.fontFamily, s.textDecorationLine, s.color]; }"""
        font, underline, colour = title.evaluate(style)
        assert font == page.evaluate("getComputedStyle(document.body).fontFamily")
        assert underline == "underline"
        assert colour == page.evaluate(
            "getComputedStyle(document.querySelector('main a') || document.body).color"
        )
        assert link.count() == 1
        result = page.locator(".pagefind-ui__result").first
        width = result.evaluate("(el) => el.getBoundingClientRect().width")
        assert width > 0.8 * (PHONE["width"] - 24)  # the whole width, not two thirds of it
        excerpts = page.locator(".pagefind-ui__result-excerpt").all_inner_texts()
        assert excerpts and not any("Περιβάλλον και Ποιότητα Ζωής ·" in e for e in excerpts)


def test_a_text_page_prints_on_two_pages(site: Served, browser: Any, tmp_path: Path) -> None:
    """The demo's square (15 paragraphs, 6 comments): six A4 pages without a print stylesheet,
    three with the first one; two now, without menus, forms or links to itself."""
    with local_context(browser) as context:
        page = context.new_page()
        page.goto(f"{site.url}/{TEXT}")
        page.emulate_media(media="print")
        pdf = tmp_path / "text.pdf"
        page.pdf(path=str(pdf), format="A4")
    with pdfplumber.open(pdf) as document:
        texts = [p.extract_text() for p in document.pages]
    printed = " ".join(" ".join(texts).split())
    assert len(texts) <= 2, [len(t) for t in texts]
    assert "Δήμος Νέας Σμύρνης · Δημόσια διαβούλευση" in printed
    assert "Ανάπλαση της Πλατείας Νέας Σμύρνης" in printed and "Σχόλια στην §1" in printed
    for absent in (
        "Μετάβαση στο κύριο περιεχόμενο",
        "Αναζήτηση",
        "Αρχική",
        "Σύνδεσμος",
        "Σχόλιο στην §",
        "Απάντηση",
        "Υποβάλετε σχόλιο",
        "Ενημερώστε με",
        "Όλα τα κείμενα και οι προτάσεις",
    ):
        assert absent not in printed, absent


MAIN_PAGES = {
    "arxiki": "",
    "diavoulefsi": OPEN,
    "keimeno": TEXT,
    "protaseis": OPEN + "protaseis/",
    "apotelesmata": "diavoulefseis/topiki-oikonomia-apascholisi/apotelesmata/",
    "anoikta-dedomena": "anoikta-dedomena/",
    "evretirio": "evretirio/",
    "anazitisi": "anazitisi/",
    "selida": "prosvasimotita/",
}


def test_axe_wcag22_and_screenshots_of_the_main_pages(site: Served, browser: Any) -> None:
    assert "wcag22aa" in AXE_TAGS  # target size among them
    assert set(MAIN_PAGES.values()) <= set(html_pages(site.directory))
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, Any] = {}
    for viewport in (PHONE, DESKTOP):
        with local_context(browser, viewport=viewport) as context:
            context.add_init_script(path=str(AXE_JS))
            page = context.new_page()
            for name, url in MAIN_PAGES.items():
                page.goto(f"{site.url}/{url}")
                if name == "anazitisi":
                    page.wait_for_selector("#anazitisi-oros")
                result = page.evaluate("(tags) => axe.run(document, {runOnly: tags})", AXE_TAGS)
                if result["violations"]:
                    found[f"{name}@{viewport['width']}"] = [
                        (v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]
                    ]
                page.screenshot(path=str(SHOTS / f"{name}-{viewport['width']}.png"), full_page=True)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    assert len(list(SHOTS.glob("*-390.png"))) >= len(MAIN_PAGES)
