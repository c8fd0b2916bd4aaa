"""The HTML pages the API serves (chalicelib.pages): full Greek documents in the site's own
dress (its stylesheet, header, skip link and main landmark), no script and nothing loaded from
elsewhere, the private link's page with one plain POST form per action, and valid HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from browser import assert_nu_clean

from chalicelib import pages

SITE = "https://diavoulefsi.neasmyrni.gr"
SITE_NAME = "Διαβούλευση — Δήμος Νέας Σμύρνης"
TOKEN = "Zm9sbG93LXRva2VuLXNlY3JldC12YWx1ZQ"
EMBLEM = f"{SITE}/theme/img/emblem.svg"

ACTIONS = [
    {
        "action": "withdraw",
        "label": "Απόσυρση της συμμετοχής",
        "description": "Δεν θα δημοσιευτεί ή, αν έχει δημοσιευτεί, στη θέση της θα εμφανίζεται "
        "«Αποσύρθηκε από τον συντάκτη». Η απόσυρση δεν αναιρείται.",
        "button": "Αποσύρω τη συμμετοχή μου",
    },
    {
        "action": "anonymise",
        "label": "Αφαίρεση του ονόματός μου",
        "description": "Από την επόμενη δημοσίευση η συμμετοχή σας θα εμφανίζεται ανώνυμα.",
        "button": "Να εμφανίζεται ανώνυμα",
    },
    {
        "action": "erase",
        "label": "Διαγραφή των προσωπικών μου δεδομένων",
        "description": "Διαγράφονται η διεύθυνση ηλεκτρονικού ταχυδρομείου και το όνομά σας.",
        "button": "Διαγράψτε τα στοιχεία μου",
    },
    {
        "action": "stop_mail",
        "label": "Διακοπή μηνυμάτων",
        "description": "Δεν θα λάβετε άλλο μήνυμα από την πλατφόρμα σε αυτή τη διεύθυνση.",
        "button": "Να μη λαμβάνω μηνύματα",
    },
]


def follow(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "site_name": SITE_NAME,
        "site_url": SITE,
        "reference": "NS-7K2QXD",
        "kind": "comment",
        "kind_label": "Σχόλιο",
        "status": "approved",
        "status_label": "Εγκρίθηκε",
        "state": "published",
        "explanation": "Η συμμετοχή σας έχει δημοσιευτεί στον ιστότοπο της διαβούλευσης.",
        "public_url": f"{SITE}/diavouleuseis/kinitikotita/arthro-3/#sxolio-01jd",
        "reason_label": None,
        "resubmit_url": None,
        "answer": {
            "disposition_label": "Ενσωματώνεται εν μέρει",
            "text": "Ευχαριστούμε για την πρόταση.\n\nΗ οδός Ομήρου θα εξεταστεί.",
            "answered_at": "2026-12-14T22:20:00.000Z",
        },
        "consultation_title": "Σχέδιο Βιώσιμης Αστικής Κινητικότητας",
        "target_title": "Άρθρο 3: Πεζόδρομοι και ποδηλατόδρομοι",
        "paragraph": "stochos",
        "held": [
            {"label": "Αριθμός αναφοράς", "value": "NS-7K2QXD"},
            {"label": "Υποβλήθηκε", "value": "26 Νοεμβρίου 2026, 12:15"},
            {"label": "Όνομα", "value": "Μαρία Παπαδοπούλου"},
            {"label": "Ηλεκτρονικό ταχυδρομείο", "value": "maria@example.gr"},
            {"label": "Σχόλιο", "value": "Δέντρα στην Ομήρου.\nΚαι παγκάκια."},
        ],
        "retention": "Η διεύθυνση ηλεκτρονικού ταχυδρομείου σας διαγράφεται 90 ημέρες μετά "
        "τη λήξη της διαβούλευσης.",
        "flash": None,
        "actions": ACTIONS,
        "action_url": TOKEN,
    }
    return {**data, **changes}


def message(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "site_name": SITE_NAME,
        "site_url": SITE,
        "title": "Ο σύνδεσμος δεν ισχύει",
        "paragraphs": [
            "Ο σύνδεσμος δεν ισχύει: μπορεί να έληξε ή να αντιγράφηκε λάθος.",
            "Αν αντιγράψατε τον σύνδεσμο από το μήνυμα, ελέγξτε ότι τον αντιγράψατε ολόκληρο.",
        ],
        "links": [{"href": f"{SITE}/", "label": "Αρχική σελίδα της διαβούλευσης"}],
        "tone": "error",
    }
    return {**data, **changes}


def confirm(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "site_name": SITE_NAME,
        "site_url": SITE,
        "title": "Επιβεβαίωση εγγραφής",
        "paragraphs": ["Να λαμβάνετε ενημερώσεις για τη διαβούλευση «Κανονισμός Χώρων»;"],
        "action_url": "Y29uZmlybS10b2tlbg",
        "button": "Επιβεβαίωση",
        "hidden": {"return_to": f"{SITE}/diavouleuseis/koinoxrista/"},
    }
    return {**data, **changes}


SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "follow_published": ("follow", follow()),
    "follow_pending": (
        "follow",
        follow(
            state="pending",
            status_label="Σε αναμονή",
            public_url=None,
            answer=None,
            flash={"tone": "success", "text": "Από την επόμενη δημοσίευση θα εμφανίζεται ανώνυμα."},
        ),
    ),
    "follow_not_published": (
        "follow",
        follow(
            state="not_published",
            status_label="Απορρίφθηκε",
            public_url=None,
            answer=None,
            reason_label="Εκτός θέματος",
            resubmit_url=f"{SITE}/diavouleuseis/kinitikotita/",
            target_title=None,
            paragraph=None,
        ),
    ),
    "follow_withdrawn": (
        "follow",
        follow(
            state="withdrawn",
            status_label="Αποσύρθηκε από τον συντάκτη",
            public_url=None,
            answer=None,
            held=[{"label": "Αριθμός αναφοράς", "value": "NS-7K2QXD"}],
            actions=[],
            flash={"tone": "success", "text": "Η συμμετοχή σας αποσύρθηκε."},
        ),
    ),
    "message_error": ("message", message()),
    "message_success": ("message", message(tone="success", title="Δεν θα λάβετε άλλα μηνύματα")),
    "message_info": ("message", message(tone="info", links=[], title="Πληροφορία")),
    "confirm": ("confirm", confirm()),
}


class Outline(HTMLParser):
    """The parts of a page the tests look at: forms with their fields and buttons, headings,
    every attribute, the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self.headings: list[tuple[str, str]] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._heading: str | None = None
        self._button: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "form":
            self.forms.append({**attributes, "inputs": [], "buttons": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(attributes)
        elif tag == "button" and self.forms:
            self._button = {**attributes, "text": ""}
            self.forms[-1]["buttons"].append(self._button)
        elif re.fullmatch("h[1-6]", tag):
            self._heading = tag
            self.headings.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None
        if tag == self._heading:
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._button is not None:
            self._button["text"] += data
        if self._heading:
            level, text = self.headings[-1]
            self.headings[-1] = (level, text + data)


def outline(html: str) -> Outline:
    parsed = Outline()
    parsed.feed(html)
    parsed.close()
    return parsed


def urls_in(data: Any) -> set[str]:
    if isinstance(data, str):
        return {data} if data.startswith("http") else set()
    if isinstance(data, dict):
        return set().union(set(), *(urls_in(v) for v in data.values()))
    if isinstance(data, list | tuple):
        return set().union(set(), *(urls_in(v) for v in data))
    return set()


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_page_is_a_greek_document_in_the_sites_dress(sample: str) -> None:
    name, data = SAMPLES[sample]
    html = pages.render(name, data)
    page = outline(html)

    assert html.startswith('<!DOCTYPE html>\n<html lang="el">')
    assert f'<link rel="stylesheet" href="{SITE}/theme/css/site.css">' in html
    assert '<a class="govgr--skip-link" href="#main">' in html
    assert ("main", {"id": "main", "class": "govgr-grid-column-two-thirds", "tabindex": "-1"}) in (
        page.tags
    )
    assert ("header", {"class": "govgr-header"}) in page.tags
    assert ("a", {"class": "govgr-footer__link", "href": f"{SITE}/"}) in page.tags
    assert SITE_NAME in "".join(page.text)
    assert re.search(r"<title>[^<]*— " + re.escape(SITE_NAME) + "</title>", html)
    assert page.headings[0][0] == "h1"
    assert [level for level, _ in page.headings].count("h1") == 1


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_no_page_runs_script_or_loads_anything_but_the_sites_own_files(sample: str) -> None:
    name, data = SAMPLES[sample]
    html = pages.render(name, data)
    page = outline(html)

    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "iframe", "object", "embed", "style", "noscript"}
    assert not any("style" in attrs for _, attrs in page.tags)
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    # the one image is the site's emblem, decorative beside the name it stands for
    assert [attrs["src"] for _, attrs in page.tags if "src" in attrs] == [EMBLEM]
    assert ("img", {"class": "govgr-header-logo", "src": EMBLEM, "alt": "", "width": "48",
                    "height": "48"}) in page.tags  # fmt: skip
    links = [attrs for tag, attrs in page.tags if tag == "link"]
    assert links == [
        {"rel": "stylesheet", "href": f"{SITE}/theme/css/govgr.css"},
        {"rel": "stylesheet", "href": f"{SITE}/theme/css/site.css"},
        {"rel": "stylesheet", "href": f"{SITE}/theme/css/print.css", "media": "print"},
        {"rel": "icon", "href": f"{SITE}/favicon.ico", "sizes": "16x16 32x32"},
    ]
    found = set(re.findall(r"https?://[^\s\"<>]+", html))
    allowed = urls_in(data) | {f"{SITE}/", EMBLEM, f"{SITE}/favicon.ico"}
    allowed |= {f"{SITE}/theme/css/{name}.css" for name in ("govgr", "site", "print")}
    assert found <= allowed, found - allowed


def test_the_follow_page_has_one_post_form_per_action_with_its_hidden_field() -> None:
    page = outline(pages.render("follow", follow()))

    assert len(page.forms) == len(ACTIONS)
    for form, action in zip(page.forms, ACTIONS, strict=True):
        assert form["method"] == "post"
        assert form["action"] == TOKEN
        assert form["inputs"] == [{"type": "hidden", "name": "action", "value": action["action"]}]
        assert [b["text"] for b in form["buttons"]] == [action["button"]]
        assert form["buttons"][0]["type"] == "submit"
    headings = [text for level, text in page.headings if level == "h3"]
    assert [h.split(" δεν αναιρείται")[0] for h in headings] == [a["label"] for a in ACTIONS]


def test_the_destructive_actions_say_so_in_words_and_are_marked() -> None:
    html = pages.render("follow", follow())
    page = outline(html)

    marked = {
        form["inputs"][0]["value"]
        for form in page.forms
        if "danger" in form["buttons"][0].get("class", "")
    }
    assert marked == {"withdraw", "erase"}
    h3 = {text.split(" δεν αναιρείται")[0]: text for level, text in page.headings if level == "h3"}
    assert h3["Απόσυρση της συμμετοχής"].endswith("δεν αναιρείται")
    assert h3["Διαγραφή των προσωπικών μου δεδομένων"].endswith("δεν αναιρείται")
    assert h3["Διακοπή μηνυμάτων"] == "Διακοπή μηνυμάτων"
    for action in ACTIONS:  # the button is described by its explanation
        button = next(
            f["buttons"][0] for f in page.forms if f["inputs"][0]["value"] == action["action"]
        )
        target = button["aria-describedby"]
        assert f'<p id="{target}">{action["description"]}' in html


def test_with_nothing_left_to_do_the_page_says_so_and_has_no_form() -> None:
    html = pages.render("follow", follow(actions=[], state="withdrawn"))
    page = outline(html)

    assert page.forms == []
    assert "Δεν μπορεί να αλλάξει τίποτα άλλο σε αυτή τη συμμετοχή" in html


def test_the_follow_page_shows_the_state_outcome_answer_and_everything_held() -> None:
    data = follow()
    html = pages.render("follow", data)
    page = outline(html)
    text = " ".join("".join(page.text).split())

    levels = [level for level, _ in page.headings]
    assert levels[:2] == ["h1", "h2"] and "h4" not in levels
    titles = [t for level, t in page.headings if level == "h2"]
    assert titles == [
        "Κατάσταση",
        "Η απάντηση του Δήμου",
        "Τι μπορείτε να κάνετε",
        "Τα στοιχεία σας που κρατάμε",
        "Ο σύνδεσμος αυτής της σελίδας",
    ]
    assert page.headings[0] == ("h1", "Σχόλιο NS-7K2QXD")
    assert "Εγκρίθηκε" in text and data["explanation"] in text
    assert ("a", {"href": data["public_url"]}) in page.tags
    assert "Ενσωματώνεται εν μέρει" in text and "Η οδός Ομήρου θα εξεταστεί." in text
    # The answer's time, 22:20 UTC on the 14th, is past midnight in Athens.
    assert '<time datetime="2026-12-15T00:20+02:00">15 Δεκεμβρίου 2026, 00:20</time>' in html
    facts = re.search(
        r"<h2>Τα στοιχεία σας που κρατάμε</h2>.*?<dl class=\"facts\">(.*?)</dl>", html, re.S
    )
    assert facts, html
    for row in data["held"]:
        assert f"<dt>{row['label']}</dt>" in facts.group(1)
        assert row["value"].split("\n")[0] in facts.group(1)
    assert "Δέντρα στην Ομήρου.<br>\nΚαι παγκάκια." in facts.group(1)
    assert data["retention"] in text
    assert "Άρθρο 3: Πεζόδρομοι και ποδηλατόδρομοι" in text and "stochos" in text


def test_a_refused_submission_gives_its_reason_and_the_way_back() -> None:
    _, data = SAMPLES["follow_not_published"]
    html = pages.render("follow", data)

    assert "<strong>Λόγος:</strong> Εκτός θέματος" in html
    assert f'<a href="{data["resubmit_url"]}">' in html
    assert "Η απάντηση του Δήμου" not in html and "Αφορά" not in html


@pytest.mark.parametrize(
    ("tone", "css", "word"),
    [
        ("success", "notice-static notice-ok", "Ολοκληρώθηκε"),
        ("error", "notice-static notice-error", "Πρόβλημα"),
    ],
)
def test_the_result_of_an_action_is_announced_in_words_not_colour_alone(
    tone: str, css: str, word: str
) -> None:
    html = pages.render(
        "follow", follow(flash={"tone": tone, "text": "Η συμμετοχή σας αποσύρθηκε."})
    )

    expected = f"<p><strong>{word}:</strong> Η συμμετοχή σας αποσύρθηκε.</p>"
    assert f'<div class="{css}" role="status">\n{expected}' in html


def test_what_people_wrote_is_escaped_and_cleaned_on_every_page() -> None:
    hostile = '<script>alert(1)</script>\x00\x1b[2J"'
    html = pages.render(
        "follow",
        follow(
            held=[{"label": "Σχόλιο", "value": hostile}],
            answer={"disposition_label": "<b>", "text": hostile, "answered_at": None},
            consultation_title=hostile,
        ),
    )
    note = pages.render("message", message(paragraphs=[hostile], title=hostile))
    form = pages.render("confirm", confirm(hidden={"return_to": '"><script>x</script>'}))

    for page in (html, note, form):
        assert "<script" not in page
        assert "\x00" not in page and "\x1b" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;[2J&#34;" in html
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in form


def test_the_confirm_page_is_one_post_form_with_one_big_button() -> None:
    data = confirm()
    page = outline(pages.render("confirm", data))

    assert len(page.forms) == 1
    form = page.forms[0]
    assert form["method"] == "post" and form["action"] == data["action_url"]
    assert form["inputs"] == [
        {"type": "hidden", "name": "return_to", "value": data["hidden"]["return_to"]}
    ]
    assert [(b["type"], b["text"]) for b in form["buttons"]] == [("submit", "Επιβεβαίωση")]


def test_a_message_page_wears_its_tone_and_lists_its_links() -> None:
    html = pages.render("message", message())
    page = outline(html)

    assert '<div class="notice-static notice-error">' in html
    assert ("a", {"href": f"{SITE}/"}) in page.tags
    assert "Αρχική σελίδα της διαβούλευσης" in "".join(page.text)
    assert '<div class="notice-static">' in pages.render("message", message(tone="info"))


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("profile", message(), "unknown page"),
        ("message", message(tone="warning"), "tone"),
        ("message", message(site_url=None), "site_url"),
        ("follow", follow(state="deleted"), "state"),
        ("follow", follow(flash={"tone": "red", "text": "x"}), "flash tone"),
        ("follow", follow(public_url="javascript:alert(1)"), "refusing"),
        ("confirm", confirm(action_url=""), "action_url"),
    ],
)
def test_bad_page_data_fails_loudly(name: str, data: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        pages.render(name, data)


def test_every_page_is_valid_html(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    for sample, (name, data) in SAMPLES.items():
        (folder / f"{sample}.html").write_text(pages.render(name, data), encoding="utf-8")
    hostile = follow(held=[{"label": "<dt>", "value": "</dl><p>\x00"}], action_url="")
    (folder / "hostile.html").write_text(pages.render("follow", hostile), encoding="utf-8")
    assert_nu_clean(
        folder,
        '<!DOCTYPE html><html lang="el"><head><title>x</title></head>'
        '<body><form action=""></form></body></html>',
    )
