"""forms.js in Chromium against the fixture site; the API's answers are played by page.route."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, serve

from chalicelib.sitebuild import build_site
from chalicelib.spec import limits

FIXTURE = Path(__file__).parent / "fixtures" / "site"
API = "http://api.invalid"
TEXT = "diavoulefseis/prasino-kai-evangelistria/anaplasi-plateias/"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Allow-Methods": "POST",
}

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("site_forms_js")]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Iterator[str]:
    output = tmp_path_factory.mktemp("forms") / "output"
    now = datetime(2026, 11, 26, 12, tzinfo=ZoneInfo("Europe/Athens"))
    build_site(
        root,
        output,
        snapshot=FIXTURE / "snapshot.json",
        api_url=API,
        now=now,
        content=FIXTURE / "content",
    )
    with serve(output) as served:
        yield served.url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context()  # own localStorage per test
    yield context.new_page()
    context.close()


def answer(page, status: int, body: dict, sent: list) -> None:
    def handle(route) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=CORS)
            return
        sent.append((route.request.headers, json.loads(route.request.post_data)))
        route.fulfill(
            status=status, headers=CORS, content_type="application/json", body=json.dumps(body)
        )

    page.route(f"{API}/v1/comments", handle)


def fill(page) -> None:
    page.fill("#f-body", "Ένα σχόλιο αρκετά μεγάλο για τη φόρμα.")
    page.fill("#f-display_name", "Μαρία")
    page.fill("#f-email", "maria@example.org")
    page.check("#f-consent")


def test_server_errors_shown_beside_fields_in_a_summary_and_draft_kept(page, base_url: str) -> None:
    sent: list = []
    fields = {"email": "Μη έγκυρη διεύθυνση.", "body": "Το σχόλιο είναι πολύ μικρό."}
    error = {"code": "validation", "message": "Ελέγξτε τα πεδία.", "fields": fields}
    answer(page, 422, {"error": error}, sent)
    page.goto(f"{base_url}/{TEXT}")
    fill(page)
    page.click("form.submission button[type=submit]")
    page.wait_for_selector("#f-body-error")
    assert "Το σχόλιο είναι πολύ μικρό." in page.text_content("#f-body-error")
    assert page.get_attribute("#f-body", "aria-invalid") == "true"
    assert "f-body-error" in page.get_attribute("#f-body", "aria-describedby").split()
    assert "f-email-error" in page.get_attribute("#f-email", "aria-describedby").split()
    # the summary takes focus and lists the problems in the form's order, not the answer's
    assert page.evaluate("document.activeElement.matches('[data-error-summary]')")
    links = page.eval_on_selector_all(
        "#sxoliasmos [data-error-summary] a", "as => as.map(a => a.getAttribute('href'))"
    )
    assert links == ["#f-body", "#f-email"]
    page.click("#sxoliasmos [data-error-summary] a >> nth=0")
    assert page.evaluate("document.activeElement.id") == "f-body"
    headers, payload = sent[0]
    assert headers["accept"] == "application/json"
    assert "return_to" not in payload and "paragraph" not in payload and "website" not in payload
    assert "parent" not in payload
    assert payload["consent"] is True and payload["text"] == "anaplasi-plateias"
    assert len(payload["submission_key"]) == 36  # crypto.randomUUID()
    page.reload()
    assert page.input_value("#f-body") == "Ένα σχόλιο αρκετά μεγάλο για τη φόρμα."  # the draft
    assert page.input_value("#f-email") == ""  # personal data is not kept


def test_own_greek_checks_before_sending_from_limits_json(page, base_url: str) -> None:
    sent: list = []
    answer(page, 202, {"reference": "NS-7K2QXD"}, sent)
    page.goto(f"{base_url}/{TEXT}")
    assert page.evaluate("document.querySelector('form.submission').noValidate")
    page.fill("#f-body", "Λίγο")
    page.check("#f-rt-organisation")
    page.click("form.submission button[type=submit]")
    page.wait_for_selector("#sxoliasmos [data-error-summary]:not([hidden])")
    assert sent == []  # nothing was sent
    fields = limits()["fields"]
    texts = page.eval_on_selector_all(
        "#sxoliasmos [data-error-summary] a", "as => as.map(a => a.textContent)"
    )
    assert texts[0] == limits()["messages"]["too_short"].format(
        label=fields["body"]["label"], min=fields["body"]["min"]
    )
    hrefs = page.eval_on_selector_all(
        "#sxoliasmos [data-error-summary] a", "as => as.map(a => a.getAttribute('href'))"
    )
    assert hrefs == [
        "#f-body",
        "#f-display_name",
        "#f-organisation_name",
        "#f-organisation_type",
        "#f-email",
        "#f-consent",
    ]
    assert all("Please" not in t and "Συμπληρώστε" not in t for t in texts)
    page.check("#f-rt-citizen") if page.query_selector("#f-rt-citizen") else page.check(
        "#f-respondent_type"
    )
    page.fill("#f-body", "Ένα σχόλιο αρκετά μεγάλο για τη φόρμα.")
    fill(page)
    page.click("form.submission button[type=submit]")
    page.wait_for_selector("[data-success]:not([hidden])")
    assert len(sent) == 1 and page.query_selector("#f-body-error") is None


def test_success_panel_shows_the_reference_and_clears_draft(page, base_url: str) -> None:
    sent: list = []
    answer(page, 202, {"id": "x" * 26, "status": "pending", "reference": "NS-7K2QXD"}, sent)
    page.goto(f"{base_url}/{TEXT}")
    page.click("a.para-link[data-paragraph=eisagogi]")
    assert page.input_value("#f-paragraph") == "eisagogi"
    assert page.evaluate("document.activeElement.id") == "f-body"
    fill(page)
    page.click("form.submission button[type=submit]")
    page.wait_for_selector("[data-success]:not([hidden])")
    assert page.text_content("[data-success-reference]") == "NS-7K2QXD"
    assert page.evaluate("document.activeElement.matches('[data-success]')")
    assert sent[0][1]["paragraph"] == "eisagogi"
    assert page.input_value("#f-body") == ""
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('draft:'))") == []
    first_key = sent[0][1]["submission_key"]
    assert page.input_value("input[name=submission_key]") != first_key  # a new key for the next


def test_reply_link_sets_the_parent_in_place_and_can_be_undone(page, base_url: str) -> None:
    sent: list = []
    answer(page, 202, {"reference": "NS-7K2QXD"}, sent)
    page.goto(f"{base_url}/{TEXT}")
    assert page.query_selector("select[name=parent]") is None  # no list of every comment
    link = page.query_selector(".comments-section a[data-parent]")
    parent, reference = link.get_attribute("data-parent"), link.get_attribute("data-reference")
    assert "/v1/comments/new?" in link.get_attribute("href")  # where it leads without a script
    link.click()
    assert page.is_visible("[data-reply-to]") and reference in page.text_content("[data-reply-to]")
    assert page.input_value("input[name=parent]") == parent
    page.click("[data-cancel-reply]")
    assert not page.is_visible("[data-reply-to]") and page.input_value("input[name=parent]") == ""
    link.click()
    fill(page)
    page.click("form.submission button[type=submit]")
    page.wait_for_selector("[data-success]:not([hidden])")
    assert sent[0][1]["parent"] == parent
    assert not page.is_visible("[data-reply-to]")  # the next comment is a new one
