"""The municipality's answers on the moderation page, in Debian's Chromium against a real
``chalice local`` on DynamoDB Local: one answer given, refused with the API's Greek messages
beside the fields, stored, shown with its history and changed; the approved comments of one
paragraph listed through the text and paragraph filters, selected and answered together, with
what could not be answered reported; axe-core clean in each state."""

from __future__ import annotations

from typing import Any

import pytest
from browser import chromium, local_context
from moderation_support import axe22, decide_by_api, sign_in, submit_page_comment, summary_by_api

pytestmark = pytest.mark.browser
pytest_plugins = ("moderation_support",)  # fixtures: page_stack
BODY = "Να φυτευτούν δέντρα στην πλατεία, σε όλη την πλευρά του δρόμου."


@pytest.fixture
def stack(page_stack: dict[str, str]) -> dict[str, str]:
    return page_stack


@pytest.fixture
def token(api_env: dict[str, str]) -> str:
    from chalicelib import auth, db

    return auth.create(db.table(), "Μαρία Απαντήσεων")[0]


def _approved(stack: dict[str, str], token: str, body: str, paragraph: str = "eisagogi") -> str:
    """A comment through the public intake, approved through the staff API; its id."""
    item_id = str(submit_page_comment(stack, body, paragraph)["id"])
    decide_by_api(stack, token, item_id, action="approve")
    return item_id


def _stored(item_id: str) -> dict[str, Any]:
    from chalicelib import db

    return db.table().get_item(Key={"PK": f"SUB#{item_id}", "SK": "SUB"})["Item"]


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement.id"))


def test_answering_one_item(stack: dict[str, str], token: str) -> None:
    """Give an answer to an approved comment, see the Greek 422 messages beside the fields
    first, then the stored answer in the item and its history; change it later."""
    from playwright.sync_api import expect

    item_id = _approved(stack, token, BODY)
    summary = summary_by_api(stack, token)
    labels = summary["dispositions"]
    limit = summary["limits"]["answer"]
    with chromium() as browser, local_context(browser) as context:
        page = context.new_page()
        sign_in(page, stack, token)
        page.get_by_label("Κατάσταση").select_option(summary["answerable"])
        page.get_by_role("button", name="Εμφάνιση").click()
        item = page.locator("#mod-items article", has_text=BODY)
        expect(item).to_have_count(1)
        state = item.locator(".mod-answer h4")
        expect(state).to_have_text(f"{limit['label']}: δεν έχει δοθεί ακόμη")
        item.get_by_text("Καταχώριση απάντησης").click()
        group = item.get_by_role("group", name="Έκβαση")
        expect(group.get_by_role("radio")).to_have_count(len(labels))
        text = item.get_by_label(limit["label"], exact=True)
        expect(text).to_have_attribute("maxlength", str(limit["max"]))
        axe22(page)

        # Nothing chosen, only spaces: the API's Greek messages, each beside its field.
        text.fill("   ")
        item.get_by_role("button", name="Αποθήκευση της απάντησης").click()
        choice_error = item.locator(f"#mod-ans-{item_id}-disposition-error")
        expect(choice_error).to_contain_text("Επιλέξτε απάντηση")
        expect(item.locator(f"#mod-ans-{item_id}-text-error")).to_have_text(
            "Γράψτε την απάντηση του Δήμου."
        )
        expect(text).to_have_attribute("aria-invalid", "true")
        expect(group).to_have_attribute("aria-describedby", f"mod-ans-{item_id}-disposition-error")
        assert page.evaluate("document.activeElement.type") == "radio"
        expect(page.locator("#mod-status")).to_contain_text("Ορισμένα πεδία")
        assert "answer" not in _stored(item_id)
        axe22(page)

        answer = "Ενσωματώνεται στο τελικό κείμενο, στην ενότητα για το πράσινο."
        group.get_by_role("radio", name=labels["adopted"], exact=True).check()
        text.fill(answer)
        expect(item.locator(f"#mod-ans-{item_id}-count")).to_contain_text(
            f"Χαρακτήρες: {len(answer)} από {limit['max']}"
        )
        item.get_by_role("button", name="Αποθήκευση της απάντησης").click()
        expect(page.locator("#mod-status")).to_contain_text("η απάντηση καταχωρίστηκε")
        item = page.locator("#mod-items article", has_text=BODY)
        expect(item.locator(".mod-answer h4")).to_have_text(
            f"{limit['label']}: {labels['adopted']}"
        )
        expect(item.locator(".mod-answer")).to_contain_text(answer)
        expect(item.locator(".mod-answer")).to_contain_text("Μαρία Απαντήσεων")
        assert _focused(page) == f"mod-answer-h-{item_id}"
        history = item.locator(".mod-history")
        expect(history).to_have_attribute("open", "")
        expect(history.locator("li")).to_have_count(2)  # the approval, the answer
        expect(history.locator("li").last).to_contain_text(labels["adopted"])
        expect(history.locator("li").last).to_contain_text(answer)
        stored = _stored(item_id)
        assert stored["status"] == summary["answerable"]
        assert stored["answer"]["disposition"] == "adopted"
        assert stored["answer"]["text"] == answer
        assert stored["answer"]["answered_by"] == "Μαρία Απαντήσεων"
        axe22(page)

        # Change it later: the form starts from the answer given.
        item.get_by_text("Αλλαγή της απάντησης").click()
        expect(item.get_by_role("radio", name=labels["adopted"], exact=True)).to_be_checked()
        expect(item.get_by_label(limit["label"], exact=True)).to_have_value(answer)
        item.get_by_role("radio", name=labels["partly"], exact=True).check()
        item.get_by_label(limit["label"], exact=True).fill("Εν μέρει: μόνο η δεντροφύτευση.")
        item.get_by_role("button", name="Αποθήκευση της αλλαγής").click()
        expect(item.locator(".mod-answer h4")).to_have_text(f"{limit['label']}: {labels['partly']}")
        expect(history.locator("li")).to_have_count(3)
        expect(history.locator("li").last).to_contain_text("Αντικατέστησε την προηγούμενη")
        expect(history.locator("li").last).to_contain_text(answer)
        assert _stored(item_id)["answer"]["disposition"] == "partly"
        # The answer waits for the next publish, like a decision.
        expect(page.locator("#mod-unpublished")).to_contain_text(labels["partly"])
        axe22(page)
        page.reload()  # the list reloads from the API: the answer shows in its row
        page.get_by_label("Κατάσταση").select_option(summary["answerable"])
        page.get_by_role("button", name="Εμφάνιση").click()
        expect(
            page.locator("#mod-items article", has_text=BODY).locator(".mod-answer h4")
        ).to_have_text(f"{limit['label']}: {labels['partly']}")


def test_answering_the_selected_comments_of_one_paragraph(
    stack: dict[str, str], token: str
) -> None:
    """Filter the approved comments by text and paragraph, select two, give them one answer;
    one taken down meanwhile is reported with the API's Greek reason and nothing else is
    touched."""
    from playwright.sync_api import expect

    on_paragraph = [_approved(stack, token, f"{BODY} Σχόλιο {n}.") for n in range(3)]
    elsewhere = _approved(stack, token, f"{BODY} Άλλη παράγραφος.", paragraph="p-0a1b2c3d")
    summary = summary_by_api(stack, token)
    labels = summary["dispositions"]
    limit = summary["limits"]["answer"]
    with chromium() as browser, local_context(browser) as context:
        page = context.new_page()
        sign_in(page, stack, token)
        expect(page.locator("#mod-pick-all")).to_be_hidden()  # pending: nothing to answer
        page.get_by_label("Κατάσταση").select_option(summary["answerable"])
        expect(page.get_by_label("Κείμενο", exact=True)).to_be_disabled()
        page.get_by_label("Διαβούλευση").select_option("anoichti")
        page.get_by_label("Κείμενο", exact=True).select_option("proto-keimeno")
        page.get_by_label("Παράγραφος").select_option("eisagogi")
        expect(page.get_by_label("Παράγραφος").locator("option:checked")).to_have_text(
            "Παράγραφος 1 (eisagogi)"
        )
        page.get_by_role("button", name="Εμφάνιση").click()
        rows = page.locator("#mod-items > li")
        expect(rows).to_have_count(3)
        expect(page.locator("#mod-items")).not_to_contain_text("Άλλη παράγραφος")
        bulk = page.get_by_role("region", name="Κοινή απάντηση στις επιλεγμένες")
        expect(bulk).to_be_visible()
        expect(bulk).to_contain_text(f"έως {summary['limits']['answer_ids']} σε μία φορά")
        expect(page.locator("#mod-bulk-count")).to_have_text("Επιλεγμένες: 0 από 3.")
        axe22(page)

        # Nothing selected: the API's message beside the selection.
        bulk.get_by_role("radio", name=labels["already_planned"], exact=True).check()
        bulk.get_by_label(limit["label"], exact=True).fill("Προβλέπεται ήδη στη μελέτη.")
        bulk.get_by_role("button", name="Απάντηση στις επιλεγμένες").click()
        expect(page.locator("#mod-bulk-ids-error")).to_have_text(
            "Επιλέξτε τουλάχιστον μία υποβολή."
        )
        assert _focused(page) == "mod-pick-all"

        page.get_by_label("Επιλογή όλων όσων εμφανίζονται, για κοινή απάντηση").check()
        expect(page.locator("#mod-bulk-count")).to_have_text("Επιλεγμένες: 3 από 3.")
        third = page.locator("#mod-items article", has_text=f"{BODY} Σχόλιο 2.")
        third.get_by_role("checkbox").uncheck()
        expect(page.locator("#mod-pick-all")).to_have_js_property("indeterminate", True)
        expect(page.locator("#mod-bulk-count")).to_have_text("Επιλεγμένες: 2 από 3.")
        axe22(page)

        # Another member of staff hides the second meanwhile: it fails, the first is answered.
        decide_by_api(stack, token, on_paragraph[1], action="hide", reason="off_topic")
        bulk.get_by_role("button", name="Απάντηση στις επιλεγμένες").click()
        result = page.locator("#mod-bulk-result")
        expect(result).to_contain_text("Απαντήθηκαν: 1. Δεν απαντήθηκαν: 1.")
        expect(result).to_contain_text("Απαντήσεις δίνονται μόνο σε εγκεκριμένες υποβολές")
        expect(result).to_contain_text(_stored(on_paragraph[1])["reference"])
        expect(result).to_be_focused()  # once the list has reloaded under it
        expect(page.locator("#mod-status")).to_contain_text("Απαντήθηκαν: 1.")
        expect(rows).to_have_count(2)  # the hidden one left the approved list
        first = page.locator("#mod-items article", has_text=f"{BODY} Σχόλιο 0.")
        expect(first.locator(".mod-answer h4")).to_have_text(
            f"{limit['label']}: {labels['already_planned']}"
        )
        expect(third.locator(".mod-answer h4")).to_have_text(
            f"{limit['label']}: δεν έχει δοθεί ακόμη"
        )
        axe22(page)

        # Two of one paragraph together.
        page.get_by_label("Επιλογή όλων όσων εμφανίζονται, για κοινή απάντηση").check()
        bulk.get_by_role("radio", name=labels["not_adopted"], exact=True).check()
        bulk.get_by_label(limit["label"], exact=True).fill(
            "Δεν ενσωματώνεται: εκτός προϋπολογισμού."
        )
        bulk.get_by_role("button", name="Απάντηση στις επιλεγμένες").click()
        expect(result).to_contain_text("Απαντήθηκαν: 2. Δεν απαντήθηκαν: 0.")
        expect(page.locator("#mod-items .mod-answer h4")).to_have_text(
            [f"{limit['label']}: {labels['not_adopted']}"] * 2
        )
        expect(page.locator("#mod-bulk-count")).to_have_text("Επιλεγμένες: 0 από 2.")
        axe22(page)
    for item_id in (on_paragraph[0], on_paragraph[2]):
        stored = _stored(item_id)["answer"]
        assert stored["disposition"] == "not_adopted"
        assert stored["text"] == "Δεν ενσωματώνεται: εκτός προϋπολογισμού."
    assert "answer" not in _stored(on_paragraph[1])
    assert "answer" not in _stored(elsewhere)
