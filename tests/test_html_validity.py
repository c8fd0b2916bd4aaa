"""Every page of the built demo site is valid HTML: the Nu HTML Checker, run once over the whole
site (the moderation page included), finds no error and no warning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import build_demo, format_problems, html_pages, nu_check
from test_site_comment_pages import CONS, SMALL, Site, many
from test_site_proposal_pages import LIST, with_proposals

pytestmark = pytest.mark.xdist_group("browser")

# A page the checker must fault, checked in the same run: proves that the run looked at pages
# and that its JSON is read (an empty result cannot come from a checker that saw nothing).
BROKEN = """<!DOCTYPE html><html lang="el"><head><title>x</title></head>
<body><p><div>ένα div μέσα σε p</div></p><img src="a.png"></body></html>"""


def test_the_whole_demo_site_is_valid_html(tmp_path: Path, root: Path) -> None:
    site = build_demo(tmp_path / "output", api_url="http://127.0.0.1:9/api")
    pages = html_pages(site)
    assert {"", "moderation/", "404.html", "anazitisi/", "anoikta-dedomena/"} <= set(pages)
    assert len(pages) >= 30, pages
    assert any("/sxolia/" in p for p in pages)  # comment pages and the comment finder
    # and a text with many comments: its page links to comment pages in several parts; and a
    # consultation with many proposals: their list in pages
    paged = Site(root, tmp_path / "paged", **SMALL, **LIST)
    paged.build(with_proposals(many(), 9))
    assert any(re.search(r"/sxolia/[^/]+/\d+/$", p) for p in html_pages(paged.output))
    assert paged.url("PROPOSALS_PART", consultation=CONS, part="2") in html_pages(paged.output)
    canary = tmp_path / "canary" / "broken.html"
    canary.parent.mkdir()
    canary.write_text(BROKEN, encoding="utf-8")

    problems = nu_check([site, paged.output, canary.parent])

    assert any(f.endswith("/canary/broken.html") for f in problems), problems
    site_problems = {
        Path(f).as_posix(): messages
        for f, messages in problems.items()
        if not f.endswith("/canary/broken.html")
    }
    assert not site_problems, "Nu HTML Checker:\n" + format_problems(site_problems)
