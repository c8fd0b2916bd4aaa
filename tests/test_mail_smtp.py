"""SmtpMailer against a real SMTP server (scripts/smtp_local.py, aiosmtpd): what the server
received, read back from the .eml files it stored — both parts, Greek headers, a stable
Message-ID, the unsubscribe headers — and the refusals: header injection, impossible
addresses, an unreachable server, a server without SMTPUTF8."""

from __future__ import annotations

import logging
import smtplib
from pathlib import Path

import pytest

from chalicelib import mail
from scripts.dynamodb_local import free_port
from scripts.smtp_local import LocalSmtp

SENDER = "Διαβούλευση <diavoulefsi@example.gr>"
UNSUBSCRIBE = (
    ("List-Unsubscribe", "<http://127.0.0.1:8010/v1/unsubscribe/tok123>"),
    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
)


def receipt(to: str = "polites@example.org", **changes: object) -> mail.Message:
    fields: dict[str, object] = {
        "to": to,
        "subject": "Λάβαμε το σχόλιό σας (NS-7K2QXD) — «Πλατεία Νέας Σμύρνης»",
        "text": "Καλησπέρα σας,\nλάβαμε το σχόλιό σας.\nhttp://127.0.0.1:8010/v1/follow/abc\n",
        "html": '<!DOCTYPE html><html lang="el"><body><p>Λάβαμε το σχόλιό σας.</p></body></html>',
        "headers": UNSUBSCRIBE,
        "message_id": "01JDXYZ0000000000000000000",
    }
    fields.update(changes)
    return mail.Message(**fields)  # type: ignore[arg-type]


def mailer(server: LocalSmtp) -> mail.SmtpMailer:
    return mail.SmtpMailer("127.0.0.1", server.port, SENDER)


def test_the_server_receives_both_parts_and_the_headers(
    mail_env: LocalSmtp, caplog: pytest.LogCaptureFixture
) -> None:
    message = receipt()
    with caplog.at_level(logging.DEBUG):
        backend_id = mail.get().send(message)
    [got] = mail_env.wait_for(1)
    assert backend_id == "01JDXYZ0000000000000000000@example.gr"
    assert got["Message-ID"] == f"<{backend_id}>"
    assert str(got["Subject"]) == message.subject  # decoded from its encoded words
    assert str(got["From"]) == SENDER
    assert got["To"] == "polites@example.org"
    assert got["X-Envelope-To"] == "polites@example.org"
    assert got["Auto-Submitted"] == "auto-generated"
    assert got["Date"].datetime.tzinfo is not None
    for name, value in UNSUBSCRIBE:
        assert got[name] == value
    assert got.get_content_type() == "multipart/alternative"
    assert got.get_body(("plain",)).get_content() == message.text
    assert "Λάβαμε το σχόλιό σας." in got.get_body(("html",)).get_content()
    assert message.to not in caplog.text and message.subject not in caplog.text
    [file] = mail_env.files()
    assert file.suffix == ".eml" and file.parent == mail_env.mail_dir
    assert b"Subject: =?utf-8?" in file.read_bytes()  # 7-bit on the wire


def test_a_resend_carries_the_same_message_id(mail_env: LocalSmtp) -> None:
    first, second = mailer(mail_env).send(receipt()), mailer(mail_env).send(receipt())
    other = mailer(mail_env).send(receipt(message_id="01JDXYZ0000000000000000001"))
    ids = [m["Message-ID"] for m in mail_env.wait_for(3)]
    assert first == second != other
    assert ids[0] == ids[1] != ids[2]


def test_text_only_message(mail_env: LocalSmtp) -> None:
    mailer(mail_env).send(receipt(html=None, headers=(), message_id=None))
    [got] = mail_env.wait_for(1)
    assert got.get_content_type() == "text/plain"
    assert got["Message-ID"].endswith("@example.gr>")
    assert "List-Unsubscribe" not in got


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Θέμα\r\nBcc: victim@example.org"},
        {"subject": "Θέμα\nX-Evil: 1"},
        {"subject": "Θέμα\x00"},
        {"subject": "Θέμα\u2028Bcc: victim@example.org"},
        {"headers": (("List-Unsubscribe", "<http://x/u>\r\nBcc: victim@example.org"),)},
        {"headers": (("X-Evil\r\nBcc", "victim@example.org"),)},
        {"headers": (("X Evil", "1"),)},
        {"headers": (("Bcc", "victim@example.org"),)},
        {"headers": (("Content-Type", "text/html"),)},
        {"message_id": "abc\r\nBcc: victim@example.org"},
        {"to": "polites@example.org\r\nBcc: victim@example.org"},
    ],
)
def test_header_injection_is_impossible(mail_env: LocalSmtp, changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        mail.build_mime(receipt(**changes), SENDER)
    with pytest.raises((ValueError, mail.MailRejected)):
        mailer(mail_env).send(receipt(**changes))
    assert mail_env.files() == []


def test_a_sender_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError):
        mail.build_mime(receipt(), "Διαβούλευση <a@example.gr>\r\nBcc: victim@example.org")


@pytest.mark.parametrize(
    "address",
    [
        "no-at-sign",
        "@example.org",
        "polites@",
        "two words@example.org",
        "polites@exa mple.org",
        '"quoted"@example.org',
        "polites@[127.0.0.1]",
        "polites@-bad-.org",
        "a..b@example.org",
        "Name <polites@example.org>",
        "a@b@example.org",
    ],
)
def test_impossible_addresses_are_rejected_for_good(mail_env: LocalSmtp, address: str) -> None:
    with pytest.raises(mail.AddressError):
        mail.recipient(address)
    with pytest.raises(mail.MailRejected):
        mailer(mail_env).send(receipt(to=address))
    assert mail_env.files() == []


def test_idn_domain_is_delivered_as_punycode(mail_env: LocalSmtp) -> None:
    mailer(mail_env).send(receipt(to="polites@Παράδειγμα.ΕΛ"))
    [got] = mail_env.wait_for(1)
    assert got["To"] == "polites@xn--hxajbheg2az3al.xn--qxam"
    assert got["X-Envelope-To"] == "polites@xn--hxajbheg2az3al.xn--qxam"


def test_non_ascii_local_part_goes_with_smtputf8(mail_env: LocalSmtp) -> None:
    message = receipt(to="πολίτης@παράδειγμα.gr")
    mailer(mail_env).send(message)
    [got] = mail_env.wait_for(1)
    assert got["X-Envelope-To"] == "πολίτης@xn--hxajbheg2az3al.gr"
    assert got["To"] == "πολίτης@xn--hxajbheg2az3al.gr"
    assert str(got["Subject"]) == message.subject
    assert got.get_body(("plain",)).get_content() == message.text


def test_ascii_message_asks_for_no_smtputf8(
    mail_env: LocalSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    options: list[list[str]] = []
    sendmail = smtplib.SMTP.sendmail

    def spy(self: smtplib.SMTP, *args: object, mail_options: list[str], **kw: object) -> object:
        options.append(list(mail_options))
        return sendmail(self, *args, mail_options=mail_options, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(smtplib.SMTP, "sendmail", spy)
    mailer(mail_env).send(receipt())
    mailer(mail_env).send(receipt(to="πολίτης@example.org"))
    assert options == [[], ["SMTPUTF8"]]


def test_a_server_without_smtputf8_rejects_a_non_ascii_local_part(tmp_path: Path) -> None:
    """An international address the server cannot take is refused for good, not retried."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(object(), hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        with pytest.raises(mail.MailRejected):
            mail.SmtpMailer("127.0.0.1", port, SENDER).send(receipt(to="πολίτης@example.org"))
    finally:
        controller.stop()


def test_connection_refused_is_a_mail_error_to_retry() -> None:
    port = free_port()  # a port that was just closed: nothing listens
    with pytest.raises(mail.MailError, match="unreachable") as raised:
        mail.SmtpMailer("127.0.0.1", port, SENDER, timeout=5).send(receipt())
    assert not isinstance(raised.value, mail.MailRejected)
    assert "polites@example.org" not in str(raised.value)


def test_a_refused_recipient_is_rejected_for_good(tmp_path: Path) -> None:
    """SMTP 550 for the recipient: MailRejected; 450 (try later): MailError."""
    from aiosmtpd.controller import Controller

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return "450 4.2.0 try later" if address.startswith("later") else "550 5.1.1 no"

    port = free_port()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = mail.SmtpMailer("127.0.0.1", port, SENDER)
        with pytest.raises(mail.MailRejected, match="550"):
            smtp.send(receipt(to="gone@example.org"))
        with pytest.raises(mail.MailError, match="450") as raised:
            smtp.send(receipt(to="later@example.org"))
        assert not isinstance(raised.value, mail.MailRejected)
    finally:
        controller.stop()


def test_local_smtp_picks_a_free_port_and_stores_atomically(tmp_path: Path) -> None:
    with LocalSmtp(tmp_path / "mail") as server:
        assert server.port > 0
        sender = mail.SmtpMailer("127.0.0.1", server.port, SENDER)
        for number in range(3):
            sender.send(receipt(message_id=f"id-{number}"))
        got = server.wait_for(3)
        assert [m["Message-ID"] for m in got] == [f"<id-{n}@example.gr>" for n in range(3)]
        names = [path.name for path in server.files()]
        assert names == sorted(names) and len(set(names)) == 3
        assert sorted((tmp_path / "mail").iterdir()) == server.files()  # no temporary file left
        server.clear()
        assert server.messages() == []
        with pytest.raises(TimeoutError):
            server.wait_for(1, timeout=0.2)
    with pytest.raises(mail.MailError):
        sender.send(receipt())  # stopped: nothing listens any more
