"""The API's own pages wear the site's frame (lambdas/chalicelib/templates/pages/_base.html): the
site's two stylesheets in the same order, the gov.gr header with the emblem, the footer; all of
it from the site's origin, which is all their Content-Security-Policy allows."""

from __future__ import annotations

import re
from pathlib import Path

from site_support import parse

from chalicelib import pages

SITE = "https://diavoulefsi.example.gr"
BASE = {"site_name": "Διαβούλευση — Δήμος Δοκιμής", "site_url": SITE, "title": "Δοκιμή"}


def test_the_api_pages_load_the_sites_stylesheets_and_emblem() -> None:
    doc = parse(pages.render("message", {**BASE, "paragraphs": ["Ένα μήνυμα."]}))
    sheets = [link.get("href") for link in doc.find_all("link", rel="stylesheet")]
    assert sheets == [
        f"{SITE}/theme/css/govgr.css",
        f"{SITE}/theme/css/site.css",
        f"{SITE}/theme/css/print.css",
    ]
    header = doc.find("header", cls="govgr-header")
    emblem = header.find("img", cls="govgr-header-logo")
    assert emblem.get("src") == f"{SITE}/theme/img/emblem.svg" and emblem.get("alt") == ""
    assert header.find("a", cls="brand").get("href") == f"{SITE}/"
    assert "Διαβούλευση — Δήμος Δοκιμής" in header.text()
    assert doc.find("a", cls="govgr--skip-link").get("href") == "#main"
    assert doc.find("main").get("id") == "main"
    assert doc.find("footer", cls="govgr-footer").find("a", href=f"{SITE}/")
    assert (Path(__file__).parent.parent / "theme/static/img/emblem.svg").is_file()


def test_with_the_municipality_named_they_read_as_the_site_does() -> None:
    data = {
        **BASE,
        "municipality": "Δήμος Δοκιμής",
        "emblem": "theme/img/other.svg",
        "contact_email": "voitheia@example.gr",
    }
    doc = parse(pages.render("message", data))
    title = doc.find("span", cls="govgr-header-title")
    assert title.text() == "Δήμος Δοκιμής Δημόσια διαβούλευση"
    assert doc.find("img", cls="govgr-header-logo").get("src") == f"{SITE}/theme/img/other.svg"
    help_ = doc.find("footer").find("p", cls="help")
    assert help_.find("a").get("href") == "mailto:voitheia@example.gr"


def test_nothing_comes_from_elsewhere_and_nothing_is_inline() -> None:
    html = pages.render("message", BASE)
    for url in re.findall(r'(?:src|href)="([^"#]+)"', html):
        assert url.startswith(f"{SITE}/"), url
    assert "<style" not in html and " style=" not in html and "<script" not in html
