"""End to end in Debian's Chromium, participants hearing back (issue 10), with real parts only:
the demo site built and served over HTTP, the API under ``chalice local`` on DynamoDB Local
with the mail environment, the publish step, the sender (chalicelib.outbox, run here between
steps as its schedule would run it) and a real SMTP server (scripts.smtp_local) whose stored
messages are what is read.

Receipts of comments sent with and without JavaScript; the private link opened from the
received message, read and used by keyboard alone; the notice after an approval and its link to
the published comment; a published comment withdrawn, gone from its page and from the open
data; one-click unsubscribe (RFC 8058); the double opt-in of «Ενημερώστε με». One module, one
stack (its start and first publishes are most of its time), hence its length.
"""

from __future__ import annotations

import html
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from browser import (
    NOW,
    ROOT,
    Served,
    axe_violations,
    build_demo,
    chromium,
    local_context,
    preload_axe,
    serve,
)
from test_browser_e2e import CONSULTATION, TEXT, _api_manifest, _items

from chalicelib import config, db, mail, moderation, outbox, publish, tokens
from chalicelib.store import keys, queries
from chalicelib.store import subscriptions as subscription_store
from chalicelib.targets import LocalDirTarget
from scripts.api_local import start_api, stop_api
from scripts.dynamodb_local import create_table, free_port
from scripts.smtp_local import LocalSmtp, read

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SENDER = "Διαβούλευση <diavoulefsi@example.gr>"
STAFF = "Υπάλληλος Δοκιμών"
WITHDRAWN = "Αποσύρθηκε από τον συντάκτη"
PARAGRAPH = "kafsonas"
CONSULTATION_PAGE = f"diavoulefseis/{CONSULTATION}/"
OWN_EXPORTS = [f"anoikta-dedomena/{CONSULTATION}.{ext}" for ext in ("json", "csv", "xlsx")]
# the site has no XLSX; new rows reach the files at midnight, a withdrawal at once
SITE_EXPORTS = [f"anoikta-dedomena/ola.{ext}" for ext in ("json", "csv")]
EXPORTS = OWN_EXPORTS + SITE_EXPORTS
TOKEN = r"[a-z0-9.-]+\.[A-Za-z0-9_-]{43}"  # what it opens, then its secret (chalicelib.tokens)


@dataclass
class Stack:
    site: Served
    api: str
    table: Any
    smtp: LocalSmtp
    work: Path


@dataclass
class Sent:
    """A comment sent from the site and the receipt its author received."""

    id: str
    reference: str
    body: str
    email: str
    name: str
    message: EmailMessage
    link: str  # the private link, as the received message gives it


def _reset_caches() -> None:
    config.reset()
    db.reset()
    mail.get.cache_clear()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, dynamodb: Any) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("mail-e2e")
    name = f"mail-{uuid.uuid4().hex[:10]}"
    create_table(dynamodb.client(), name)
    table = boto3.resource("dynamodb", endpoint_url=dynamodb.endpoint).Table(name)
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    output = build_demo(work / "site", api_url=api)
    with (
        serve(output) as site,
        LocalSmtp(work / "mail") as smtp,
        pytest.MonkeyPatch.context() as patch,
    ):
        env = {
            "STAGE": "test",
            "TABLE_NAME": name,
            "DYNAMODB_ENDPOINT": dynamodb.endpoint,
            "SITE_URL": site.url,
            "SITE_ORIGINS": site.url,
            "IP_HASH_KEY": "mail-e2e-ip-hash-key",
            "MANIFEST_PATH": str(_api_manifest(output / "consultations.json", work)),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "MAIL_SENDER": SENDER,
            "API_URL": api,
            "STAFF_DIGEST_TO": "prosopiko@example.gr",
        }
        # This process runs what the schedules and the staff would: the sender, the
        # moderation decisions and the publish, with the API's own configuration.
        for key, value in env.items():
            patch.setenv(key, value)
        _reset_caches()
        proc = start_api(port, env, log_path=work / "api.log")
        try:
            yield Stack(site, api, table, smtp, work)
        finally:
            stop_api(proc)
    _reset_caches()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


# --- the steps -------------------------------------------------------------------------------
def _deliver(stack: Stack) -> list[EmailMessage]:
    """Run the sender once, as its schedule would; the messages the SMTP server received."""
    before = set(stack.smtp.files())
    outbox.send_due(table=stack.table)
    return [read(path) for path in stack.smtp.files() if path not in before]


def _publish(stack: Stack, force: bool = False) -> publish.PublishResult:
    result = publish.run(
        force=force,
        target=LocalDirTarget(stack.site.directory),
        project_root=ROOT,
        workdir=stack.work / "publish",
        api_url=stack.api,
        site_url=stack.site.url,
        now=NOW,
        table=stack.table,
    )
    assert result.status == publish.PUBLISHED, result
    return result


def _approve(sub_id: str) -> None:
    moderation.decide(sub_id, json.dumps({"action": "approve"}).encode(), STAFF)


def _item(stack: Stack, sub_id: str) -> dict[str, Any]:
    return stack.table.get_item(Key=keys.submission(sub_id), ConsistentRead=True)["Item"]


def _post(browser: Any, stack: Stack, body: str, email: str, name: str, js: bool) -> str:
    """Send a comment from the text's form, as a person would; its submission id."""
    with local_context(browser, java_script_enabled=js) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/{TEXT}")
        form = page.locator("form.submission")
        form.get_by_label("Σε ποιο σημείο αναφέρεται το σχόλιο;").select_option(PARAGRAPH)
        form.get_by_label("Το σχόλιό σας").fill(body)
        form.get_by_label("Ονοματεπώνυμο").fill(name)
        form.get_by_label("Να δημοσιευθεί το όνομά μου").check()
        form.get_by_label("Ηλεκτρονικό ταχυδρομείο").fill(email)
        form.get_by_label("Αποδέχομαι τους").check()
        form.get_by_role("button", name="Υποβολή σχολίου").click()
        if js:
            page.locator("[data-success]").wait_for()
        else:
            page.wait_for_url(re.compile(r"/v1/received/NS-"))
            assert page.locator("strong.reference").is_visible()
    return _items(stack.table, "pending")[body]["id"]


def _public(stack: Stack, sent: Sent) -> str:
    """Where an e-mail links to a published comment: its consultation's finder page (by the
    last character of its id), the row there carrying the comment's anchor."""
    from pelican.settings import get_settings_from_file

    from chalicelib.links import comment_bucket
    from plugins.consultations import urls

    settings = get_settings_from_file(
        str(Path(__file__).resolve().parent.parent / "pelicanconf.py")
    )
    finder = urls.url(
        settings, "COMMENT_FIND", consultation=CONSULTATION, bucket=comment_bucket(sent.id)
    )
    return f"{stack.site.url}/{finder}#sxolio-{sent.id}"


def _parts(message: EmailMessage) -> tuple[str, str]:
    """(the plain text, the HTML with its entities undone)."""
    text = message.get_body(preferencelist=("plain",))
    markup = message.get_body(preferencelist=("html",))
    assert text is not None and markup is not None, message.get_content_type()
    return text.get_content(), html.unescape(markup.get_content())


def _links(stack: Stack, route: str, text: str) -> list[str]:
    return sorted(set(re.findall(re.escape(f"{stack.api}{route}") + TOKEN, text)))


def _sent(stack: Stack, sub_id: str, message: EmailMessage) -> Sent:
    item = _item(stack, sub_id)
    text, _ = _parts(message)
    [link] = _links(stack, "/v1/follow/", text)
    return Sent(
        sub_id, item["reference"], item["body"], item["email"], item["display_name"], message, link
    )


def _by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    found = {str(m["To"]): m for m in messages}
    assert len(found) == len(messages), [m["To"] for m in messages]
    return found


def _tab_to(page: Any, target: Any, limit: int = 80) -> int:
    """Press Tab from the top of the page until ``target`` has the focus; the presses taken."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("(e) => e === document.activeElement"):
            return presses
    raise AssertionError(f"Tab never reached {target} in {limit} presses")


def _submitted(page: Any, act: Callable[[], None]) -> None:
    """Submit a form of an API page by ``act`` (a key press, a click); fail with what the page
    then says unless the post ended on a page that loaded fine."""
    with page.expect_navigation() as navigation:
        act()
    response = navigation.value
    post = response.request.redirected_from or response.request
    assert response.ok, (
        f"{post.method} answered {response.status} (the browser sent Origin: "
        f"{post.headers.get('origin')}): {page.locator('main').inner_text()}"
    )


def _exports(stack: Stack) -> dict[str, str]:
    """The open data as served (the workbooks' XML unpacked, JSON's escapes undone)."""
    found = {}
    for path in EXPORTS:
        answer = requests.get(f"{stack.site.url}/{path}", timeout=10)
        assert answer.status_code == 200, path
        if path.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(answer.content)) as book:
                text = "\n".join(
                    html.unescape(book.read(n).decode("utf-8"))
                    for n in book.namelist()
                    if n.endswith(".xml")
                )
        elif path.endswith(".json"):
            text = json.dumps(answer.json(), ensure_ascii=False)
        else:
            text = answer.content.decode("utf-8-sig")
        found[path] = text
    return found


# --- a new site's first decision -------------------------------------------------------------
FIRST = "proti-egkrisi@example.org"


@pytest.fixture(scope="module")
def new_site(stack: Stack) -> list[EmailMessage]:
    """A new stage as it goes live: its first publish (nothing decided yet), then its first
    comment, that comment's approval and the publish after it. Returns what the sender then
    sent; from here on the platform has published after a decision (what notices need)."""
    _publish(stack)
    answer = requests.post(
        f"{stack.api}/v1/comments",
        json={
            "consultation": CONSULTATION,
            "text": TEXT.rstrip("/").rsplit("/", 1)[1],
            "paragraph": PARAGRAPH,
            "body": "Το πρώτο σχόλιο του νέου ιστότοπου: φανάρια για πεζούς στη σχολική οδό.",
            "respondent_type": "citizen",
            "display_name": "Πρώτη Συμμετέχουσα",
            "email": FIRST,
            "consent": True,
        },
        headers={"Origin": stack.site.url},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    assert [m["To"] for m in _deliver(stack)] == [FIRST]  # its receipt
    _approve(answer.json()["id"])
    _publish(stack)
    return _deliver(stack)


def test_the_first_approval_on_a_new_site_is_told(new_site: list[EmailMessage]) -> None:
    # Notices skip the decisions made before notices existed (an upgraded stage); a new stage
    # had notices from its first publish on, so its first participants hear back too.
    assert [m["To"] for m in new_site] == [FIRST], "no notice for the first approval"
    text, _ = _parts(new_site[0])
    assert "Δημοσιεύτηκε" in text


# --- receipts and the private link -----------------------------------------------------------
@pytest.fixture(scope="module")
def receipts(browser: Any, stack: Stack) -> dict[str, Sent]:
    """One comment sent without JavaScript and one with it, then the sender's run."""
    no_js = _post(
        browser,
        stack,
        "Χωρίς σενάριο: βρύσες με πόσιμο νερό σε κάθε παιδική χαρά, κωδικός ΚΑΠΠΑ.",
        "choris-senario@example.org",
        "Ηλέκτρα Χωρίςσενάριο",
        js=False,
    )
    with_js = _post(
        browser,
        stack,
        "Με σενάριο: σκίαστρα και παγκάκια στη στάση του λεωφορείου, κωδικός ΛΑΜΔΑ.",
        "me-senario@example.org",
        "Λάμπρος Μεσενάριο",
        js=True,
    )
    arrived = _by_recipient(_deliver(stack))
    assert set(arrived) == {"choris-senario@example.org", "me-senario@example.org"}
    return {
        "no_js": _sent(stack, no_js, arrived["choris-senario@example.org"]),
        "with_js": _sent(stack, with_js, arrived["me-senario@example.org"]),
    }


def test_receipts_arrive_for_comments_sent_with_and_without_javascript(
    stack: Stack, receipts: dict[str, Sent]
) -> None:
    for sent in receipts.values():
        message = sent.message
        assert message["From"].addresses[0].addr_spec == "diavoulefsi@example.gr"
        subject = str(message["Subject"])
        assert subject == f"Λάβαμε το σχόλιό σας — αριθμός αναφοράς {sent.reference}"
        assert sent.body not in subject
        assert message.get_content_type() == "multipart/alternative"
        text, markup = _parts(message)
        for part in (text, markup):
            assert sent.reference in part and sent.body in part
            assert sent.link in part
        assert sent.link.startswith(f"{stack.api}/v1/follow/")
        assert "<img" not in markup and 'lang="el"' in markup
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert receipts["no_js"].link != receipts["with_js"].link


def test_the_private_link_shows_the_pending_comment_and_withdraws_it_by_keyboard(
    stack: Stack, browser: Any, receipts: dict[str, Sent]
) -> None:
    sent = receipts["no_js"]
    with local_context(browser) as context:  # axe-core needs script; the page has none
        page = preload_axe(context).new_page()
        page.goto(sent.link)  # a GET changes nothing
        assert axe_violations(page) == []

    with local_context(browser, java_script_enabled=False) as context:
        page, other_tab = context.new_page(), context.new_page()
        other_tab.goto(sent.link)  # still showing the button once the first tab has withdrawn
        page.goto(sent.link)
        assert sent.reference in page.locator("h1").inner_text()
        main = page.locator("main").inner_text()
        assert "Σε αναμονή" in main and "περιμένει έλεγχο" in main
        assert sent.body in main and sent.email in main  # what is held, for its author
        withdraw = page.get_by_role("button", name="Αποσύρω τη συμμετοχή μου")
        _tab_to(page, withdraw)
        _submitted(page, lambda: page.keyboard.press("Enter"))
        assert page.url == f"{sent.link}?done=withdraw"
        assert "Η συμμετοχή σας αποσύρθηκε" in page.get_by_role("status").inner_text()
        main = page.locator("main").inner_text()
        assert WITHDRAWN in main
        assert sent.body not in main and sent.email not in main
        assert withdraw.count() == 0

        # Withdrawn again from the other tab: the same page, no error, nothing more done.
        again = other_tab.get_by_role("button", name="Αποσύρω τη συμμετοχή μου")
        _submitted(other_tab, again.click)
        assert WITHDRAWN in other_tab.locator("main").inner_text()
    item = _item(stack, sent.id)
    assert item["status"] == "withdrawn"
    assert not {"body", "email", "display_name"} & set(item)
    trail = [entry["action"] for entry in queries.audit_trail(stack.table, sent.id)]
    assert trail.count("withdraw") == 1, trail

    with local_context(browser) as context:
        page = preload_axe(context).new_page()
        page.goto(f"{sent.link}?done=withdraw")
        assert axe_violations(page) == []


# --- the notice of an approval, and a withdrawal after publication ---------------------------
@pytest.fixture(scope="module")
def published(
    stack: Stack, receipts: dict[str, Sent], new_site: list[EmailMessage]
) -> list[EmailMessage]:
    """The comment sent with JavaScript approved, published; what the sender then sent
    (after ``new_site``: notices tell the decisions made after a publish has covered one)."""
    _approve(receipts["with_js"].id)
    _publish(stack)
    return _deliver(stack)


def test_an_approval_is_told_with_the_link_to_the_published_comment(
    stack: Stack, browser: Any, receipts: dict[str, Sent], published: list[EmailMessage]
) -> None:
    sent = receipts["with_js"]
    assert [m["To"] for m in published] == [sent.email]
    [notice] = published
    assert sent.reference in str(notice["Subject"]) and sent.body not in str(notice["Subject"])
    text, markup = _parts(notice)
    public = _public(stack, sent)
    assert public in text and public in markup
    assert "/v1/unsubscribe/" in notice["List-Unsubscribe"]
    with local_context(browser, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(public)  # the comment's finder page: its row, then a link to the comment
        row = page.locator(f"[id='sxolio-{sent.id}']")
        assert row.count() == 1 and row.is_visible() and sent.reference in row.inner_text()
        row.get_by_role("link").click()
        assert page.url.endswith(f"#sxolio-{sent.id}") and TEXT in page.url
        comment = page.locator(f"[id='sxolio-{sent.id}']")
        assert comment.count() == 1
        assert sent.body in comment.inner_text() and sent.name in comment.inner_text()
        assert comment.is_visible()  # the link lands on the comment, not on a closed list


def test_a_published_comment_withdrawn_by_its_link_leaves_its_page_and_the_open_data(
    stack: Stack, browser: Any, receipts: dict[str, Sent], published: list[EmailMessage]
) -> None:
    sent = receipts["with_js"]
    _publish(stack, force=True)  # the day's new rows reach its open data, as at midnight
    before = _exports(stack)
    for path in OWN_EXPORTS:  # the search below looks where the comment was
        assert sent.body in before[path] and sent.name in before[path], path
        assert sent.reference in before[path], path

    with local_context(browser, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(sent.link)
        assert "έχει δημοσιευτεί" in page.locator("main").inner_text()
        see = page.get_by_role("link", name="Δείτε τη συμμετοχή σας στον ιστότοπο")
        assert see.get_attribute("href") == _public(stack, sent)
        withdraw = page.get_by_role("button", name="Αποσύρω τη συμμετοχή μου")
        _tab_to(page, withdraw)
        _submitted(page, lambda: page.keyboard.press("Space"))
        assert "Η συμμετοχή σας αποσύρθηκε" in page.get_by_role("status").inner_text()

        _publish(stack)
        page.goto(_public(stack, sent))  # the notice's link: the finder, then its place
        page.locator(f"[id='sxolio-{sent.id}']").get_by_role("link").click()
        place = page.locator(f"[id='sxolio-{sent.id}']")
        assert place.count() == 1 and place.is_visible()
        assert place.inner_text().strip() == WITHDRAWN
        content = page.content()
        assert sent.body not in content and sent.name not in content
    after = _exports(stack)
    for path, text in after.items():
        assert sent.body not in text and sent.name not in text, path
    assert _deliver(stack) == []  # a withdrawal is nobody's news


# --- one-click unsubscribe -------------------------------------------------------------------
def test_one_click_unsubscribe_stops_the_notices(
    stack: Stack, browser: Any, new_site: list[EmailMessage]
) -> None:
    leaving, staying = "fevgo@example.org", "meno@example.org"
    ids = {
        leaving: _post(
            browser,
            stack,
            "Θα διαγραφώ από τα μηνύματα: λιγότερος θόρυβος τη νύχτα, κωδικός ΜΙ.",
            leaving,
            "Φανή Φεύγω",
            js=False,
        ),
        staying: _post(
            browser,
            stack,
            "Θα μείνω στα μηνύματα: περισσότεροι κάδοι κομποστοποίησης, κωδικός ΝΙ.",
            staying,
            "Μένης Μένω",
            js=False,
        ),
    }
    receipt = _by_recipient(_deliver(stack))[leaving]
    assert receipt["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [url] = re.findall(r"<([^>]+)>", receipt["List-Unsubscribe"])
    assert url.startswith(f"{stack.api}/v1/unsubscribe/")
    # As a mail provider does it (RFC 8058): a POST with that body, no cookie, no origin.
    answer = requests.post(
        url,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text

    for sub_id in ids.values():
        _approve(sub_id)
    _publish(stack)
    assert [m["To"] for m in _deliver(stack)] == [staying]


# --- «Ενημερώστε με» -------------------------------------------------------------------------
def test_a_subscription_from_the_consultation_page_is_confirmed_by_its_emailed_link(
    stack: Stack, browser: Any
) -> None:
    address = "syndromitria@example.org"
    with local_context(browser, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(f"{stack.site.url}/{CONSULTATION_PAGE}")
        assert page.locator("#enimerosi-ok").is_hidden()
        form = page.locator("form.subscribe-form")
        form.get_by_label("Ηλεκτρονικό ταχυδρομείο").fill(address)
        form.get_by_label("Συμφωνώ να λαμβάνω ενημερώσεις").check()
        form.get_by_role("button", name="Εγγραφή για ενημερώσεις").click()
        page.wait_for_url(f"{stack.site.url}/{CONSULTATION_PAGE}#enimerosi-ok")
        assert page.locator("#enimerosi-ok").is_visible()

    [message] = _deliver(stack)
    assert message["To"] == address
    assert str(message["Subject"]).startswith("Επιβεβαιώστε την εγγραφή σας για ενημερώσεις")
    text, markup = _parts(message)
    [link] = _links(stack, "/v1/subscriptions/confirm/", text)
    assert link in markup
    hashed = tokens.address_hash(address)
    assert subscription_store.get(stack.table, CONSULTATION, hashed)["status"] == "pending"

    with local_context(browser) as context:  # axe-core needs script; the pages have none
        page = preload_axe(context).new_page()
        page.goto(link)
        assert page.locator("h1").inner_text() == "Επιβεβαίωση εγγραφής"
        assert axe_violations(page) == []
        assert not subscription_store.is_confirmed(stack.table, CONSULTATION, hashed)
        button = page.get_by_role("button", name="Ναι, θέλω να λαμβάνω ενημερώσεις")
        _submitted(page, button.click)
        assert page.locator("h1").inner_text() == "Η εγγραφή σας επιβεβαιώθηκε"
        assert axe_violations(page) == []
    assert subscription_store.is_confirmed(stack.table, CONSULTATION, hashed)
