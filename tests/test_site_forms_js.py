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


def test_errors_shown_next_to_fields_and_draft_kept(page, base_url: str) -> None:
    sent: list = []
    fields = {"body": "Το σχόλιο είναι πολύ μικρό.", "email": "Μη έγκυρη διεύθυνση."}
    error = {"code": "validation", "message": "Ελέγξτε τα πεδία.", "fields": fields}
    answer(page, 422, {"error": error}, sent)
    page.goto(f"{base_url}/{TEXT}")
    fill(page)
    page.click("form.submission button[type=submit]")
    page.wait_for_selector("#err-body")
    assert page.text_content("#err-body") == "Το σχόλιο είναι πολύ μικρό."
    assert page.get_attribute("#f-body", "aria-invalid") == "true"
    assert "err-body" in page.get_attribute("#f-body", "aria-describedby").split()
    assert "err-email" in page.get_attribute("#f-email", "aria-describedby").split()
    assert page.evaluate("document.activeElement.id") == "f-body"
    assert "Ελέγξτε τα πεδία." in page.text_content("form.submission .status")
    headers, payload = sent[0]
    assert headers["accept"] == "application/json"
    assert "return_to" not in payload and "paragraph" not in payload and "website" not in payload
    assert payload["consent"] is True and payload["text"] == "anaplasi-plateias"
    assert len(payload["submission_key"]) == 36  # crypto.randomUUID()
    page.reload()
    assert page.input_value("#f-body") == "Ένα σχόλιο αρκετά μεγάλο για τη φόρμα."  # the draft
    assert page.input_value("#f-email") == ""  # personal data is not kept


def test_success_announces_reference_and_clears_draft(page, base_url: str) -> None:
    sent: list = []
    answer(page, 202, {"id": "x" * 26, "status": "pending", "reference": "NS-7K2QXD"}, sent)
    page.goto(f"{base_url}/{TEXT}")
    page.click("a.para-link[data-paragraph=eisagogi]")
    assert page.input_value("#f-paragraph") == "eisagogi"
    fill(page)
    page.click("form.submission button[type=submit]")
    page.wait_for_function(
        "document.querySelector('form.submission .status').textContent.includes('NS-7K2QXD')"
    )
    assert sent[0][1]["paragraph"] == "eisagogi"
    assert page.input_value("#f-body") == ""
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('draft:'))") == []
    first_key = sent[0][1]["submission_key"]
    assert page.input_value("input[name=submission_key]") != first_key  # a new key for the next


def test_redirect_notice_shows_the_reference(page, base_url: str) -> None:
    page.goto(f"{base_url}/{TEXT}?ref=NS-7K2QXD#apostoli-ok")
    assert page.is_visible("#apostoli-ok")
    assert not page.is_visible("#apostoli-validation")
    assert "NS-7K2QXD" in page.text_content("#apostoli-ok")
