"""The participation numbers of a results page (plugins/results/stats.py), on the fixture site's
open consultation and its snapshot, counted by hand from tests/fixtures/site/snapshot.json, and
on small consultations built here for what the fixture does not have (empty days, midnight)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path

import pytest

from chalicelib.clock import ATHENS
from chalicelib.spec import limits
from plugins.consultations.models import Author, Consultation, Proposal
from plugins.consultations.paragraphs import Paragraph
from plugins.results import stats
from plugins.results.stats import GONE, WHOLE_TEXT, ParagraphRow, participation

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "fixtures" / "site"
HASHES = ("a1b2c3d4e5f60718", "0f0e0d0c0b0a0908")  # the snapshot's two participant hashes


def fixture_consultation() -> Consultation:
    """«Πράσινο και Ευαγγελίστρια» with the snapshot's approved comments and proposals: on the
    text «Ανάπλαση πλατείας» five comments (one reply), on the one proposal two (one reply)."""
    from pelican.settings import read_settings

    from plugins.consultations.reader import read_consultation
    from plugins.submissions.snapshot import attach

    settings = read_settings(str(ROOT / "pelicanconf.py"))
    consultation = read_consultation(settings, SITE / "content" / "consultations" / "anoichti")
    attach([consultation], json.loads((SITE / "snapshot.json").read_text(encoding="utf-8")))
    return consultation


def bare(proposals: Sequence[Proposal] = ()) -> Consultation:
    """A consultation without texts, with these proposals."""
    consultation = Consultation(
        slug="dokimi",
        title="Δοκιμή",
        summary="",
        theme="",
        opens=datetime(2026, 11, 1, 9, tzinfo=ATHENS),
        closes=datetime(2026, 12, 1, 9, tzinfo=ATHENS),
        order=1,
        content="",
        source="dokimi/index.md",
        url="dokimi/",
    )
    consultation.proposals = list(proposals)
    return consultation


def author(kind: str = "citizen", org_type: str | None = None) -> Author:
    return Author(kind, None, None, org_type, "Ανώνυμος", "")


def proposal(
    pid: str, created_at: str, who: str | None = None, by: Author | None = None
) -> Proposal:
    return Proposal(
        id=pid,
        reference=f"NS-{pid}",
        title="Πρόταση",
        body="",
        location=None,
        author=by or author(),
        created_at=created_at,
        approved_at=created_at,
        participant=who,
    )


def test_totals_on_the_fixture() -> None:
    totals = participation(fixture_consultation()).totals
    assert (totals.comments, totals.proposals, totals.submissions) == (7, 1, 8)
    # "a1b2…" wrote two comments, "0f0e…" one; the five items without a hash count one each
    assert totals.participants == 7


def test_a_shared_hash_counts_once_and_a_missing_one_counts_each_item() -> None:
    consultation = fixture_consultation()
    items = [c for t in consultation.texts for c in t.comments]
    items += [*consultation.proposals, *consultation.proposals[0].comments]
    for item in items:
        item.participant = None
    assert participation(consultation).totals.participants == 8
    for item in items:
        item.participant = "same-person"
    assert participation(consultation).totals.participants == 1


def test_respondent_types_with_labels_in_limits_order(monkeypatch: pytest.MonkeyPatch) -> None:
    consultation = fixture_consultation()
    rows = participation(consultation).respondent_types
    labels = limits()["respondent_types"]
    assert [r.code for r in rows] == list(labels)
    assert [(r.label, r.submissions, r.participants) for r in rows] == [
        (labels["citizen"], 6, 5),  # "a1b2…" twice, four items without a hash
        (labels["organisation"], 2, 2),
    ]
    reordered = limits() | {"respondent_types": dict(reversed(labels.items()))}
    monkeypatch.setattr(stats, "limits", lambda: reordered)
    rows = participation(consultation).respondent_types
    assert [r.code for r in rows] == ["organisation", "citizen"]


def test_organisations_by_type_skip_types_without_submissions() -> None:
    rows = participation(fixture_consultation()).organisation_types
    labels = limits()["organisation_types"]
    assert [(r.code, r.label, r.submissions) for r in rows] == [
        ("association", labels["association"], 1),
        ("union", labels["union"], 1),
    ]
    later = [  # limits.json order, not the order they came in; no type or a citizen: not counted
        proposal("p1", "2026-11-02T10:00:00Z", by=author("organisation", "ngo")),
        proposal("p2", "2026-11-02T10:00:00Z", by=author("organisation", "union")),
        proposal("p6", "2026-11-02T10:00:00Z", by=author("organisation", "business")),
        proposal("p3", "2026-11-02T10:00:00Z", by=author("organisation", "ngo")),
        proposal("p4", "2026-11-02T10:00:00Z", by=author("organisation", None)),
        proposal("p5", "2026-11-02T10:00:00Z", by=author("citizen", "union")),
    ]
    rows = participation(bare(proposals=later)).organisation_types
    assert [(r.code, r.submissions) for r in rows] == [("union", 1), ("business", 1), ("ngo", 2)]


def test_comments_by_text_and_paragraph() -> None:
    plateia, podilata = participation(fixture_consultation()).texts
    assert (plateia.slug, plateia.title, plateia.comments) == (
        "anaplasi-plateias",
        "Ανάπλαση πλατείας",
        5,
    )
    assert plateia.paragraphs == (
        ParagraphRow("eisagogi", 1, "Η πλατεία είναι η καρδιά της…", 2),  # with its reply
        ParagraphRow(None, None, WHOLE_TEXT, 2),
        ParagraphRow(None, None, GONE, 1),  # "p-00000000" is no longer in the text
    )
    assert (podilata.slug, podilata.comments, podilata.paragraphs) == ("podilata", 0, ())


def test_a_reply_counts_where_its_thread_starts() -> None:
    consultation = fixture_consultation()
    reply = consultation.texts[0].comments[1]
    assert reply.parent == consultation.texts[0].comments[0].id
    reply.paragraph = None  # as the text page shows it: under its parent's paragraph
    rows = participation(consultation).texts[0].paragraphs
    assert [(r.id, r.comments) for r in rows] == [("eisagogi", 2), (None, 2), (None, 1)]


def test_paragraphs_are_those_consulted_on_when_the_text_was_frozen() -> None:
    consultation = fixture_consultation()
    text = consultation.texts[0]
    text.consulted = [
        Paragraph("eisagogi", 1, "Η πλατεία", "Η πλατεία"),
        Paragraph("p-00000000", 2, "Η παλιά παράγραφος", "Η παλιά παράγραφος"),
    ]
    rows = participation(consultation).texts[0].paragraphs
    assert [(r.id, r.number, r.excerpt, r.comments) for r in rows] == [
        ("eisagogi", 1, "Η πλατεία", 2),
        ("p-00000000", 2, "Η παλιά παράγραφος", 1),
        (None, None, WHOLE_TEXT, 2),
    ]


def test_days_on_the_fixture_in_athens_time() -> None:
    days = participation(fixture_consultation()).days
    assert [(d.date, d.submissions) for d in days] == [
        ("2026-11-20", 2),
        ("2026-11-21", 1),
        ("2026-11-22", 1),
        ("2026-11-23", 1),
        ("2026-11-24", 3),
    ]


def test_days_without_submissions_are_shown_and_midnight_is_athens_midnight() -> None:
    consultation = bare(
        proposals=[
            proposal("p1", "2026-11-20T21:59:59Z"),  # 23:59:59 in Athens (UTC+2): the 20th
            proposal("p2", "2026-11-20T22:00:00Z"),  # 00:00 in Athens: the 21st
            proposal("p3", "2026-11-24T09:00:00.123Z"),  # the API's stamps have milliseconds
        ]
    )
    days = participation(consultation).days
    assert [(d.date, d.submissions) for d in days] == [
        ("2026-11-20", 1),
        ("2026-11-21", 1),
        ("2026-11-22", 0),
        ("2026-11-23", 0),
        ("2026-11-24", 1),
    ]


def test_answers_by_disposition_in_limits_order() -> None:
    answers = participation(fixture_consultation()).answers
    labels = limits()["dispositions"]["labels"]
    assert [(d.code, d.label) for d in answers.dispositions] == list(labels.items())
    counts = {d.code: d.count for d in answers.dispositions}
    assert counts == {code: 0 for code in labels} | {"partly": 1, "already_planned": 1}
    assert (answers.answered, answers.unanswered) == (2, 6)


def test_answers_count_proposals_too() -> None:
    consultation = fixture_consultation()
    answered = consultation.texts[0].comments[0].answer
    assert answered is not None
    consultation.proposals[0].answer = replace(answered, disposition="adopted")
    answers = participation(consultation).answers
    assert {d.code: d.count for d in answers.dispositions}["adopted"] == 1
    assert (answers.answered, answers.unanswered) == (3, 5)


def test_the_data_is_json_and_never_holds_a_hash() -> None:
    text = json.dumps(asdict(participation(fixture_consultation())), ensure_ascii=False)
    assert "Ανάπλαση πλατείας" in text
    for digest in HASHES:
        assert digest not in text


def test_an_empty_consultation() -> None:
    p = participation(bare())
    assert asdict(p.totals) == {"comments": 0, "proposals": 0, "submissions": 0, "participants": 0}
    assert [(r.submissions, r.participants) for r in p.respondent_types] == [(0, 0), (0, 0)]
    assert (p.organisation_types, p.texts, p.days) == ((), (), ())
    assert (p.answers.answered, p.answers.unanswered) == (0, 0)
    assert {d.count for d in p.answers.dispositions} == {0}


def test_the_open_data_and_the_results_page_count_alike() -> None:
    """Two tabulations of one consultation (the open data's participation sheet, the results
    page's numbers) agree on what both count."""
    from plugins.exports.data import consultation_data

    consultation = fixture_consultation()
    snapshot = json.loads((SITE / "snapshot.json").read_text(encoding="utf-8"))
    total = next(
        row
        for row in consultation_data(consultation, snapshot)["participation"]
        if row["scope"] == "consultation"
    )
    numbers = participation(consultation)
    assert total["comments"] == numbers.totals.comments
    assert total["proposals"] == numbers.totals.proposals
    by_type = {r.code: r.submissions for r in numbers.respondent_types}
    assert (total["by_citizens"], total["by_organisations"]) == (
        by_type["citizen"],
        by_type["organisation"],
    )
    assert total["answered"] == numbers.answers.answered
    for row in numbers.answers.dispositions:
        assert total[f"answered_{row.code}"] == row.count
