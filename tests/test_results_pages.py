"""The results pages of a closed consultation, built by real Pelican on a copy of the fixture
site with a report, a text revised since its consulted version and answers: the report, the
participation, the answers under comments and proposals, what changed (linked to the answers
that motivated it), the split into pages of a large consultation, the feed and the sitemap, and
that nothing personal reaches any file."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from site_support import Node, parse

from chalicelib.sitebuild import SiteBuildError, build_site
from plugins.consultations.reader import read_consultation

FIXTURE = Path(__file__).parent / "fixtures" / "site"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Athens"))
API = "http://api.example.test:9000"
CLOSED = "diavoulefseis/kleisti/"
RESULTS = CLOSED + "apotelesmata/"
OPEN_TEXT = "diavoulefseis/prasino-kai-evangelistria/anaplasi-plateias/"
REPORT = """Title: Έκθεση αποτελεσμάτων της διαβούλευσης
Date: 2026-03-02
Decision: 45/2026
Decision_url: https://diavgeia.gov.gr/decision/view/ΑΔΑ-ΔΟΚΙΜΗ
Summary: Τι κρατήσαμε από τη διαβούλευση.

## Τι εντάσσεται στο Αναπτυξιακό Πρόγραμμα

Η στήριξη των καταστημάτων εντάσσεται στο πρόγραμμα 2026–2030.
"""
CONSULTED = """Title: Παλιό κείμενο
Slug: palio-keimeno
Kind: general

Οι λαϊκές αγορές λειτουργούν δύο φορές την εβδομάδα στην πλατεία. {#agores}

Η παράγραφος αυτή για τα δημοτικά τέλη διαγράφηκε μετά τη διαβούλευση.

Η τελευταία παράγραφος μένει ίδια.
"""
CURRENT = """Title: Παλιό κείμενο
Slug: palio-keimeno
Kind: general
Consulted: consulted/palio.md

Οι λαϊκές αγορές λειτουργούν τρεις φορές την εβδομάδα στην πλατεία και στο άλσος. {#agores}

Η τελευταία παράγραφος μένει ίδια.

Νέα παράγραφος για τη στήριξη των μικρών καταστημάτων.
"""
PERSON_OF_ORGANISATION = "Νίκος Ν."  # wrote for an organisation: never published
PARTICIPANT = "a1b2c3d4e5f60718"


def _content(tmp: Path) -> Path:
    content = tmp / "content"
    shutil.copytree(FIXTURE / "content", content)
    folder = content / "consultations" / "kleisti"
    (folder / "consulted").mkdir()
    (folder / "consulted" / "palio.md").write_text(CONSULTED, encoding="utf-8")
    (folder / "palio.md").write_text(CURRENT, encoding="utf-8")
    (folder / "report.md").write_text(REPORT, encoding="utf-8")
    return content


def _comment(n: int, paragraph: str | None, answer: dict[str, str] | None, **more: Any) -> dict:
    return {
        "id": f"01jresult{n:017d}",
        "reference": f"NS-R{n:05d}",
        "consultation": "kleisti",
        "text": "palio-keimeno",
        "proposal": None,
        "paragraph": paragraph,
        "parent": None,
        "author": {
            "respondent_type": "citizen",
            "display_name": None,
            "organisation_name": None,
            "organisation_type": None,
        },
        "body": f"Σχόλιο αποτελεσμάτων αριθμός {n} για την παράγραφο.",
        "created_at": f"2026-01-{10 + n % 20:02d}T10:00:00Z",
        "approved_at": "2026-01-31T10:00:00Z",
        "answer": answer,
        "participant": f"{n:016x}",
        **more,
    }


def _snapshot(tmp: Path, content: Path, extra: int = 0) -> Path:
    """The fixture's snapshot plus comments on the revised text: one on the changed paragraph
    (adopted: it motivated the change), one on the removed one (partly), ``extra`` more."""
    consulted = (
        read_consultation(
            {**_settings(), "PATH": str(content)}, content / "consultations" / "kleisti"
        )
        .texts[0]
        .consulted
    )
    assert consulted is not None
    removed = consulted[1].id
    data = json.loads((FIXTURE / "snapshot.json").read_text(encoding="utf-8"))
    adopted = {"disposition": "adopted", "text": "Οι ημέρες αυξάνονται σε τρεις.",
               "answered_at": "2026-02-15T10:00:00Z"}  # fmt: skip
    partly = {"disposition": "partly", "text": "Τα τέλη ρυθμίζονται αλλού.",
              "answered_at": "2026-02-15T10:00:00Z"}  # fmt: skip
    data["comments"] += [_comment(1, "agores", adopted), _comment(2, removed, partly)]
    data["comments"] += [_comment(10 + n, "agores", None) for n in range(extra)]
    path = tmp / "snapshot.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def doc(path: Path) -> Node:
    return parse(path.read_text(encoding="utf-8"))


def _settings() -> dict[str, Any]:
    from pelican.settings import read_settings

    return read_settings(str(Path(__file__).parent.parent / "pelicanconf.py"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    tmp = tmp_path_factory.mktemp("results")
    content = _content(tmp)
    output = tmp / "output"
    build_site(
        root, output, snapshot=_snapshot(tmp, content), api_url=API, now=NOW, content=content
    )
    return output


def test_a_closed_consultation_has_its_results_page_and_the_others_none(built: Path) -> None:
    assert (built / RESULTS / "index.html").is_file()
    for other in ("prasino-kai-evangelistria", "mellontiki"):
        assert not (built / "diavoulefseis" / other / "apotelesmata").exists()
    sitemap = (built / "sitemap.xml").read_text(encoding="utf-8")
    assert f"/{RESULTS}</loc>" in sitemap
    feed = (built / CLOSED / "feed.atom").read_text(encoding="utf-8")
    assert "urn:diavoulefsi:kleisti:results" in feed
    assert "<updated>2026-03-02T00:00:00+02:00</updated>" in feed  # the report's day
    home = doc(built / "index.html")
    assert [a for a in home.find_all("a") if (a.get("href") or "").endswith(RESULTS)]
    consultation = doc(built / CLOSED / "index.html")
    assert any((a.get("href") or "").endswith("apotelesmata/") for a in consultation.find_all("a"))
    text = doc(built / CLOSED / "palio-keimeno" / "index.html")
    assert any("apotelesmata/#palio-keimeno" in (a.get("href") or "") for a in text.find_all("a"))


def test_the_report_is_shown_with_its_decision(built: Path) -> None:
    results = doc(built / RESULTS / "index.html")
    report = results.by_id("ekthesi")
    assert "Έκθεση αποτελεσμάτων της διαβούλευσης" in report.text()
    assert "2 Μαρτίου 2026" in report.text()
    link = report.find("a")
    assert link.get("href") == "https://diavgeia.gov.gr/decision/view/ΑΔΑ-ΔΟΚΙΜΗ"
    assert link.text().strip() == "45/2026"
    assert report.find("h2", id="ekthesi-titlos")
    assert "Αναπτυξιακό Πρόγραμμα" in report.text()


def test_participation_counts_people_once_and_shows_charts_beside_tables(built: Path) -> None:
    results = doc(built / RESULTS / "index.html")
    section = results.by_id("symmetochi")
    # the fixture's closed consultation: one comment, one proposal, plus the two added here,
    # each from its own participant
    facts = section.find("dl").text()
    assert "Συμμετέχοντες 4" in " ".join(facts.split())
    images = section.find_all("img")
    assert len(images) >= 3
    for image in images:
        assert image.get("alt")
        svg = built / RESULTS / image.get("src").split("apotelesmata/")[-1]
        assert svg.is_file() and b"<script" not in svg.read_bytes()
    assert len(section.find_all("table")) >= len(images) - 1  # each chart's numbers, tabled
    assert PARTICIPANT not in (built / RESULTS / "index.html").read_text(encoding="utf-8")


def test_answers_appear_under_comments_proposals_and_per_paragraph(built: Path) -> None:
    text = doc(built / OPEN_TEXT / "index.html")
    answered = text.by_id("sxolio-01jcomment000000000000001a")
    assert "Προβλέπεται ήδη" in answered.text()
    assert "Προβλέπεται ήδη στη μελέτη." in answered.text()
    assert answered.find("time")
    per_paragraph = text.find_all("p", cls="para-answers")
    assert per_paragraph and "Προβλέπεται ήδη 1" in " ".join(per_paragraph[0].text().split())
    proposal = doc(built / CLOSED / "protaseis" / "01jproposal00000000000002b" / "index.html")
    assert "Δεν ενσωματώνεται" in proposal.find("article").text()
    badge = proposal.find("span", cls="badge")
    assert badge.find("span", cls="badge-mark").get("aria-hidden") == "true"


def test_what_changed_is_a_word_diff_linked_to_the_answers_behind_it(built: Path) -> None:
    results = doc(built / RESULTS / "index.html")
    changes = results.by_id("allages-palio-keimeno").parent
    summary = " ".join(changes.find("p").text().split())
    assert summary.endswith(
        "τροποποιήθηκε 1 παράγραφος, προστέθηκε 1 παράγραφος, διαγράφηκε 1 παράγραφος."
    )
    kinds = [li.get("class") for li in changes.find_all("li")]
    assert kinds == ["change change-changed", "change change-removed", "change change-added"]
    changed = changes.find_all("li")[0]
    assert "δύο" in changed.find("del").text() and "Διαγράφηκε" in changed.find("del").text()
    assert "τρεις" in " ".join(i.text() for i in changed.find_all("ins"))
    link = changed.find("a")
    assert link.get("href").endswith("apotelesmata/#sxolio-01jresult00000000000000001")
    assert results.by_id("sxolio-01jresult00000000000000001")  # the target is on the page
    removed = changes.find_all("li")[1]
    assert "δημοτικά τέλη" in removed.text() and "NS-R00002" in removed.text()


def test_the_comments_of_a_paragraph_are_collapsible_without_javascript(built: Path) -> None:
    results = doc(built / RESULTS / "index.html")
    paragraph = results.by_id("palio-keimeno-agores")
    details = paragraph.find("details")
    assert details.find("summary")
    assert "Οι ημέρες αυξάνονται σε τρεις." in details.text()
    assert "σχόλιο" in paragraph.find("p", cls="counts").text()


def test_nothing_personal_reaches_any_file(built: Path) -> None:
    for path in built.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".csv", ".atom", ".svg", ".xml"):
            data = path.read_text(encoding="utf-8", errors="replace")
            assert PERSON_OF_ORGANISATION not in data, path
            assert PARTICIPANT not in data, path
            assert "answered_by" not in data, path


def test_a_large_consultation_gets_a_page_per_text_cut_into_parts(
    tmp_path: Path, root: Path
) -> None:
    content = _content(tmp_path)
    output = tmp_path / "output"
    snapshot = _snapshot(tmp_path, content, extra=40)
    build_site(
        root,
        output,
        snapshot=snapshot,
        api_url=API,
        now=NOW,
        content=content,
        settings={"RESULTS_PAGE_BYTES": 4000},
    )
    main = doc(output / RESULTS / "index.html")
    assert not main.find_all("div", cls="result-para")  # only links to the texts' pages
    first = output / RESULTS / "palio-keimeno" / "index.html"
    parts = [first, *sorted((output / RESULTS / "palio-keimeno").glob("*/index.html"))]
    assert len(parts) >= 3
    shown: list[str] = []
    for part in parts:
        html = doc(part)
        shown += [li.get("id") or "" for li in html.find_all("li")]
        assert html.find("nav", cls="parts")
    comments = json.loads(snapshot.read_text(encoding="utf-8"))["comments"]
    expected = [f"sxolio-{c['id']}" for c in comments if c["text"] == "palio-keimeno"]
    on_parts = [i for i in shown if i.startswith("sxolio-")]
    assert sorted(on_parts) == sorted(expected)  # every comment once, on some part
    assert "(συνέχεια)" in " ".join(doc(p).text() for p in parts[1:])
    proposals = output / RESULTS / "protaseis" / "index.html"
    assert "Δεν ενσωματώνεται" in doc(proposals).text()
    # the change's link leads to the part that holds the comment
    link = doc(first).by_id("allages-palio-keimeno").parent.find_all("li")[0].find("a")
    path, anchor = link.get("href").split("#")
    target = (first.parent / path).resolve() / "index.html"
    assert f'id="{anchor}"' in target.read_text(encoding="utf-8")


def test_an_unchanged_build_renders_no_results_page_again(tmp_path: Path, root: Path) -> None:
    content = _content(tmp_path)
    output = tmp_path / "output"
    snapshot = _snapshot(tmp_path, content)
    kwargs = {"snapshot": snapshot, "api_url": API, "now": NOW, "content": content}
    build_site(root, output, **kwargs)
    again = build_site(root, output, **kwargs)
    assert again.stats["rendered"] == 0
    data = json.loads(snapshot.read_text(encoding="utf-8"))
    data["comments"][-1]["answer"] = {
        "disposition": "out_of_scope",
        "text": "Εκτός.",
        "answered_at": "2026-03-01T10:00:00Z",
    }
    snapshot.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    third = build_site(root, output, **kwargs)
    assert 1 <= third.stats["rendered"] <= 4  # the results page, the text page, charts
    assert "Εκτός αντικειμένου" in (output / RESULTS / "index.html").read_text(encoding="utf-8")

    # a comment on a proposal, shown on the results page, redacted: the page follows
    on_proposal = _comment(3, None, None, text=None, proposal="01jproposal00000000000002b")
    data["comments"].append(on_proposal)
    snapshot.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    build_site(root, output, **kwargs)
    on_proposal["body"] = "Το σχόλιο μετά την απαλοιφή."
    snapshot.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    build_site(root, output, **kwargs)
    assert "Το σχόλιο μετά την απαλοιφή." in (output / RESULTS / "index.html").read_text("utf-8")


@pytest.mark.parametrize(
    ("report", "field"),
    [
        ("Date: 2026-03-02\n\nΧωρίς τίτλο.\n", "Title"),
        ("Title: Έκθεση\nAuthor: Κάποιος\n\nΚείμενο.\n", "Author"),
        ("Title: Έκθεση\nDecision_url: http://example.org/x\n\nΚείμενο.\n", "Decision_url"),
        ("Title: Έκθεση\nDate: αύριο\n\nΚείμενο.\n", "Date"),
    ],
)
def test_a_wrong_report_stops_the_build_naming_the_file_and_field(
    tmp_path: Path, root: Path, report: str, field: str
) -> None:
    content = _content(tmp_path)
    (content / "consultations" / "kleisti" / "report.md").write_text(report, encoding="utf-8")
    with pytest.raises(SiteBuildError) as caught:
        build_site(root, tmp_path / "out", snapshot=None, api_url=API, now=NOW, content=content)
    details = caught.value.details
    assert details["file"].endswith("kleisti/report.md")
    assert details["field"] == field
    assert details["problem"]


def test_without_a_report_the_page_says_it_is_pending(tmp_path: Path, root: Path) -> None:
    content = _content(tmp_path)
    (content / "consultations" / "kleisti" / "report.md").unlink()
    output = tmp_path / "out"
    build_site(root, output, snapshot=None, api_url=API, now=NOW, content=content)
    report = doc(output / RESULTS / "index.html").by_id("ekthesi")
    assert "εκκρεμεί" in report.text()
    assert "Δεν δημοσιεύθηκαν σχόλια" in doc(output / RESULTS / "index.html").text()
