"""«Υποστηρίζω» on the site (chalicelib.supports is the API side): every published comment and
proposal of an open consultation links to the API's support form for it, the confirmed count
shows once published (singular and plural in Greek), a closed consultation keeps the count and
loses the link, and the open data carry the count. Real Pelican on the tiny fixture site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from site_support import page
from test_site_comment_pages import CONS, Site, comment
from test_site_proposal_pages import proposal

CLOSED, CLOSED_TEXT = "kleisti", "palio-keimeno"


def snapshot() -> dict[str, Any]:
    supported = comment(1, paragraph="eisagogi")
    supported["supports"] = 3
    single = comment(2)
    single["supports"] = 1
    plain = comment(3)
    closed = comment(4, text=CLOSED_TEXT)
    closed.update(consultation=CLOSED, supports=12)
    backed = proposal(1)
    backed["supports"] = 2
    return {
        "schema_version": 1,
        "generated_at": "2026-11-25T10:00:00Z",
        "comments": [supported, single, plain, closed],
        "proposals": [backed],
    }


@pytest.fixture(scope="module")
def site(root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, dict[str, Any]]:
    built = Site(root, tmp_path_factory.mktemp("supports"), COMMENTS_INLINE=50)
    data = snapshot()
    built.build(data)
    return built, data


def support_of(doc: Any, item_id: str) -> Any:
    """The «Υποστηρίζω» paragraph inside the comment ``item_id``'s own entry."""
    entry = next(li for li in doc.find_all("li") if li.get("id") == f"sxolio-{item_id}")
    found = [p for p in entry.find_all("p") if "support" in (p.get("class") or "").split()]
    return found[0] if found else None


def test_each_published_comment_links_to_its_support_form_with_its_count(site) -> None:
    built, data = site
    doc = page(built.output, built.text_url)
    for entry, count_text in zip(
        data["comments"][:3], ("Το υποστηρίζουν 3", "Το υποστηρίζει 1", None), strict=True
    ):
        paragraph = support_of(doc, entry["id"])
        assert paragraph is not None, entry["id"]
        link = paragraph.find("a")
        assert link.text().startswith("Υποστηρίζω") and entry["reference"] in link.text()
        target = urlsplit(link.get("href"))
        assert target.path.endswith("/v1/supports/new")
        query = parse_qs(target.query)
        assert query["item"] == [entry["id"]]
        assert query["return_to"] == [f"/{built.text_url}"]
        if count_text:
            assert count_text in paragraph.text()
        else:
            assert "υποστηρίζ" not in paragraph.text().replace("Υποστηρίζω", "")


def test_a_closed_consultation_keeps_the_count_without_the_link(site) -> None:
    built, data = site
    url = built.url("TEXT", consultation=CLOSED, slug=CLOSED_TEXT)
    paragraph = support_of(page(built.output, url), data["comments"][3]["id"])
    assert paragraph is not None and "Το υποστηρίζουν 12" in paragraph.text()
    assert not paragraph.find_all("a")


def test_a_proposal_page_links_to_its_support_form_with_its_count(site) -> None:
    built, data = site
    backed = data["proposals"][0]
    doc = page(built.output, built.url("PROPOSAL", consultation=CONS, id=backed["id"]))
    found = [p for p in doc.find_all("p") if "support" in (p.get("class") or "").split()]
    assert len(found) == 1 and "Το υποστηρίζουν 2" in found[0].text()
    assert parse_qs(urlsplit(found[0].find("a").get("href")).query)["item"] == [backed["id"]]


def test_the_open_data_carry_the_count(site) -> None:
    built, data = site
    files = sorted(built.output.rglob(f"{CONS}*.json"))
    rows = {}
    for path in files:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict) and "comments" in loaded:
            rows.update({r["id"]: r for r in loaded["comments"] + loaded["proposals"]})
    assert rows, files
    assert rows[data["comments"][0]["id"]]["supports"] == 3
    assert rows[data["comments"][2]["id"]]["supports"] == 0
    assert rows[data["proposals"][0]["id"]]["supports"] == 2
