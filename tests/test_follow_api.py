"""The private link (chalicelib.follow) through the real app on DynamoDB Local: the token the
receipt carries opens the submission's page; its actions are idempotent, origin-checked and do
exactly what the privacy notice says; anything but a live token is the same Greek 404."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    SITE,
    api_fixture,
    comment,
    table_resource,
)

from chalicelib import clock, moderation, tokens
from chalicelib.spec import limits
from chalicelib.store import keys, queries, state
from chalicelib.store import outbox as outbox_store

BROWSER = {"accept": "text/html,application/xhtml+xml", "origin": SITE}
SCRIPT = {"accept": "application/json"}
API_HOST = "localhost:8010"
API_ORIGIN = f"http://{API_HOST}"  # the API's own pages post back to it


def submit(api: Any, env: dict[str, str], **changes: Any) -> tuple[str, str]:
    """(submission id, the private link's token, as the receipt in the outbox holds it)."""
    answer = api.post("/v1/comments", comment(**changes))
    assert answer.status_code == 202, answer.body
    sub_id = json.loads(answer.body)["id"]
    table = table_resource(env)
    due = outbox_store.due(table, clock.now() + timedelta(days=1), 100)
    receipts = [m for m in due if m["params"]["id"] == sub_id]
    assert len(receipts) == 1 and receipts[0]["kind"] == "receipt"
    return sub_id, receipts[0]["params"]["token"]


def get(api: Any, token: str, headers: dict[str, str] = SCRIPT) -> Any:
    return api.client.http.get(f"/v1/follow/{token}", headers=headers)


def act(
    api: Any, token: str, action: str, origin: str | None = API_ORIGIN, form: bool = True
) -> Any:
    headers = {
        "host": API_HOST,
        "content-type": "application/x-www-form-urlencoded" if form else "application/json",
        **({"origin": origin} if origin else {}),
        **({} if form else {"accept": "application/json"}),
    }
    body = f"action={action}" if form else json.dumps({"action": action})
    return api.client.http.post(f"/v1/follow/{token}", headers=headers, body=body.encode())


def item(env: dict[str, str], sub_id: str) -> dict[str, Any]:
    return table_resource(env).get_item(Key=keys.submission(sub_id))["Item"]


def test_the_link_shows_the_state_and_everything_held(api, api_env):
    sub_id, token = submit(api, api_env, display_name="Ελένη Δημητρίου", publish_name=True)
    data = json.loads(get(api, token).body)
    assert data["state"] == "pending" and data["public_url"] is None
    held = {row["label"]: row["value"] for row in data["held"]}
    assert held["Ηλεκτρονικό ταχυδρομείο"] == "maria@example.gr"
    assert held["Ονοματεπώνυμο"] == "Ελένη Δημητρίου"
    assert held["Δημοσίευση ονόματος"] == "Ναι"
    assert set(data["actions"]) == {"withdraw", "anonymise", "erase", "stop_mail"}

    page = get(api, token, BROWSER)
    assert page.status_code == 200
    headers = {k.lower(): v for k, v in page.headers.items()}
    assert headers["content-type"].startswith("text/html")
    assert headers["referrer-policy"] == "same-origin"  # the token never goes to another site
    assert headers["cache-control"] == "no-store"
    assert "form-action 'self'" in headers["content-security-policy"]
    html = page.body.decode()
    assert item(api_env, sub_id)["reference"] in html and "Ελένη Δημητρίου" in html
    assert html.count('method="post"') == 4


def test_published_state_follows_the_publish_watermark(api, api_env):
    sub_id, token = submit(api, api_env)
    moderation.decide(sub_id, json.dumps({"action": "approve"}).encode(), "Δοκιμή")
    assert json.loads(get(api, token).body)["state"] == "approved"  # not on the site yet
    table = table_resource(api_env)
    state.advance_watermark(table, item(api_env, sub_id)["decided_at"])
    data = json.loads(get(api, token).body)
    assert data["state"] == "published"
    assert data["public_url"].startswith(SITE) and sub_id in data["public_url"]


@pytest.mark.parametrize(
    "mangle", ["unknown", "altered", "short", "another-item", "expired", "erased-link"]
)
def test_anything_but_a_live_submission_link_is_the_same_404(api, api_env, mangle):
    sub_id, token = submit(api, api_env)
    other_id, _ = submit(api, api_env, body="Ένα δεύτερο σχόλιο, με δικό του σύνδεσμο.")
    secret = token.rsplit(".", 1)[1]
    if mangle == "unknown":
        token = tokens.new_link(sub_id)[0]  # the right item, another secret
    elif mangle == "altered":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif mangle == "short":
        token = token[:-3]
    elif mangle == "another-item":
        token = f"{other_id}.{secret}"  # a genuine secret does not open another item
    elif mangle == "erased-link":  # what the retention purge does with the e-mail
        table_resource(api_env).update_item(
            Key=keys.submission(sub_id), UpdateExpression="REMOVE link_digest"
        )
    answers = []
    # "anoichti" closes at the end of 2099: its links die with its e-mails, a year later
    moment = datetime(2101, 1, 2, tzinfo=UTC) if mangle == "expired" else clock.now()
    with clock.frozen(moment):
        answers = [get(api, token), get(api, token, BROWSER), act(api, token, "withdraw")]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert json.loads(answers[0].body)["error"]["code"] == "not_found"
    assert "Ο σύνδεσμος δεν ισχύει" in answers[1].body.decode()
    assert item(api_env, sub_id)["status"] == "pending"  # nothing happened


def test_withdraw_deletes_text_and_person_and_is_idempotent(api, api_env):
    sub_id, token = submit(api, api_env, display_name="Ελένη Δημητρίου")
    before = state.read(table_resource(api_env)).get("decisions", 0)
    first = act(api, token, "withdraw")
    assert first.status_code == 303 and first.headers["Location"] == "?done=withdraw"
    gone = item(api_env, sub_id)
    assert gone["status"] == "withdrawn" and gone["GSI2PK"] == "STATUS#withdrawn"
    assert not {"body", "email", "display_name", "participant"} & set(gone)
    # never published: the publish has nothing to redo
    assert state.read(table_resource(api_env)).get("decisions", 0) == before
    again = act(api, token, "withdraw", form=False)
    assert again.status_code == 200 and json.loads(again.body) == {
        "action": "withdraw",
        "changed": False,
    }
    data = json.loads(get(api, token).body)
    assert data["state"] == "withdrawn" and data["actions"] == []
    page = get(api, f"{token}?done=withdraw", BROWSER).body.decode()
    assert "αποσύρθηκε" in page


def test_withdrawing_a_published_item_asks_the_next_publish(api, api_env):
    sub_id, token = submit(api, api_env)
    moderation.decide(sub_id, json.dumps({"action": "approve"}).encode(), "Δοκιμή")
    before = state.read(table_resource(api_env))["decisions"]
    assert act(api, token, "withdraw").status_code == 303
    assert state.read(table_resource(api_env))["decisions"] == before + 1
    trail = queries.audit_trail(table_resource(api_env), sub_id)
    assert [(a["action"], a["by"]) for a in trail][-1] == ("withdraw", "author")


def test_anonymise_then_erase_then_withdraw(api, api_env):
    sub_id, token = submit(api, api_env, display_name="Ελένη Δημητρίου", publish_name=True)
    moderation.decide(sub_id, json.dumps({"action": "approve"}).encode(), "Δοκιμή")
    assert json.loads(act(api, token, "anonymise", form=False).body)["changed"] is True
    assert item(api_env, sub_id)["publish_name"] is False
    assert json.loads(act(api, token, "anonymise", form=False).body)["changed"] is False

    assert json.loads(act(api, token, "erase", form=False).body)["changed"] is True
    erased = item(api_env, sub_id)
    assert erased["status"] == "approved" and erased["body"]  # the text stays, anonymous
    assert not {"email", "display_name", "participant", "submission_key"} & set(erased)
    assert json.loads(act(api, token, "erase", form=False).body)["changed"] is False
    assert "Ηλεκτρονικό ταχυδρομείο" not in {
        r["label"] for r in json.loads(get(api, token).body)["held"]
    }
    # withdrawing after erasure still works, and once
    assert json.loads(act(api, token, "withdraw", form=False).body)["changed"] is True
    assert json.loads(act(api, token, "withdraw", form=False).body)["changed"] is False


def test_erase_removes_a_redacted_original_at_once(api, api_env):
    sub_id, token = submit(api, api_env, body="Τηλέφωνο 6900000000, πείτε μου για την πλατεία.")
    redaction = {"action": "approve", "redacted_body": "Τηλέφωνο [αφαιρέθηκε], για την πλατεία."}
    moderation.decide(sub_id, json.dumps(redaction).encode(), "Δοκιμή")
    table = table_resource(api_env)
    assert "6900000000" in queries.audit_trail(table, sub_id)[-1]["original_body"]
    act(api, token, "erase", form=False)
    assert "original_body" not in queries.audit_trail(table, sub_id)[-2]


def test_a_redacted_original_expires_with_its_retention(api, api_env):
    sub_id, _ = submit(api, api_env, body="Τηλέφωνο 6900000000, πείτε μου για την πλατεία.")
    redaction = {"action": "approve", "redacted_body": "Τηλέφωνο [αφαιρέθηκε], για την πλατεία."}
    moderation.decide(sub_id, json.dumps(redaction).encode(), "Δοκιμή")
    table = table_resource(api_env)
    [key] = queries.originals(table, sub_id)
    stored = table.get_item(Key=key)["Item"]
    days = limits()["retention"]["redacted_original_days"]
    assert stored[keys.TTL_ATTRIBUTE] - clock.epoch() == pytest.approx(days * 86400, abs=60)
    with clock.frozen(clock.now() + timedelta(days=days, minutes=1)):
        assert "original_body" not in queries.audit_trail(table, sub_id)[-1]


def test_stop_mail_suppresses_the_address(api, api_env):
    _, token = submit(api, api_env)
    assert json.loads(act(api, token, "stop_mail", form=False).body)["changed"] is True
    table = table_resource(api_env)
    assert outbox_store.is_suppressed(table, tokens.address_hash("MARIA@example.gr"))
    assert "stop_mail" not in json.loads(get(api, token).body)["actions"]
    assert json.loads(act(api, token, "stop_mail", form=False).body)["changed"] is False


def test_actions_from_another_site_or_unknown_are_refused(api, api_env):
    sub_id, token = submit(api, api_env)
    cross = act(api, token, "withdraw", origin="https://evil.example")
    assert cross.status_code == 403
    from_site = act(api, token, "anonymise", origin=SITE)
    assert from_site.status_code == 303
    unknown = act(api, token, "delete_everything", form=False)
    assert unknown.status_code == 422 and "action" in json.loads(unknown.body)["error"]["fields"]
    assert item(api_env, sub_id)["status"] == "pending"
