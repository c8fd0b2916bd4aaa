"""From intake to the inbox, with the real parts: the app on DynamoDB Local writes the receipt in
the submission's transaction, the sender (chalicelib.outbox) sends it through SMTP to the local
aiosmtpd server, and the message that server stored is what is checked. Then the guards of
sending: never twice, the do-not-send list, the day's receipt limits, retries, header injection
and internationalised addresses."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    comment,
    next_ip,
    table_resource,
)

from chalicelib import clock, mail, outbox, tokens
from chalicelib.spec import limits
from chalicelib.store import keys
from chalicelib.store import outbox as store


def text_of(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: Any) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def send(env: dict[str, str], **kwargs: Any) -> outbox.SendResult:
    return outbox.send_due(table=table_resource(env), **kwargs)


def post(api: Any, **changes: Any) -> dict[str, Any]:
    ip = changes.pop("ip", None)
    answer = api.post("/v1/comments", comment(**changes), ip=ip)
    assert answer.status_code == 202, answer.body
    return json.loads(answer.body)


def test_the_receipt_arrives_with_the_private_link_and_a_copy(api, api_env, mail_env):
    body = "Η πλατεία χρειάζεται περισσότερα δέντρα, σκιά και βρύσες με πόσιμο νερό."
    accepted = post(api, body=body)
    result = send(api_env)
    assert (result.sent, result.failed, result.dropped) == (1, 0, 0)
    [message] = mail_env.messages()
    assert message["To"] == "maria@example.gr"
    assert accepted["reference"] in message["Subject"]
    assert body not in message["Subject"]  # submitted text never in a subject line
    text = text_of(message)
    assert accepted["reference"] in text and body in text
    link = next(w for w in text.split() if "/v1/follow/" in w)
    sub_id, secret = link.rsplit("/", 1)[1].split(".")
    stored = table_resource(api_env).get_item(Key=keys.submission(sub_id))["Item"]
    assert sub_id == accepted["id"] and stored["link_digest"] == tokens.digest(secret)
    assert secret not in str(stored)  # only its digest is kept
    assert link in html_of(message)
    assert (
        message["List-Unsubscribe"].startswith("<http")
        and "/v1/unsubscribe/" in message["List-Unsubscribe"]
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<img" not in html_of(message)
    # sent once: the outbox item no longer holds the address or the token
    assert send(api_env).sent == 0 and len(mail_env.messages()) == 1
    message_id = message["Message-ID"].strip("<>").split("@")[0]
    ended = store.get(table_resource(api_env), message_id)
    assert ended is not None and ended["kind"] == "receipt"
    assert ended["status"] == "sent" and "params" not in ended and "recipient" not in ended


def test_a_suppressed_address_gets_nothing(api, api_env, mail_env):
    table = table_resource(api_env)
    store.suppress(table, tokens.address_hash("maria@example.gr"), clock.now(), "unsubscribe")
    post(api)
    result = send(api_env)
    assert (result.sent, result.dropped) == (0, 1)
    assert mail_env.messages() == []


def test_receipts_per_address_per_day_are_limited(api, api_env, mail_env, monkeypatch):
    monkeypatch.setitem(limits()["mail"], "receipts_per_address_per_day", 2)
    for n in range(3):
        post(api, body=f"Σχόλιο αριθμός {n} για τη δοκιμή του ορίου αποδείξεων.")
    result = send(api_env)
    assert (result.sent, result.dropped) == (2, 1)
    post(api, email="nikos@example.gr", body="Άλλη διεύθυνση, άλλο όριο για τις αποδείξεις.")
    assert send(api_env).sent == 1


def test_receipts_per_network_per_day_are_limited(api, api_env, mail_env, monkeypatch):
    monkeypatch.setitem(limits()["mail"], "receipts_per_network_per_day", 2)
    ip = next_ip()
    for n in range(3):
        post(api, ip=ip, email=f"person{n}@example.gr", body=f"Σχόλιο {n} από το ίδιο δίκτυο εδώ.")
    assert (send(api_env).sent, len(mail_env.messages())) == (2, 2)


def test_a_server_that_does_not_answer_means_retry_later(api, api_env, mail_env):
    post(api)
    closed = mail.SmtpMailer("127.0.0.1", 9, "Διαβούλευση <diavoulefsi@localhost>")
    result = send(api_env, mailer=closed)
    assert (result.sent, result.retried) == (1 - 1, 1)
    [item] = store.due(table_resource(api_env), clock.now() + timedelta(days=1), 10)
    assert item["attempts"] == 1 and item["status"] == "due" and item["last_error"]
    assert send(api_env).sent == 0  # backing off
    later = clock.now() + store.backoff(1) + timedelta(seconds=1)
    assert send(api_env, now=later).sent == 1
    assert len(mail_env.messages()) == 1


def test_a_claim_that_outlived_its_lease_is_never_resent(api, api_env, mail_env):
    post(api)
    table = table_resource(api_env)
    [item] = store.due(table, clock.now(), 10)
    assert store.claim(table, item, clock.now()) is not None  # a sender that then died
    lease = timedelta(seconds=limits()["mail"]["claim_seconds"] + 1)
    result = send(api_env, now=clock.now() + lease)
    assert (result.sent, result.failed) == (0, 1)
    assert mail_env.messages() == []


@pytest.mark.parametrize("name", ["Μαρία\r\nBcc: victim@example.org", "Μαρία\nΠαπαδοπούλου"])
def test_header_injection_in_a_name_is_refused_in_greek(api, api_env, name):
    answer = api.post("/v1/comments", comment(display_name=name))
    assert answer.status_code == 422
    assert json.loads(answer.body)["error"]["fields"]["display_name"] == (
        "Το πεδίο δέχεται μία μόνο γραμμή."
    )


def test_an_idn_domain_is_accepted_and_a_greek_local_part_refused(api, api_env, mail_env):
    post(api, email="maria@παράδειγμα.ελ")
    assert send(api_env).sent == 1
    [message] = mail_env.messages()
    assert message["To"] == "maria@xn--hxajbheg2az3al.xn--qxam"
    refused = api.post("/v1/comments", comment(email="μαρία@example.gr"))
    assert refused.status_code == 422
    assert "πριν από το «@»" in json.loads(refused.body)["error"]["fields"]["email"]
