"""Chromium with JavaScript off, against the real stack (the demo site, chalice local, DynamoDB
Local): a refused post comes back as the API's form page with everything typed and a linked
error summary, and is accepted once corrected; «Σχόλιο στην §N» opens the form with that
paragraph chosen; «Απάντηση» opens it answering that comment, and the reply keeps its parent.
The API's pages pass axe-core (WCAG 2.2 AA) as they are reached."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import test_browser_e2e as e2e
from browser import axe_violations, local_context
from test_browser_e2e import EMAIL, NAME, TEXT, Stack, _fill, _items, _submit

from chalicelib.store import keys

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
stack, browser = e2e.stack, e2e.browser  # the same real stack, one per module


def _no_axe_violations(browser: Any, stack: Stack, page: Any) -> None:
    """axe-core on the page as this script-less visitor sees it (axe itself needs a script:
    the same markup is loaded into a page of the API's origin that runs one)."""
    html = page.content()
    with local_context(browser) as context:
        checker = context.new_page()
        checker.goto(f"{stack.api}/v1/health")
        checker.set_content(html)
        found = axe_violations(checker)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)


def test_a_refused_post_keeps_everything_and_is_accepted_once_corrected(
    browser: Any, stack: Stack
) -> None:
    body = "Χωρίς σενάριο, διορθωμένο: σκιά στις στάσεις, κωδικός ΔΕΛΤΑ."
    with local_context(browser, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/{TEXT}")
        # Long enough for the browser's own check, too short once trimmed; an organisation
        # without its name: two things only the API can refuse here.
        _fill(page, "   Λίγα.             ", "kafsonas")
        form = page.locator("form.submission")
        form.get_by_label("Συλλογικός φορέας").check()
        form.get_by_label("Είδος φορέα").select_option("association")
        _submit(page)
        page.wait_for_url(f"{stack.api}/v1/comments")
        assert page.title().startswith("Σφάλμα:")
        summary = page.locator(".govgr-error-summary")
        assert summary.is_visible()
        links = summary.locator("a")
        assert [links.nth(n).get_attribute("href") for n in range(links.count())] == [
            "#f-body",
            "#f-organisation_name",
        ]
        form = page.locator("form.submission")
        assert form.get_by_label("Το σχόλιό σας").input_value().strip() == "Λίγα."
        assert form.get_by_label("Ονοματεπώνυμο").input_value() == NAME
        assert form.get_by_label("Ηλεκτρονικό ταχυδρομείο").input_value() == EMAIL
        assert form.get_by_label("Είδος φορέα").input_value() == "association"
        assert form.get_by_label("Συλλογικός φορέας").is_checked()
        assert form.get_by_label("Αποδέχομαι τους").is_checked()
        assert form.locator("#f-paragraph").input_value() == "kafsonas"
        assert "χαρακτήρ" in page.locator("#f-body-error").inner_text()
        _no_axe_violations(browser, stack, page)
        links.first.click()  # the summary's link leads to the field
        assert page.evaluate("document.activeElement.id") == "f-body"
        form.get_by_label("Το σχόλιό σας").fill(body)
        form.get_by_label("Επωνυμία φορέα").fill("Σύλλογος Δοκιμών")
        _submit(page)
        page.wait_for_url(re.compile(r"/v1/received/NS-"))
        reference = page.locator("strong.reference").inner_text()
        _no_axe_violations(browser, stack, page)
    item = _items(stack.table, "pending")[body]
    assert item["reference"] == reference and item["paragraph"] == "kafsonas"
    assert item["organisation_name"] == "Σύλλογος Δοκιμών"


def test_the_paragraph_link_opens_the_form_with_that_paragraph(browser: Any, stack: Stack) -> None:
    body = "Από τον σύνδεσμο της παραγράφου, χωρίς σενάριο, κωδικός ΕΨΙΛΟΝ."
    with local_context(browser, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/{TEXT}")
        link = page.locator("a.para-link").nth(1)
        paragraph = link.get_attribute("data-paragraph")
        link.click()
        page.wait_for_url(re.compile(r"/v1/comments/new\?"))
        form = page.locator("form.submission")
        assert form.locator("#f-paragraph").input_value() == paragraph
        _no_axe_violations(browser, stack, page)
        _fill(page, body)
        _submit(page)
        page.wait_for_url(re.compile(r"/v1/received/NS-"))
        page.get_by_role("link", name="Επιστροφή στη σελίδα της υποβολής").click()
        assert page.url == f"{stack.site.url}/{TEXT}"
    assert _items(stack.table, "pending")[body]["paragraph"] == paragraph


def test_a_reply_without_javascript_keeps_its_parent(browser: Any, stack: Stack) -> None:
    body = "Απάντηση χωρίς σενάριο: συμφωνώ με το σχόλιο, κωδικός ΖΗΤΑ."
    with local_context(browser, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/{TEXT}")
        page.locator(".para-tools details summary").first.click()  # no script needed
        link = page.locator("details[open] a[data-parent]").first
        parent, reference = link.get_attribute("data-parent"), link.get_attribute("data-reference")
        # The demo's published comments live in its snapshot, not in this test's table: the
        # parent the API will check is written as moderation would have left it.
        stack.table.put_item(
            Item={
                **keys.submission(parent),
                "id": parent,
                "kind": "comment",
                "status": "approved",
                "consultation": TEXT.split("/")[1],
                "text": TEXT.split("/")[2],
                "reference": reference,
                "body": "Το σχόλιο στο οποίο απαντά η δοκιμή.",
            }
        )
        link.click()
        page.wait_for_url(re.compile(r"/v1/comments/new\?"))
        assert "Απαντάτε στο σχόλιο" in page.locator("[data-reply-to]").inner_text()
        assert reference in page.locator("[data-reply-to]").inner_text()
        form = page.locator("form.submission")
        assert form.locator("input[name=parent]").input_value() == parent
        _fill(page, body)
        _submit(page)
        page.wait_for_url(re.compile(r"/v1/received/NS-"))
    assert _items(stack.table, "pending")[body]["parent"] == parent
