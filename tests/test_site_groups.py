"""Groups of near-identical submissions (a campaign's letter; plugins/submissions/groups.py) are
published once: the representative's text, «Το ίδιο ή σχεδόν το ίδιο κείμενο υπέβαλαν N
συμμετέχοντες», the names members chose to publish and each member's own added sentences, with
every member's address kept and every count unchanged; a campaign of 2,500 stays within the page
budget, every member reachable by plain links; a group of proposals is one card, each member's
page saying so. Real Pelican on a copy of the tiny fixture site, with campaigns generated here."""

from __future__ import annotations

import copy
import gzip
import json
import random
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from site_support import FIXTURE_SITE, Node, page
from test_site_comment_pages import CONS, PARAGRAPH, PROPOSAL, TEXT, Site, comment
from test_site_proposal_pages import proposal

from chalicelib.links import comment_bucket
from chalicelib.text import added, sentence_forms
from plugins.consultations.comment_pages import paginate
from plugins.consultations.models import Author, Comment
from plugins.submissions.groups import fold

LIMIT = 100 * 1024  # gzip bytes of a page with its stylesheets (the design's budget)
LETTER = (
    "Ζητάμε να μείνει η πλατεία χωρίς αυτοκίνητα. Θέλουμε περισσότερο πράσινο και σκιά για "
    "τα παιδιά. Ευχαριστούμε."
)
SAID = "Ζητάμε να μείνει η πλατεία χωρίς αυτοκίνητα."  # one of the letter's sentences
SHADE = "Προσθέτουμε ότι χρειάζεται σκίαση στη στάση."
BENCHES = "Και περισσότερα παγκάκια!"
GROUP = "01jgroupletter0000000001"  # five members on §1
LONE = "01jgrouplone000000000001"  # one approved member: an ordinary comment
ON_PROPOSAL = "01jgrouponproposal000001"  # two comments on the proposal
PROPOSALS = "01jgroupproposals0000001"  # three proposals
BIG = "01jgroupbig0000000000001"


def cid(n: int) -> str:
    return comment(n)["id"]


def member(n: int, group: str, extra: str = "", name: str | None = None, **where: Any):
    """Comment ``n`` of ``group``: the letter, ``extra`` added, by ``name`` (None: anonymous;
    ``org``: an organisation's name)."""
    org = where.pop("org", None)
    item = comment(n, body=f"{LETTER} {extra}".strip(), **where)
    item["group"] = group
    item["author"]["display_name"] = name
    if org:
        item["author"] = {
            "respondent_type": "organisation",
            "display_name": None,
            "organisation_name": org,
            "organisation_type": "association",
        }
    return item


def campaign() -> dict[str, Any]:
    """The fixture snapshot plus: on §1 a group of five (a named citizen first, an organisation
    that added a sentence, an anonymous member with nothing of its own, an anonymous one that
    added a sentence, a named one who only re-punctuated a sentence and got a reply); on the
    whole text the only approved member of a group; two comments of a group on the proposal;
    three near-identical proposals."""
    data = json.loads((FIXTURE_SITE / "snapshot.json").read_text(encoding="utf-8"))
    on = {"paragraph": PARAGRAPH}
    data["comments"] += [
        member(1, GROUP, name="Ανδρέας Α.", **on),
        member(2, GROUP, SHADE, org="Σύλλογος Κατοίκων Πλατείας", **on),
        member(3, GROUP, **on),
        member(4, GROUP, BENCHES, **on),
        member(5, GROUP, "ΖΗΤΑΜΕ, να μείνει η πλατεία χωρίς αυτοκίνητα!", "Βασιλική Β.", **on),
        comment(6, parent=cid(5), paragraph=PARAGRAPH, body="Συμφωνώ μαζί σας, Βασιλική."),
        member(7, LONE, "Μόνο εγώ το έστειλα εγκεκριμένο.", "Μοναχικός Π."),
        member(8, ON_PROPOSAL, name="Πρώτος Π.", proposal=PROPOSAL),
        member(9, ON_PROPOSAL, "Και ποδήλατα για παιδιά.", proposal=PROPOSAL),
    ]
    for n, (name, extra) in enumerate(
        [("Ελένη Ε.", ""), (None, "Επίσης φωτισμός στη διαδρομή."), (None, "")], start=1
    ):
        item = proposal(n)
        item.update(title=f"Δίκτυο ποδηλατοδρόμων {n}", body=f"{LETTER} {extra}".strip())
        item["group"] = PROPOSALS
        item["author"]["display_name"] = name
        data["proposals"].append(item)
    return data


def ungrouped(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for item in data["comments"] + data["proposals"]:
        item.pop("group", None)
    return data


@pytest.fixture(scope="module")
def grouped(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Site:
    site = Site(root, tmp_path_factory.mktemp("groups"))
    site.build(campaign())
    return site


def comments_url(site: Site, target: str = PARAGRAPH) -> str:
    return site.url("COMMENTS", consultation=CONS, slug=TEXT, target=target)


def main(site: Site, url: str) -> Node:
    return page(site.output, url).find("main")


def ids(node: Node) -> list[str]:
    """The comment anchors in ``node`` (entries and references alike), in order."""
    return [
        n.get("id")[len("sxolio-") :]
        for n in node.iter()
        if re.match(r"sxolio-", n.get("id") or "")
    ]


def classed(node: Node, cls: str) -> list[Node]:
    return node.find_all(cls=cls)


# --- a group of comments, published once ------------------------------------------------------
def test_a_group_is_one_block_with_its_count_names_and_own_sentences(grouped: Site) -> None:
    doc = main(grouped, comments_url(grouped))
    [block] = classed(doc, "group")
    first = doc.by_id(f"sxolio-{cid(1)}")
    assert block in list(first.iter())  # on its representative, the earliest member
    tops = [li for li in doc.find("ol", cls="comments").children if isinstance(li, Node)]
    assert [li.get("id") for li in tops] == [
        f"sxolio-{c}" for c in ("01jcomment000000000000001a", cid(1))
    ]
    assert first.find("p", cls="meta").text().startswith("Ανδρέας Α.")
    assert doc.text().count("Θέλουμε περισσότερο πράσινο") == 1  # the letter once
    count = block.find("p", cls="group-count").text()
    assert count == (
        "Το ίδιο ή σχεδόν το ίδιο κείμενο υπέβαλαν 5 συμμετέχοντες "
        "(με όνομα ή επωνυμία: 3 · ανώνυμα: 2)"
    )
    entries = [li for li in block.find("ol", cls="group-members").children if isinstance(li, Node)]
    authors = [li.find("p", cls="meta").find("span", cls="author").text() for li in entries]
    assert authors == ["Σύλλογος Κατοίκων Πλατείας", "Ανώνυμος πολίτης", "Βασιλική Β."]
    own = {li.get("id"): [q.text() for q in li.find_all("blockquote")] for li in entries}
    assert own == {
        f"sxolio-{cid(2)}": [SHADE],
        f"sxolio-{cid(4)}": [BENCHES],  # an anonymous member's words, under «Ανώνυμος πολίτης»
        f"sxolio-{cid(5)}": [],  # «ΖΗΤΑΜΕ, …!» is the letter's sentence: nothing of its own
    }
    for sentence in (SHADE, BENCHES):
        assert doc.text().count(sentence) == 1
    # the anonymous member with nothing of its own: counted, shown by its reference only
    unnamed = block.find("p", cls="group-unnamed")
    assert ids(unnamed) == [cid(3)] and "NS-P00003" in unnamed.text()
    assert block.text().count("Ανώνυμος πολίτης") == 1


def test_every_member_keeps_its_address_and_replies_to_members_are_shown(grouped: Site) -> None:
    url = comments_url(grouped)
    doc = main(grouped, url)
    first = doc.by_id(f"sxolio-{cid(1)}")
    assert {cid(1), *ids(first)} == {cid(n) for n in range(1, 7)}  # every member, the reply
    reply = doc.by_id(f"sxolio-{cid(6)}")
    assert doc.by_id(f"sxolio-{cid(5)}") in list(reply.ancestors())  # under its member
    assert "Συμφωνώ μαζί σας, Βασιλική." in reply.text()
    for n in range(1, 7):  # the e-mails' link: the finder, then the page of the group
        finder = grouped.url("COMMENT_FIND", consultation=CONS, bucket=comment_bucket(cid(n)))
        row = page(grouped.output, finder).by_id(f"sxolio-{cid(n)}")
        href = urljoin("/" + finder, row.find("a").get("href"))
        assert href == f"/{url}#sxolio-{cid(n)}"


def test_a_group_with_one_approved_member_is_an_ordinary_comment(grouped: Site) -> None:
    doc = main(grouped, comments_url(grouped, grouped.settings["COMMENTS_WHOLE"]))
    lone = doc.by_id(f"sxolio-{cid(7)}")
    assert lone.parent.parent.tag == "section"  # a thread of its own
    assert "Μόνο εγώ το έστειλα εγκεκριμένο." in lone.find("div", cls="comment").text()
    assert not classed(doc, "group") and "υπέβαλαν" not in doc.text()


def test_a_group_of_comments_on_a_proposal_is_one_block(grouped: Site) -> None:
    doc = main(grouped, grouped.url("PROPOSAL", consultation=CONS, id=PROPOSAL))
    [block] = classed(doc, "group")
    assert "υπέβαλαν 2 συμμετέχοντες" in block.text()
    assert ids(block) == [cid(9)] and "Και ποδήλατα για παιδιά." in block.text()
    assert "Σχόλια στην πρόταση (4)" in doc.text()  # the fixture's two and the group's two


def _counts(site: Site) -> dict[str, Any]:
    text, listing = main(site, site.text_url), main(site, site.url("PROPOSALS", consultation=CONS))
    opendata = site.output / site.url("OPENDATA_FILE", slug=CONS, ext="json")
    rows = json.loads(opendata.read_bytes())
    feed = (site.output / site.url("CONSULTATION_FEED", slug=CONS)).read_text(encoding="utf-8")
    consultation = main(site, site.url("CONSULTATION", slug=CONS))
    on_proposal = main(site, site.url("PROPOSAL", consultation=CONS, id=PROPOSAL))
    catalogue = main(site, site.url("CATALOGUE"))
    return {
        "home": page(site.output, "").find_all("li", cls="card")[0].text(),
        "consultation": [p.text() for p in consultation.find_all("p", cls="counts")],
        "text": re.findall(r"δημοσιευμένων σχολίων: \d+|Σχόλια στην §\d \(\d+\)", text.text()),
        "proposal": re.findall(r"Σχόλια στην πρόταση \(\d+\)", on_proposal.text()),
        "proposals": listing.find("p", cls="counts").text().split(".")[0],
        "catalogue": re.findall(r"Προτάσεις \(\d+\)", catalogue.text()),
        "opendata": sorted(row["id"] for row in rows["comments"] + rows["proposals"]),
        "feed": feed.count("<entry>"),
    }  # fmt: skip


def test_counts_count_every_member(grouped: Site, root: Path, tmp_path: Path) -> None:
    plain = Site(root, tmp_path)
    plain.build(ungrouped(campaign()))
    counts = _counts(grouped)
    assert counts == _counts(plain)
    assert "δημοσιευμένων σχολίων: 12" in counts["text"]  # the fixture's 5, our 7
    assert "Σχόλια στην §1 (8)" in counts["text"]
    assert counts["proposals"] == "4 δημοσιευμένες προτάσεις"  # the fixture's one, our three


# --- a group of proposals: one card; each member's page says so ------------------------------
def test_proposals_are_grouped_in_the_list_and_each_member_names_its_group(grouped: Site) -> None:
    listing = main(grouped, grouped.url("PROPOSALS", consultation=CONS))
    cards = listing.find_all("li", cls="card")
    titles = [c.find("h2").text() for c in cards]
    assert titles == ["Ποδηλατόδρομος στη λεωφόρο", "Δίκτυο ποδηλατοδρόμων 1"]  # the group once
    assert "υπέβαλαν 3 συμμετέχοντες" in cards[1].text()
    group_url = grouped.url("PROPOSALS_GROUP", consultation=CONS, group=PROPOSALS)
    link = cards[1].find("p", cls="group-more").find("a").get("href")
    assert urljoin("/" + grouped.url("PROPOSALS", consultation=CONS), link) == "/" + group_url
    members = [proposal(n)["id"] for n in (1, 2, 3)]
    urls = [grouped.url("PROPOSAL", consultation=CONS, id=p) for p in members]
    group = main(grouped, group_url)
    linked = {urljoin("/" + group_url, a.get("href")).lstrip("/") for a in group.find_all("a")}
    assert set(urls[1:]) <= linked  # each member's own page, from the group's
    assert group.text().count("Επίσης φωτισμός στη διαδρομή.") == 1
    assert "NS-L00003" in group.find("p", cls="group-unnamed").text()  # anonymous: counted
    for url in urls:
        note = main(grouped, url).find("p", cls="group-note")
        assert note.text().startswith("Ανήκει σε ομάδα 3 σχεδόν ίδιων προτάσεων.")
        hrefs = [urljoin("/" + url, a.get("href")).lstrip("/") for a in note.find_all("a")]
        assert group_url in hrefs and (url == urls[0] or urls[0] in hrefs)  # the first one
    catalogue = page(grouped.output, grouped.url("CATALOGUE")).text()
    assert "Δίκτυο ποδηλατοδρόμων 1" in catalogue and "Δίκτυο ποδηλατοδρόμων 2" not in catalogue
    assert "και 2 σχεδόν ίδιες προτάσεις" in catalogue


# --- a campaign of 2,500 --------------------------------------------------------------------
def weight(output: Path, url: str) -> int:
    html = (output / url / "index.html").read_bytes()
    css = output / "theme" / "css"
    sheets = [css / name for name in ("govgr.css", "site.css", "print.css")]
    return len(gzip.compress(html, 9)) + sum(len(gzip.compress(s.read_bytes(), 9)) for s in sheets)


@pytest.fixture(scope="module")
def big(root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, dict[str, str]]:
    """2,500 copies of the letter on the whole text, each with a sentence of its own in random
    words (they compress worse than prose), two in three anonymous: member id → its sentence."""
    rng = random.Random(25)
    letters = "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ"
    data = json.loads((FIXTURE_SITE / "snapshot.json").read_text(encoding="utf-8"))
    own = {}
    for n in range(1, 2501):
        words = " ".join(
            "".join(rng.choice(letters) for _ in range(rng.randint(2, 11))) for _ in range(14)
        )
        item = member(n, BIG, words.capitalize() + ".", f"Πολίτης {n}" if n % 3 == 0 else None)
        data["comments"].append(item)
        own[item["id"]] = words.capitalize() + "."
    site = Site(root, tmp_path_factory.mktemp("big"))
    site.build(data)
    return site, own


def test_a_campaign_of_2500_stays_light_with_every_member_reachable(big) -> None:
    site, own = big
    start = comments_url(site, site.settings["COMMENTS_WHOLE"])
    seen, queue, anchors, texts = {start}, [start], [], []
    while queue:  # every page reachable from the first by plain links, none over the budget
        url = queue.pop()
        doc = page(site.output, url)
        assert weight(site.output, url) <= LIMIT, url
        assert not doc.find_all("script"), url
        anchors += ids(doc.find("main"))
        texts.append(doc.find("main").text())
        for a in doc.find_all("a"):
            target = urljoin("/" + url, a.get("href") or "").split("#")[0].lstrip("/")
            if target.startswith(start) and target not in seen:
                seen.add(target)
                queue.append(target)
    members = [m for m in anchors if m in own]
    assert sorted(members) == sorted(own)  # every member, once
    assert len(seen) > 10  # the group's own pages
    everything = "\n".join(texts)
    for sentence in own.values():
        assert everything.count(sentence) == 1
    assert "υπέβαλαν 2.500 συμμετέχοντες" in everything  # Greek digit grouping (Babel)
    text = main(site, site.text_url).text()
    assert "Σύνολο δημοσιευμένων σχολίων: 2505." in text  # each one counted


# --- the paginator counts a block's real size -----------------------------------------------
def _c(n: int, group: str | None = None, body: str = LETTER, named: bool = False) -> Comment:
    who = Author("citizen", "Όνομα" if named else None, None, None, "Όνομα" if named else "", "")
    return Comment(
        f"c{n:04d}", "", body, who, None, None, f"2026-01-01T00:{n:02d}", "", group=group
    )


def test_a_block_weighs_its_first_part_on_its_page() -> None:
    threads = [_c(0, "g"), *[_c(n, "g", f"{LETTER} Πρόσθετο {n}.") for n in range(1, 7)]]
    threads += [_c(10), _c(11)]
    fold(threads)
    shown = [t for t in threads if t.representative is None]
    assert [t.id for t in shown] == ["c0000", "c0010", "c0011"] and threads[0].fold
    threads[0].fold.split((50, 10_000), (100, 10_000))
    pages = paginate(shown, 4, 10_000)
    assert [[t.id for t in p] for p in pages] == [["c0000"], ["c0010", "c0011"]]  # 7 shown
    threads[0].fold.split((2, 10_000), (4, 10_000))  # its first part: 2 members, then 4
    assert [len(p.members) for p in threads[0].fold.parts] == [2, 4]
    pages = paginate(shown, 4, 10_000)  # 3 shown: the next thread joins it, not the one after
    assert [[t.id for t in p] for p in pages] == [["c0000", "c0010"], ["c0011"]]
    threads[0].fold.split((50, 30), (100, 10_000))  # the characters of its added sentences
    assert [len(p.members) for p in threads[0].fold.parts] == [2, 4]


def test_what_a_member_added_is_what_the_first_lacks() -> None:
    have = sentence_forms(LETTER)
    assert added(have, LETTER.upper().replace(".", "!")) == []  # accents, case, punctuation
    assert added(have, f"Καλημέρα. {LETTER}\n{BENCHES}\n{BENCHES}") == ["Καλημέρα.", BENCHES]
    lone = [_c(0, "g"), _c(1, "h"), _c(2)]
    fold(lone)
    assert all(c.fold is None and c.representative is None for c in lone)  # one each: none


# --- a change of membership re-renders what shows it ------------------------------------------
def test_a_change_of_membership_re_renders_the_pages_that_show_it(
    root: Path, tmp_path: Path
) -> None:
    site = Site(root, tmp_path)
    data = campaign()
    site.build(data)

    def mark() -> None:
        for path in site.output.rglob("*.html"):
            path.write_text(path.read_text("utf-8") + "<!-- kept -->", encoding="utf-8")

    def kept(url: str) -> bool:
        return (site.output / url / "index.html").read_text("utf-8").endswith("<!-- kept -->")

    # a new member joins: only its group's block shows it (and the count on every member page)
    mark()
    later = copy.deepcopy(data)
    later["comments"].append(member(10, GROUP, "Νέο μέλος, νέα πρόταση.", paragraph=PARAGRAPH))
    joined = proposal(4)
    joined.update(group=PROPOSALS, body=LETTER, title="Δίκτυο ποδηλατοδρόμων 4")
    later["proposals"].append(joined)
    site.build(later)
    assert not kept(comments_url(site))
    block = main(site, comments_url(site)).find(cls="group")
    assert "υπέβαλαν 6 συμμετέχοντες" in block.text() and cid(10) in ids(block)
    assert "Νέο μέλος, νέα πρόταση." in block.text()
    second = site.url("PROPOSAL", consultation=CONS, id=proposal(2)["id"])
    assert not kept(second)  # its note counts the new member
    assert "Ανήκει σε ομάδα 4 σχεδόν ίδιων προτάσεων." in main(site, second).text()
    assert not kept(site.url("PROPOSALS_GROUP", consultation=CONS, group=PROPOSALS))
    assert kept(site.url("PROPOSAL", consultation=CONS, id=PROPOSAL))  # no group: left be

    # a member leaves (staff split it out): an ordinary comment again, the block one fewer
    mark()
    [left] = [c for c in later["comments"] if c["id"] == cid(3)]
    left.pop("group")
    site.build(later)
    doc = main(site, comments_url(site))
    assert not kept(comments_url(site))
    assert "υπέβαλαν 5 συμμετέχοντες" in doc.find(cls="group").text()
    assert doc.by_id(f"sxolio-{cid(3)}").parent.parent.tag == "section"  # a thread of its own


# --- valid HTML, accessible ---------------------------------------------------------------------
def _pages(grouped: Site, big: tuple[Site, dict[str, str]]) -> list[tuple[Site, str]]:
    site, _ = big
    whole = site.settings["COMMENTS_WHOLE"]
    part = site.url(
        "COMMENTS_GROUP", consultation=CONS, slug=TEXT, target=whole, group=BIG, part="2"
    )
    return [
        (grouped, comments_url(grouped)),
        (grouped, grouped.text_url),
        (grouped, grouped.url("PROPOSALS", consultation=CONS)),
        (grouped, grouped.url("PROPOSALS_GROUP", consultation=CONS, group=PROPOSALS)),
        (grouped, grouped.url("PROPOSAL", consultation=CONS, id=proposal(2)["id"])),
        (grouped, grouped.url("PROPOSAL", consultation=CONS, id=PROPOSAL)),
        (grouped, grouped.url("CATALOGUE")),
        (site, comments_url(site, whole)),
        (site, part),
    ]  # fmt: skip


@pytest.mark.xdist_group("browser")
def test_group_pages_are_valid_html(grouped: Site, big, tmp_path: Path) -> None:
    from browser import assert_nu_clean

    folder = tmp_path / "pages"
    folder.mkdir()
    for n, (site, url) in enumerate(_pages(grouped, big)):
        shutil.copy(site.output / url / "index.html", folder / f"{n}.html")
    assert_nu_clean(folder, "<!DOCTYPE html><html lang=el><title>x</title><p><div></div></p>")


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_axe_finds_nothing_on_group_pages(grouped: Site, big) -> None:
    from browser import axe_violations, chromium, local_context, preload_axe, serve

    found = {}
    with chromium() as browser, local_context(browser) as context:
        tab = preload_axe(context).new_page()
        for site in (grouped, big[0]):
            with serve(site.output) as served:
                for owner, url in _pages(grouped, big):
                    if owner is site:  # at a member's anchor: the :target highlight too
                        tab.goto(f"{served.url}/{url}#sxolio-{cid(4)}")
                        if violations := axe_violations(tab):
                            found[url] = violations
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
