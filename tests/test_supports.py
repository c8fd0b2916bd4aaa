"""«Υποστηρίζω» (chalicelib.supports): a support of a published comment or proposal, confirmed
by an e-mailed link, counted once per address and item, published with the next export. Real
parts: the app through chalice.test on DynamoDB Local, the outbox sender and the local SMTP
server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from browser import assert_nu_clean
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    SITE,
    api_fixture,
    comment,
    next_ip,
    one_rate_window,
    proposal,
    table_resource,
)

from chalicelib import (
    clock,
    letters,
    moderation,
    outbox,
    snapshot,
    snapshot_delta,
    snapshot_shards,
    tokens,
)
from chalicelib.spec import limits
from chalicelib.store import keys, state
from chalicelib.store import outbox as mailbox
from chalicelib.store import supports as store

STAFF = "Δοκιμή"
HTML = {"accept": "text/html"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
ADDRESS = "eleni@example.gr"
TEXT_PAGE = "/diavoulefseis/anoichti/proto-keimeno/"


# --- helpers ------------------------------------------------------------------------------------
def published(api: Any, kind: str = "comment", **changes: Any) -> dict[str, Any]:
    """A comment (or proposal) posted through the API and approved by staff: the stored item."""
    payload = comment(**changes) if kind == "comment" else proposal(**changes)
    answer = api.post(f"/v1/{kind}s", payload)
    assert answer.status_code == 202, answer.body
    item_id = json.loads(answer.body)["id"]
    moderation.decide(item_id, json.dumps({"action": "approve"}).encode(), STAFF)
    return item_of(api, item_id)


def item_of(api: Any, item_id: str) -> dict[str, Any]:
    from chalicelib import db

    return db.table().get_item(Key=keys.submission(item_id), ConsistentRead=True)["Item"]


def support(api: Any, item_id: str, *, form: bool = False, **changes: Any) -> Any:
    payload = {"item": item_id, "email": ADDRESS, "consent": "on" if form else True}
    payload.update(changes)
    ip = payload.pop("ip", None)
    headers = payload.pop("headers", None)
    payload = {k: v for k, v in payload.items() if v is not None}
    return api.post("/v1/supports", payload, form=form, ip=ip, headers=headers)


def deliver(env: dict[str, str], smtp: Any) -> list[Any]:
    """Send what is due; the messages that arrived in this call."""
    before = len(smtp.messages())
    outbox.send_due(table=table_resource(env))
    return smtp.messages()[before:]


def text_of(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: Any) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def confirm_path(message: Any) -> str:
    link = next(w for w in text_of(message).split() if "/v1/supports/confirm/" in w)
    return link[link.index("/v1/") :]


def page(answer: Any) -> str:
    return unescape(answer.body.decode("utf-8"))


def due(env: dict[str, str]) -> list[dict[str, Any]]:
    return mailbox.due(table_resource(env), clock.now() + timedelta(days=30), 100)


def count(api: Any, item_id: str) -> int:
    return int(item_of(api, item_id).get("supports", 0))


def decisions(env: dict[str, str]) -> int:
    return int(state.read(table_resource(env)).get("decisions", 0))


# --- the whole way ------------------------------------------------------------------------------
def test_support_mail_link_button_then_counted_once_and_restamped(api, api_env, mail_env):
    item = published(api)
    deliver(api_env, mail_env)  # the author's receipt
    before = decisions(api_env)

    answer = support(api, item["id"], form=True, return_to=TEXT_PAGE)
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location == f"supports/sent?{urlencode({'back': TEXT_PAGE})}"
    sent = api.client.http.get(f"/v1/{location}", headers=HTML)
    assert sent.status_code == 200 and "Ελέγξτε το ηλεκτρονικό σας ταχυδρομείο" in page(sent)
    assert f'href="{SITE}{TEXT_PAGE}"' in page(sent)

    # the support item holds the address's keyed hash only, pending, expiring with its link
    hashed = tokens.address_hash(ADDRESS)
    pending = store.get(table_resource(api_env), item["id"], hashed)
    assert pending is not None and pending["status"] == "pending"
    assert ADDRESS not in json.dumps(pending, default=str)
    days = limits()["mail"]["subscription_confirm_days"]
    assert abs(int(pending["expires_at"]) - (clock.now() + timedelta(days=days)).timestamp()) < 60
    assert pending["consent"]["terms_version"] == limits()["terms_version"]

    [mail] = deliver(api_env, mail_env)
    assert mail["To"] == ADDRESS
    assert "υποστήριξή σας" in mail["Subject"] and item["body"] not in mail["Subject"]
    assert item["reference"] in text_of(mail) and item["body"] in text_of(mail)
    path = confirm_path(mail)
    assert path.split("/")[-1] in html_of(mail)
    assert "List-Unsubscribe" not in mail  # asked for by this address, just now
    ended = mailbox.get(table_resource(api_env), mail["Message-ID"].strip("<>").split("@")[0])
    assert ended is not None and ended["kind"] == "support_confirm"
    assert ended["status"] == "sent" and "recipient" not in ended and "params" not in ended

    # a mail scanner's GET counts nothing
    shown = api.client.http.get(path, headers=HTML)
    assert shown.status_code == 200 and "Επιβεβαιώνω την υποστήριξή μου" in page(shown)
    assert 'method="post"' in page(shown) and item["reference"] in page(shown)
    assert count(api, item["id"]) == 0 and decisions(api_env) == before

    stamped_before = item_of(api, item["id"])["GSI2SK"]
    done = api.client.http.post(path, headers={**FORM, **HTML}, body=b"")
    assert done.status_code == 200 and "Η υποστήριξή σας καταμετρήθηκε" in page(done)
    after = item_of(api, item["id"])
    assert int(after["supports"]) == 1
    assert after["GSI2SK"] > stamped_before and after["GSI2SK"].startswith(after["updated_at"])
    assert after["GSI2PK"] == keys.status_pk("approved")
    assert after["version"] == item["version"]  # not a decision
    current = state.read(table_resource(api_env))
    assert int(current["decisions"]) == before + 1
    assert current["last_decision_at"] == after["updated_at"]
    assert current.get("publish_requested_at")  # a publish is asked for at once

    confirmed = store.get(table_resource(api_env), item["id"], hashed)
    assert confirmed is not None and confirmed["status"] == "confirmed"
    closes = datetime.fromisoformat("2099-12-31T23:59:00+02:00")
    retention = limits()["retention"]["email_days_after_close"]
    assert int(confirmed["expires_at"]) == int((closes + timedelta(days=retention)).timestamp())

    # the link again: already counted, nothing changes
    again = api.client.http.post(path, headers={**FORM, **HTML}, body=b"")
    assert again.status_code == 200 and "Η υποστήριξή σας έχει ήδη καταμετρηθεί" in page(again)
    reopened = api.client.http.get(path, headers=HTML)
    assert "Η υποστήριξή σας έχει ήδη καταμετρηθεί" in page(reopened)
    as_json = api.client.http.post(path, headers={"content-type": "application/json"}, body=b"")
    assert json.loads(as_json.body) == {"status": "confirmed", "counted": False}
    assert count(api, item["id"]) == 1 and decisions(api_env) == before + 1

    # the same address supports again: the same answer, no mail, no count
    repeat = support(api, item["id"])
    assert repeat.status_code == 202 and json.loads(repeat.body) == {"status": "pending"}
    assert support(api, item["id"], form=True, return_to=TEXT_PAGE).headers["Location"] == location
    assert deliver(api_env, mail_env) == [] and count(api, item["id"]) == 1
    # the same address written otherwise is the same address
    assert support(api, item["id"], email="Eleni@Example.GR").status_code == 202
    assert deliver(api_env, mail_env) == []


def test_two_addresses_count_two_and_the_export_takes_them(api, api_env, mail_env, tmp_path):
    table = table_resource(api_env)
    with clock.frozen(clock.now() - timedelta(hours=1)):
        item = published(api)
        idea = published(api, "proposal")
    with clock.frozen(clock.now() - timedelta(minutes=30)):  # a later decision: the mark
        published(api, body="Ένα άλλο σχόλιο, εγκεκριμένο αργότερα από τα δύο πρώτα.")
    folder = tmp_path / "snapshot"
    first = snapshot_delta.refresh(
        table, folder, decided_at=state.read(table).get("last_decision_at"), watermark=None
    )
    assert first.mode == snapshot_delta.FULL
    entries = snapshot_shards.merged(folder)
    assert not any("supports" in e for e in entries["comments"] + entries["proposals"])
    watermark = state.read(table)["last_decision_at"]

    for address in ("a@example.gr", "b@example.gr"):
        assert support(api, item["id"], email=address).status_code == 202
    assert support(api, idea["id"], email="a@example.gr").status_code == 202
    deliver(api_env, mail_env)  # the receipts went before: these are the three links
    links = [confirm_path(m) for m in mail_env.messages() if "υποστήριξή" in m["Subject"]]
    assert len(set(links)) == 3
    for path in links:
        assert api.client.http.post(path, headers=FORM, body=b"").status_code == 200
    assert count(api, item["id"]) == 2 and count(api, idea["id"]) == 1

    later = snapshot_delta.refresh(
        table, folder, decided_at=state.read(table)["last_decision_at"], watermark=watermark
    )
    assert later.mode == snapshot_delta.INCREMENTAL and later.shards == ["anoichti"]
    # the two items were approved long before the mark: only their new stamps bring them back
    assert later.read == 3
    data = snapshot_shards.merged(folder)
    snapshot.validate(data)
    supported = {c["id"]: c.get("supports") for c in data["comments"]}
    assert supported == {item["id"]: 2, **{i: None for i in supported if i != item["id"]}}
    assert [p["supports"] for p in data["proposals"]] == [1]
    assert snapshot.dumps(data) == snapshot.dumps(snapshot.export(table))  # as a full export
    assert "a@example.gr" not in snapshot.dumps(data).decode()


def test_a_pending_support_asked_again_sends_nothing_more(api, api_env, mail_env):
    item = published(api)
    deliver(api_env, mail_env)
    hashed = tokens.address_hash(ADDRESS)
    assert support(api, item["id"]).status_code == 202
    first = store.get(table_resource(api_env), item["id"], hashed)
    for form in (False, True, False):
        again = support(api, item["id"], form=form)
        assert again.status_code == (303 if form else 202)
    assert store.get(table_resource(api_env), item["id"], hashed) == first
    assert len(deliver(api_env, mail_env)) == 1  # one link, whatever the requests

    # once its link has expired (TTL deletion is lazy: the item may still be there), a new
    # request is a new support with a new link; the old link opens nothing
    old = confirm_path(mail_env.messages()[-1])
    days = limits()["mail"]["subscription_confirm_days"]
    with clock.frozen(clock.now() + timedelta(days=days, minutes=1)):
        assert api.client.http.post(old, headers=FORM, body=b"").status_code == 404
        assert support(api, item["id"]).status_code == 202
        [renewed] = deliver(api_env, mail_env)
        assert confirm_path(renewed) != old
        assert (
            api.client.http.post(confirm_path(renewed), headers=FORM, body=b"").status_code == 200
        )
    assert count(api, item["id"]) == 1


# --- refusals -----------------------------------------------------------------------------------
def test_an_item_that_is_not_published_is_404(api, api_env, mail_env):
    posted = api.post("/v1/comments", comment())
    waiting = json.loads(posted.body)["id"]
    for item_id in (waiting, "0" * 26, "not-an-id!", ""):
        answer = support(api, item_id)
        code = "validation" if item_id == "" else "not_found"
        assert json.loads(answer.body)["error"]["code"] == code, item_id
        assert answer.status_code == (422 if item_id == "" else 404)
    as_form = support(api, waiting, form=True, return_to=TEXT_PAGE)
    assert as_form.status_code == 404 and "Δεν βρέθηκε δημοσιευμένο" in page(as_form)
    blank = api.client.http.get(f"/v1/supports/new?item={waiting}", headers=HTML)
    assert blank.status_code == 404 and "Δεν βρέθηκε δημοσιευμένο" in page(blank)
    assert '<html lang="el">' in page(blank)
    machine = api.client.http.get(f"/v1/supports/new?item={waiting}")
    assert json.loads(machine.body)["error"]["code"] == "not_found"
    deliver(api_env, mail_env)  # the receipt only
    assert due(api_env) == []
    assert store.get(table_resource(api_env), waiting, tokens.address_hash(ADDRESS)) is None


def test_an_item_taken_down_before_the_confirmation_is_not_counted(api, api_env, mail_env):
    item = published(api)
    assert support(api, item["id"]).status_code == 202
    path = confirm_path(deliver(api_env, mail_env)[-1])
    moderation.decide(item["id"], json.dumps({"action": "hide", "reason": "spam"}).encode(), STAFF)
    before = decisions(api_env)
    shown = api.client.http.get(path, headers=HTML)
    assert shown.status_code == 404 and "δεν είναι πλέον δημοσιευμένο" in page(shown)
    refused = api.client.http.post(path, headers={**FORM, **HTML}, body=b"")
    assert refused.status_code == 404 and "δεν καταμετρήθηκε" in page(refused)
    assert "supports" not in item_of(api, item["id"]) and decisions(api_env) == before
    hashed = tokens.address_hash(ADDRESS)
    assert store.get(table_resource(api_env), item["id"], hashed)["status"] == "pending"
    # and a new support of it is a 404
    assert support(api, item["id"], email="other@example.gr").status_code == 404


def test_a_link_taken_down_between_the_page_and_the_button_is_not_counted(api, api_env):
    item = published(api)
    support(api, item["id"])
    hashed = tokens.address_hash(ADDRESS)
    pending = store.get(table_resource(api_env), item["id"], hashed)
    assert pending is not None
    moderation.decide(item["id"], json.dumps({"action": "hide", "reason": "spam"}).encode(), STAFF)
    # the store's own condition: the item must still be approved when the count is written
    now = clock.now()
    digest = pending["link_digest"]
    assert store.confirm(table_resource(api_env), pending, digest, now, now) == store.UNPUBLISHED
    assert "supports" not in item_of(api, item["id"])


def test_an_altered_or_unknown_link_is_a_greek_404_and_counts_nothing(api, api_env, mail_env):
    item = published(api)
    support(api, item["id"])
    path = confirm_path(deliver(api_env, mail_env)[-1])
    token = path.rsplit("/", 1)[1]
    item_id, hashed, secret = token.split(".")
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    other = published(api, body="Ένα άλλο δημοσιευμένο σχόλιο για την πλατεία και τα δέντρα.")
    for bad in (
        f"{item_id}.{hashed}.{flipped}",  # the secret altered
        f"{other['id']}.{hashed}.{secret}",  # another item
        f"{item_id}.{'0' * 64}.{secret}",  # another address
        "not-a-token",
        f"{item_id}.{hashed}",
    ):
        for method in ("GET", "POST"):
            answer = api.client.http.request(
                method, f"/v1/supports/confirm/{bad}", headers={**FORM, **HTML}, body=b""
            )
            assert answer.status_code == 404, (bad, method)
            assert "Ο σύνδεσμος δεν ισχύει" in page(answer) and '<html lang="el">' in page(answer)
    machine = api.client.http.post(f"/v1/supports/confirm/{item_id}.{hashed}.{flipped}", body=b"")
    assert json.loads(machine.body)["error"]["code"] == "not_found"
    assert count(api, item["id"]) == 0 and count(api, other["id"]) == 0
    assert store.get(table_resource(api_env), item["id"], hashed)["status"] == "pending"


def test_the_honeypot_looks_accepted_and_stores_nothing(api, api_env, mail_env):
    item = published(api)
    deliver(api_env, mail_env)
    as_json = support(api, item["id"], website="http://spam.example")
    assert as_json.status_code == 202 and json.loads(as_json.body) == {"status": "pending"}
    as_form = support(api, item["id"], form=True, website="x", return_to=TEXT_PAGE)
    assert as_form.status_code == 303 and as_form.headers["Location"].startswith("supports/sent?")
    assert store.get(table_resource(api_env), item["id"], tokens.address_hash(ADDRESS)) is None
    assert due(api_env) == [] and deliver(api_env, mail_env) == []


def test_another_sites_origin_is_403(api, api_env, mail_env):
    item = published(api)
    deliver(api_env, mail_env)
    evil = {"origin": "https://evil.example"}
    for form in (False, True):
        answer = support(api, item["id"], form=form, headers=evil)
        assert answer.status_code == 403
        assert json.loads(answer.body)["error"]["code"] == "forbidden_origin"  # JSON for a form too
    assert due(api_env) == []
    support(api, item["id"])
    path = confirm_path(deliver(api_env, mail_env)[-1])
    cross = api.client.http.post(path, headers={**FORM, **HTML, **evil}, body=b"")
    assert cross.status_code == 403 and count(api, item["id"]) == 0
    own = api.client.http.post(
        path, headers={**FORM, **HTML, "origin": "http://127.0.0.1:8010"}, body=b""
    )
    assert own.status_code == 200 and count(api, item["id"]) == 1  # the API's own page posts


@pytest.mark.usefixtures("one_rate_window")
def test_the_networks_rate_limit_is_429_for_new_and_repeated_supports(
    api, api_env, mail_env, monkeypatch
):
    item = published(api)
    monkeypatch.setitem(limits()["guards"]["rate_limit"], "max_submissions", 2)
    ip = next_ip()
    assert support(api, item["id"], email="a@example.gr", ip=ip).status_code == 202
    # a repeat counts as a new one would (else the limit would tell whether a supports it)
    assert support(api, item["id"], email="a@example.gr", ip=ip).status_code == 202
    refused = support(api, item["id"], email="c@example.gr", ip=ip)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert json.loads(refused.body)["error"]["code"] == "rate_limited"
    # a support already made is refused alike: the limit tells nothing about who supports what
    assert support(api, item["id"], email="a@example.gr", ip=ip).status_code == 429
    as_form = support(api, item["id"], form=True, email="c@example.gr", ip=ip)
    assert as_form.status_code == 429 and "Retry-After" in as_form.headers
    assert 'value="c@example.gr"' in page(as_form) and "περιμένετε" in page(as_form)
    assert (
        store.get(table_resource(api_env), item["id"], tokens.address_hash("c@example.gr")) is None
    )
    assert support(api, item["id"], email="c@example.gr", ip=next_ip()).status_code == 202


def test_the_form_page_and_its_errors_keep_what_was_typed(api, api_env):
    item = published(api, paragraph="p-0a1b2c3d")
    query = urlencode({"item": item["id"], "return_to": TEXT_PAGE})
    blank = api.client.http.get(f"/v1/supports/new?{query}", headers=HTML)
    html = page(blank)
    assert blank.status_code == 200 and '<html lang="el">' in html
    assert item["body"] in html and item["reference"] in html
    assert "«Πρώτο κείμενο», §2" in html and "Ανοιχτή διαβούλευση δοκιμής" in html
    assert 'action="../supports"' in html and f'name="item" value="{item["id"]}"' in html
    assert f'name="return_to" value="{TEXT_PAGE}"' in html and 'name="website"' in html
    assert ">Υποστηρίζω</button>" in html and "/oroi-symmetochis/" in html
    assert 'type="email"' in html and 'name="consent"' in html

    wrong = support(api, item["id"], form=True, email="όχι-διεύθυνση", return_to=TEXT_PAGE)
    html = page(wrong)
    assert wrong.status_code == 422 and "<title>Σφάλμα:" in html
    assert 'value="όχι-διεύθυνση"' in html and 'aria-invalid="true"' in html
    assert 'href="#f-email"' in html and "checked" in html  # the consent stays ticked
    assert f'name="return_to" value="{TEXT_PAGE}"' in html and item["body"] in html
    assert "action=" not in html.split('class="support"')[0].rsplit("<form", 1)[1]

    no_consent = support(api, item["id"], form=True, consent=None)
    html = page(no_consent)
    assert no_consent.status_code == 422 and f'value="{ADDRESS}"' in html
    assert limits()["messages"]["consent"] in html and 'href="#f-consent"' in html
    as_json = support(api, item["id"], consent=False, email="")
    assert set(json.loads(as_json.body)["error"]["fields"]) == {"email", "consent"}
    unknown = support(api, item["id"], colour="κόκκινο")
    assert (
        unknown.status_code == 400 and json.loads(unknown.body)["error"]["code"] == "unknown_field"
    )


def test_a_proposal_and_a_comment_on_it_are_described(api, api_env):
    idea = published(api, "proposal", title="Δέντρα στην πλατεία Ομήρου")
    shown = page(api.client.http.get(f"/v1/supports/new?item={idea['id']}", headers=HTML))
    assert "Υποστήριξη πρότασης" in shown and "Δέντρα στην πλατεία Ομήρου" in shown
    assert f"/diavoulefseis/anoichti/protaseis/{idea['id']}/" in shown
    on_it = published(api, text=None, paragraph=None, proposal=idea["id"])
    shown = page(api.client.http.get(f"/v1/supports/new?item={on_it['id']}", headers=HTML))
    assert "στην πρόταση «Δέντρα στην πλατεία Ομήρου»" in shown


def test_a_closed_consultation_takes_no_support(api, api_env):
    with clock.frozen(datetime.fromisoformat("2020-06-01T10:00:00+03:00")):
        old = published(api, consultation="kleisti", text="palio-keimeno", paragraph=None)
    answer = support(api, old["id"])
    assert answer.status_code == 409
    assert json.loads(answer.body)["error"]["code"] == "consultation_closed"
    blank = api.client.http.get(f"/v1/supports/new?item={old['id']}", headers=HTML)
    assert blank.status_code == 409 and "έκλεισε" in page(blank)
    assert store.get(table_resource(api_env), old["id"], tokens.address_hash(ADDRESS)) is None


def test_the_receipts_daily_limits_apply_to_the_links(api, api_env, mail_env, monkeypatch):
    first = published(api)
    second = published(api, body="Δεύτερο δημοσιευμένο σχόλιο, για το όριο των μηνυμάτων.")
    deliver(api_env, mail_env)  # the two receipts (to maria@example.gr)
    monkeypatch.setitem(limits()["mail"], "receipts_per_address_per_day", 1)
    support(api, first["id"])
    support(api, second["id"])
    result = outbox.send_due(table=table_resource(api_env))
    assert (result.sent, result.dropped) == (1, 1)


def test_the_letter_of_each_kind_of_item() -> None:
    base = {
        "site_name": "Διαβούλευση Νέας Σμύρνης",
        "consultation_title": "Κοινόχρηστοι χώροι",
        "confirm_url": "https://api.example.gr/v1/supports/confirm/x.y.z",
        "expires_days": 1,
        "reference": "NS-7K2QXD",
        "excerpt": "Περισσότερα <b>δέντρα</b>",
        "item_url": "https://example.gr/diavoulefseis/k/protaseis/x/",
    }
    letter = letters.render(
        "support_confirm", {**base, "item_kind": "proposal", "item_title": "Τίτλος"}
    )
    assert "την πρόταση NS-7K2QXD" in letter.text and "«Τίτλος»" in letter.text
    assert "1 ημέρα." in letter.text and "&lt;b&gt;δέντρα" in letter.html
    assert "Τίτλος" not in letter.subject and "δέντρα" not in letter.subject
    assert "το σχόλιο" in letters.render("support_confirm", {**base, "item_kind": "comment"}).text
    with pytest.raises(ValueError):
        letters.render("support_confirm", {**base, "item_kind": "answer"})


def test_the_pages_are_valid_greek_html(api, api_env, mail_env, tmp_path: Path) -> None:
    item = published(api)
    query = urlencode({"item": item["id"], "return_to": TEXT_PAGE})
    answers = {
        "form": api.client.http.get(f"/v1/supports/new?{query}", headers=HTML),
        "errors": support(api, item["id"], form=True, email="x", consent=None),
        "sent": api.client.http.get(f"/v1/supports/sent?back={TEXT_PAGE}", headers=HTML),
        "unknown": api.client.http.get("/v1/supports/new?item=0000000000", headers=HTML),
    }
    support(api, item["id"])
    path = confirm_path(deliver(api_env, mail_env)[-1])
    answers["button"] = api.client.http.get(path, headers=HTML)
    answers["counted"] = api.client.http.post(path, headers={**FORM, **HTML}, body=b"")
    answers["already"] = api.client.http.post(path, headers={**FORM, **HTML}, body=b"")
    answers["gone"] = api.client.http.get(path + "x", headers=HTML)
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, answer in answers.items():
        assert answer.headers["Content-Type"].startswith("text/html"), name
        assert "Content-Security-Policy" in answer.headers, name
        assert '<html lang="el">' in page(answer) and "<script" not in page(answer), name
        (folder / f"{name}.html").write_bytes(answer.body)
    assert_nu_clean(
        folder,
        '<!DOCTYPE html><html lang="el"><head><title>x</title></head>'
        '<body><form action=""></form></body></html>',
    )


def test_the_preflight_allows_the_site_only(api, api_env) -> None:
    allowed = api.client.http.request(
        "OPTIONS", "/v1/supports", headers={"origin": SITE, "access-control-request-method": "POST"}
    )
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE
    refused = api.client.http.request(
        "OPTIONS", "/v1/supports", headers={"origin": "https://evil.example"}
    )
    assert refused.status_code == 403


# --- logs ---------------------------------------------------------------------------------------
class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every line the API's structured log and chalicelib's loggers write."""
    handler = _Lines()
    loggers = [logging.getLogger("diavoulefsi.api"), logging.getLogger("chalicelib")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
    loggers[1].setLevel(logging.DEBUG)
    yield handler.lines
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_nothing_personal_in_the_logs(api, api_env, mail_env, log_lines):
    item = published(api)
    ip = "203.0.113.77"
    secret_address = "kryfi.dieythynsi@example.gr"
    assert support(api, item["id"], email=secret_address, ip=ip).status_code == 202
    assert support(api, item["id"], email=secret_address, ip=ip, form=True).status_code == 303
    assert support(api, item["id"], email="όχι", ip=ip).status_code == 422
    assert support(api, item["id"], email=secret_address, website="x", ip=ip).status_code == 202
    [mail] = [m for m in deliver(api_env, mail_env) if m["To"] == secret_address]
    path = confirm_path(mail)
    token = path.rsplit("/", 1)[1]
    api.client.http.get(path, headers=HTML)
    assert api.client.http.post(path, headers=FORM, body=b"").status_code == 200
    api.client.http.post(path[:-2] + "xx", headers=FORM, body=b"")
    records = [json.loads(line) for line in log_lines if line.startswith("{")]
    requests = [r for r in records if r.get("event") == "request"]
    routes = {(r["route"], r["method"], r["status"]) for r in requests}
    assert ("/v1/supports", "POST", 202) in routes and ("/v1/supports", "POST", 422) in routes
    assert ("/v1/supports/confirm/{token}", "POST", 200) in routes
    assert ("/v1/supports/confirm/{token}", "POST", 404) in routes
    assert {"metric": "honeypot", "value": 1, "kind": "support"} in records
    assert {"metric": "support", "value": 1, "outcome": "confirm_counted"} in records
    text = "\n".join(log_lines)
    hashed = tokens.address_hash(secret_address)
    for value in (secret_address, ip, "203.0.113", token, token.split(".")[-1], hashed):
        assert value not in text, value


def test_the_confirmation_route_hides_its_token_from_the_access_log() -> None:
    from scripts import api_local

    line = '127.0.0.1 - - "POST /v1/supports/confirm/abc.def.SECRET HTTP/1.1" 200 -'
    assert "SECRET" not in api_local.redact(line) and "/v1/supports/confirm/…" in api_local.redact(
        line
    )


def test_support_items_are_keyed_by_item_and_address_hash_only() -> None:
    key = keys.support("01jabc", "f" * 64)
    assert key == {"PK": f"SUPPORT#01jabc#{'f' * 64}", "SK": "SUPPORT"}
