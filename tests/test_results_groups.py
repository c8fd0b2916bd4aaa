"""Unique submissions and campaigns on the results page (plugins/results/campaigns.py), built
by real Pelican on the closed consultation of the fixture site with grouped entries: on the
revised text two campaigns (four and two members), a group with one published member (unique)
and single comments; a second text with no group and a reply; two proposals of a campaign and
two comments of one on a proposal. The other numbers keep counting every submission."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader
from site_support import Node
from test_results_pages import API, NOW, RESULTS, _comment, _content, _snapshot, doc
from test_results_stats import fixture_consultation

from chalicelib.sitebuild import build_site
from plugins.greek import FILTERS
from plugins.greek.dates import greek_count as number
from plugins.results.campaigns import Tally, tally
from plugins.results.stats import participation

ROOT = Path(__file__).resolve().parent.parent
CLOSED_PROPOSAL = "01jproposal00000000000002b"  # the fixture's proposal of «kleisti»
SECOND = "deutero-keimeno"
SECOND_TEXT = f"""Title: Δεύτερο κείμενο
Slug: {SECOND}
Kind: general

Πρώτη παράγραφος του δεύτερου κειμένου. {{#deutero-a}}
"""
SAME = "ίδιου ή σχεδόν ίδιου κειμένου"


def member(n: int) -> str:
    return f"01jresult{n:017d}"  # _comment's ids; a group's id is its first member's


# on the revised text («palio-keimeno»): R10–R13 one campaign, R14–R15 another, R16 the only
# published member of its group, R17, R1, R2 and the fixture's comment in no group
GROUPS = {
    **{member(n): member(10) for n in (10, 11, 12, 13)},
    **{member(n): member(14) for n in (14, 15)},
    member(16): member(16),
}
PROPOSALS_GROUP = "01jproposal00000000000003a"


def proposal(n: int, group: str | None) -> dict:
    item = {
        "id": f"01jproposal00000000000003{'abc'[n]}",
        "reference": f"NS-P3{n}",
        "consultation": "kleisti",
        "title": f"Πρόταση εκστρατείας {n}",
        "body": "Ζητάμε περισσότερες λαϊκές αγορές στη γειτονιά μας.",
        "location": None,
        "author": {
            "respondent_type": "citizen",
            "display_name": None,
            "organisation_name": None,
            "organisation_type": None,
        },
        "created_at": f"2026-01-2{n}T10:00:00Z",
        "approved_at": "2026-01-31T10:00:00Z",
        "answer": None,
        "participant": f"{900 + n:016x}",
    }
    return item | ({"group": group} if group else {})


def regroup(path: Path, groups: dict[str, str | None]) -> dict:
    """The snapshot at ``path`` with these comments' groups (None: in none), written back."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for item in data["comments"]:
        if item["id"] in groups:
            item.pop("group", None)
            item |= {"group": groups[item["id"]]} if groups[item["id"]] else {}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return data


def grouped_snapshot(tmp: Path, content: Path) -> Path:
    """The results fixture (tests/test_results_pages.py) with the groups above."""
    path = _snapshot(tmp, content, extra=8)  # R10–R17 on the revised text
    data = regroup(path, dict(GROUPS))
    data["comments"] += [
        _comment(100, "deutero-a", None, text=SECOND),
        _comment(101, "deutero-a", None, text=SECOND, parent=member(100)),  # a reply: no group
        _comment(102, "deutero-a", None, text=SECOND),
    ]
    on_proposal = {"text": None, "proposal": CLOSED_PROPOSAL, "group": member(110)}
    data["comments"] += [_comment(n, None, None, **on_proposal) for n in (110, 111)]
    data["proposals"] += [proposal(0, PROPOSALS_GROUP), proposal(1, PROPOSALS_GROUP)]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def build(root: Path, tmp: Path, **settings: Any) -> tuple[Path, dict[str, Any]]:
    """The grouped fixture built; the output and build_site's arguments."""
    content = _content(tmp)
    snapshot = grouped_snapshot(tmp, content)  # reads the revised text as the first
    (content / "consultations" / "kleisti" / "deutero.md").write_text(SECOND_TEXT, "utf-8")
    kwargs = {"snapshot": snapshot, "api_url": API, "now": NOW, "content": content}
    build_site(root, tmp / "output", settings=settings, **kwargs)
    return tmp / "output", kwargs


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    return build(root, tmp_path_factory.mktemp("results-groups"))[0]


def words(node: Node) -> str:
    return " ".join(node.text().split())


def campaigns_table(results: Node) -> dict[str, list[str]]:
    """The campaigns' table: each row's label → its comments and proposals."""
    section = results.by_id("symmetochi")
    table = next(t for t in section.find_all("table") if "εκστρατείες" in t.find("caption").text())
    assert [words(th) for th in table.find("thead").find_all("th")] == [
        "Υποβολές",
        "Σχόλια",
        "Προτάσεις",
    ]
    return {
        words(row.find("th")): [words(td) for td in row.find_all("td")]
        for row in table.find("tbody").find_all("tr")
    }


def per_text(results: Node) -> dict[str, str]:
    """The list after «Τα σχόλια ανά κείμενο»: each text (and the proposals) → its sentence."""
    heading = results.by_id("ekstrateies-ana-keimeno")
    siblings = [n for n in heading.parent.children if isinstance(n, Node)]
    listed = siblings[siblings.index(heading) + 1]
    assert listed.tag == "dl"
    return dict(
        zip(
            [words(dt) for dt in listed.find_all("dt")],
            [words(dd) for dd in listed.find_all("dd")],
            strict=True,
        )
    )


def test_the_page_counts_unique_and_campaign_submissions(built: Path) -> None:
    results = doc(built / RESULTS / "index.html")
    section = results.by_id("symmetochi")
    heading = section.by_id("ekstrateies")
    assert words(heading) == "Αυτοτελείς υποβολές και εκστρατείες"
    said = words(section)
    # 11 on the revised text (5 unique, 6 in two campaigns), 3 on the second text (a reply
    # included), 2 on the proposal (one campaign)
    assert (
        f"Από τα 16 σχόλια, 8 είναι αυτοτελή και 8 προέρχονται από 3 ομάδες {SAME} (εκστρατείες)."
    ) in said
    proposals = f"Από τις 3 προτάσεις, 1 είναι αυτοτελής και 2 προέρχονται από 1 ομάδα {SAME}"
    assert f"{proposals} (εκστρατεία)." in said
    assert campaigns_table(results) == {
        "Σύνολο": ["16", "3"],
        "Αυτοτελείς": ["8", "1"],
        "Από εκστρατείες": ["8", "2"],
        "Εκστρατείες (ομάδες)": ["3", "1"],
    }
    assert per_text(results) == {
        "Δεύτερο κείμενο": "Και τα 3 σχόλια είναι αυτοτελή.",
        "Παλιό κείμενο": f"Από τα 11 σχόλια, 5 είναι αυτοτελή και 6 προέρχονται από 2 ομάδες "
        f"{SAME} (εκστρατείες).",
        "Σχόλια σε προτάσεις": f"Από τα 2 σχόλια, κανένα δεν είναι αυτοτελές και 2 προέρχονται "
        f"από 1 ομάδα {SAME} (εκστρατεία).",
    }
    assert "κάθε μέλος μιας εκστρατείας ως χωριστό συμμετέχοντα" in said


def test_each_text_says_how_many_of_its_comments_came_from_campaigns(built: Path) -> None:
    results = doc(built / RESULTS / "index.html")
    revised = words(results.by_id("palio-keimeno"))
    assert f"Από τα 11 σχόλια, 5 είναι αυτοτελή και 6 προέρχονται από 2 ομάδες {SAME}" in revised
    assert "εκστρατεί" not in words(results.by_id(SECOND))  # none there: nothing said
    proposals = f"Από τις 3 προτάσεις, 1 είναι αυτοτελής και 2 προέρχονται από 1 ομάδα {SAME}"
    assert proposals in words(results.by_id("oi-protaseis"))


def test_a_campaign_changes_no_other_number(built: Path) -> None:
    """Every submission is still counted, and each member of a campaign is a participant."""
    results = doc(built / RESULTS / "index.html")
    facts = words(results.by_id("symmetochi").find("dl"))
    # the fixture's comment and proposal (no participant: one each), then 10 comments on the
    # revised text, 3 on the second, 2 on the proposal and 2 proposals, each its own person's
    assert "Συμμετέχοντες 19" in facts and "Σχόλια 16" in facts and "Προτάσεις 3" in facts
    per_text = next(
        t for t in results.by_id("symmetochi").find_all("table")
        if words(t.find("caption")) == "Σχόλια ανά κείμενο"
    )  # fmt: skip
    assert "Παλιό κείμενο 11" in words(per_text)


def test_a_group_with_one_published_member_is_unique(built: Path, root: Path) -> None:
    consultation = fixture_consultation()  # the open one: its text has 5 comments
    comments = {c.id[-2:]: c for c in consultation.texts[0].comments}
    assert participation(consultation).campaigns.comments.groups == 0
    comments["1a"].group = comments["3c"].group = "01jgroup000000000000000001"
    comments["4d"].group = "01jgroup000000000000000002"  # its other members not published
    counted = participation(consultation)
    assert counted.texts[0].campaigns == Tally(total=5, unique=3, campaign=2, groups=1)
    assert counted.campaigns.comments == Tally(total=7, unique=5, campaign=2, groups=1)
    assert counted.totals.submissions == 8  # unchanged
    # on the built page: R16 alone in its group is among the revised text's 5 unique ones
    revised = per_text(doc(built / RESULTS / "index.html"))["Παλιό κείμενο"]
    assert revised.startswith("Από τα 11 σχόλια, 5 είναι αυτοτελή και 6 προέρχονται")


def test_a_group_reaches_no_further_than_its_target() -> None:
    """The same group id on two targets (never made so) is two groups of one: unique."""
    consultation = fixture_consultation()
    ours, theirs = consultation.texts[0].comments[0], consultation.proposals[0].comments[0]
    ours.group = theirs.group = "01jgroup000000000000000001"
    assert participation(consultation).campaigns.comments.groups == 0
    assert tally([[ours, theirs]]).groups == 1


def test_pages_cut_per_text_say_it_too_and_follow_a_change_of_group(
    tmp_path: Path, root: Path
) -> None:
    """A large consultation's page per text says it under its title; a group that changes
    re-renders the pages that count it (their fingerprints hold the counts)."""
    output, kwargs = build(root, tmp_path, RESULTS_PAGE_BYTES=4000)
    text_page = output / RESULTS / "palio-keimeno" / "index.html"
    main = output / RESULTS / "index.html"
    sentence = f"Από τα 11 σχόλια, 5 είναι αυτοτελή και 6 προέρχονται από 2 ομάδες {SAME}"
    assert sentence in words(doc(text_page))
    assert build_site(root, output, settings={"RESULTS_PAGE_BYTES": 4000}, **kwargs).stats[
        "rendered"
    ] == 0  # fmt: skip

    # R14 and R15 leave their group (split by staff): one campaign of four is left
    regroup(kwargs["snapshot"], {member(14): None, member(15): None})
    build_site(root, output, settings={"RESULTS_PAGE_BYTES": 4000}, **kwargs)
    after = f"Από τα 11 σχόλια, 7 είναι αυτοτελή και 4 προέρχονται από 1 ομάδα {SAME}"
    assert after in words(doc(text_page))
    assert per_text(doc(main))["Παλιό κείμενο"].startswith(after)
    assert campaigns_table(doc(main))["Εκστρατείες (ομάδες)"] == ["2", "1"]


@pytest.mark.parametrize(
    ("tally_", "kind", "expected"),
    [
        (
            Tally(1234, 900, 334, 3),
            "comments",
            f"Από τα 1.234 σχόλια, 900 είναι αυτοτελή και 334 προέρχονται από 3 ομάδες {SAME} "
            "(εκστρατείες).",
        ),
        (
            Tally(12, 1, 11, 1),
            "comments",
            f"Από τα 12 σχόλια, 1 είναι αυτοτελές και 11 προέρχονται από 1 ομάδα {SAME} "
            "(εκστρατεία).",
        ),
        (
            Tally(4, 0, 4, 2),
            "proposals",
            f"Από τις 4 προτάσεις, καμία δεν είναι αυτοτελής και 4 προέρχονται από 2 ομάδες "
            f"{SAME} (εκστρατείες).",
        ),
        (Tally(5, 5, 0, 0), "proposals", "Και οι 5 προτάσεις είναι αυτοτελείς."),
        (Tally(1, 1, 0, 0), "comments", "Το 1 σχόλιο είναι αυτοτελές."),
        (Tally(2000, 2000, 0, 0), "comments", "Και τα 2.000 σχόλια είναι αυτοτελή."),
    ],
)
def test_the_sentence_in_greek(tally_: Tally, kind: str, expected: str) -> None:
    assert tally_.sentence(kind) == expected


def test_the_table_writes_counts_the_greek_way() -> None:
    """Babel's grouping (1.234) in the campaigns' table, as in the sentence and the charts."""
    assert number(1234) == "1.234" and number(12) == "12"
    env = Environment(loader=FileSystemLoader(ROOT / "theme" / "templates"), autoescape=True)
    env.filters.update(FILTERS | {"greek_count": number})
    macros = env.get_template("_results.html").make_module({"SITEURL": ""})
    counted = participation(fixture_consultation())
    big = Tally(12345, 10000, 2345, 17)
    counted = replace(counted, campaigns=replace(counted.campaigns, comments=big))
    html = str(macros.campaigns(counted))
    row = '<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{}</td></tr>'
    assert row.format("Σύνολο", "12.345", 1) in html  # the fixture's one proposal
    assert row.format("Αυτοτελείς", "10.000", 1) in html
    assert row.format("Από εκστρατείες", "2.345", 0) in html
    assert "Από τα 12.345 σχόλια, 10.000 είναι αυτοτελή και 2.345 προέρχονται από 17" in html
