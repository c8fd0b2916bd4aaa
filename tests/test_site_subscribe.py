"""«Ενημερώστε με» on every consultation page: a plain form post to the API's subscriptions route,
its notices shown by CSS :target like the submission forms' (real Pelican on the fixture site,
Chromium without JavaScript posting it to a stand-in for the API's 303); and the texts that tell
participants what they will receive: the submission notice and the privacy notice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, axe_violations, local_context, preload_axe, serve
from site_support import Node, build_fixture_site, page

from chalicelib.spec import limits

ROOT = Path(__file__).resolve().parent.parent
API = "http://127.0.0.1:9"  # never reached: the browser test answers for it
CONSULTATIONS = {  # slug → state at FIXTURE_NOW
    "prasino-kai-evangelistria": "open",
    "kleisti": "closed",
    "mellontiki": "upcoming",
}
ERRORS = ["validation", "rate_limited", "forbidden_origin", "not_found", "unavailable"]
OK = "Σας στείλαμε μήνυμα επιβεβαίωσης. Ανοίξτε το για να ολοκληρωθεί η εγγραφή."


def build(root: Path, tmp: Path, report: str | None = None) -> Path:
    return build_fixture_site(root, tmp, report or None, API_URL=API)[0]


@pytest.fixture(scope="module")
def site(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(root, tmp_path_factory.mktemp("subscribe"))


def form_of(doc: Node) -> Node:
    forms = doc.find_all("form", cls="subscribe-form")
    assert len(forms) == 1
    return forms[0]


@pytest.mark.parametrize("slug", list(CONSULTATIONS))
def test_every_consultation_page_has_the_form(site: Path, slug: str) -> None:
    url = f"diavoulefseis/{slug}/"
    doc = page(site, url)
    form = form_of(doc)
    assert form.get("method") == "post" and form.get("action") == f"{API}/v1/subscriptions"
    assert form.get("enctype") == "application/x-www-form-urlencoded"
    assert "submission" not in form.classes  # forms.js enhances form.submission only
    hidden = {i.get("name"): i.get("value") for i in form.find_all("input", type="hidden")}
    assert hidden == {"consultation": slug, "return_to": f"/{url}"}
    email = form.find("input", name="email")
    assert (email.get("type"), email.get("autocomplete")) == ("email", "email")
    assert "required" in email.attrs
    assert form.find("label", for_=email.get("id")).text() == "Ηλεκτρονικό ταχυδρομείο"
    consent = form.find("input", name="consent")
    assert consent.get("type") == "checkbox" and "required" in consent.attrs
    label = form.find("label", for_=consent.get("id"))
    assert label.text().startswith("Συμφωνώ να λαμβάνω ενημερώσεις για αυτή τη διαβούλευση")
    assert label.find("a").get("href") == "../../prosopika-dedomena/"
    trap = form.find("div", cls="hp")
    assert trap.get("aria-hidden") == "true"
    website = trap.find("input", name="website")
    assert (website.get("tabindex"), website.get("autocomplete"), website.get("value")) == (
        "-1",
        "off",
        "",
    )
    assert not doc.find_all("script", src=True)  # nothing to hijack the post


def test_it_says_what_will_come_and_only_what_lies_ahead(site: Path) -> None:
    days = limits()["mail"]["closing_soon_days"]
    said = {
        slug: page(site, f"diavoulefseis/{slug}/").by_id("enimerosi-ti").text()
        for slug in CONSULTATIONS
    }
    for text in said.values():
        assert text.startswith("Θα λάβετε πρώτα ένα μήνυμα για να επιβεβαιώσετε τη διεύθυνσή σας")
        assert "όταν δημοσιευθούν τα αποτελέσματα" in text and "ένα κλικ" in text
    assert f"όταν ανοίξει, {days} ημέρες πριν κλείσει και όταν δημοσιευθούν" in said["mellontiki"]
    assert f"γράψουμε {days} ημέρες πριν κλείσει και όταν" in said["prasino-kai-evangelistria"]
    assert "γράψουμε όταν δημοσιευθούν τα αποτελέσματα," in said["kleisti"]


def test_the_notices_answer_every_code_of_the_api(site: Path) -> None:
    doc = page(site, "diavoulefseis/prasino-kai-evangelistria/")
    ok = doc.by_id("enimerosi-ok")
    assert "notice" in ok.classes and ok.get("role") == "status" and OK in ok.text()
    for code in ERRORS:
        notice = doc.by_id(f"enimerosi-{code}")
        assert "notice-error" in notice.classes and notice.get("role") == "alert"
        assert notice.find("h3").text() == "Η εγγραφή δεν ολοκληρώθηκε"
    css = (ROOT / "theme" / "static" / "css" / "site.css").read_text(encoding="utf-8")
    assert ".notice{display:none}" in css and ".notice:target{display:block}" in css


def test_no_form_once_the_report_is_out(root: Path, tmp_path: Path) -> None:
    output = build(root, tmp_path, "Title: Έκθεση\nDate: 2026-03-02\n\nΗ έκθεση του Δήμου.\n")
    assert page(output, "diavoulefseis/kleisti/").find_all("form") == []
    assert form_of(page(output, "diavoulefseis/mellontiki/"))


def test_the_submission_notice_mentions_the_receipt_and_its_link(site: Path) -> None:
    text = page(site, "diavoulefseis/prasino-kai-evangelistria/anaplasi-plateias/")
    ok = text.find("p", cls="success-next").text()
    assert "απόδειξη στο ηλεκτρονικό σας ταχυδρομείο" in ok and "προσωπικό σύνδεσμο" in ok
    assert "αποσύρετε" in ok
    script = (ROOT / "theme" / "static" / "js" / "forms.js").read_text(encoding="utf-8")
    assert re.findall(r"querySelectorAll\(\"form[^\"]*\"\)", script) == [
        'querySelectorAll("form.submission")'
    ]


def test_the_privacy_notice_says_what_limits_json_does() -> None:
    notice = (ROOT / "content" / "pages" / "prosopika-dedomena.md").read_text(encoding="utf-8")
    spec = limits()
    retention, mail = spec["retention"], spec["mail"]
    for said in (
        f"{retention['email_days_after_close']} ημέρες μετά τη λήξη της διαβούλευσης",
        f"{retention['days_after_removal']} ημέρες μετά",
        f"{mail['keep_days']} ημέρες αφού σταλούν",
        f"φυλάσσεται για το αρμόδιο προσωπικό {retention['redacted_original_days']} ημέρες",
        f"{mail['closing_soon_days']} ημέρες πριν κλείσει",
        f"διαγράφεται μετά από {mail['subscription_confirm_days']} ημέρες",
        "«Αποσύρθηκε από τον συντάκτη»",
        "Amazon SES",
        "24 ώρες",
        "άρθρο 17 ΓΚΠΔ",
        "το πολύ ένα μήνυμα ανά ενημέρωση",
    ):
        assert said in notice, said


# --- in Chromium, without JavaScript ----------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.browser
@pytest.mark.xdist_group("site_subscribe")
def test_the_plain_post_comes_back_to_its_notice(site: Path, browser: Any) -> None:
    slug = "mellontiki"
    sent: list[dict[str, list[str]]] = []
    with serve(site) as served, local_context(browser, java_script_enabled=False) as context:

        def api(route: Any) -> None:  # the API: a 303 back to return_to with the outcome
            request = route.request
            assert request.headers["content-type"] == "application/x-www-form-urlencoded"
            sent.append(parse_qs(request.post_data, keep_blank_values=True))
            back = sent[-1]["return_to"][0]
            route.fulfill(status=303, headers={"Location": f"{served.url}{back}#enimerosi-ok"})

        context.route(f"{API}/v1/subscriptions", api)
        tab = context.new_page()
        tab.goto(f"{served.url}/diavoulefseis/{slug}/")
        assert tab.locator("#enimerosi-ok").is_hidden()
        tab.fill("#s-email", "maria@example.org")
        tab.check("#s-consent")
        tab.click("form.subscribe-form button[type=submit]")
        tab.wait_for_url(f"**/diavoulefseis/{slug}/#enimerosi-ok")
        assert tab.locator("#enimerosi-ok").is_visible()
        assert OK in tab.locator("#enimerosi-ok").inner_text()
        assert all(tab.locator(f"#enimerosi-{code}").is_hidden() for code in ERRORS)
        tab.goto(f"{served.url}/diavoulefseis/{slug}/#enimerosi-rate_limited")
        assert tab.locator("#enimerosi-rate_limited").is_visible()
        assert tab.locator("#enimerosi-ok").is_hidden()
    with serve(site) as served, local_context(browser) as context:
        tab = preload_axe(context).new_page()
        for notice in ("ok", "validation"):
            tab.goto(f"{served.url}/diavoulefseis/{slug}/#enimerosi-{notice}")
            assert axe_violations(tab) == [], notice
    assert sent == [
        {
            "consultation": [slug],
            "return_to": [f"/diavoulefseis/{slug}/"],
            "email": ["maria@example.org"],
            "consent": ["on"],
            "website": [""],
        }
    ]
