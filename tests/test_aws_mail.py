"""The SES side of the mail interface, against botocore's Stubber: SESv2 SendEmail with the raw
MIME of ``build_mime`` (the same bytes the local SMTP server receives), and how SES's refusals
map onto MailRejected (never to this address) and MailError (try again later)."""

from __future__ import annotations

import email
import logging
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import ANY, Stubber

from chalicelib import mail

SENDER = "Διαβούλευση <diavoulefsi@example.gr>"
ADDRESS = "polites@example.org"
MESSAGE = mail.Message(
    to=ADDRESS,
    subject="Λάβαμε το σχόλιό σας (NS-7K2QXD)",
    text="Ευχαριστούμε για τη συμμετοχή σας στη διαβούλευση.",
    html='<!DOCTYPE html><html lang="el"><body><p>Ευχαριστούμε.</p></body></html>',
    headers=(
        ("List-Unsubscribe", "<http://127.0.0.1:8010/v1/unsubscribe/abc>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    ),
    message_id="01JDXYZ-receipt",
)


@pytest.fixture
def ses() -> Iterator[Stubber]:
    client = boto3.client(
        "sesv2", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def expected_request(**extra: Any) -> dict[str, Any]:
    return {
        # The Greek display name as an RFC 2047 encoded word, as SES requires.
        "FromEmailAddress": "=?utf-8?b?zpTOuc6xzrLOv8+NzrvOtc+Fz4POtw==?= <diavoulefsi@example.gr>",
        "Destination": {"ToAddresses": [ADDRESS]},
        "Content": {"Raw": {"Data": ANY}},
        **extra,
    }


def sent_mime(sent: list[dict[str, Any]]) -> EmailMessage:
    """The MIME message of the one request the client made (captured before the stub)."""
    [request] = sent
    parsed = email.message_from_bytes(request["Content"]["Raw"]["Data"], policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.fixture
def sent(ses: Stubber) -> list[dict[str, Any]]:
    """Every send_email request's parameters, as the client was called."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(params)

    ses.client.meta.events.register("provide-client-params.sesv2.SendEmail", record)
    return calls


def test_ses_sends_the_raw_mime(
    ses: Stubber, sent: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    ses.add_response("send_email", {"MessageId": "m-1"}, expected_request())
    with caplog.at_level(logging.DEBUG):
        assert mail.SesMailer(SENDER, ses.client).send(MESSAGE) == "m-1"
    mime = sent_mime(sent)
    assert str(mime["From"]) == SENDER
    assert str(mime["To"]) == ADDRESS
    assert str(mime["Subject"]) == MESSAGE.subject
    assert mime["Message-ID"] == "<01JDXYZ-receipt@example.gr>"
    assert mime["Auto-Submitted"] == "auto-generated"
    assert mime["List-Unsubscribe"] == "<http://127.0.0.1:8010/v1/unsubscribe/abc>"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mime.get_content_type() == "multipart/alternative"
    text, html = mime.iter_parts()
    assert text.get_content().strip() == MESSAGE.text
    assert html.get_content_type() == "text/html" and "Ευχαριστούμε." in html.get_content()
    raw = sent[0]["Content"]["Raw"]["Data"]
    assert raw.isascii()  # SES wants 7-bit: Greek in encoded words and quoted-printable
    assert "m-1" in caplog.text and "01JDXYZ-receipt" in caplog.text
    assert ADDRESS not in caplog.text  # the address never reaches the logs


def test_ses_configuration_set(ses: Stubber) -> None:
    ses.add_response(
        "send_email", {"MessageId": "m-2"}, expected_request(ConfigurationSetName="receipts")
    )
    assert mail.SesMailer(SENDER, ses.client, "receipts").send(MESSAGE) == "m-2"


def test_ses_idn_destination_is_punycode(ses: Stubber, sent: list[dict[str, Any]]) -> None:
    request = expected_request()
    request["Destination"] = {"ToAddresses": ["polites@xn--hxajbheg2az3al.gr"]}
    ses.add_response("send_email", {"MessageId": "m-3"}, request)
    message = mail.Message(to="polites@παράδειγμα.gr", subject="Θέμα", text="Κείμενο")
    mail.SesMailer(SENDER, ses.client).send(message)
    assert str(sent_mime(sent)["To"]) == "polites@xn--hxajbheg2az3al.gr"


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("MessageRejected", f"Email address is not verified: {ADDRESS}"),
        ("BadRequestException", f"Illegal address: {ADDRESS}"),
    ],
)
def test_ses_refused_address_is_rejected(
    ses: Stubber, caplog: pytest.LogCaptureFixture, code: str, text: str
) -> None:
    ses.add_client_error("send_email", code, text)
    with caplog.at_level(logging.DEBUG), pytest.raises(mail.MailRejected) as raised:
        mail.SesMailer(SENDER, ses.client).send(MESSAGE)
    assert code in str(raised.value)
    assert ADDRESS not in str(raised.value)  # SES's own message quotes it: left out
    assert ADDRESS not in caplog.text


@pytest.mark.parametrize("code", ["TooManyRequestsException", "SendingPausedException"])
def test_ses_throttling_is_a_mail_error_to_retry(ses: Stubber, code: str) -> None:
    ses.add_client_error("send_email", code, "Maximum sending rate exceeded.", http_status_code=429)
    with pytest.raises(mail.MailError, match=code) as raised:
        mail.SesMailer(SENDER, ses.client).send(MESSAGE)
    assert not isinstance(raised.value, mail.MailRejected)


def test_ses_never_tries_a_non_ascii_local_part(ses: Stubber) -> None:
    """SES has no SMTPUTF8: such an address is refused for good, without a request."""
    message = mail.Message(to="πολίτης@example.org", subject="Θέμα", text="Κείμενο")
    with pytest.raises(mail.MailRejected):
        mail.SesMailer(SENDER, ses.client).send(message)


def test_ses_unreachable_is_a_mail_error() -> None:
    client = boto3.client(
        "sesv2",
        region_name="eu-central-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    with pytest.raises(mail.MailError, match="unreachable"):
        mail.SesMailer(SENDER, client).send(MESSAGE)


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({"MAIL_SENDER": SENDER}, mail.SesMailer),
        ({"SMTP_PORT": "2525"}, mail.SmtpMailer),
        ({"SMTP_PORT": "2525", "MAIL_SENDER": SENDER}, mail.SmtpMailer),
    ],
)
def test_backend_is_chosen_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], kind: type
) -> None:
    for key in ("MAIL_SENDER", "SMTP_PORT", "SMTP_HOST", "MAIL_CONFIGURATION_SET"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    mail.get.cache_clear()
    try:
        mailer = mail.get()
        assert type(mailer) is kind
        if isinstance(mailer, mail.SmtpMailer):
            assert (mailer.host, mailer.port) == ("127.0.0.1", 2525)
            assert mailer.sender == env.get("MAIL_SENDER", mail.DEV_SENDER)
    finally:
        mail.get.cache_clear()


def test_no_backend_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("MAIL_SENDER", "SMTP_PORT", "SMTP_HOST"):
        monkeypatch.delenv(key, raising=False)
    mail.get.cache_clear()
    try:
        with pytest.raises(mail.MailConfigError, match="SMTP_PORT"):
            mail.get()
    finally:
        mail.get.cache_clear()
