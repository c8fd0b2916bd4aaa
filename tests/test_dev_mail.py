"""The dev stack's mail, as staff and testers read it: the dev site's /dev-mail/ pages (served by
scripts/dev.py's SiteHandler from the mail folder, never from the site), ``python -m
scripts.mail list|show``, the mail timer, the API's access log without the private links'
tokens, and, end to end, ``make dev`` delivering a receipt to its own SMTP server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests
from browser import nu_check
from proc_support import alive, descendants, start_dev

from chalicelib import mail
from scripts import mail as dev_mail
from scripts.api_local import redact, start_api, stop_api
from scripts.dev import MailTimer, serve_site
from scripts.dynamodb_local import free_port
from scripts.smtp_local import LocalSmtp

SENDER = "Διαβούλευση <diavoulefsi@example.gr>"
HTML = (
    '<!DOCTYPE html><html lang="el"><head><title>Απόδειξη</title></head><body>'
    '<p>Λάβαμε το σχόλιό σας &amp; «ευχαριστούμε».</p><script>alert("x")</script>'
    '<p><a href="http://127.0.0.1:8010/v1/follow/abc">Ο σύνδεσμός σας</a></p></body></html>'
)


def send(server: LocalSmtp, subject: str, to: str = "polites@example.org", **kw: Any) -> None:
    message = mail.Message(to=to, subject=subject, text=kw.pop("text", "Κείμενο."), **kw)
    mail.SmtpMailer("127.0.0.1", server.port, SENDER).send(message)


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[LocalSmtp]:
    """A mail folder with two messages: a receipt (text, HTML) and a text-only notice."""
    with LocalSmtp(tmp_path / "mail") as server:
        send(
            server,
            "Λάβαμε το σχόλιό σας (NS-7K2QXD) <b>",
            text="Καλησπέρα σας.\nΟ σύνδεσμός σας: http://127.0.0.1:8010/v1/follow/abc?x=1&y=2\n",
            html=HTML,
            message_id="first",
            headers=(("List-Unsubscribe", "<http://127.0.0.1:8010/v1/unsubscribe/u1>"),),
        )
        send(server, "Δημοσιεύτηκε το σχόλιό σας", to="allos@example.org", message_id="second")
        server.wait_for(2)
        yield server


@pytest.fixture
def site(tmp_path: Path, inbox: LocalSmtp) -> Iterator[str]:
    """The dev site's server on a free port: a site folder with its 404 page, and the mail."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "404.html").write_text("<p>Η σελίδα του ιστότοπου 404</p>", encoding="utf-8")
    (folder / "index.html").write_text("<p>Αρχική</p>", encoding="utf-8")
    server = serve_site(folder, free_port(), inbox.mail_dir)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_dev_mail_lists_the_messages_newest_first(site: str, inbox: LocalSmtp) -> None:
    answer = requests.get(f"{site}/dev-mail/", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    page = answer.text
    assert '<html lang="el">' in page
    first, second = (path.name for path in inbox.files())
    links = re.findall(r'href="/dev-mail/([^"]+)"', page)
    assert links == [second, first]  # newest first
    assert "Λάβαμε το σχόλιό σας (NS-7K2QXD) &lt;b&gt;" in page and "<b>" not in page
    assert "allos@example.org" in page and "polites@example.org" in page
    assert requests.get(f"{site}/dev-mail", timeout=5).text == page
    assert requests.get(f"{site}/", timeout=5).text == "<p>Αρχική</p>"  # the site as before


def test_dev_mail_shows_one_message(site: str, inbox: LocalSmtp) -> None:
    name = inbox.files()[0].name
    answer = requests.get(f"{site}/dev-mail/{name}", timeout=5)
    assert answer.status_code == 200
    page = answer.text
    assert "<dd>polites@example.org</dd>" in page
    assert "<dd>&lt;first@example.gr&gt;</dd>" in page
    assert "<dd>&lt;http://127.0.0.1:8010/v1/unsubscribe/u1&gt;</dd>" in page
    text = re.search(r"<pre>(.*?)</pre>", page, re.S)
    assert text and "Καλησπέρα σας." in text.group(1)
    link = '<a href="http://127.0.0.1:8010/v1/follow/abc?x=1&amp;y=2">'
    assert link in text.group(1)  # a tester follows the private link
    frame = re.search(r'<iframe [^>]*sandbox="([^"]*)"[^>]*srcdoc="([^"]*)"', page)
    assert frame, page
    assert "allow-scripts" not in frame.group(1) and "allow-same-origin" not in frame.group(1)
    assert unescape(frame.group(2)).replace('<base target="_blank">', "").rstrip() == HTML
    assert "<script>" not in page  # the mail's script only inside the escaped srcdoc

    text_only = requests.get(f"{site}/dev-mail/{inbox.files()[1].name}", timeout=5).text
    assert "<iframe" not in text_only and "<pre>Κείμενο.\n</pre>" in text_only


@pytest.mark.parametrize(
    "name",
    [
        "no-such-message.eml",
        "..%2F404.html",
        "../site/404.html",
        "%2e%2e/site/index.html",
        "sub/inner.eml",
        ".hidden.eml",
        "outside.eml",
        "notes.txt",
    ],
)
def test_dev_mail_refuses_anything_but_a_message_of_the_folder(
    site: str, inbox: LocalSmtp, tmp_path: Path, name: str
) -> None:
    (inbox.mail_dir / "sub").mkdir()
    (inbox.mail_dir / "sub" / "inner.eml").write_bytes(inbox.files()[0].read_bytes())
    (inbox.mail_dir / ".hidden.eml").write_bytes(inbox.files()[0].read_bytes())
    (inbox.mail_dir / "notes.txt").write_text("σημειώσεις", encoding="utf-8")
    secret = tmp_path / "secret.eml"
    secret.write_bytes(inbox.files()[0].read_bytes())
    (inbox.mail_dir / "outside.eml").symlink_to(secret)
    assert dev_mail.dev_page(inbox.mail_dir, unquote(name)) is None
    answer = requests.get(f"{site}/dev-mail/{name}", timeout=5)
    assert answer.status_code == 404
    assert "Η σελίδα του ιστότοπου 404" in answer.text  # the site's own 404 page
    assert "polites@example.org" not in answer.text


def test_without_a_mail_folder_there_is_no_dev_mail(tmp_path: Path) -> None:
    """Only the dev stack's server has the pages: a site server without ``mail_dir`` 404s."""
    server = serve_site(tmp_path / "site", free_port())
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/dev-mail/"
        assert requests.get(url, timeout=5).status_code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_dev_mail_pages_are_valid_html(tmp_path: Path, inbox: LocalSmtp) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.html").write_text(dev_mail.index_page(dev_mail.stored(inbox.mail_dir)))
    (pages / "empty.html").write_text(dev_mail.index_page([]))
    for number, item in enumerate(dev_mail.stored(inbox.mail_dir)):
        (pages / f"message-{number}.html").write_text(dev_mail.message_page(item))
    (pages / "broken.html").write_text("<p><div>σπασμένο</div></p>")  # the checker must see it
    problems = nu_check([pages])
    assert any(f.endswith("/broken.html") for f in problems), problems
    problems = {f: m for f, m in problems.items() if not f.endswith("/broken.html")}
    assert not problems, problems


def test_scripts_mail_list_and_show(
    inbox: LocalSmtp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = str(inbox.mail_dir)
    assert dev_mail.main(["--dir", folder, "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[0] == "1" and "polites@example.org" in lines[0]
    assert lines[0].endswith("Λάβαμε το σχόλιό σας (NS-7K2QXD) <b>")
    assert re.match(r"\s+2  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  allos@example.org  Δημοσ", lines[1])

    assert dev_mail.main(["--dir", folder, "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "To: polites@example.org" in out and "Message-ID: <first@example.gr>" in out
    assert "Καλησπέρα σας." in out and "<p>" not in out

    assert dev_mail.main(["--dir", folder, "show", "1", "--html"]) == 0
    assert "<p>Λάβαμε το σχόλιό σας &amp; «ευχαριστούμε».</p>" in capsys.readouterr().out

    assert dev_mail.main(["--dir", folder, "show", "3"]) == 1
    assert "3" in capsys.readouterr().err

    # Without --dir: the mail_dir of the running stack's dev.json.
    local = inbox.mail_dir.parent / "local"
    local.mkdir()
    (local / "dev.json").write_text(json.dumps({"mail_dir": folder}), encoding="utf-8")
    monkeypatch.setenv("DIAVOULEFSI_LOCAL_DIR", str(local))
    assert dev_mail.main(["list"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    (local / "dev.json").unlink()
    assert dev_mail.main(["list"]) == 0  # .local/mail, empty
    assert capsys.readouterr().out == "Δεν έχει φτάσει κανένα μήνυμα.\n"


def test_mail_timer_keeps_running_after_a_failed_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import digest, outbox

    calls: list[Any] = []
    digests: list[Any] = []
    stop = threading.Event()
    monkeypatch.setattr(digest, "enqueue", lambda table: digests.append(table) or 0)

    def send_due(table: Any = None, **_: Any) -> None:
        calls.append(table)
        if len(calls) == 1:
            raise RuntimeError("η πρώτη αποτυγχάνει")
        stop.set()

    monkeypatch.setattr(outbox, "send_due", send_due)
    timer = MailTimer(0.01, stop, table="the-table")
    timer.start()
    timer.join(timeout=30)
    assert not timer.is_alive()
    assert calls == ["the-table", "the-table"]
    assert digests == ["the-table"]  # the staff digest: once a day, not at every tick


def test_redact_leaves_out_the_private_links_tokens() -> None:
    line = '127.0.0.1 - - [x] "GET /v1/follow/SeCrEt_1-x?y=2 HTTP/1.1" 200 -'
    assert redact(line) == '127.0.0.1 - - [x] "GET /v1/follow/… HTTP/1.1" 200 -'
    assert redact("POST /v1/subscriptions/confirm/SeCrEt2 x") == (
        "POST /v1/subscriptions/confirm/… x"
    )
    assert redact("POST /v1/UNSUBSCRIBE/SeCrEt3") == "POST /v1/UNSUBSCRIBE/…"
    assert redact('"GET /v1/health?x=1 HTTP/1.1" 200') == '"GET /v1/health?x=1 HTTP/1.1" 200'


def test_chalice_local_access_log_has_no_tokens(dynamodb, table, root, tmp_path: Path) -> None:
    env = {
        "TABLE_NAME": table,
        "DYNAMODB_ENDPOINT": dynamodb.endpoint,
        "MANIFEST_PATH": str(root / "tests" / "fixtures" / "consultations.json"),
        "SMTP_PORT": str(free_port()),
        "API_URL": "http://127.0.0.1:8010",
    }
    log = tmp_path / "api.log"
    port = free_port()
    proc = start_api(port, env, log_path=log)
    secrets = [f"tok{uuid.uuid4().hex}" for _ in range(4)]
    try:
        api = f"http://127.0.0.1:{port}"
        requests.get(f"{api}/v1/follow/{secrets[0]}", timeout=10)
        requests.get(f"{api}/v1/subscriptions/confirm/{secrets[1]}", timeout=10)
        requests.post(
            f"{api}/v1/unsubscribe/{secrets[2]}",
            data={"List-Unsubscribe": "One-Click"},
            timeout=10,
        )
        requests.get(f"{api}/v1/health?marker={secrets[3]}", timeout=10)
    finally:
        stop_api(proc)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert secrets[3] in text  # the access log is written, paths and all
    for secret in secrets[:3]:
        assert secret not in text
    for prefix in ("/v1/follow/…", "/v1/subscriptions/confirm/…", "/v1/unsubscribe/…"):
        assert prefix in text


@pytest.mark.slow
@pytest.mark.xdist_group("dev_stack")
def test_make_dev_delivers_a_receipt_to_its_smtp_server(root: Path, tmp_path: Path) -> None:
    """``make dev`` end to end for mail: a comment with an address → the mail timer sends the
    receipt to the stack's SMTP server → /dev-mail/ and scripts.mail show it → its private
    link answers, and the API's log does not hold the token. SIGTERM stops the SMTP server."""
    from test_dev_stack import open_text, project_copy, wait_until

    local = tmp_path / "local"
    smtp_port = free_port()
    env = {
        **os.environ,
        "DIAVOULEFSI_PROJECT_ROOT": str(project_copy(root, tmp_path / "project")),
        "DIAVOULEFSI_LOCAL_DIR": str(local),
        "DIAVOULEFSI_SITE_PORT": str(free_port()),
        "DIAVOULEFSI_API_PORT": str(free_port()),
        "DIAVOULEFSI_SMTP_PORT": str(smtp_port),
        "DIAVOULEFSI_PUBLISH_INTERVAL": "3600",
        "DIAVOULEFSI_MAIL_INTERVAL": "0.5",
    }
    log_path = tmp_path / "dev.log"
    proc = start_dev(root, env, log_path)
    children: set[int] = set()
    try:
        dev_json = local / "dev.json"
        wait_until(lambda: dev_json.exists() or proc.poll() is not None, 240, "dev.json")
        assert proc.poll() is None, log_path.read_text()[-3000:]
        info = json.loads(dev_json.read_text())
        assert info["smtp_port"] == smtp_port
        assert info["mail_dir"] == str(local.resolve() / "mail")
        children = descendants(proc.pid)

        consultation, text = open_text(info["site_url"])
        address = f"polites-{uuid.uuid4().hex[:6]}@example.org"
        answer = requests.post(
            f"{info['api_url']}/v1/comments",
            json={
                "consultation": consultation,
                "text": text["slug"],
                "body": "Σχόλιο για τη δοκιμή της αλληλογραφίας του make dev.",
                "respondent_type": "citizen",
                "display_name": "Δοκιμαστική Χρήστρια",
                "publish_name": False,
                "email": address,
                "consent": True,
                "submission_key": uuid.uuid4().hex,
            },
            headers={"Origin": info["site_url"]},
            timeout=10,
        )
        assert answer.status_code == 202, answer.text
        mail_dir = Path(info["mail_dir"])

        def receipts() -> list[Path]:  # the staff digest of the day may come first
            files = sorted(mail_dir.glob("*.eml"))
            return [f for f in files if address in f.read_text(encoding="utf-8", errors="replace")]

        [file] = wait_until(receipts, 60, "the receipt")
        listing = requests.get(f"{info['site_url']}/dev-mail/", timeout=5).text
        assert address in listing and file.name in listing
        number = sorted(mail_dir.glob("*.eml")).index(file) + 1  # as scripts.mail list numbers

        shown = subprocess.run(
            [sys.executable, "-m", "scripts.mail", "show", str(number)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert f"To: {address}" in shown
        follow = re.search(r"http://127\.0\.0\.1:\d+/v1/follow/[a-z0-9]+\.[A-Za-z0-9_-]+", shown)
        assert follow, shown
        assert follow.group(0).startswith(info["api_url"])
        assert requests.get(follow.group(0), timeout=10).status_code == 200
        token = follow.group(0).rsplit("/", 1)[1]
        api_log = (local / "api.log").read_text(encoding="utf-8", errors="replace")
        assert "/v1/follow/…" in api_log and token not in api_log
        assert address not in log_path.read_text(encoding="utf-8", errors="replace")
    finally:
        if proc.poll() is None:
            children |= descendants(proc.pid)
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=150)
        finally:
            for pid in children | {proc.pid}:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 0, log_path.read_text()[-3000:]
    with pytest.raises(mail.MailError):  # the SMTP server stopped with the stack
        mail.SmtpMailer("127.0.0.1", smtp_port, SENDER, timeout=5).send(
            mail.Message(to="a@example.org", subject="Θέμα", text="Κείμενο")
        )
