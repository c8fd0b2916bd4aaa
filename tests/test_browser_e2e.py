"""End to end in Debian's Chromium, with real parts only: the demo site built by Pelican and
served over HTTP, the API under ``chalice local`` on DynamoDB Local, the moderation page, and the
publish step writing into the served directory.

Issue 3: the comment form posts with and without JavaScript (and is refused from another
origin). Issue 4: a comment goes from the form through moderation and publish to its paragraph;
a rejected one, and every email address, appear nowhere in the published tree.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from browser import NOW, ROOT, Served, build_demo, chromium, local_context, serve

from chalicelib import auth, publish
from chalicelib.targets import LocalDirTarget
from scripts.api_local import start_api, stop_api
from scripts.dynamodb_local import create_table, free_port

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CONSULTATION = "perivallon-kai-poiotita-zois"
TEXT = f"diavoulefseis/{CONSULTATION}/prasino-stis-geitonies/"
EMAIL = "e2e-private@example.org"
NAME = "Ασπασία Δοκιμαστική"


@dataclass
class Stack:
    site: Served
    api: str
    table: Any
    log: Path
    work: Path


def _api_manifest(built: Path, work: Path) -> Path:
    """The manifest the API reads: the built one. The site is built for NOW, the API judges
    "open" by the wall clock; once the wall clock passes the demo's closing date, a copy with
    that consultation's window stretched to today keeps the form path testable."""
    data = json.loads(built.read_text(encoding="utf-8"))
    (cons,) = (c for c in data["consultations"] if c["slug"] == CONSULTATION)
    today = datetime.now(UTC)
    if datetime.fromisoformat(cons["closes"]) > today + timedelta(hours=1):
        return built
    cons["closes"] = (today + timedelta(days=2)).isoformat()
    copy = work / "consultations.json"
    copy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, dynamodb: Any) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("e2e")
    name = f"e2e-{uuid.uuid4().hex[:10]}"
    create_table(dynamodb.client(), name)
    table = boto3.resource("dynamodb", endpoint_url=dynamodb.endpoint).Table(name)
    api = f"http://127.0.0.1:{free_port()}"
    output = build_demo(work / "site", api_url=api)
    with serve(output) as site:
        env = {
            "STAGE": "test",
            "TABLE_NAME": name,
            "DYNAMODB_ENDPOINT": dynamodb.endpoint,
            "SITE_URL": site.url,
            "SITE_ORIGINS": site.url,
            "IP_HASH_KEY": "e2e-ip-hash-key",
            "MANIFEST_PATH": str(_api_manifest(output / "consultations.json", work)),
        }
        log = work / "api.log"
        proc = start_api(int(api.rsplit(":", 1)[1]), env, log_path=log)
        try:
            yield Stack(site, api, table, log, work)
        finally:
            stop_api(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _items(table: Any, status: str) -> dict[str, dict[str, Any]]:
    """Submissions of a status by body, through the by_status index (as moderation reads)."""
    items, start = [], {}
    while True:
        page = table.query(
            IndexName="by_status",
            KeyConditionExpression=Key("GSI2PK").eq(f"STATUS#{status}"),
            **start,
        )
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return {item["body"]: item for item in items}
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def _fill(page: Any, body: str, paragraph: str | None = None) -> None:
    """Fill the comment form by its visible labels, as a person would."""
    form = page.locator("form.submission")
    if paragraph:
        form.get_by_label("Σε ποιο σημείο αναφέρεται το σχόλιο;").select_option(paragraph)
    form.get_by_label("Το σχόλιό σας").fill(body)
    form.get_by_label("Ονοματεπώνυμο").fill(NAME)
    form.get_by_label("Να δημοσιευθεί το όνομά μου").check()
    form.get_by_label("Ηλεκτρονικό ταχυδρομείο").fill(EMAIL)
    form.get_by_label("Αποδέχομαι τους").check()


def _submit(page: Any) -> None:
    page.locator("form.submission").get_by_role("button", name="Υποβολή σχολίου").click()


def _post_without_js(browser: Any, stack: Stack, body: str, paragraph: str) -> str:
    """Submit with JavaScript off; returns the reference the confirmation page shows."""
    with local_context(browser, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/{TEXT}")
        _fill(page, body, paragraph)
        _submit(page)
        page.wait_for_url(re.compile(r"/v1/received/NS-"))
        assert page.url.startswith(f"{stack.api}/v1/received/NS-"), page.url
        reference = page.locator("strong.reference").inner_text()
        assert page.get_by_role("heading", level=1).inner_text() == "Η υποβολή σας καταχωρίστηκε"
        back = page.get_by_role("link", name="Επιστροφή στη σελίδα της υποβολής")
        assert back.get_attribute("href") == f"{stack.site.url}/{TEXT}"
        return reference


def _post_with_js(browser: Any, stack: Stack, body: str, paragraph: str) -> str:
    with local_context(browser) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/{TEXT}")
        _fill(page, body, paragraph)
        _submit(page)
        page.locator("[data-success]").wait_for()
        assert page.url == f"{stack.site.url}/{TEXT}"  # no page load: the script posted
        return page.locator("[data-success-reference]").inner_text()


def test_a_comment_without_javascript_is_stored_pending(browser: Any, stack: Stack) -> None:
    body = "Χωρίς σενάριο: περισσότερα παγκάκια στη σκιά, κωδικός ΑΛΦΑ."
    reference = _post_without_js(browser, stack, body, "kafsonas")
    item = _items(stack.table, "pending")[body]
    assert (item["reference"], item["status"], item["kind"]) == (reference, "pending", "comment")
    assert (item["consultation"], item["text"], item["paragraph"]) == (
        CONSULTATION,
        "prasino-stis-geitonies",
        "kafsonas",
    )
    assert "submission_key" not in item  # a static page cannot mint a fresh key per visit


def test_a_comment_with_javascript_is_announced_and_errors_are_inline(
    browser: Any, stack: Stack
) -> None:
    body = "Με σενάριο: δέντρα σε κάθε γωνία της γειτονιάς, κωδικός ΒΗΤΑ."
    reference = _post_with_js(browser, stack, body, "p-6b58a944")
    item = _items(stack.table, "pending")[body]
    assert (item["reference"], item["paragraph"]) == (reference, "p-6b58a944")
    assert len(item["submission_key"]) >= 8

    with local_context(browser) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/{TEXT}")
        # Long enough for the browser's own check, too short once trimmed: the script says so
        # in Greek, beside the field and in the summary, which takes focus.
        _fill(page, "   Λίγα.             ")
        _submit(page)
        error = page.locator("#f-body-error")
        error.wait_for()
        assert "χαρακτήρ" in error.inner_text()
        field = page.locator("#f-body")
        assert "f-body-error" in field.get_attribute("aria-describedby").split()
        assert field.get_attribute("aria-invalid") == "true"
        assert page.evaluate("document.activeElement.matches('[data-error-summary]')")
        assert page.locator("[data-error-summary] a").first.get_attribute("href") == "#f-body"


def test_a_form_on_another_origin_is_refused(browser: Any, stack: Stack) -> None:
    body = "Από ξένη σελίδα: αυτό δεν πρέπει να αποθηκευτεί, κωδικός ΓΑΜΜΑ."
    with (
        serve(stack.site.directory) as other,
        local_context(browser, java_script_enabled=False) as context,
    ):
        assert other.url != stack.site.url
        page = context.new_page()
        page.goto(f"{other.url}/{TEXT}")
        _fill(page, body, "kafsonas")
        with page.expect_response(f"{stack.api}/v1/comments") as answer:
            _submit(page)
        assert answer.value.status == 403
        assert answer.value.json()["error"]["code"] == "forbidden_origin"
        assert page.url == f"{stack.api}/v1/comments"  # no redirect back for another site
    assert all(body not in _items(stack.table, s) for s in ("pending", "approved", "rejected"))


def _published_files(directory: Path) -> dict[str, str]:
    """Every file of the published tree as text (Pagefind's gzipped index decompressed, JSON's
    escapes undone), so that a search for a body or an email misses nothing."""
    files = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        text = data.decode("utf-8", "replace")
        if path.suffix == ".json":
            text += json.dumps(json.loads(text), ensure_ascii=False)
        files[path.relative_to(directory).as_posix()] = text
    return files


def _moderate(browser: Any, stack: Stack, approve: list[str], reject: str) -> None:
    """Approve (one by keyboard, the rest by mouse) and reject (with a reason) on /moderation/."""
    token, _ = auth.create(stack.table, "Υπάλληλος Δοκιμών")
    with local_context(browser) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/moderation/")
        page.get_by_label("Διακριτικό προσωπικού").fill(token)
        page.keyboard.press("Enter")
        page.locator("#mod-items > li").first.wait_for()
        assert EMAIL not in page.content()
        queue = page.locator("#mod-items")
        for n, body in enumerate(approve):
            button = queue.locator("article", has_text=body).get_by_role("button", name="Έγκριση")
            if n == 0:
                button.focus()
                page.keyboard.press("Enter")
            else:
                button.click()
            page.locator("#mod-status", has_text="εγκρίθηκε").wait_for()
            queue.locator("article", has_text=body).wait_for(state="detached")
        item = queue.locator("article", has_text=reject)
        item.get_by_label("Λόγος απόρριψης ή απόκρυψης").select_option("off_topic")
        item.get_by_role("button", name="Απόρριψη").click()
        page.locator("#mod-status", has_text="απορρίφθηκε").wait_for()


def test_from_the_form_through_moderation_to_the_published_paragraph(
    browser: Any, stack: Stack
) -> None:
    no_js = "Ο κύκλος χωρίς σενάριο: σιντριβάνι στην πλατεία, κωδικός ΔΕΛΤΑ."
    with_js = "Ο κύκλος με σενάριο: ποδηλατόδρομος στη λεωφόρο, κωδικός ΕΨΙΛΟΝ."
    rejected = "Σχόλιο εκτός θέματος που δεν πρέπει να δημοσιευτεί, κωδικός ΖΗΤΑ."
    _post_without_js(browser, stack, no_js, "kafsonas")
    _post_with_js(browser, stack, with_js, "p-6b58a944")
    _post_with_js(browser, stack, rejected, "")  # on the whole text: would be indexed too

    _moderate(browser, stack, approve=[no_js, with_js], reject=rejected)
    approved = _items(stack.table, "approved")
    assert {no_js, with_js} <= set(approved)
    assert _items(stack.table, "rejected")[rejected]["decision_reason"] == "off_topic"

    result = publish.run(
        target=LocalDirTarget(stack.site.directory),
        project_root=ROOT,
        workdir=stack.work / "publish",
        api_url=stack.api,
        site_url=stack.site.url,
        now=NOW,
        table=stack.table,
    )
    assert result.status == publish.PUBLISHED and result.uploaded > 0

    with local_context(browser) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/{TEXT}")
        for paragraph, body in (("kafsonas", no_js), ("p-6b58a944", with_js)):
            tools = page.locator(f"[id='{paragraph}'] + .para-tools")
            tools.locator("summary").click()
            comment = tools.locator(".comment", has_text=body)
            assert comment.is_visible(), paragraph
            assert NAME in comment.inner_text()
        assert rejected not in page.content()

    files = _published_files(stack.site.directory)
    # The search below reads what it should: the bodies in the pages, the search index unpacked.
    assert any(f.endswith(".pf_fragment") and f'"/{TEXT}"' in t for f, t in files.items())
    tree = "\n".join(files.values())
    assert no_js in tree and with_js in tree
    assert rejected not in tree
    assert EMAIL not in tree and "@example.org" not in tree
    assert EMAIL not in stack.log.read_text(encoding="utf-8")
