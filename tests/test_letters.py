"""The e-mail letters (chalicelib.letters): every kind in Greek, the subject a line of its own
that never carries what a citizen wrote, the HTML part escaped and self-contained, the text part
free of control characters, dates on the Athens calendar, and valid HTML for the Nu checker."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from browser import assert_nu_clean

from chalicelib import clock, letters

SITE = "https://diavoulefsi.neasmyrni.gr"
API = "https://api.diavoulefsi.neasmyrni.gr"
SITE_NAME = "Διαβούλευση — Δήμος Νέας Σμύρνης"
BODY = (
    "Προτείνω να φυτευτούν δέντρα στην οδό Ομήρου.\n"
    "Η σκιά θα βοηθήσει τους πεζούς το καλοκαίρι.\n\n"
    "Με εκτίμηση, μια κάτοικος της πλατείας."
)


def receipt(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "site_name": SITE_NAME,
        "site_url": SITE,
        "reference": "NS-7K2QXD",
        "kind": "comment",
        "consultation_title": "Σχέδιο Βιώσιμης Αστικής Κινητικότητας",
        "consultation_url": f"{SITE}/diavouleuseis/kinitikotita/",
        "target_title": "Άρθρο 3: Πεζόδρομοι και ποδηλατόδρομοι",
        "paragraph": "stochos",
        "title": None,
        "body": BODY,
        "created_at": "2026-11-26T10:15:00.000Z",
        "closes_at": "2026-12-10T21:59:00.000Z",
        "follow_url": f"{API}/v1/follow/Zm9sbG93LXRva2VuLXNlY3JldA",
    }
    return {**data, **changes}


def event(name: str, /, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "event": name,
        "reference": "NS-7K2QXD",
        "kind": "comment",
        "consultation_title": "Σχέδιο Βιώσιμης Αστικής Κινητικότητας",
        "url": None,
        "reason_label": None,
        "disposition_label": None,
        "answer_text": None,
    }
    return {**data, **changes}


def notice(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "site_name": SITE_NAME,
        "site_url": SITE,
        "events": list(events),
        "unsubscribe_url": f"{API}/v1/unsubscribe/dW5zdWJzY3JpYmU",
    }


ALL_EVENTS = (
    event("published", url=f"{SITE}/diavouleuseis/kinitikotita/arthro-3/#sxolio-01jd"),
    event("not_published", reference="NS-AB12CD", kind="proposal", reason_label="Εκτός θέματος"),
    event(
        "answered",
        reference="NS-QW34ER",
        url=f"{SITE}/diavouleuseis/kinitikotita/arthro-3/#sxolio-01je",
        disposition_label="Ενσωματώνεται εν μέρει",
        answer_text="Η πρότασή σας για δέντρα ενσωματώνεται στο άρθρο 3.\n"
        "Η οδός Ομήρου θα εξεταστεί.",
    ),
    event(
        "report",
        reference=None,
        kind=None,
        url=f"{SITE}/diavouleuseis/kinitikotita/apotelesmata/",
    ),
)


def confirm(**changes: Any) -> dict[str, Any]:
    data = {
        "site_name": SITE_NAME,
        "consultation_title": "Κανονισμός Κοινόχρηστων Χώρων",
        "consultation_url": f"{SITE}/diavouleuseis/koinoxrista/",
        "confirm_url": f"{API}/v1/subscriptions/confirm/Y29uZmlybQ",
        "expires_days": 7,
    }
    return {**data, **changes}


def announce(event_: str, **changes: Any) -> dict[str, Any]:
    data = {
        "site_name": SITE_NAME,
        "event": event_,
        "consultation_title": "Κανονισμός Κοινόχρηστων Χώρων",
        "consultation_url": f"{SITE}/diavouleuseis/koinoxrista/",
        "closes_at": "2026-11-30T21:59:00.000Z",
        "results_url": f"{SITE}/diavouleuseis/koinoxrista/apotelesmata/"
        if event_ == "report"
        else None,
        "unsubscribe_url": f"{API}/v1/unsubscribe/a29pbm94cmlzdGE",
    }
    return {**data, **changes}


def digest(**changes: Any) -> dict[str, Any]:
    # As DynamoDB gives the outbox item's params back: numbers are Decimals.
    data = {
        "site_name": SITE_NAME,
        "moderation_url": f"{SITE}/moderation/",
        "generated_at": "2026-11-27T03:00:00.000Z",
        "wait_hours": Decimal(48),
        "consultations": [
            {
                "title": "Σχέδιο Βιώσιμης Αστικής Κινητικότητας",
                "pending": Decimal(1250),
                "oldest_at": "2026-11-23T22:40:00.000Z",
                "overdue": Decimal(7),
            },
            {
                "title": "Κανονισμός Κοινόχρηστων Χώρων",
                "pending": Decimal(2),
                "oldest_at": "2026-11-26T09:00:00.000Z",
                "overdue": Decimal(0),
            },
        ],
        "oldest": {
            "reference": "NS-OLD123",
            "consultation_title": "Σχέδιο Βιώσιμης Αστικής Κινητικότητας",
            "created_at": "2026-11-23T22:40:00.000Z",
        },
        "overdue_total": Decimal(7),
        "left_out": [{"id": "01jd7w8k3m", "why": "Το κείμενο δεν υπάρχει πια στη διαβούλευση"}],
        "failed_mail": Decimal(3),
    }
    return {**data, **changes}


SAMPLES: dict[str, dict[str, Any]] = {
    "receipt": receipt(),
    "receipt_proposal": receipt(kind="proposal", title="Δέντρα στην Ομήρου", target_title=None),
    "notice": notice(*ALL_EVENTS),
    "confirm": confirm(),
    "announce_opened": announce("opened"),
    "announce_closing": announce("closing"),
    "announce_report": announce("report"),
    "digest": digest(),
}


def kind_of(sample: str) -> str:
    return sample.split("_")[0]


def urls_in(data: Any) -> set[str]:
    """Every URL the data gives (nested), the only ones a letter may hold."""
    if isinstance(data, str):
        return {data} if data.startswith("http") else set()
    if isinstance(data, dict):
        return set().union(*(urls_in(v) for v in data.values())) if data else set()
    if isinstance(data, list | tuple):
        return set().union(*(urls_in(v) for v in data)) if data else set()
    return set()


@pytest.fixture(autouse=True)
def before_the_deadline() -> Any:
    with clock.frozen(datetime(2026, 11, 27, 10, 0, tzinfo=UTC)):
        yield


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_kind_renders_a_greek_letter_in_two_parts(sample: str) -> None:
    letter = letters.render(kind_of(sample), SAMPLES[sample])

    assert re.search("[α-ω]", letter.subject), letter.subject
    assert "\n" not in letter.subject and letter.subject == letter.subject.strip()
    assert SITE_NAME in letter.text and SITE_NAME in letter.html
    assert letter.text.endswith("\n") and "\n\n\n" not in letter.text
    assert "{{" not in letter.text + letter.html and "{%" not in letter.text + letter.html
    assert letter.html.startswith('<!DOCTYPE html>\n<html lang="el">')
    assert f"<title>{letter.subject}</title>" in letter.html
    assert "αυτόματο μήνυμα" in letter.text and "αυτόματο μήνυμα" in letter.html


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_the_html_part_loads_nothing_and_links_only_to_what_it_was_given(sample: str) -> None:
    html = letters.render(kind_of(sample), SAMPLES[sample]).html

    for forbidden in ("<img", "src=", "<script", "<link", "<style", "<iframe", "url("):
        assert forbidden not in html.lower(), forbidden
    found = set(re.findall(r"https?://[^\s\"<>]+", html))
    assert found, "a letter without a link"
    assert found <= urls_in(SAMPLES[sample]), found - urls_in(SAMPLES[sample])


def test_the_receipt_says_what_was_received_what_happens_next_and_how_to_follow() -> None:
    data = receipt()
    letter = letters.render("receipt", data)

    assert letter.subject == "Λάβαμε το σχόλιό σας — αριθμός αναφοράς NS-7K2QXD"
    for part in (letter.text, letter.html):
        assert "NS-7K2QXD" in part
        assert data["consultation_title"] in part
        assert data["target_title"] in part and "stochos" in part
        assert data["follow_url"] in part
        assert "2 εργάσιμες ημέρες" in part
        assert "10 Δεκεμβρίου 2026, 23:59" in part  # closes_at, in Athens
        assert "έκθεση αποτελεσμάτων" in part
        assert "αποσύρετε" in part and "προσωπικά σας δεδομένα" in part
        assert "σταματήσετε τα μηνύματα" in part and "όνομά σας" in part
        assert "Μην τον προωθήσετε" in part
    for line in BODY.splitlines():  # the copy of what they wrote
        assert line in letter.text
        assert line in letter.html
    assert f'<a href="{data["follow_url"]}">' in letter.html


def test_a_proposal_receipt_speaks_of_a_proposal_and_copies_its_title() -> None:
    letter = letters.render("receipt", SAMPLES["receipt_proposal"])

    assert letter.subject == "Λάβαμε την πρότασή σας — αριθμός αναφοράς NS-7K2QXD"
    assert "σχόλιό σας" not in letter.text
    assert "Δέντρα στην Ομήρου" in letter.text and "Δέντρα στην Ομήρου" in letter.html
    assert "να την αποσύρετε" in letter.text


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_no_subject_carries_submitted_text(sample: str) -> None:
    data = SAMPLES[sample]
    subject = letters.render(kind_of(sample), data).subject
    submitted = [data.get("body"), data.get("title")]
    submitted += [e.get("answer_text") for e in data.get("events", [])]
    for text in filter(None, submitted):
        for line in text.splitlines():
            if line.strip():
                assert line.strip() not in subject, (subject, line)
    assert "δέντρα" not in subject.casefold() and "Ομήρου" not in subject


def test_a_title_with_line_breaks_cannot_add_a_header_line() -> None:
    data = notice(
        event("published", consultation_title="Κινητικότητα\r\nBcc: victim@example.com\x00\x85")
    )
    subject = letters.render("notice", data).subject

    assert "\r" not in subject and "\n" not in subject and "\x00" not in subject
    assert "\x85" not in subject
    assert "Κινητικότητα Bcc: victim@example.com" in subject


def test_the_html_part_escapes_markup_in_what_people_wrote() -> None:
    hostile = '<script>alert("x")</script><a href="https://evil.example">κλικ</a>'
    letter = letters.render(
        "receipt", receipt(body=hostile, title="<b>έντονο</b>", target_title="<i>x</i>")
    )
    answer = letters.render(
        "notice", notice(event("answered", answer_text=hostile, disposition_label="<u>"))
    )

    for html in (letter.html, answer.html):
        assert "<script" not in html and 'evil.example"' not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;b&gt;έντονο&lt;/b&gt;" in letter.html and "&lt;i&gt;x&lt;/i&gt;" in letter.html
    assert "&lt;u&gt;" in answer.html
    assert hostile in letter.text  # the text part is text: shown as written


def test_the_text_part_strips_control_characters_but_keeps_lines_and_tabs() -> None:
    body = "Πρώτη\x1b[31m γραμμή\x07\r\nδεύτερη\tστήλη\x00\x08\x7f\x9b\rτρίτη"
    letter = letters.render("receipt", receipt(body=body, target_title="Άρθρο\x1b]0;x\x07 3"))

    controls = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    assert not controls.search(letter.text), repr(controls.findall(letter.text))
    assert not controls.search(letter.html)
    assert "Πρώτη[31m γραμμή\nδεύτερη\tστήλη\nτρίτη" in letter.text
    assert "Άρθρο]0;x 3" in letter.text


@pytest.mark.parametrize(
    ("stamp", "athens"),
    [
        ("2026-11-26T22:30:00.000Z", "27 Νοεμβρίου 2026, 00:30"),  # winter: UTC+2
        ("2026-07-01T21:05:00Z", "2 Ιουλίου 2026, 00:05"),  # summer: UTC+3
        ("2026-03-31T20:59:59.999Z", "31 Μαρτίου 2026, 23:59"),  # still the same day
    ],
)
def test_dates_are_greek_and_on_the_athens_calendar(stamp: str, athens: str) -> None:
    letter = letters.render("receipt", receipt(created_at=stamp))

    assert f"Υποβλήθηκε: {athens}" in letter.text
    assert f">{athens}</time>" in letter.html


def test_the_digest_names_its_athens_day_and_counts_as_people_read() -> None:
    late = digest(generated_at="2026-11-27T22:10:00.000Z")  # 00:10 of the 28th in Athens
    letter = letters.render("digest", late)

    assert (
        letter.subject
        == "Σύνοψη εποπτείας, 28 Νοεμβρίου 2026: 1.252 σε αναμονή, 7 πάνω από 48 ώρες"
    )
    for part in (letter.text, letter.html):
        assert "1.250" in part and "NS-OLD123" in part
        assert "24 Νοεμβρίου 2026, 00:40" in part  # the oldest, 22:40 UTC on the 23rd
        assert "01jd7w8k3m" in part and "δεν υπάρχει πια" in part
        assert f"{SITE}/moderation/" in part
    assert "δεν στάλθηκαν μετά από όλες τις προσπάθειες: 3" in letter.text
    assert "Decimal" not in letter.text + letter.html


def test_a_quiet_digest_says_so() -> None:
    quiet = digest(consultations=[], oldest=None, overdue_total=0, left_out=[], failed_mail=0)
    letter = letters.render("digest", quiet)

    assert letter.subject == "Σύνοψη εποπτείας, 27 Νοεμβρίου 2026: 0 σε αναμονή"
    assert "Καμία συμμετοχή δεν περιμένει έλεγχο." in letter.text
    assert "<table" not in letter.html


def test_a_notice_tells_each_event_once_with_its_link_reason_and_answer() -> None:
    data = notice(*ALL_EVENTS)
    letter = letters.render("notice", data)

    assert (
        letter.subject
        == "Νέα για τις συμμετοχές σας στη διαβούλευση «Σχέδιο Βιώσιμης Αστικής Κινητικότητας»"
    )
    text = letter.text
    assert "Δημοσιεύτηκε το σχόλιό σας NS-7K2QXD" in text
    assert "Η πρότασή σας NS-AB12CD" in text and "δεν δημοσιεύτηκε" in text
    assert "Λόγος: Εκτός θέματος." in text and "νέα πρόταση" in text
    assert "Ο Δήμος απάντησε στο σχόλιό σας NS-QW34ER" in text
    assert "Θέση του Δήμου: Ενσωματώνεται εν μέρει" in text
    assert "Η οδός Ομήρου θα εξεταστεί." in text
    assert "Δημοσιεύτηκαν τα αποτελέσματα της διαβούλευσης" in text
    for e in ALL_EVENTS:
        if e["url"]:
            assert text.count(e["url"]) == 1
            assert letter.html.count(f'href="{e["url"]}"') == 1
    assert data["unsubscribe_url"] in text
    assert f'href="{data["unsubscribe_url"]}"' in letter.html
    assert letter.html.count("<h2") == len(ALL_EVENTS)


@pytest.mark.parametrize(
    ("events", "subject"),
    [
        (
            [event("published")],
            "Νέα για τη συμμετοχή σας NS-7K2QXD στη διαβούλευση "
            "«Σχέδιο Βιώσιμης Αστικής Κινητικότητας»",
        ),
        (
            [event("report", reference=None, kind=None, url=f"{SITE}/r/")],
            "Δημοσιεύτηκαν τα αποτελέσματα της διαβούλευσης "
            "«Σχέδιο Βιώσιμης Αστικής Κινητικότητας»",
        ),
        (
            [event("published"), event("answered", consultation_title="Κανονισμός Χώρων")],
            "Νέα για τις συμμετοχές σας στις διαβουλεύσεις",
        ),
    ],
)
def test_a_notice_subject_fits_its_events(events: list[dict[str, Any]], subject: str) -> None:
    assert letters.render("notice", notice(*events)).subject == subject


def test_the_confirmation_asks_once_says_how_long_and_what_if_not_you() -> None:
    data = confirm(expires_days=Decimal(7))
    letter = letters.render("confirm", data)

    assert (
        letter.subject
        == "Επιβεβαιώστε την εγγραφή σας για ενημερώσεις: «Κανονισμός Κοινόχρηστων Χώρων»"
    )
    for part in (letter.text, letter.html):
        assert data["confirm_url"] in part
        assert "ισχύει για 7 ημέρες" in part
        assert "Αν δεν το ζητήσατε εσείς, αγνοήστε αυτό το μήνυμα" in part
    assert letter.html.count(f'href="{data["confirm_url"]}"') == 1
    assert "1 ημέρα." in letters.render("confirm", confirm(expires_days=1)).text


@pytest.mark.parametrize(
    ("event_", "subject", "words"),
    [
        (
            "opened",
            "Άνοιξε η διαβούλευση «Κανονισμός Κοινόχρηστων Χώρων»",
            "έως τις 30 Νοεμβρίου 2026, 23:59",
        ),
        (
            "closing",
            "Κλείνει σε 3 ημέρες η διαβούλευση «Κανονισμός Κοινόχρηστων Χώρων»",
            "κλείνει στις 30 Νοεμβρίου 2026, 23:59. Απομένουν 3 ημέρες.",
        ),
        (
            "report",
            "Τα αποτελέσματα της διαβούλευσης «Κανονισμός Κοινόχρηστων Χώρων»",
            "apotelesmata/",
        ),
    ],
)
def test_announcements_for_subscribers(event_: str, subject: str, words: str) -> None:
    data = announce(event_)
    letter = letters.render("announce", data)

    assert letter.subject == subject
    assert words in letter.text
    assert data["unsubscribe_url"] in letter.text
    assert f'href="{data["unsubscribe_url"]}"' in letter.html


def test_the_closing_reminder_counts_athens_days() -> None:
    # 23:30 UTC on the 29th is already the 30th in Athens: the consultation closes today.
    with clock.frozen(datetime(2026, 11, 29, 23, 30, tzinfo=UTC)):
        today = letters.render("announce", announce("closing"))
    with clock.frozen(datetime(2026, 11, 29, 21, 30, tzinfo=UTC)):
        tomorrow = letters.render("announce", announce("closing"))

    assert today.subject.startswith("Κλείνει σήμερα")
    assert tomorrow.subject.startswith("Κλείνει αύριο") and "Απομένει 1 ημέρα." in tomorrow.text


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("newsletter", receipt(), "unknown letter kind"),
        ("receipt", receipt(follow_url=None), "follow_url"),
        ("notice", notice(), "notice events"),
        ("notice", notice(event("deleted")), "notice events"),
        ("announce", announce("reopened"), "announce event"),
        ("receipt", receipt(follow_url="javascript:alert(1)"), "refusing"),
    ],
)
def test_bad_requests_fail_loudly(kind: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        letters.render(kind, data)


def test_importing_the_letters_loads_neither_jinja_nor_babel() -> None:
    code = (
        "import sys; import chalicelib.letters, chalicelib.pages; "
        "print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('jinja2', 'babel', 'markupsafe')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_every_letter_is_valid_html(tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    folder.mkdir()
    for sample, data in SAMPLES.items():
        html = letters.render(kind_of(sample), data).html
        (folder / f"{sample}.html").write_text(html, encoding="utf-8")
    hostile = receipt(body="<p>ανοιχτό <div>\x00", title="</blockquote>")
    (folder / "hostile.html").write_text(letters.render("receipt", hostile).html, encoding="utf-8")
    assert_nu_clean(
        folder,
        '<!DOCTYPE html><html lang="el"><head><title>x</title></head>'
        "<body><p><div></div></p></body></html>",
    )
