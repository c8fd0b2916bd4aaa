"""WCAG 2.2 AA in Debian's Chromium over the built demo site: axe-core on every page, the comment
form by keyboard alone, and every page read and every form posted without JavaScript."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import (
    Served,
    axe_violations,
    build_demo,
    chromium,
    html_pages,
    local_context,
    preload_axe,
    serve,
)
from test_site_comment_pages import CONS, SMALL, Site, many
from test_site_proposal_pages import LIST, with_proposals

from chalicelib.links import comment_bucket

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

API = "http://127.0.0.1:9"  # forms are not sent here; nothing listens
OPEN = "diavoulefseis/perivallon-kai-poiotita-zois/"
TEXT = OPEN + "anaplasi-tis-plateias-neas-smyrnis/"
MODERATION = "moderation/"
SEARCH = "anazitisi/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    output = build_demo(tmp_path_factory.mktemp("a11y") / "output", api_url=API)
    with serve(output) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_axe_finds_nothing_on_any_page(site: Served, browser: Any) -> None:
    pages = html_pages(site.directory)
    assert {"", OPEN, TEXT, OPEN + "protaseis/", SEARCH, "404.html", MODERATION} <= set(pages)
    assert sum(p.startswith("diavoulefseis/") and p.count("/") == 2 for p in pages) == 3
    assert any(p.startswith(TEXT) and "/sxolia/" in p for p in pages)  # its comment pages
    assert any(p.startswith(OPEN + "sxolia/") for p in pages)  # where e-mails' links land
    found: dict[str, list[dict[str, Any]]] = {}
    with local_context(browser) as context:
        page = preload_axe(context).new_page()
        page.set_content('<html lang="el"><body><main><img src="x.png"></main></body></html>')
        assert "image-alt" in {v["id"] for v in axe_violations(page)}  # axe runs and reports
        # Every page as loaded, plus the states a visitor reaches: the search box once
        # Pagefind's UI is in, the comment form's error summary after an empty post.
        for url in [*pages, TEXT + "#errors"]:
            page.goto(f"{site.url}/{url}")
            if url == SEARCH:
                page.wait_for_selector("#anazitisi-oros")
            if url.endswith("#errors"):
                page.locator("form.submission button[type=submit]").click()
                page.wait_for_selector("[data-error-summary]:not([hidden])")
            if violations := axe_violations(page):
                found[url] = violations
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_axe_finds_nothing_on_paged_comments(root: Path, tmp_path: Path, browser: Any) -> None:
    """A text with many comments (the fixture's, small pages): its page, its comment pages with
    their page links (the current one marked), the proposal's, and a finder page at a comment;
    and the second page of a list of proposals."""
    paged = Site(root, tmp_path, **SMALL, **LIST)
    data = many()
    paged.build(with_proposals(data, 9))
    text = paged.text_url
    comments = [p for p in html_pages(paged.output) if "/sxolia/" in p]
    middle = next(p for p in comments if p.startswith(text) and p.endswith("/2/"))
    proposal = next(p for p in comments if "/protaseis/" in p)
    one = data["comments"][-1]["id"]  # a comment of the proposal
    finder = paged.url("COMMENT_FIND", consultation=CONS, bucket=comment_bucket(one))
    listed = [paged.url("PROPOSALS", consultation=CONS)]  # page 1 (the form) and page 2
    listed.append(paged.url("PROPOSALS_PART", consultation=CONS, part="2"))
    assert listed[1] in html_pages(paged.output)
    found = {}
    with serve(paged.output) as served, local_context(browser) as context:
        page = preload_axe(context).new_page()
        for url in (text, middle, proposal.rsplit("sxolia/", 1)[0], proposal, finder, *listed):
            page.goto(f"{served.url}/{url}#sxolio-{one}")
            if violations := axe_violations(page):
                found[url] = violations
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


FOCUS_STYLE = """(el) => {
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' | ');
}"""
ACTIVE = """() => {
    const el = document.activeElement;
    const form = el.closest('form');
    return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
            cls: el.className, inForm: !!(form && form.classList.contains('submission'))};
}"""


def _shows_focus(style: str) -> bool:
    outline_style, outline_width, _, shadow = style.split(" | ")
    return (outline_style != "none" and outline_width != "0px") or shadow != "none"


def _tab(page: Any) -> dict[str, Any]:
    page.keyboard.press("Tab")
    return page.evaluate(ACTIVE)


def test_the_comment_form_by_keyboard_alone(site: Served, browser: Any) -> None:
    with local_context(browser) as context:
        page = context.new_page()
        page.goto(f"{site.url}/{TEXT}")
        unfocused = {
            el.get_attribute("id"): el.evaluate(FOCUS_STYLE)
            for el in page.locator("form.submission [id]").all()
        }

        first = _tab(page)
        assert first["cls"] == "govgr--skip-link"
        assert page.locator("a.govgr--skip-link").is_visible()
        box = page.locator("a.govgr--skip-link").bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0  # moved on screen when focused
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        in_form: list[str] = []
        styles: list[tuple[str, str]] = []
        seen_form = False
        for _ in range(400):
            now = _tab(page)
            assert now["name"] != "website", "the honeypot is reachable by Tab"
            if now["inForm"]:
                seen_form = True
                in_form.append(now["id"] or now["tag"])
                styles.append(
                    (in_form[-1], page.evaluate(f"({FOCUS_STYLE})(document.activeElement)"))
                )
            elif seen_form or now["tag"] == "body":
                break
        link = "a"  # the two links inside the consent label have no id
        assert in_form == [
            "f-paragraph",
            "f-body",
            "f-respondent_type",  # one stop for the radio group: the checked one
            "f-display_name",
            "f-publish_name",
            "f-email",
            "f-consent",
            link,
            link,
            "button",
        ]
        for key, style in styles:
            assert _shows_focus(style), f"{key}: no focus indicator ({style})"
            if key in unfocused:
                assert style != unfocused[key], f"{key}: looks the same focused ({style})"

        # An organisation: the arrow key picks it, its two fields appear next in the order.
        page.locator("#f-respondent_type").focus()
        page.keyboard.press("ArrowDown")
        assert page.locator("#f-rt-organisation").is_checked()
        assert [_tab(page)["id"] for _ in range(3)] == [
            "f-display_name",
            "f-organisation_name",
            "f-organisation_type",
        ]


def test_every_page_reads_and_posts_without_javascript(site: Served, browser: Any) -> None:
    pages = html_pages(site.directory)
    forms_seen = 0
    with local_context(browser, java_script_enabled=False) as context:
        page = context.new_page()
        for url in pages:
            page.goto(f"{site.url}/{url}")
            main = page.locator("main#main")
            assert main.locator("h1").first.inner_text().strip(), url
            assert len(main.inner_text()) > 80, url
            if url == MODERATION:  # a staff tool that needs script says so, and hides itself
                assert page.locator("#moderation").is_hidden()
                assert "JavaScript" in main.inner_text()
                continue
            for form in page.locator("form").all():
                forms_seen += 1
                assert form.get_attribute("method") == "post", url
                action = form.get_attribute("action") or ""
                assert action in (
                    f"{API}/v1/comments",
                    f"{API}/v1/proposals",
                    f"{API}/v1/subscriptions",
                ), (url, action)
                assert form.locator("button[type=submit]").is_visible(), url
        page.goto(f"{site.url}/{TEXT}")
        assert page.locator("form.submission textarea[name=body]").is_visible()
        assert page.locator(".org-fields").is_visible()  # no script to hide them: all shown
        honeypot = page.locator(".hp:has(#f-website)")
        assert honeypot.get_attribute("aria-hidden") == "true"
        box = honeypot.bounding_box()
        assert box and box["width"] <= 1 and box["height"] <= 1  # out of sight
    assert forms_seen >= 10  # each text and proposal of the open consultation, its proposals page
