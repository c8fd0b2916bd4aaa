"""Every results page, whole and cut into a page per text and parts, is valid HTML (the Nu HTML
Checker) and passes axe-core in Debian's Chromium; its charts are images with a text
alternative and the same numbers in a table. (The demo's results page is covered with the
whole demo site by test_browser_a11y and test_html_validity.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import (
    Served,
    axe_violations,
    chromium,
    format_problems,
    html_pages,
    local_context,
    nu_check,
    preload_axe,
    serve,
)
from test_results_groups import member, regroup
from test_results_pages import API, NOW, _content, _snapshot

from chalicelib.sitebuild import build_site

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

RESULTS = "diavoulefseis/kleisti/apotelesmata/"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, root: Path) -> dict[str, Path]:
    """The results of the fixture's closed consultation on one page, and cut into parts, some
    comments in campaigns (their counts' table and sentences checked too)."""
    built = {}
    for name, budget in (("whole", 320_000), ("cut", 4_000)):
        tmp = tmp_path_factory.mktemp(name)
        content = _content(tmp)
        output = tmp / "output"
        snapshot = _snapshot(tmp, content, extra=30)
        regroup(snapshot, {member(10 + n): member(10 + n % 3) for n in range(9)})
        build_site(
            root,
            output,
            snapshot=snapshot,
            api_url=API,
            now=NOW,
            content=content,
            settings={"RESULTS_PAGE_BYTES": budget},
        )
        built[name] = output
    return built


def _results_pages(output: Path) -> list[str]:
    return [p for p in html_pages(output) if p.startswith(RESULTS)]


def test_the_results_pages_are_valid_html(sites: dict[str, Path], tmp_path: Path) -> None:
    pages = {name: _results_pages(output) for name, output in sites.items()}
    assert pages["whole"] == [RESULTS]
    assert len(pages["cut"]) >= 4  # the main page, a text in parts, the proposals
    folders = []
    for name, output in sites.items():
        folder = tmp_path / name
        for page in pages[name]:
            source = output / page / "index.html"
            target = folder / page / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
        folders.append(folder)
    problems = nu_check(folders)
    assert not problems, "Nu HTML Checker:\n" + format_problems(problems)


@pytest.fixture(scope="module")
def served(sites: dict[str, Path]) -> Iterator[dict[str, Served]]:
    with serve(sites["whole"]) as whole, serve(sites["cut"]) as cut:
        yield {"whole": whole, "cut": cut}


def test_axe_finds_nothing_on_the_results_pages(served: dict[str, Served]) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    with chromium() as browser, local_context(browser) as context:
        page = preload_axe(context).new_page()
        for name, site in served.items():
            for url in _results_pages(site.directory):
                page.goto(f"{site.url}/{url}")
                # the collapsed comments too: open every details before looking
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                if violations := axe_violations(page):
                    found[f"{name}:{url}"] = violations
                for image in page.query_selector_all("figure.chart img"):
                    assert image.get_attribute("alt")
                    image.scroll_into_view_if_needed()  # loading="lazy"
                    page.wait_for_function(
                        "(img) => img.complete && img.naturalWidth > 0", arg=image
                    )
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
