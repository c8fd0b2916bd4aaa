"""Pagefind over the built fixture site (its bundles merged), queried in Chromium the way the
search page does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, serve
from search_support import searcher

from chalicelib.sitebuild import build_site

FIXTURE = Path(__file__).parent / "fixtures" / "site"

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("site_search")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Iterator[str]:
    output = tmp_path_factory.mktemp("search") / "output"
    build_site(
        root,
        output,
        snapshot=FIXTURE / "snapshot.json",
        api_url="http://api.test",
        now=datetime(2026, 11, 26, 12, tzinfo=ZoneInfo("Europe/Athens")),
        content=FIXTURE / "content",
    )
    with serve(output) as site:
        yield site.url


@pytest.fixture(scope="module")
def search(served: str) -> Iterator:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{served}/anazitisi/")
        page.wait_for_selector(".pagefind-ui__search-input")

        # (url, indexed text) of each hit (Pagefind stems: hits are not exact matches), from
        # every bundle merged as the search page merges them
        run = searcher(page)
        run.requests = requests
        yield run
        browser.close()


TEXT = "/diavoulefseis/prasino-kai-evangelistria/anaplasi-plateias/"


def test_search_without_accents_finds_accented_greek(search) -> None:
    hits = dict(search("περιβαλλον"))
    assert TEXT in hits and "Το περιβάλλον της πλατείας" in hits[TEXT]
    assert TEXT in dict(search("ΠΕΡΙΒΆΛΛΟΝ"))


def test_search_indexes_proposals_and_comments(search) -> None:
    hits = dict(search("ποδηλατοδρομος"))
    assert "/diavoulefseis/prasino-kai-evangelistria/protaseis/01jproposal00000000000001a/" in hits
    assert TEXT in dict(search("παραγραφο που αλλαξε"))  # a comment's words
    hits = dict(search("εισαγωγικα"))  # words of a comment under a paragraph (§ eisagogi)
    assert TEXT in hits and "εισαγωγικά" in hits[TEXT]


def test_notices_forms_404_and_search_page_are_not_indexed(search, served: str) -> None:
    for term in ("εργάσιμες", "Συντομεύστε", "Αφήστε κενό", "δεν βρέθηκε", "Αναζήτηση"):
        for url, content in search(term):
            assert "404" not in url and "anazitisi" not in url, (term, url)
            for words in ("εργάσιμες ημέρες", "Συντομεύστε", "Αφήστε κενό", "δεν βρέθηκε"):
                assert words not in content, (term, url)
    assert search.requests and all(u.startswith(served) for u in search.requests)  # no 3rd party
