"""The moderation page: built by Pelican, valid HTML, noindex, then driven in Debian's Chromium
against a real ``chalice local`` on DynamoDB Local (token, queue, decisions, axe-core)."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from browser import CHROMIUM, CHROMIUM_ARGS, axe_violations

from scripts.api_local import start_api, stop_api
from scripts.dynamodb_local import free_port

FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Athens"))


def _build(root: Path, output: Path, api_url: str) -> Path:
    from chalicelib.sitebuild import build_site

    build_site(
        root,
        output,
        snapshot=FIXTURE_SITE / "snapshot.json",
        api_url=api_url,
        now=NOW,
        content=FIXTURE_SITE / "content",
    )
    return output / "moderation" / "index.html"


def test_page_is_built_valid_and_noindex(root: Path, tmp_path: Path) -> None:
    page = _build(root, tmp_path / "out", "http://api.example.test")
    html = page.read_text(encoding="utf-8")
    assert '<html lang="el">' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "data-pagefind-body" not in html
    assert 'data-api="http://api.example.test"' in html
    assert "<noscript>" in html and "JavaScript" in html
    assert "Αποφασισμένα, δεν έχουν δημοσιευτεί ακόμη" in html
    vnu = root / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    checked = subprocess.run(
        ["java", "-jar", str(vnu), "--errors-only", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.fixture
def stack(root: Path, tmp_path: Path, api_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The built site over HTTP on one free port and the API under chalice local on another,
    the API allowing the site's origin."""
    site_port, api_port = free_port(), free_port()
    site, api = f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{api_port}"
    output = tmp_path / "out"
    _build(root, output, api)
    handler = functools.partial(_QuietHandler, directory=str(output))
    server = ThreadingHTTPServer(("127.0.0.1", site_port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**api_env, "SITE_URL": site, "SITE_ORIGINS": site}
    proc = start_api(api_port, env, log_path=tmp_path / "api.log")
    try:
        yield {"site": site, "api": api}
    finally:
        stop_api(proc)
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _comment(stack: dict[str, str], body: str) -> str:
    return _submit(stack, body)["reference"]


def _submit(stack: dict[str, str], body: str) -> dict[str, str]:
    answer = requests.post(
        f"{stack['api']}/v1/comments",
        json={
            "consultation": "anoichti",
            "text": "proto-keimeno",
            "paragraph": "eisagogi",
            "body": body,
            "respondent_type": "citizen",
            "display_name": "Σοφία Δοκιμή",
            "publish_name": True,
            "email": "page-check@example.org",
            "consent": True,
            "submission_key": uuid.uuid4().hex,
        },
        headers={"Origin": stack["site"]},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    return answer.json()


@pytest.mark.browser
def test_moderating_in_the_browser(root: Path, stack: dict[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    from chalicelib import auth, db

    token, _ = auth.create(db.table(), "Πέτρος Σελίδας")
    first = _comment(stack, "Να φυτευτούν δέντρα στην πλατεία Νέας Σμύρνης, παρακαλώ.")
    second = _comment(stack, "Αυτό είναι ένα σχόλιο που πρέπει να απορριφθεί ως εκτός θέματος.")
    foreign: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on(
            "request",
            lambda r: (
                foreign.append(r.url)
                if not r.url.startswith((stack["site"], stack["api"]))
                else None
            ),
        )
        page.goto(f"{stack['site']}/moderation/")
        page.get_by_label("Διακριτικό προσωπικού").fill("λάθος διακριτικό")
        page.get_by_role("button", name="Σύνδεση").click()
        expect(page.locator("#mod-status")).to_contain_text("δεν έχει τη σωστή μορφή")
        page.get_by_label("Διακριτικό προσωπικού").fill("x" * 43)
        page.get_by_role("button", name="Σύνδεση").click()
        expect(page.locator("#mod-status")).to_contain_text("δεν έγινε δεκτό")
        expect(page.locator("#mod-login")).to_be_visible()

        page.get_by_label("Διακριτικό προσωπικού").fill(token)
        page.keyboard.press("Enter")
        expect(page.locator("#mod-items > li")).to_have_count(2)
        expect(page.locator("#mod-summary")).to_contain_text("Σε αναμονή: 2")
        expect(page.locator("#mod-build-error")).to_be_hidden()
        item = page.locator("article", has_text=first)
        expect(item).to_contain_text("Ανοιχτή διαβούλευση δοκιμής › Πρώτο κείμενο")
        link = item.get_by_role("link", name="δείτε την παράγραφο στον ιστότοπο")
        expect(link).to_have_attribute(
            "href", f"{stack['site']}/diavoulefseis/anoichti/proto-keimeno/#eisagogi"
        )
        assert "page-check@example.org" not in page.content()
        _axe(page, root)

        other = page.locator("article", has_text=second)
        other.get_by_role("button", name="Απόρριψη").click()
        expect(other.locator(".govgr-field__error .govgr-error-message")).to_contain_text(
            "Επιλέξτε λόγο"
        )
        assert page.evaluate("document.activeElement.tagName") == "SELECT"
        other.get_by_label("Λόγος απόρριψης ή απόκρυψης").select_option("off_topic")
        other.get_by_role("button", name="Απόρριψη").click()
        expect(page.locator("#mod-status")).to_contain_text(f"{second}: απορρίφθηκε")
        expect(page.locator("#mod-items > li")).to_have_count(1)

        item.get_by_text("Απαλοιφή κειμένου πριν την έγκριση").click()
        item.get_by_label("Κείμενο που θα δημοσιευτεί").fill(
            "Να φυτευτούν δέντρα στην πλατεία [απαλείφθηκε], παρακαλώ."
        )
        item.get_by_role("button", name="Έγκριση").click()
        expect(page.locator("#mod-status")).to_contain_text(f"{first}: εγκρίθηκε με απαλοιφή")
        expect(page.locator("#mod-empty")).to_be_visible()
        assert page.evaluate("document.activeElement.id") == "mod-queue-title"
        expect(page.locator("#mod-unpublished > li")).to_have_count(1)
        expect(page.locator("#mod-unpublished")).to_contain_text("[απαλείφθηκε]")
        expect(page.locator("#mod-unpublished-count")).to_contain_text("Σε αναμονή δημοσίευσης: 1")
        _axe(page, root)

        page.reload()  # the token survives in this tab's sessionStorage
        expect(page.locator("#mod-summary")).to_contain_text("Εγκρίθηκε: 1")
        browser.close()
    assert foreign == []


@pytest.mark.browser
def test_the_attention_notice_opens_what_the_publish_left_out(
    root: Path, stack: dict[str, str]
) -> None:
    """The items the last publish had to leave out head the page, each with its Greek problem
    and id, and open in place for a decision (here: hide, with a reason)."""
    from playwright.sync_api import expect, sync_playwright

    from chalicelib import auth, db
    from chalicelib.store import state

    token, _ = auth.create(db.table(), "Άννα Προσοχής")
    body = "Σχόλιο που η δημοσίευση δεν μπόρεσε να συμπεριλάβει, για έλεγχο."
    answer = _submit(stack, body)
    problem = "Μη δημοσιεύσιμο κείμενο: δοκιμαστικός λόγος."
    state.record_attention(db.table(), {answer["id"]: problem})
    summary = requests.get(
        f"{stack['api']}/v1/moderation/summary",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert summary["attention"] == [{"id": answer["id"], "problem": problem}]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{stack['site']}/moderation/")
        page.get_by_label("Διακριτικό προσωπικού").fill(token)
        page.keyboard.press("Enter")
        notice = page.get_by_role("region", name="Εγκεκριμένες υποβολές που δεν δημοσιεύτηκαν")
        expect(notice).to_be_visible()
        expect(notice.get_by_role("listitem")).to_have_count(1)
        expect(notice).to_contain_text(problem)
        expect(notice).to_contain_text(answer["id"])
        assert page.evaluate("document.activeElement.id") == "mod-attention-title"
        expect(page.locator("#mod-items > li")).to_have_count(1)
        # The statuses of the filter are the API's, pending first.
        expect(page.locator("#mod-filter-status option")).to_have_count(5)  # withdrawn too
        expect(page.locator("#mod-filter-status")).to_have_value("pending")
        _axe(page, root)

        notice.get_by_role("button", name="Άνοιγμα για απόφαση").click()
        item = notice.locator("article", has_text=body)
        expect(item).to_be_visible()
        expect(
            item.get_by_label("Σημείωση (προαιρετική, μόνο για το προσωπικό)")
        ).to_have_attribute("maxlength", str(summary["limits"]["note"]))
        _axe(page, root)
        item.get_by_role("button", name="Απόκρυψη").click()
        expect(item.locator(".govgr-field__error .govgr-error-message")).to_contain_text(
            "Επιλέξτε λόγο για την απόκρυψη."
        )
        item.get_by_label("Λόγος απόρριψης ή απόκρυψης").select_option("off_topic")
        item.get_by_role("button", name="Απόκρυψη").click()
        expect(page.locator("#mod-status")).to_contain_text(f"{answer['reference']}: κρυφό")
        expect(notice).to_contain_text("Η απόφαση καταχωρίστηκε")
        assert page.evaluate("document.activeElement.id") == "mod-attention-title"
        browser.close()
    assert (
        db.table().get_item(Key={"PK": f"SUB#{answer['id']}", "SK": "SUB"})["Item"]["status"]
        == "hidden"
    )


@pytest.mark.browser
def test_the_build_error_notice_heads_the_page(root: Path, stack: dict[str, str]) -> None:
    """A publish that stopped on a content file's mistake heads the page, before the attention
    list: the file, the field, the problem and when (in Athens time), with its heading focused."""
    from playwright.sync_api import expect, sync_playwright

    from chalicelib import auth, clock, db
    from chalicelib.store import state

    token, _ = auth.create(db.table(), "Νίκος Δημοσίευσης")
    answer = _submit(stack, "Σχόλιο που η δημοσίευση άφησε έξω, δίπλα στο σφάλμα των κειμένων.")
    state.record_attention(db.table(), {answer["id"]: "Μη δημοσιεύσιμο κείμενο: δοκιμή."})
    problem = "λείπει (υποχρεωτικό πεδίο)"
    with clock.frozen(datetime(2026, 11, 26, 12, 5, tzinfo=ZoneInfo("Europe/Athens"))):
        state.record_build_error(
            db.table(),
            {"file": "consultations/dokimi/a.md", "field": "Title", "problem": problem},
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{stack['site']}/moderation/")
        expect(page.locator("#mod-build-error")).to_be_hidden()
        page.get_by_label("Διακριτικό προσωπικού").fill(token)
        page.keyboard.press("Enter")
        notice = page.get_by_role("region", name="Ο ιστότοπος δεν ενημερώνεται: σφάλμα στα κείμενα")
        expect(notice).to_be_visible()
        expect(notice.locator("code", has_text="consultations/dokimi/a.md")).to_be_visible()
        expect(notice).to_contain_text("Title")
        expect(notice).to_contain_text(problem)
        expect(notice).to_contain_text("μένει όπως ήταν")
        expect(notice).to_contain_text("make publish")
        moment = notice.locator("time")
        expect(moment).to_have_attribute("datetime", "2026-11-26T10:05:00.000Z")
        expect(moment).to_contain_text("2026")
        expect(moment).to_contain_text("12:05")  # Athens time, not UTC
        expect(page.locator("#mod-attention")).to_be_visible()
        assert page.evaluate("document.activeElement.id") == "mod-build-error-title"
        expect(page.locator("#mod-items > li")).to_have_count(1)
        _axe(page, root)

        # The next publish that builds removes it: the next sign-in shows no notice.
        state.record_site(db.table(), source="x", next_change=None)
        page.reload()
        expect(page.locator("#mod-items > li")).to_have_count(1)
        expect(page.locator("#mod-build-error")).to_be_hidden()
        assert page.evaluate("document.activeElement.id") == "mod-attention-title"
        browser.close()


def test_the_page_keeps_no_copy_of_statuses_actions_or_limits(root: Path) -> None:
    """Drift guard: statuses, transitions, action words, dispositions, the note's and the
    answer's lengths come from GET /v1/moderation/summary, so a change in chalicelib cannot
    leave the page behind (moderation.js and moderation-answers.js)."""
    from chalicelib.spec import limits
    from chalicelib.store.keys import Action, Status

    scripts = sorted((root / "theme" / "static" / "js").glob("moderation*.js"))
    assert len(scripts) >= 2
    js = "\n".join(path.read_text(encoding="utf-8") for path in scripts)
    page = (root / "theme" / "templates" / "moderation.html").read_text(encoding="utf-8")
    assert not re.search(r"\w+\s*:\s*\[\s*\"", js), "a status → actions table in moderation.js"
    assert not re.search(r"\b1000\b", js), "the note's maxlength copied into moderation.js"
    spec = limits()
    dispositions = spec["dispositions"]["labels"]
    answer = spec["fields"]["answer_text"]
    for number in (answer["max"], spec["fields"]["answer_ids"]["max"]):
        assert not re.search(rf"\b{number}\b", js), f"an answer limit ({number}) copied"
    for name in [s.value for s in Status] + [a.value for a in Action] + list(dispositions):
        assert not re.search(rf"[\"']{name}[\"']", js), name
        assert f'value="{name}"' not in page, name
    words = ["εγκρίθηκε", "απορρίφθηκε", "αποκρύφθηκε", "Κρυφό", *dispositions.values()]
    for word in [*words, answer["label"]]:
        assert word.casefold() not in js.casefold(), word
    for word in words:
        assert word.casefold() not in page.casefold(), word


def _axe(page: object, root: Path) -> None:
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False)
