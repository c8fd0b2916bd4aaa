"""The moderation page as staff meet it (issue 11), in Debian's Chromium against a real
``chalice local`` on DynamoDB Local: built on the gov.gr design system's classes; a token field
that is large, takes a paste and a password manager, with a show/hide toggle; filter menus
whose every option shows whole at 390 and 1280 px; «Απόρριψη» and «Απόκρυψη» told apart by
more than colour; the reason, note, decider and time of every decision shown; axe-core
(WCAG 2.2 AA) clean in each state. Targets and the keyboard: test_moderation_page_keyboard.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser import chromium, local_context
from moderation_support import (
    DESKTOP,
    PHONE,
    axe22,
    decide_by_api,
    show_status,
    sign_in,
    submit_page_comment,
    summary_by_api,
)

pytestmark = pytest.mark.browser
pytest_plugins = ("moderation_support",)  # fixtures: page_stack

DECIDER = "Πέτρος Αποφάσεων"


@pytest.fixture
def token(api_env: dict[str, str]) -> str:
    from chalicelib import auth, db

    return auth.create(db.table(), DECIDER)[0]


def test_the_page_is_built_on_the_govgr_design_system(
    page_stack: dict[str, str], token: str
) -> None:
    """Every control of the page wears the design system's class for its kind (buttons a variant
    too), and a refused token gets its error summary, linked to the field, and the field's own
    message, as the design system's forms do."""
    from playwright.sync_api import expect

    submit_page_comment(page_stack, "Σχόλιο για τον έλεγχο των κλάσεων της σελίδας εποπτείας.")
    approved = submit_page_comment(
        page_stack, "Εγκεκριμένο σχόλιο, για την απάντηση και την επιλογή του."
    )
    decide_by_api(page_stack, token, approved["id"], action="approve")
    with chromium() as browser, local_context(browser) as context:
        page = context.new_page()
        page.goto(f"{page_stack['site']}/moderation/")
        field = page.locator("#mod-token")
        field.fill("λάθος")
        page.get_by_role("button", name="Σύνδεση").click()
        summary = page.locator("#mod-login .govgr-error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        link = summary.get_by_role("link", name="δεν έχει τη σωστή μορφή")
        expect(link).to_have_attribute("href", "#mod-token")
        expect(page.locator("#mod-token-error.govgr-error-message")).to_be_visible()
        expect(page.locator(".govgr-field:has(#mod-token)")).to_have_class(
            "govgr-field govgr-field__error"
        )
        expect(field).to_have_class("govgr-input govgr-error-input")
        expect(field).to_have_attribute("aria-describedby", "mod-token-hint mod-token-error")
        link.click()
        expect(field).to_be_focused()
        _assert_govgr(page)
        axe22(page)

        field.fill(token)
        page.keyboard.press("Enter")
        expect(page.locator("#mod-items > li")).to_have_count(1)
        expect(summary).to_be_hidden()
        page.get_by_text("Ιστορικό αποφάσεων και απαντήσεων").first.click()
        _assert_govgr(page)
        axe22(page)

        show_status(page, "approved")
        expect(page.locator("#mod-items > li")).to_have_count(1)
        page.get_by_text("Καταχώριση απάντησης").click()
        expect(page.locator("#mod-items .govgr-radios__input").first).to_be_visible()
        expect(page.locator("#mod-pick-all")).to_be_visible()
        _assert_govgr(page)
        axe22(page)


def _assert_govgr(page: Any) -> None:
    wrong = page.evaluate(
        """() => {
          const kinds = [
            ['button', /\\bgovgr-btn\\b/, /\\bgovgr-btn-(primary|secondary|warning)\\b/],
            ['input[type=text], input[type=password], input:not([type])', /\\bgovgr-input\\b/],
            ['select', /\\bgovgr-select\\b/],
            ['textarea', /\\bgovgr-textarea\\b/],
            ['input[type=checkbox]', /\\bgovgr-checkboxes__input\\b/],
            ['input[type=radio]', /\\bgovgr-radios__input\\b/],
            ['label', /\\bgovgr-(label|checkboxes__label|radios__label)\\b/],
            ['fieldset', /\\bgovgr-fieldset\\b/],
            ['legend', /\\bgovgr-fieldset__legend\\b/],
            ['.hint', /\\bgovgr-hint\\b/],
            ['.error', /\\bgovgr-error-message\\b/],
          ];
          const root = document.getElementById('moderation');
          const wrong = [];
          for (const [selector, ...patterns] of kinds) {
            for (const node of root.querySelectorAll(selector)) {
              if (!patterns.every((p) => p.test(node.className))) {
                wrong.push(selector + ': ' + (node.id || node.textContent.trim().slice(0, 40))
                  + ' [' + node.className + ']');
              }
            }
          }
          return wrong;
        }"""
    )
    assert wrong == [], "\n".join(wrong)


def test_the_token_field_is_large_takes_a_paste_and_can_be_shown(
    page_stack: dict[str, str], token: str
) -> None:
    """WCAG 2.2 3.3.8 (accessible authentication): the token is pasted (or filled by a password
    manager), never retyped; the field is full width and large on a phone and a desktop, and a
    real toggle button shows what was pasted."""
    from playwright.sync_api import expect

    with chromium() as browser, local_context(browser, viewport=PHONE) as context:
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.goto(f"{page_stack['site']}/moderation/")
        field = page.get_by_label("Διακριτικό προσωπικού")
        expect(field).to_have_attribute("type", "password")
        assert field.get_attribute("onpaste") is None
        assert field.get_attribute("autocomplete") in ("current-password", "off")
        expect(field).to_have_attribute("spellcheck", "false")
        expect(field).to_have_attribute("autocapitalize", "none")
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            size = field.evaluate(
                """(input) => {
                  const form = input.form.getBoundingClientRect();
                  const box = input.getBoundingClientRect();
                  const style = getComputedStyle(input);
                  return {width: box.width, height: box.height, form: form.width,
                          font: parseFloat(style.fontSize),
                          border: parseFloat(style.borderLeftWidth)};
                }"""
            )
            assert size["width"] >= 0.7 * size["form"], (viewport, size)
            assert size["height"] >= 44, (viewport, size)
            assert size["font"] >= 16, (viewport, size)  # no zoom on focus on a phone
            assert size["border"] >= 2, (viewport, size)

        # A real paste: from the clipboard, with the keyboard; nothing blocks it.
        page.evaluate("(text) => navigator.clipboard.writeText(text)", token)
        field.focus()
        page.keyboard.press("Control+V")
        expect(field).to_have_value(token)
        blocked = field.evaluate(
            """(input) => {
              const data = new DataTransfer();
              data.setData('text/plain', 'x');
              const event = new ClipboardEvent('paste', {clipboardData: data, cancelable: true,
                                                         bubbles: true});
              return !input.dispatchEvent(event);
            }"""
        )
        assert blocked is False

        toggle = page.get_by_role("button", name="Εμφάνιση διακριτικού")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        expect(toggle).to_have_attribute("aria-controls", "mod-token")
        expect(toggle).to_have_attribute("type", "button")
        toggle.focus()
        page.keyboard.press("Space")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        expect(field).to_have_attribute("type", "text")
        expect(field).to_have_value(token)
        axe22(page)
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        expect(field).to_have_attribute("type", "password")
        expect(page.locator("#mod-work")).to_be_hidden()  # the toggle does not submit

        toggle.click()
        page.get_by_role("button", name="Σύνδεση").click()
        expect(page.locator("#mod-work")).to_be_visible()
        # Signed out again: the field is empty and hidden again, the toggle not pressed.
        page.get_by_role("button", name="Αποσύνδεση").click()
        expect(field).to_have_value("")
        expect(field).to_have_attribute("type", "password")
        expect(toggle).to_have_attribute("aria-pressed", "false")


def test_the_filter_menus_show_their_whole_text(page_stack: dict[str, str], token: str) -> None:
    """Today «Σε αναμονή» shows as «Σε αναμονι»: every option of every filter menu (statuses,
    consultations, texts, paragraphs, order) fits its menu, and every label its box, at 390 and
    1280 px. A menu needs the width of a copy of it with that option alone at its natural width."""
    with chromium() as browser, local_context(browser, viewport=PHONE) as context:
        page = context.new_page()
        sign_in(page, page_stack, token)
        page.get_by_label("Διαβούλευση").select_option("anoichti")
        page.get_by_label("Κείμενο", exact=True).select_option("proto-keimeno")
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            cut = page.evaluate(
                """() => {
                  const cut = [];
                  for (const select of document.querySelectorAll('#mod-filter select')) {
                    const width = select.getBoundingClientRect().width;
                    for (const option of select.options) {
                      const probe = select.cloneNode(false);
                      probe.removeAttribute('id');
                      probe.removeAttribute('name');
                      probe.style.cssText =
                        'position:absolute;visibility:hidden;width:auto;min-width:0;max-width:none';
                      probe.appendChild(option.cloneNode(true));
                      select.parentNode.appendChild(probe);
                      const need = probe.getBoundingClientRect().width;
                      probe.remove();
                      if (need > width + 0.5) {
                        cut.push(select.id + ': «' + option.text + '» needs ' + need
                          + ' px, has ' + width);
                      }
                    }
                  }
                  for (const label of document.querySelectorAll('#mod-filter label')) {
                    if (label.scrollWidth > label.clientWidth + 0.5) {
                      cut.push('label ' + label.textContent);
                    }
                  }
                  return cut;
                }"""
            )
            assert cut == [], (viewport, cut)
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= viewport["width"], (viewport, overflow)


def test_reject_and_hide_are_told_apart_by_more_than_colour(
    page_stack: dict[str, str], token: str
) -> None:
    """«Απόρριψη» and «Απόκρυψη» differ in style (warning, secondary), in icon and in a short
    visible hint of what each does, each button described by its hint."""
    from playwright.sync_api import expect

    body = "Σχόλιο για να φανεί η διαφορά απόρριψης και απόκρυψης στη σελίδα."
    submit_page_comment(page_stack, body)
    with chromium() as browser, local_context(browser, viewport=PHONE) as context:
        page = context.new_page()
        sign_in(page, page_stack, token)
        item = page.locator("#mod-items article", has_text=body)
        buttons = {
            name: item.get_by_role("button", name=name, exact=True)
            for name in ("Έγκριση", "Απόρριψη", "Απόκρυψη")
        }
        expect(buttons["Έγκριση"]).to_contain_class("govgr-btn-primary")
        expect(buttons["Απόρριψη"]).to_contain_class("govgr-btn-warning")
        expect(buttons["Απόκρυψη"]).to_contain_class("govgr-btn-secondary")
        looks = {
            name: button.evaluate(
                """(button) => {
                  const style = getComputedStyle(button);
                  const hint = document.getElementById(button.getAttribute('aria-describedby'));
                  const icon = button.querySelector('svg[aria-hidden=true]');
                  return {background: style.backgroundColor, colour: style.color,
                          border: style.borderTopColor,
                          icon: icon ? icon.getAttribute('data-icon') : null,
                          iconShape: icon ? icon.innerHTML : null,
                          hint: hint && hint.checkVisibility() ? hint.textContent : null};
                }"""
            )
            for name, button in buttons.items()
        }
        reject, hide = looks["Απόρριψη"], looks["Απόκρυψη"]
        assert reject["background"] != hide["background"], looks
        assert reject["colour"] != hide["colour"], looks
        assert None not in (reject["icon"], hide["icon"], looks["Έγκριση"]["icon"]), looks
        assert len({look["icon"] for look in looks.values()}) == 3, looks
        assert len({look["iconShape"] for look in looks.values()}) == 3, looks
        assert reject["hint"] and hide["hint"] and looks["Έγκριση"]["hint"], looks
        assert "δεν δημοσιεύεται" in reject["hint"].lower(), reject
        assert "ξανά" in hide["hint"], hide  # a hidden item can be shown again
        assert "αφαιρείται" in hide["hint"], hide  # a published one is taken down
        assert "δημοσιεύεται" in looks["Έγκριση"]["hint"].lower(), looks
        axe22(page)

        # From an approved item the take-down is offered with the same look and hint.
        approved = submit_page_comment(page_stack, "Εγκεκριμένο σχόλιο, που μπορεί να αποκρυφτεί.")
        decide_by_api(page_stack, token, approved["id"], action="approve")
        show_status(page, summary_by_api(page_stack, token)["answerable"])
        again = page.locator("#mod-items article").get_by_role("button", name="Απόκρυψη")
        expect(again).to_contain_class("govgr-btn-secondary")
        hint = again.get_attribute("aria-describedby")
        expect(page.locator(f"#{hint}")).to_have_text(hide["hint"])


def test_the_lists_show_each_decisions_reason_note_and_decider(
    page_stack: dict[str, str], token: str
) -> None:
    """The rejected and the hidden items, in the list and among the decisions not yet published,
    show what the API returns for the decision: the reason's Greek label, the note, who and
    when (a <time> with the API's instant)."""
    from playwright.sync_api import expect

    summary = summary_by_api(page_stack, token)
    reasons, statuses = summary["reasons"], summary["status_labels"]
    rejected_body = "Σχόλιο που απορρίπτεται, με λόγο και σημείωση για το προσωπικό."
    hidden_body = "Σχόλιο που αποκρύπτεται, με λόγο και σημείωση για το προσωπικό."
    rejected = decide_by_api(
        page_stack,
        token,
        submit_page_comment(page_stack, rejected_body)["id"],
        action="reject",
        reason="off_topic",
        note="Αφορά άλλη διαβούλευση.",
    )
    hidden = decide_by_api(
        page_stack,
        token,
        submit_page_comment(page_stack, hidden_body)["id"],
        action="hide",
        reason="personal_data",
        note="Τηλέφωνο ιδιώτη στο κείμενο.",
    )
    cases = [
        (rejected, rejected_body, "off_topic", "Αφορά άλλη διαβούλευση."),
        (hidden, hidden_body, "personal_data", "Τηλέφωνο ιδιώτη στο κείμενο."),
    ]
    with chromium() as browser, local_context(browser, viewport=PHONE) as context:
        page = context.new_page()
        sign_in(page, page_stack, token)
        for item, body, reason, note in cases:
            show_status(page, item["status"])
            shown = page.locator("#mod-items article", has_text=body)
            _assert_decision(shown, item, statuses[item["status"]], reasons[reason], note)
            axe22(page)
        waiting = page.locator("#mod-unpublished article", has_text=hidden_body)
        _assert_decision(waiting, hidden, statuses["hidden"], reasons["personal_data"], cases[1][3])
        expect(page.locator("#mod-unpublished")).not_to_contain_text(rejected_body)


def _assert_decision(
    article: Any, item: dict[str, Any], status: str, reason: str, note: str
) -> None:
    from playwright.sync_api import expect

    decision = article.locator(".mod-decided")
    expect(decision).to_have_count(1)
    expect(decision).to_be_visible()
    for label, value in (
        ("Απόφαση", status),
        ("Λόγος", reason),
        ("Σημείωση", note),
        ("Από", DECIDER),
    ):
        term = article.page.locator("dt", has_text=re.compile(f"^{label}$"))
        row = decision.locator("div", has=term)
        expect(row.locator("dd")).to_have_text(value)
    moment = decision.locator(f'time[datetime="{item["decided_at"]}"]')
    expect(moment).to_be_visible()
    expect(moment).to_contain_text(item["decided_at"][:4])
