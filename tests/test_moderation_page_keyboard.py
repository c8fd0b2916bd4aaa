"""The moderation page from the keyboard and on a phone (issue 11, WCAG 2.2 AA), in Debian's
Chromium against a real ``chalice local`` on DynamoDB Local: at 390 px every target of the page
is at least 44×44 CSS px; Tab reaches every control, each with its focus visible and not hidden
(2.4.7, 2.4.11); signing in, showing the token, filtering and rejecting work with the keyboard
alone."""

from __future__ import annotations

from typing import Any

import pytest
from browser import chromium, local_context
from moderation_support import (
    PHONE,
    axe22,
    decide_by_api,
    show_status,
    submit_page_comment,
    summary_by_api,
)

pytestmark = pytest.mark.browser
pytest_plugins = ("moderation_support",)  # fixtures: page_stack

# What a person can click, tap or tab to inside the page's own part (not the site's frame).
TARGETS = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, "
    "[tabindex]:not([tabindex='-1'])"
)


@pytest.fixture
def token(api_env: dict[str, str]) -> str:
    from chalicelib import auth, db

    return auth.create(db.table(), "Κώστας Πληκτρολογίου")[0]


# The page's targets, visible and enabled, that are smaller than 44×44 CSS px. A radio's or a
# checkbox's target is its box and its label together: a click on either toggles it.
SMALL_TARGETS = """(selector) => {
  const small = [];
  for (const node of document.getElementById('moderation').querySelectorAll(selector)) {
    if (!node.checkVisibility() || node.disabled) { continue; }
    let box = node.getBoundingClientRect();
    if (node.type === 'checkbox' || node.type === 'radio') {
      const parts = [box, ...[...node.labels].map((label) => label.getBoundingClientRect())];
      const left = Math.min(...parts.map((b) => b.left));
      const top = Math.min(...parts.map((b) => b.top));
      box = {width: Math.max(...parts.map((b) => b.right)) - left,
             height: Math.max(...parts.map((b) => b.bottom)) - top};
    }
    if (box.width < 44 || box.height < 44) {
      small.push(node.tagName + '#' + node.id + ' «' + (node.textContent || node.value || '')
        .trim().slice(0, 30) + '» ' + Math.round(box.width) + '×' + Math.round(box.height));
    }
  }
  return small;
}"""

# Numbers every target (data-k) and keeps how each looks unfocused.
MARK_TARGETS = """(selector) => {
  const look = (node) => {
    const s = getComputedStyle(node);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
            s.borderTopColor, s.borderTopWidth].join('|');
  };
  window.focusLook = look;
  window.unfocused = {};
  const wanted = [];
  const groups = new Set();
  document.getElementById('moderation').querySelectorAll(selector).forEach((node, k) => {
    node.setAttribute('data-k', String(k));
    window.unfocused[k] = look(node);
    if (!node.checkVisibility() || node.disabled) { return; }
    if (node.type === 'radio') {  // one stop per group: the arrows move inside it
      if (groups.has(node.name)) { return; }
      groups.add(node.name);
      wanted.push('radio:' + node.name);
    } else {
      wanted.push(String(k));
    }
  });
  return wanted;
}"""

# What has the focus now: its number (data-k), whether the focus shows, whether it is hidden.
FOCUSED = """() => {
  const node = document.activeElement;
  if (!node || !document.getElementById('moderation').contains(node)) { return null; }
  const k = node.getAttribute('data-k');
  const s = getComputedStyle(node);
  const shows = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
    || s.boxShadow !== 'none';
  // 2.4.11: not entirely hidden; the part in the viewport is the element itself, not a cover.
  const box = node.getBoundingClientRect();
  const top = Math.max(box.top, 0);
  const bottom = Math.min(box.bottom, window.innerHeight);
  const over = bottom - top >= Math.min(box.height, 16)
    ? document.elementFromPoint(box.left + box.width / 2, (top + bottom) / 2) : null;
  const seen = over !== null
    && (node === over || node.contains(over) || (node.labels && [...node.labels].includes(over)));
  return {k: k, id: node.id, tag: node.tagName, radio: node.type === 'radio' ? node.name : null,
          shows: shows && window.focusLook(node) !== window.unfocused[k], seen: seen,
          over: over === null ? null : over.tagName + '#' + over.id + '.' + over.className};
}"""


def _tab_through(page: Any) -> None:
    """From the top of the document, Tab through the page's part: every target is reached, each
    with its focus visible and not hidden behind anything (WCAG 2.4.7, 2.4.11)."""
    _from_the_top(page)  # first: nothing focused while the unfocused looks are kept
    wanted = set(page.evaluate(MARK_TARGETS, TARGETS))
    reached: set[str] = set()
    entered = False
    for _ in range(400):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED)
        if now is None:
            if entered:
                break
            continue
        entered = True
        assert now["k"] is not None, now  # focusable but not a target
        assert now["shows"], f"focus not visible: {now}"
        assert now["seen"], f"focus hidden: {now}"
        reached.add(f"radio:{now['radio']}" if now["radio"] else now["k"])
    assert entered
    missing = wanted - reached
    assert not missing, page.evaluate(
        "(ks) => ks.map((k) => { const n = document.querySelector(`[data-k='${k}']`);"
        " return n ? n.tagName + '#' + n.id + ' ' + n.textContent.slice(0, 30) : k; })",
        sorted(missing),
    )


def _from_the_top(page: Any) -> None:
    """The next Tab starts from the page's heading, just before the page's own part (a click
    there moves the browser's starting point of sequential navigation, a blur does not)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("main h1").click()


def _press_until(page: Any, key: str, test: str, limit: int = 120) -> None:
    """Press ``key`` until the focused element passes ``test`` (a JS predicate)."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(f"(({test}))(document.activeElement)"):
            return
    raise AssertionError(f"never focused: {test}")


def test_targets_are_large_and_everything_works_from_the_keyboard(
    page_stack: dict[str, str], token: str
) -> None:
    """At 390 px every target of the page is at least 44×44 CSS px (signed out, a pending item
    with its forms open, approved items with their boxes and answer form); signing in, showing
    the token, opening an item's redaction and history, filtering, choosing a reason and
    rejecting all work with the keyboard alone, every stop's focus visible and unobscured."""
    from playwright.sync_api import expect

    pending = submit_page_comment(
        page_stack, "Σχόλιο που απορρίπτεται μόνο με το πληκτρολόγιο, για δοκιμή."
    )
    for n in range(2):
        approved = submit_page_comment(
            page_stack, f"Εγκεκριμένο σχόλιο αριθμός {n}, για την κοινή απάντηση."
        )
        decide_by_api(page_stack, token, approved["id"], action="approve")
    summary = summary_by_api(page_stack, token)
    with chromium() as browser, local_context(browser, viewport=PHONE) as context:
        page = context.new_page()
        page.goto(f"{page_stack['site']}/moderation/")
        assert page.evaluate(SMALL_TARGETS, TARGETS) == []
        _tab_through(page)

        # Sign in with the keyboard: the token pasted, shown, hidden, sent.
        _from_the_top(page)
        _press_until(page, "Tab", "(n) => n.id === 'mod-token'")
        page.keyboard.insert_text(token)
        page.keyboard.press("Tab")
        toggle = page.locator("#mod-token-show")
        expect(toggle).to_be_focused()
        page.keyboard.press("Space")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("Space")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Σύνδεση")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#mod-items > li")).to_have_count(1)
        expect(page.locator("#mod-queue-title")).to_be_focused()

        item = page.locator("#mod-items article").first
        _press_until(page, "Tab", "(n) => n.textContent === 'Απαλοιφή κειμένου πριν την έγκριση'")
        page.keyboard.press("Enter")
        expect(item.get_by_label("Κείμενο που θα δημοσιευτεί")).to_be_visible()
        _press_until(page, "Tab", "(n) => n.textContent === 'Ιστορικό αποφάσεων και απαντήσεων'")
        page.keyboard.press("Space")
        expect(item.locator(".mod-history li")).to_have_count(1)  # «Καμία απόφαση ακόμη»
        assert page.evaluate(SMALL_TARGETS, TARGETS) == []
        _tab_through(page)
        axe22(page)

        show_status(page, summary["answerable"])
        expect(page.locator("#mod-items > li")).to_have_count(2)
        page.locator("#mod-items").get_by_text("Καταχώριση απάντησης").first.click()
        assert page.evaluate(SMALL_TARGETS, TARGETS) == []
        _tab_through(page)
        axe22(page)

        # Back to the pending item, with the keyboard only: a reason, then «Απόρριψη».
        page.locator("#mod-queue-title").focus()
        _press_until(page, "Tab", "(n) => n.id === 'mod-filter-status'")
        page.keyboard.press("Home")  # the first status: pending
        expect(page.locator("#mod-filter-status")).to_have_value("pending")
        _press_until(page, "Tab", "(n) => n.type === 'submit' && n.form.id === 'mod-filter'")
        page.keyboard.press("Enter")
        expect(page.locator("#mod-items > li")).to_have_count(1)
        _press_until(page, "Tab", f"(n) => n.id === 'mod-reason-{pending['id']}'")
        page.keyboard.press("ArrowDown")
        expect(page.locator(f"#mod-reason-{pending['id']}")).not_to_have_value("")
        _press_until(page, "Tab", "(n) => n.textContent.trim() === 'Απόρριψη'")
        page.keyboard.press("Enter")
        expect(page.locator("#mod-status")).to_contain_text(f"{pending['reference']}: απορρίφθηκε")
        expect(page.locator("#mod-empty")).to_be_visible()
