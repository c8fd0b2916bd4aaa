"""A consultation's list of proposals in numbered pages (plugins/consultations/comment_pages.py
``proposal_list``): every proposal reachable from page 1 by plain links, on exactly one page, in
the order they were approved; the form on page 1; no page over the budget at 3,000 proposals; a
rebuild re-renders only the pages a new proposal changes and deletes page numbers that are gone;
the sitemap, search and catalogue follow. Real Pelican on a copy of the tiny fixture site."""

from __future__ import annotations

import copy
import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from site_support import FIXTURE_SITE, Node, page
from test_site_comment_pages import CONS, Site, site_setting
from test_site_page_weight import LIMIT, _environment, _scale, _weight

from chalicelib.spec import limits, snapshot_schema
from plugins.consultations import comment_pages
from plugins.consultations.models import Answer, Author

CLOSED = "kleisti"
PER_PAGE = 5  # small pages, so that a few dozen proposals make several: the rules are the same
LIST = {"PROPOSALS_PER_PAGE": PER_PAGE}
START = datetime(2026, 11, 22, 8, tzinfo=UTC)  # after the fixture's proposals were approved


def proposal(n: int, consultation: str = CONS) -> dict[str, Any]:
    """Proposal ``n`` of this test, approved ``n`` minutes after START (ids and times ordered)."""
    return {
        "id": f"01jlist{n:019d}",
        "reference": f"NS-L{n:05d}",
        "consultation": consultation,
        "title": f"Πρόταση αριθμός {n}",
        "body": f"Περιγραφή της πρότασης αριθμός {n} για τη γειτονιά μας.",
        "location": None,
        "author": {
            "respondent_type": "citizen",
            "display_name": f"Πολίτης {n}",
            "organisation_name": None,
            "organisation_type": None,
        },
        "created_at": (START + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "approved_at": (START + timedelta(minutes=n + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def with_proposals(data: dict[str, Any], count: int, consultation: str = CONS) -> dict[str, Any]:
    """``data`` plus ``count`` proposals on ``consultation``, numbered after those it has."""
    data = copy.deepcopy(data)
    start = sum(p["id"].startswith("01jlist") for p in data["proposals"])
    data["proposals"] += [proposal(start + n + 1, consultation) for n in range(count)]
    return data


def fixture() -> dict[str, Any]:
    return json.loads((FIXTURE_SITE / "snapshot.json").read_text(encoding="utf-8"))


def parts(site: Site, consultation: str = CONS, most: int = 100) -> list[str]:
    """The addresses pages 2 … ``most`` of ``consultation``'s list would have."""
    fields = {"consultation": consultation}
    return [site.url("PROPOSALS_PART", **fields, part=str(n)) for n in range(2, most + 1)]


def list_pages(site: Site, consultation: str = CONS) -> dict[str, Node]:
    """Every page of ``consultation``'s list on disk, by URL, in order."""
    found = {}
    for url in [site.url("PROPOSALS", consultation=consultation), *parts(site, consultation)]:
        if (site.output / url / "index.html").is_file():
            found[url] = page(site.output, url)
    return found


def cards(doc: Node, url: str) -> list[str]:
    """The proposal pages a list page links from its cards, site-relative, in order."""
    found = []
    for card in doc.find_all("li", cls="card"):
        href = card.find("h2").find("a").get("href") or ""
        found.append(urljoin("/" + url, href).lstrip("/"))
    return found


def approved_order(data: dict[str, Any], site: Site, consultation: str = CONS) -> list[str]:
    mine = [p for p in data["proposals"] if p["consultation"] == consultation]
    mine.sort(key=lambda p: (p["approved_at"], p["id"]))
    return [site.url("PROPOSAL", consultation=consultation, id=p["id"]) for p in mine]


@pytest.fixture(scope="module")
def listed(root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, dict[str, Any]]:
    """22 proposals on the open consultation (23 with the fixture's: 5 pages of 5), 7 on the
    closed one (2 pages)."""
    site = Site(root, tmp_path_factory.mktemp("listed"), CATALOGUE_PROPOSALS=10, **LIST)
    data = with_proposals(with_proposals(fixture(), 22), 7, CLOSED)
    site.build(data)
    return site, data


# --- reachable, once, in order -----------------------------------------------------------------
def test_every_proposal_is_reachable_from_page_1_by_plain_links_once(listed) -> None:
    site, data = listed
    first = site.url("PROPOSALS", consultation=CONS)
    others = set(parts(site))
    seen, queue, reached = {first}, [first], []
    while queue:
        url = queue.pop(0)
        doc = page(site.output, url)
        reached += cards(doc, url)
        if url != first:  # (page 1 has the form and its progressive script)
            assert not doc.find_all("script"), url  # read without JavaScript
        for a in doc.find("main").find_all("a"):
            target = urljoin("/" + url, a.get("href") or "").split("#")[0].lstrip("/")
            if target in others and target not in seen:
                seen.add(target)
                queue.append(target)
    pages = list_pages(site)
    assert seen == set(pages) and len(pages) == 5  # ceil(23 / 5)
    order = approved_order(data, site)
    assert len(reached) == len(set(reached)) == 23  # each one on exactly one page
    assert all((site.output / url / "index.html").is_file() for url in reached)
    shown = [u for url in pages for u in cards(pages[url], url)]  # page 1, 2 … in that order
    assert shown == order  # the order the list has always had: by approval
    assert [len(cards(doc, url)) for url, doc in pages.items()] == [5, 5, 5, 5, 3]


def test_page_1_keeps_its_address_and_the_form_the_next_ones_a_part(listed) -> None:
    site, _ = listed
    first = site.url("PROPOSALS", consultation=CONS)
    second = site.url("PROPOSALS_PART", consultation=CONS, part="2")
    assert second == first + "2/"  # page 1 has no part in its address
    one, two = page(site.output, first), page(site.output, second)
    assert len(one.find_all("form", cls="submission")) == 1
    assert "data-pagefind-ignore" in one.find("section", id="nea-protasi").attrs
    assert one.find("p", cls="counts").text() == (
        "23 δημοσιευμένες προτάσεις, σε 5 σελίδες, με τη σειρά που δημοσιεύτηκαν."
    )
    assert not two.find_all("form") and not two.find_all("section", id="nea-protasi")
    link = two.find("p", cls="new-proposal").find("a")  # the form: on page 1
    assert urljoin("/" + second, link.get("href")) == f"/{first}#nea-protasi"
    assert two.find("title").text().startswith("Προτάσεις (σελίδα 2 από 5) — ")
    crumbs = [li.text() for li in two.find_all("li", cls="govgr-breadcrumbs__list-item")]
    assert crumbs[-2:] == ["Προτάσεις", "Σελίδα 2"]
    # the closed consultation: no form, no link to one, its closing said on every page
    for url, doc in list_pages(site, CLOSED).items():
        assert not doc.find_all("form") and not doc.find_all("p", cls="new-proposal"), url
        assert "δεν δέχεται πλέον προτάσεις" in doc.find("main").text(), url


def test_pagination_is_plain_links_with_aria(listed) -> None:
    site, _ = listed
    first = site.url("PROPOSALS", consultation=CONS)
    third = site.url("PROPOSALS_PART", consultation=CONS, part="3")
    doc = page(site.output, third)
    navs = doc.find_all("nav", cls="govgr-pagination")
    assert [n.get("aria-label") for n in navs] == ["Σελίδες προτάσεων", "Σελίδες προτάσεων (τέλος)"]
    assert [a.text() for a in navs[0].find_all("a", **{"aria-current": "page"})] == ["Σελίδα 3"]
    rel = {a.get("rel"): urljoin("/" + third, a.get("href")) for a in navs[0].find_all("a")}
    assert rel["prev"] == f"/{first}2/" and rel["next"] == f"/{first}4/"
    numbers = [a.text() for a in navs[0].find_all("a") if not a.get("rel")]
    assert numbers == [f"Σελίδα {n}" for n in range(1, 6)]


def test_a_part_never_takes_a_proposals_address(root: Path, tmp_path: Path) -> None:
    """Parts and proposals share the list's folder: an id has at least 8 characters (the
    snapshot's schema, validated before every build), a part fewer while a consultation has
    fewer than ten million pages (a billion proposals at pelicanconf's page size)."""
    id_pattern = snapshot_schema()["$defs"]["id"]["pattern"]
    assert re.fullmatch(id_pattern, proposal(1)["id"])  # the ids of these tests pass
    assert not [n for n in ("2", "10", "999", "9" * 7) if re.fullmatch(id_pattern, n)]
    assert 10**7 * int(site_setting(root, "PROPOSALS_PER_PAGE")) >= 10**9
    site = Site(root, tmp_path, **LIST)
    data = with_proposals(fixture(), 9)  # two pages: page 2's part is "2"
    data["proposals"][-1]["id"] = "2"
    with pytest.raises(Exception, match=r"Άκυρο στιγμιότυπο υποβολών .*proposals/\d+/id"):
        site.build(data)


# --- the sitemap, search, the catalogue ---------------------------------------------------------
def test_the_sitemap_lists_every_page_and_search_indexes_them_as_before(listed) -> None:
    site, _ = listed
    sitemap = (site.output / "sitemap.xml").read_text(encoding="utf-8")
    locs = {loc.lstrip("/") for loc in re.findall(r"<loc>(.*?)</loc>", sitemap)}
    pages = {**list_pages(site), **list_pages(site, CLOSED)}
    assert len(pages) == 7 and set(pages) <= locs
    for url, doc in pages.items():
        assert "data-pagefind-body" in doc.find("main").attrs, url  # the cards are searched


def test_the_catalogue_and_the_consultation_link_page_1(listed) -> None:
    site, _ = listed
    first = site.url("PROPOSALS", consultation=CONS)
    catalogue = site.url("CATALOGUE")
    links = [
        urljoin("/" + catalogue, a.get("href") or "").lstrip("/")
        for a in page(site.output, catalogue).find("main").find_all("a")
    ]
    assert first in links  # more than CATALOGUE_PROPOSALS: their list, from page 1
    assert not [u for u in links if u.startswith(first) and u != first]
    consultation = site.url("CONSULTATION", slug=CONS)
    card_link = page(site.output, consultation).find("p", cls="card-link").find("a")
    assert urljoin("/" + consultation, card_link.get("href")) == "/" + first


# --- re-rendering --------------------------------------------------------------------------------
def _mark(site: Site) -> None:
    for path in site.output.rglob("*.html"):
        path.write_text(path.read_text(encoding="utf-8") + "<!-- kept -->", encoding="utf-8")


def _written(site: Site) -> set[str]:
    """The consultation's pages (and the home page) written since ``_mark``, new ones too
    (Pelican's own pages, search, catalogue, about…, are written every time)."""
    consultation = site.url("CONSULTATION", slug=CONS)
    return {
        url
        for url in (
            p.relative_to(site.output).as_posix().removesuffix("index.html")
            for p in site.output.rglob("*.html")
        )
        if url.startswith(consultation) or url == ""
        if not (site.output / url / "index.html").read_text("utf-8").endswith("<!-- kept -->")
    }


def test_a_new_proposal_re_renders_the_last_page_and_page_1_only(
    root: Path, tmp_path: Path
) -> None:
    site = Site(root, tmp_path, **LIST)
    data = with_proposals(fixture(), 11)  # 12 with the fixture's: pages of 5, 5 and 2
    site.build(data)
    _mark(site)
    later = with_proposals(data, 1)
    stats = site.build(later)
    first = site.url("PROPOSALS", consultation=CONS)
    new = site.url("PROPOSAL", consultation=CONS, id=later["proposals"][-1]["id"])
    consultation = site.url("CONSULTATION", slug=CONS)
    # page 1 (its count), the last page (the new card), the new proposal's page, and the
    # consultation and home pages (their counts); and the consultation's feed
    assert _written(site) == {first, first + "3/", new, consultation, ""}
    assert stats["rendered"] == 6 and stats["deleted"] == 0
    assert cards(page(site.output, first + "3/"), first + "3/")[-1] == new

    # a new page: every page's links to the pages change
    _mark(site)
    fuller = with_proposals(later, 3)  # 16: a fourth page
    site.build(fuller)
    added = {site.url("PROPOSAL", consultation=CONS, id=p["id"]) for p in fuller["proposals"][-3:]}
    assert _written(site) == {first, first + "2/", first + "3/", first + "4/", *added} | {
        consultation,
        "",
    }

    # fewer proposals: the page number that is gone is deleted
    fewer = copy.deepcopy(fuller)
    fewer["proposals"] = fewer["proposals"][:-2]
    stats = site.build(fewer)
    assert stats["deleted"] == 3  # page 4 and the two proposals' pages
    assert not (site.output / first / "4" / "index.html").exists()
    assert set(list_pages(site)) == {first, first + "2/", first + "3/"}


# --- every page light, whatever the count ---------------------------------------------------------
def test_every_page_of_3000_proposals_stays_light(root: Path) -> None:
    """The longest title, location and organisation name the form takes, bodies past the cut,
    answers, in random words (they compress worse than prose): every page under 100 KiB gzip
    with the stylesheets and the form's script it loads."""
    env, context = _environment(root)
    [consultation] = _scale(consultations=1, texts=1, proposals=3000)
    rng = random.Random(13)
    letters = "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ"
    fields = limits()["fields"]

    def words(length: int) -> str:
        said: list[str] = []
        while len(" ".join(said)) < length:
            said.append("".join(rng.choice(letters) for _ in range(rng.randint(2, 11))))
        return " ".join(said)[:length]

    for p in consultation.proposals:
        p.title = words(fields["title"]["max"])
        p.body = words(600)
        p.location = words(fields["location"]["max"])
        name = words(fields["organisation_name"]["max"])
        p.author = Author("organisation", None, name, "business", name, "Επιχείρηση")
        p.answer = Answer("partly", "Υιοθετείται εν μέρει", "…", "2026-11-25T10:00:00Z")
    header = consultation.header()
    made = list(comment_pages.proposal_list(context, consultation, header))
    assert len(made) == 30
    heaviest, shown = 0, 0
    for (_, url), _data, arguments in made:
        extra = {"consultation": consultation, "page_url": url, **arguments}
        html = env.get_template("proposals.html").render({**context, **extra})
        shown += html.count('class="card"')
        scripts = ("theme/js/forms.js",) if arguments["page_number"] == 1 else ()
        heaviest = max(heaviest, _weight(root, html, scripts))
    print(f"heaviest proposals list page of 3,000: {heaviest} bytes gzip")
    assert shown == 3000 and heaviest <= LIMIT
