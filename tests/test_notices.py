"""Participants and subscribers hear back (chalicelib.notices, run by every publish): one e-mail
per address per publish with what happened to their submissions, told once; subscriptions with
double opt-in and their announcements; one-click unsubscribe. Real app, DynamoDB Local, the
sender and the local SMTP server."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    comment,
    table_resource,
)

from chalicelib import answers, clock, manifest, moderation, notices, outbox
from chalicelib.store import keys, state
from chalicelib.store import outbox as store

STAFF = "Δοκιμή"
ROOT_MANIFEST = Path(__file__).resolve().parent / "fixtures" / "consultations.json"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def fixture_manifest(**changes: dict[str, Any]) -> manifest.Manifest:
    built = manifest.read(ROOT_MANIFEST)
    for slug, fields in changes.items():
        built.consultations[slug] = dataclasses.replace(built.consultations[slug], **fields)
    return built


def post(api: Any, **changes: Any) -> str:
    answer = api.post("/v1/comments", comment(**changes))
    assert answer.status_code == 202, answer.body
    return json.loads(answer.body)["id"]


def decide(sub_id: str, **decision: Any) -> None:
    moderation.decide(sub_id, json.dumps(decision).encode(), STAFF)


def covered(env: dict[str, str]) -> str:
    return state.read(table_resource(env))["last_decision_at"]


def deliver(env: dict[str, str], smtp: Any) -> list[Any]:
    """Send everything due; the messages that arrived in this call."""
    before = len(smtp.messages())
    outbox.send_due(table=table_resource(env))
    return smtp.messages()[before:]


def test_one_email_per_person_per_publish_and_each_event_told_once(api, api_env, mail_env):
    table = table_resource(api_env)
    built = fixture_manifest()
    a = post(api, body="Πρώτο σχόλιο της Μαρίας για την πλατεία και τα δέντρα.")
    b = post(api, body="Δεύτερο σχόλιο της Μαρίας, που θα απορριφθεί ως εκτός θέματος.")
    c = post(api, email="nikos@example.gr", body="Σχόλιο του Νίκου για τους ποδηλατόδρομους.")
    deliver(api_env, mail_env)  # the three receipts
    decide(a, action="approve")
    notices.run(table, built, clock.now(), covered(api_env))  # the first run only sets the mark
    assert deliver(api_env, mail_env) == []

    decide(b, action="reject", reason="off_topic")
    decide(c, action="approve")
    answers.answer(a, json.dumps({"disposition": "adopted", "text": "Θα φυτευτούν δέντρα."}), STAFF)
    result = notices.run(table, built, clock.now(), covered(api_env))
    assert (result.notices, result.events) == (2, 3)
    arrived = {m["To"]: m for m in deliver(api_env, mail_env)}
    assert set(arrived) == {"maria@example.gr", "nikos@example.gr"}
    maria = arrived["maria@example.gr"].get_body(preferencelist=("plain",)).get_content()
    assert "Εκτός θέματος" in maria and "Θα φυτευτούν δέντρα." in maria
    assert "Ενσωματώνεται" in maria
    nikos = arrived["nikos@example.gr"].get_body(preferencelist=("plain",)).get_content()
    assert f"#sxolio-{c}" in nikos
    assert arrived["nikos@example.gr"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # the same window again, or the next publish with nothing new: nothing is told twice
    assert notices.run(table, built, clock.now(), covered(api_env)).notices == 0
    decide(a, action="hide", reason="spam")
    result = notices.run(table, built, clock.now(), covered(api_env))
    assert (result.notices, result.events) == (1, 1)


def test_one_click_unsubscribe_stops_every_email(api, api_env, mail_env):
    table = table_resource(api_env)
    built = fixture_manifest()
    a = post(api)
    [receipt] = deliver(api_env, mail_env)
    link = receipt["List-Unsubscribe"].strip("<>")
    path = link[link.index("/v1/unsubscribe/") :]
    page = api.client.http.get(path, headers={"accept": "text/html"})
    assert page.status_code == 200 and 'method="post"' in page.body.decode()
    one_click = api.client.http.post(path, headers=FORM, body=b"List-Unsubscribe=One-Click")
    assert one_click.status_code == 200
    again = api.client.http.post(path, headers=FORM, body=b"List-Unsubscribe=One-Click")
    assert again.status_code == 200  # idempotent
    decide(a, action="approve")
    notices.run(table, built, clock.now(), covered(api_env))  # the first run sets the mark
    decide(a, action="hide", reason="spam")
    notices.run(table, built, clock.now(), covered(api_env))
    post(api, body="Ένα ακόμη σχόλιο μετά τη διαγραφή από τα μηνύματα.")
    assert deliver(api_env, mail_env) == []
    forged = api.client.http.post(
        path[:-3] + "xyz", headers=FORM, body=b"List-Unsubscribe=One-Click"
    )
    assert forged.status_code == 404


def subscribe(api: Any, consultation: str = "mellontiki", email: str = "eleni@example.gr") -> Any:
    return api.post(
        "/v1/subscriptions",
        {
            "consultation": consultation,
            "email": email,
            "consent": "on",
            "return_to": "/diavoulefseis/mellontiki/",
        },
        form=True,
    )


def test_subscription_double_opt_in_then_announcements(api, api_env, mail_env):
    table = table_resource(api_env)
    answer = subscribe(api)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/diavoulefseis/mellontiki/#enimerosi-ok")
    [confirm] = deliver(api_env, mail_env)
    text = confirm.get_body(preferencelist=("plain",)).get_content()
    link = next(w for w in text.split() if "/v1/subscriptions/confirm/" in w)
    path = link[link.index("/v1/") :]
    assert subscribe(api).status_code == 303 and deliver(api_env, mail_env) == []  # no resend

    # a mail scanner's GET confirms nothing
    assert api.client.http.get(path, headers={"accept": "text/html"}).status_code == 200
    built = fixture_manifest()
    opens = built.consultations["mellontiki"].opens
    with clock.frozen(opens + timedelta(hours=1)):
        assert notices.run(table, built, clock.now(), None).announcements == 0
    assert api.client.http.post(path, headers=FORM, body=b"").status_code == 200
    assert api.client.http.post(path, headers=FORM, body=b"").status_code == 200  # idempotent

    table.delete_item(Key=keys.announcement("mellontiki"))
    with clock.frozen(opens + timedelta(hours=1)):
        assert notices.run(table, built, clock.now(), None).announcements == 1
        assert notices.run(table, built, clock.now(), None).announcements == 0
        [opened] = deliver(api_env, mail_env)
    assert opened["To"] == "eleni@example.gr"
    unsubscribe = opened["List-Unsubscribe"].strip("<>")
    closes = built.consultations["mellontiki"].closes
    with clock.frozen(closes - timedelta(days=2)):
        assert notices.run(table, built, clock.now(), None).announcements == 1
    api.client.http.post(
        unsubscribe[unsubscribe.index("/v1/") :], headers=FORM, body=b"List-Unsubscribe=One-Click"
    )
    assert deliver(api_env, mail_env) == []  # the closing notice was for an ended subscription


def test_subscription_refusals(api, api_env, mail_env):
    bad = subscribe(api, email="not-an-address")
    assert bad.status_code == 303 and bad.headers["Location"].endswith("#enimerosi-validation")
    unknown = api.post(
        "/v1/subscriptions", {"consultation": "den-yparchei", "email": "a@b.gr", "consent": True}
    )
    assert unknown.status_code == 404
    no_consent = api.post("/v1/subscriptions", {"consultation": "anoichti", "email": "a@b.gr"})
    assert (
        no_consent.status_code == 422
        and "consent" in json.loads(no_consent.body)["error"]["fields"]
    )
    honeypot = api.post(
        "/v1/subscriptions",
        {"consultation": "anoichti", "email": "a@b.gr", "consent": True, "website": "x"},
    )
    assert honeypot.status_code == 202
    cross = api.post(
        "/v1/subscriptions",
        {"consultation": "anoichti", "email": "a@b.gr", "consent": True},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert deliver(api_env, mail_env) == []


def test_the_report_is_told_to_participants_and_subscribers_once(api, api_env, mail_env):
    table = table_resource(api_env)
    post(api)
    subscribe(api, consultation="anoichti", email="eleni@example.gr")
    deliver(api_env, mail_env)
    notices.run(table, fixture_manifest(), clock.now(), None)  # the first run: no report yet
    reported = fixture_manifest(
        anoichti={
            "report_date": "2026-11-30",
            "results_url": "/diavoulefseis/anoichti/apotelesmata/",
        }
    )
    result = notices.run(table, reported, clock.now(), None)
    arrived = deliver(api_env, mail_env)
    assert [m["To"] for m in arrived] == ["maria@example.gr"]  # eleni never confirmed
    body = arrived[0].get_body(preferencelist=("plain",)).get_content()
    assert "/diavoulefseis/anoichti/apotelesmata/" in body
    assert result.notices == 1
    assert notices.run(table, reported, clock.now(), None).notices == 0
    assert store.due(table, clock.now() + timedelta(days=1), 10) == []


def test_reports_out_before_the_first_run_are_not_news(api, api_env, mail_env):
    """A migrated site's past consultations: their reports were published before notices
    existed, and no participant or subscriber is e-mailed about them, then or later."""
    table = table_resource(api_env)
    post(api)
    deliver(api_env, mail_env)  # the receipt
    subscribe(api, consultation="anoichti", email="eleni@example.gr")
    [confirm] = deliver(api_env, mail_env)
    text = confirm.get_body(preferencelist=("plain",)).get_content()
    link = next(w for w in text.split() if "/v1/subscriptions/confirm/" in w)
    assert (
        api.client.http.post(link[link.index("/v1/") :], headers=FORM, body=b"").status_code == 200
    )
    reported = fixture_manifest(
        anoichti={
            "report_date": "2025-06-30",
            "results_url": "/diavoulefseis/anoichti/apotelesmata/",
        }
    )
    assert notices.run(table, reported, clock.now(), None).notices == 0
    assert notices.run(table, reported, clock.now(), None).notices == 0
    arrived = deliver(api_env, mail_env)  # at most the subscriber's «it is open»
    assert [m["To"] for m in arrived] in ([], ["eleni@example.gr"])
    for message in arrived:
        assert "apotelesmata" not in message.get_body(preferencelist=("plain",)).get_content()
    assert store.due(table, clock.now() + timedelta(days=1), 10) == []


def test_a_new_site_tells_its_very_first_decisions(api, api_env, mail_env):
    table = table_resource(api_env)
    built = fixture_manifest()
    notices.run(table, built, clock.now(), None)  # the first publish: nothing decided yet
    a = post(api)
    deliver(api_env, mail_env)  # the receipt
    decide(a, action="approve")
    assert notices.run(table, built, clock.now(), covered(api_env)).notices == 1
    [told] = deliver(api_env, mail_env)
    assert (
        told["To"] == "maria@example.gr"
        and f"#sxolio-{a}" in told.get_body(preferencelist=("plain",)).get_content()
    )


def test_a_redacted_publication_is_told_as_such_and_marked_in_the_snapshot(api, api_env, mail_env):
    from chalicelib import snapshot

    table = table_resource(api_env)
    built = fixture_manifest()
    warm = post(api, email="first@example.gr", body="Ένα σχόλιο για να τεθεί το σημάδι.")
    decide(warm, action="approve")
    notices.run(table, built, clock.now(), covered(api_env))  # the first run only sets the mark
    cut = post(api, body="Καλέστε με στο 6900000000 για την πλατεία και τα δέντρα.")
    whole = post(api, email="nikos@example.gr", body="Σχόλιο του Νίκου χωρίς τίποτε να κοπεί.")
    deliver(api_env, mail_env)  # the receipts
    decide(cut, action="approve", redacted_body="Καλέστε με στο [αφαιρέθηκε] για την πλατεία.")
    decide(whole, action="approve")
    notices.run(table, built, clock.now(), covered(api_env))
    arrived = {m["To"]: m for m in deliver(api_env, mail_env)}
    told = arrived["maria@example.gr"].get_body(preferencelist=("plain",)).get_content()
    assert "Δημοσιεύτηκε με περικοπή" in told and "6900000000" not in told
    other = arrived["nikos@example.gr"].get_body(preferencelist=("plain",)).get_content()
    assert "περικοπή" not in other
    exported = snapshot.build(snapshot.approved_items(table))
    snapshot.validate(exported)
    marks = {c["id"]: c.get("redacted") for c in exported["comments"]}
    assert marks[cut] is True and marks[whole] is None  # absent unless redacted


def test_marks_refused_as_a_batch_are_written_one_by_one(api, api_env, mail_env, monkeypatch):
    """The marks go as one transaction; one refused (an item decided again meanwhile) leaves
    them to be written item by item: nobody is told twice either way."""
    from botocore.exceptions import ClientError

    table = table_resource(api_env)
    built = fixture_manifest()
    notices.run(table, built, clock.now(), None)  # the first publish: nothing decided yet
    ids = [post(api, email=f"p{n}@example.gr") for n in range(3)]
    deliver(api_env, mail_env)  # the receipts
    for sub_id in ids:
        decide(sub_id, action="approve")
    refused = []

    def refuse(**kwargs: Any) -> None:
        refused.append(len(kwargs["TransactItems"]))
        raise ClientError({"Error": {"Code": "TransactionCanceledException"}}, "Transact")

    monkeypatch.setattr(table.meta.client, "transact_write_items", refuse)
    assert notices.run(table, built, clock.now(), covered(api_env)).notices == 3
    assert refused == [3]
    monkeypatch.undo()
    assert {table.get_item(Key=keys.submission(i))["Item"].get("notified") for i in ids} == {
        notices.PUBLISHED
    }
    assert notices.run(table, built, clock.now(), covered(api_env)).notices == 0


def test_what_every_consultation_was_told_is_one_read(api, api_env, mail_env):
    """A publish looks at every consultation's announcements: one Query for them all, not a
    read per consultation (at ten times the 1× site, 30 reads in every publish)."""
    table = table_resource(api_env)
    built = fixture_manifest()
    assert len(built.consultations) > 1
    opens = built.consultations["mellontiki"].opens
    with clock.frozen(opens + timedelta(hours=1)):
        notices.run(table, built, clock.now(), None)  # marks what is due as told
    calls: list[tuple[str, dict[str, Any]]] = []

    def count(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, params))

    events = table.meta.client.meta.events
    events.register("provide-client-params.dynamodb", count)
    try:
        with clock.frozen(opens + timedelta(hours=1)):
            assert notices.run(table, built, clock.now(), None).announcements == 0
    finally:
        events.unregister("provide-client-params.dynamodb", count)
    reads = [(name, params.get("Key", {}).get("PK")) for name, params in calls]
    assert ("GetItem", keys.ANNOUNCEMENTS_PK) not in reads
    assert [name for name, _ in reads if name == "Query"] == ["Query"]
