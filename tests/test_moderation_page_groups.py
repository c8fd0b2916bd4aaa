"""The moderation page for moderators who keep up (campaign groups, shortcuts, selection,
filters), in Debian's Chromium against a real ``chalice local`` on DynamoDB Local: near-identical
comments sent through the intake and grouped by the grouping step show as one row with its
count, common text and what each member adds; with the keyboard alone a group is rejected with
a reason from the picker, another approved, a group opened and a member split out, two items
selected and approved; shortcuts never fire while typing and not at all once turned off; the
group and age filters narrow the list and stay in the address; the items waiting per
consultation are shown and follow the decisions; axe-core (WCAG 2.2 AA) finds nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser import chromium, local_context
from moderation_support import (
    PHONE,
    ROOT,
    axe22,
    decide_by_api,
    put_old_pending,
    run_grouping,
    show_filtered,
    sign_in,
    stored_item,
    submit_group,
    submit_page_comment,
    summary_by_api,
)

pytestmark = pytest.mark.browser
pytest_plugins = ("moderation_support",)  # fixtures: page_stack

TREES = (
    "Ζητούμε να φυτευτούν περισσότερα δέντρα στην πλατεία της γειτονιάς μας, να μπουν παγκάκια"
    " με σκιά για τους ηλικιωμένους και να φτιαχτεί ένας ασφαλής χώρος παιχνιδιού για τα παιδιά"
    " της περιοχής μας."
)
PARKING = (
    "Προτείνουμε να απαγορευτεί η στάθμευση πάνω στα πεζοδρόμια της κεντρικής οδού, να μπουν"
    " κολωνάκια σε όλες τις γωνίες και να γίνονται συχνότεροι έλεγχοι από τη δημοτική αστυνομία"
    " τις πρωινές ώρες."
)
ADDED = [
    "Το λέω ως μητέρα δύο παιδιών.",
    "Μένω στην οδό Ομήρου εδώ και χρόνια.",
    "Ο γείτονάς μου συμφωνεί απόλυτα.",
    "Ας γίνει πριν από το καλοκαίρι.",
]
LONE = "Θα ήθελα ενημέρωση για το χρονοδιάγραμμα των έργων ύδρευσης στην οδό Σμύρνης."
ROWS = "#mod-items > li"
SHOTS = ROOT / "build" / "screenshots"  # to look at, as test_site_look_browser.py leaves them


@pytest.fixture
def token(api_env: dict[str, str]) -> str:
    from chalicelib import auth, db

    return auth.create(db.table(), "Ρένα Ομάδων")[0]


def _grouped(sent: list[dict[str, str]]) -> str:
    """The group the grouping step gave all of ``sent``."""
    groups = {stored_item(s["id"]).get("group") for s in sent}
    assert len(groups) == 1 and None not in groups, groups
    return str(groups.pop())


def _waiting(page: Any) -> Any:
    return page.locator("#mod-waiting li[data-consultation='anoichti'] .mod-waiting-count")


def _press(page: Any, key: str, then: str) -> None:
    """Press ``key`` (the keyboard only), then wait until the JS predicate ``then`` holds."""
    page.keyboard.press(key)
    page.wait_for_function(then)


def _focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement.id"))


def _shot(page: Any, name: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    return problems


def test_groups_are_rows_rejected_and_approved_with_the_keyboard(
    page_stack: dict[str, str], token: str
) -> None:
    """Two groups and a lone comment: each group one row (its count, the common text, what each
    member adds); j moves to the first, r opens the reason picker (focus inside it, arrows and
    Enter) and rejects the whole group, members decided meanwhile by someone else keeping their
    decision; a approves the next group. Every member is decided through the API, the waiting
    count follows, axe-core is clean."""
    from playwright.sync_api import expect

    trees = submit_group(page_stack, TREES, ADDED)
    parking = submit_group(page_stack, PARKING, ADDED[:2])
    lone = submit_page_comment(page_stack, LONE)
    run_grouping()
    trees_group, parking_group = _grouped(trees), _grouped(parking)
    summary = summary_by_api(page_stack, token)
    reason = list(summary["reasons"])[1]
    with chromium() as browser, local_context(browser) as context:
        page = context.new_page()
        problems = _watch(page)
        sign_in(page, page_stack, token)
        rows = page.locator(ROWS)
        expect(rows).to_have_count(3)
        expect(page.locator("#mod-status")).to_contain_text(
            "Υποβολές: 7, από τις οποίες 6 σε 2 ομάδες"
        )
        expect(_waiting(page)).to_have_text("7")
        expect(page.locator("#mod-waiting")).to_contain_text("Ανοιχτή διαβούλευση δοκιμής: 7")
        first = page.locator(f"#mod-group-{trees_group}")
        expect(first.locator("h3")).to_have_text("Ομάδα 4 σχεδόν ίδιων υποβολών")
        expect(first.locator(".mod-common .mod-body")).to_contain_text(TREES)
        for added in ADDED[1:]:  # the first member is the common text itself
            expect(first.locator(".mod-diffs")).to_contain_text(f"«{added}»")
        expect(first).to_contain_text("Σε αναμονή: 4")
        expect(first.get_by_role("button", name="Απόρριψη όλης της ομάδας")).to_have_attribute(
            "aria-keyshortcuts", "r"
        )
        expect(page.locator(f"#mod-group-{parking_group} h3")).to_have_text(
            "Ομάδα 2 σχεδόν ίδιων υποβολών"
        )
        expect(page.locator(f"#mod-item-{lone['id']}")).to_be_visible()
        axe22(page)
        _shot(page, "moderation-groups")

        # Meanwhile another member of staff approves two of the first group.
        for member in trees[2:]:
            decide_by_api(page_stack, token, member["id"], action="approve")

        _press(page, "j", f"document.activeElement.id === 'mod-gh-{trees_group}'")
        expect(page.locator(f"#mod-group-{trees_group}")).to_have_class(re.compile("mod-current"))
        page.keyboard.press("r")
        picker = page.get_by_role("dialog")
        expect(picker).to_be_visible()
        expect(picker).to_contain_text("Ομάδα 4 σχεδόν ίδιων υποβολών")
        expect(picker.get_by_role("radio").first).to_be_focused()
        axe22(page)
        _shot(page, "moderation-reason-picker", full=False)
        page.keyboard.press("ArrowDown")
        expect(picker.get_by_role("radio").nth(1)).to_be_checked()
        page.keyboard.press("Enter")
        expect(picker).to_be_hidden()
        result = page.locator("#mod-result")
        expect(result).to_contain_text("Ομάδα 4 σχεδόν ίδιων υποβολών — απόρριψη: 2 μέλη έγιναν")
        expect(result).to_contain_text("2 μέλη είχαν ήδη κριθεί και κράτησαν την πρώτη απόφαση: ")
        for member in trees[2:]:  # named, with the decision they keep
            expect(result).to_contain_text(
                f"{member['reference']} ({summary['status_labels']['approved']})"
            )
        expect(page.locator("#mod-status")).to_contain_text("2 μέλη είχαν ήδη κριθεί")
        expect(rows).to_have_count(2)
        assert _focused_id(page) == f"mod-gh-{parking_group}"  # on to the next row
        expect(_waiting(page)).to_have_text("3")
        for member in trees[:2]:
            stored = stored_item(member["id"])
            assert (stored["status"], stored["decision_reason"]) == ("rejected", reason), stored
        for member in trees[2:]:
            assert stored_item(member["id"])["status"] == "approved"

        # Esc leaves the picker and changes nothing; a approves the whole second group.
        page.keyboard.press("h")
        expect(picker).to_be_visible()
        page.keyboard.press("Escape")
        expect(picker).to_be_hidden()
        assert _focused_id(page) == f"mod-gh-{parking_group}"
        page.keyboard.press("a")
        expect(result).to_contain_text("Ομάδα 2 σχεδόν ίδιων υποβολών — έγκριση: 2 μέλη έγιναν")
        expect(rows).to_have_count(1)
        expect(_waiting(page)).to_have_text("1")
        assert _focused_id(page) == f"mod-h-{lone['id']}"
        axe22(page)
    assert [stored_item(m["id"])["status"] for m in parking] == ["approved"] * 2
    assert stored_item(lone["id"])["status"] == "pending"
    assert problems == []


def test_a_group_opened_and_a_member_split_out(page_stack: dict[str, str], token: str) -> None:
    """o opens the group's members (each with what it adds); Tab reaches «Αφαίρεση από την
    ομάδα», Enter takes that member out: a row of its own, the group one member fewer."""
    from playwright.sync_api import expect

    trees = submit_group(page_stack, TREES, ADDED[:3])
    run_grouping()
    group = _grouped(trees)
    with chromium() as browser, local_context(browser, viewport=PHONE) as context:
        page = context.new_page()
        problems = _watch(page)
        sign_in(page, page_stack, token)
        expect(page.locator(ROWS)).to_have_count(1)
        _press(page, "j", f"document.activeElement.id === 'mod-gh-{group}'")
        page.keyboard.press("o")
        members = page.locator(f"#mod-gm-{group} .mod-member")
        expect(members).to_have_count(3)
        expect(page.locator(f"#mod-gmh-{group}")).to_be_focused()
        expect(page.get_by_role("button", name="Κλείσιμο της λίστας μελών")).to_have_attribute(
            "aria-expanded", "true"
        )
        expect(members.nth(1)).to_contain_text(f"«{ADDED[1]}»")
        axe22(page)
        _shot(page, "moderation-group-open-390")
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent") == "Αφαίρεση από την ομάδα":
                break
        button = page.locator(":focus")
        expect(button).to_have_text("Αφαίρεση από την ομάδα")
        split = str(button.get_attribute("aria-describedby")).removeprefix("mod-gmi-")
        page.keyboard.press("Enter")
        expect(page.locator("#mod-status")).to_contain_text("αφαιρέθηκε από την ομάδα")
        expect(page.locator(f"#mod-h-{split}")).to_be_focused()
        expect(page.locator(ROWS)).to_have_count(2)
        expect(page.locator(f"#mod-gh-{group}")).to_have_text("Ομάδα 2 σχεδόν ίδιων υποβολών")
        expect(members).to_have_count(2)
        axe22(page)
    stored = stored_item(split)
    assert stored.get("group_split") is True and "group" not in stored, stored
    assert problems == []


def test_selected_items_approved_together(page_stack: dict[str, str], token: str) -> None:
    """x selects the row the keyboard is on; Shift+A approves the selection, one conditional
    decision each: one hidden meanwhile by someone else is reported (409) and left alone."""
    from playwright.sync_api import expect

    sent = [
        submit_page_comment(page_stack, f"Ξεχωριστό σχόλιο αριθμός {n} για τα πεζοδρόμια {word}.")
        for n, word in enumerate(("σήμερα", "αύριο", "μεθαύριο", "κάποτε"))
    ]
    reasons = summary_by_api(page_stack, token)["reasons"]
    with chromium() as browser, local_context(browser) as context:
        page = context.new_page()
        problems = _watch(page)
        sign_in(page, page_stack, token)
        expect(page.locator(ROWS)).to_have_count(4)
        for n in range(3):
            _press(page, "j", f"document.activeElement.id === 'mod-h-{sent[n]['id']}'")
            page.keyboard.press("x")
            expect(page.locator(f"#mod-pick-{sent[n]['id']}")).to_be_checked()
        page.keyboard.press("x")  # and off again
        expect(page.locator(f"#mod-pick-{sent[2]['id']}")).not_to_be_checked()
        expect(page.locator("#mod-select-count")).to_have_text("Επιλεγμένες υποβολές: 2.")
        page.keyboard.press("x")
        expect(page.locator("#mod-select-count")).to_have_text("Επιλεγμένες υποβολές: 3.")
        axe22(page)

        decide_by_api(page_stack, token, sent[1]["id"], action="hide", reason="off_topic")
        page.keyboard.press("Shift+A")
        result = page.locator("#mod-result")
        expect(result).to_contain_text("Έγκριση των επιλεγμένων: έγινε σε 2, δεν έγινε σε 1.")
        expect(result).to_contain_text(f"{sent[1]['reference']}: άλλαξε στο μεταξύ")
        expect(result).to_be_focused()
        expect(page.locator(ROWS)).to_have_count(1)
        expect(page.locator("#mod-select-count")).to_have_text("Επιλεγμένες υποβολές: 0.")
        axe22(page)

        # r on a single item: the picker's reason goes into the item's own decision.
        _press(page, "j", f"document.activeElement.id === 'mod-h-{sent[3]['id']}'")
        page.keyboard.press("r")
        expect(page.get_by_role("dialog")).to_contain_text(sent[3]["reference"])
        page.keyboard.press("Enter")  # nothing chosen yet: the picker says so and stays
        expect(page.locator("#mod-picker-error")).to_contain_text("Επιλέξτε λόγο")
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
        expect(page.locator("#mod-status")).to_contain_text(f"{sent[3]['reference']}: ")
        expect(page.locator("#mod-empty")).to_be_visible()
    statuses = [stored_item(s["id"])["status"] for s in sent]
    assert statuses == ["approved", "hidden", "approved", "rejected"]
    assert stored_item(sent[3]["id"])["decision_reason"] == next(iter(reasons))
    assert problems == []


def test_shortcuts_never_fire_while_typing_and_can_be_turned_off(
    page_stack: dict[str, str], token: str
) -> None:
    """Letters typed in the group filter stay in it; with «Συντομεύσεις ενεργές» off (kept
    after a reload) a does nothing and the controls lose aria-keyshortcuts; on again, it works."""
    from playwright.sync_api import expect

    sent = submit_page_comment(page_stack, "Σχόλιο για τον έλεγχο των συντομεύσεων.")
    heading = f"#mod-h-{sent['id']}"
    with chromium() as browser, local_context(browser) as context:
        page = context.new_page()
        problems = _watch(page)
        sign_in(page, page_stack, token)
        expect(page.locator(ROWS)).to_have_count(1)
        approve = page.locator(f"#mod-item-{sent['id']}").get_by_role("button", name="Έγκριση")
        expect(approve).to_have_attribute("aria-keyshortcuts", "a")
        page.locator(heading).focus()
        field = page.get_by_label("Ομάδα σχεδόν ίδιων υποβολών")
        field.focus()
        page.keyboard.type("jkarhox?")
        expect(field).to_have_value("jkarhox?")
        expect(page.get_by_role("dialog")).to_be_hidden()
        expect(field).to_be_focused()

        switch = page.get_by_label("Συντομεύσεις ενεργές")
        switch.focus()
        page.keyboard.press("Space")
        expect(switch).not_to_be_checked()
        expect(approve).not_to_have_attribute("aria-keyshortcuts", "a")
        page.reload()
        expect(page.locator(ROWS)).to_have_count(1)
        expect(switch).not_to_be_checked()
        assert page.evaluate("localStorage.getItem('diavoulefsi-moderation-shortcuts')") == "off"
        page.locator(heading).focus()
        for key in ("a", "j", "r", "x"):
            page.keyboard.press(key)
        page.wait_for_timeout(500)
        expect(page.get_by_role("dialog")).to_be_hidden()
        expect(page.locator(f"#mod-pick-{sent['id']}")).not_to_be_checked()
        expect(page.locator(heading)).to_be_focused()
        assert stored_item(sent["id"])["status"] == "pending"

        switch.focus()
        page.keyboard.press("Space")
        expect(switch).to_be_checked()
        page.locator(heading).focus()
        page.keyboard.press("a")
        expect(page.locator("#mod-empty")).to_be_visible()
    assert stored_item(sent["id"])["status"] == "approved"
    assert problems == []


def test_group_and_age_filters_narrow_the_list_and_survive_a_reload(
    page_stack: dict[str, str], token: str
) -> None:
    from playwright.sync_api import expect

    from chalicelib import db

    trees = submit_group(page_stack, TREES, ADDED[:2])
    submit_page_comment(page_stack, LONE)
    old = put_old_pending(db.table(), 4 * 24, "Παλιό σχόλιο που περιμένει τέσσερις ημέρες.")
    run_grouping()
    group = _grouped(trees)
    with chromium() as browser, local_context(browser) as context:
        page = context.new_page()
        problems = _watch(page)
        sign_in(page, page_stack, token)
        expect(page.locator(ROWS)).to_have_count(3)

        page.get_by_label("Ομάδα σχεδόν ίδιων υποβολών").fill(group)
        show_filtered(page)
        expect(page.locator(ROWS)).to_have_count(1)
        expect(page.locator(f"#mod-gh-{group}")).to_have_text("Ομάδα 2 σχεδόν ίδιων υποβολών")
        assert f"group={group}" in page.url
        page.reload()
        expect(page.get_by_label("Ομάδα σχεδόν ίδιων υποβολών")).to_have_value(group)
        expect(page.locator(ROWS)).to_have_count(1)
        expect(page.locator(f"#mod-group-{group}")).to_be_visible()

        page.get_by_label("Ομάδα σχεδόν ίδιων υποβολών").fill("")
        page.get_by_label("Παλαιότητα").select_option("72")
        show_filtered(page)
        expect(page.locator(ROWS)).to_have_count(1)
        expect(page.locator(f"#mod-item-{old['id']}")).to_be_visible()
        assert "older_than=72" in page.url and "group=" not in page.url
        page.reload()
        expect(page.get_by_label("Παλαιότητα")).to_have_value("72")
        expect(page.locator(ROWS)).to_have_count(1)
        expect(page.locator(f"#mod-item-{old['id']}")).to_be_visible()

        # A shared link: another tab opens the address as it is.
        other = context.new_page()
        other.goto(page.url)
        other.get_by_label("Διακριτικό προσωπικού").fill(token)
        other.keyboard.press("Enter")
        expect(other.locator(ROWS)).to_have_count(1)
        expect(other.locator(f"#mod-item-{old['id']}")).to_be_visible()
        expect(other.get_by_label("Παλαιότητα")).to_have_value("72")
        page.get_by_label("Ομάδα σχεδόν ίδιων υποβολών").fill("Όχι έγκυρο")
        page.locator("#mod-filter").get_by_role("button", name="Εμφάνιση").click()
        expect(page.locator("#mod-filter-group-error")).to_be_visible()
        expect(page.get_by_label("Ομάδα σχεδόν ίδιων υποβολών")).to_be_focused()
        axe22(page)
    assert problems == []


def test_a_whole_group_answered(page_stack: dict[str, str], token: str) -> None:
    """Among the approved items, a group's row offers one answer for every approved member:
    given once, it is stored on each (the route called until nothing remains)."""
    from playwright.sync_api import expect

    trees = submit_group(page_stack, TREES, ADDED[:3])
    for member in trees:
        decide_by_api(page_stack, token, member["id"], action="approve")
    run_grouping()
    group = _grouped(trees)
    summary = summary_by_api(page_stack, token)
    label = summary["limits"]["answer"]["label"]
    disposition = next(iter(summary["dispositions"]))
    with chromium() as browser, local_context(browser) as context:
        page = context.new_page()
        problems = _watch(page)
        sign_in(page, page_stack, token)
        page.get_by_label("Κατάσταση").select_option(summary["answerable"])
        show_filtered(page)
        row = page.locator(f"#mod-group-{group}")
        expect(page.locator(ROWS)).to_have_count(1)
        expect(row.locator("h3")).to_have_text("Ομάδα 3 σχεδόν ίδιων υποβολών")
        row.get_by_text(f"{label} σε όλη την ομάδα").click()
        row.get_by_role("radio", name=summary["dispositions"][disposition], exact=True).check()
        row.get_by_label(label, exact=True).fill("Θα εξεταστεί στη μελέτη της πλατείας.")
        axe22(page)
        row.get_by_role("button", name="Απάντηση σε όλα τα μέλη").click()
        done = row.locator(".mod-group-answer .mod-result-line")
        expect(done).to_contain_text("Απαντήθηκαν 3 μέλη της ομάδας")
        expect(done).to_be_focused()
        axe22(page)
    for member in trees:
        answer = stored_item(member["id"])["answer"]
        assert answer["disposition"] == disposition
        assert answer["text"] == "Θα εξεταστεί στη μελέτη της πλατείας."
    assert problems == []
