"""The mail interface: SesMailer against botocore's Stubber, LogMailer on a file."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import mail

SENDER = "diavoulefsi@example.gr"
MESSAGE = mail.Message(
    to="polites@example.org",
    subject="Λάβαμε το σχόλιό σας (NS-7K2QXD)",
    body="Ευχαριστούμε για τη συμμετοχή σας στη διαβούλευση.",
)


@pytest.fixture
def ses() -> Iterator[Stubber]:
    client = boto3.client(
        "sesv2", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def expected_request(**extra: str) -> dict[str, object]:
    return {
        "FromEmailAddress": SENDER,
        "Destination": {"ToAddresses": [MESSAGE.to]},
        "Content": {
            "Simple": {
                "Subject": {"Data": MESSAGE.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": MESSAGE.body, "Charset": "UTF-8"}},
            }
        },
        **extra,
    }


def test_ses_send_email(ses: Stubber, caplog: pytest.LogCaptureFixture) -> None:
    ses.add_response("send_email", {"MessageId": "m-1"}, expected_request())
    with caplog.at_level(logging.DEBUG):
        assert mail.SesMailer(SENDER, ses.client).send(MESSAGE) == "m-1"
    assert "m-1" in caplog.text
    assert MESSAGE.to not in caplog.text  # the address never reaches the logs


def test_ses_configuration_set(ses: Stubber) -> None:
    ses.add_response(
        "send_email", {"MessageId": "m-2"}, expected_request(ConfigurationSetName="receipts")
    )
    assert mail.SesMailer(SENDER, ses.client, "receipts").send(MESSAGE) == "m-2"


def test_ses_refusal_is_a_mail_error(ses: Stubber, caplog: pytest.LogCaptureFixture) -> None:
    ses.add_client_error("send_email", "MessageRejected", "Email address is not verified.")
    with pytest.raises(mail.MailError, match="MessageRejected"):
        mail.SesMailer(SENDER, ses.client).send(MESSAGE)
    assert MESSAGE.to not in caplog.text


def test_log_mailer_appends_one_json_line_per_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = tmp_path / "mail" / "mail.log"
    mailer = mail.LogMailer(outbox)
    with caplog.at_level(logging.DEBUG):
        first = mailer.send(MESSAGE)
        second = mailer.send(mail.Message(to="b@example.org", subject="Δεύτερο", body="Β"))
    records = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [first, second]
    assert records[0] | {"id": "", "at": ""} == {
        "id": "",
        "at": "",
        "to": MESSAGE.to,
        "subject": MESSAGE.subject,
        "body": MESSAGE.body,
    }
    assert MESSAGE.to not in caplog.text


def test_log_mailer_unwritable_is_a_mail_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(mail.MailError):
        mail.LogMailer(blocker / "mail.log").send(MESSAGE)


@pytest.mark.parametrize(
    ("env", "kind"), [({"MAIL_SENDER": SENDER}, mail.SesMailer), ({}, mail.LogMailer)]
)
def test_backend_is_chosen_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], kind: type
) -> None:
    monkeypatch.delenv("MAIL_SENDER", raising=False)
    monkeypatch.setenv("MAIL_LOG", str(tmp_path / "mail.log"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    mail.get.cache_clear()
    try:
        assert type(mail.get()) is kind
    finally:
        mail.get.cache_clear()
