"""The idempotency item (``IDEM#<submission_key>``) proves nothing about a person: its
fingerprint of the content (which holds the e-mail) is an HMAC keyed by IP_HASH_KEY, never a
plain hash anyone could recompute from a guessed address; it expires after limits.json
``guards.idempotency_seconds`` (a retry within answers the first answer, the same key later is a
new submission) and the retention purge deletes it with the e-mail."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    comment,
    pending,
    table_resource,
)
from test_retention import consultation

from chalicelib import clock, config, db, manifest, retention, validation
from chalicelib.spec import limits

NOW = datetime(2027, 3, 10, 9, 30, tzinfo=UTC)  # "anoichti" of the fixture manifest is open
IDEM_SECONDS = int(limits()["guards"]["idempotency_seconds"])
RETENTION = timedelta(days=int(limits()["retention"]["email_days_after_close"]))


def idem(env: dict[str, str], key: str) -> dict[str, Any] | None:
    item_key = {"PK": f"IDEM#{key}", "SK": "IDEM"}
    return table_resource(env).get_item(Key=item_key, ConsistentRead=True).get("Item")


def submission(env: dict[str, str], sub_id: str) -> dict[str, Any]:
    key = {"PK": f"SUB#{sub_id}", "SK": "SUB"}
    return table_resource(env).get_item(Key=key, ConsistentRead=True)["Item"]


def canonical(kind: str, payload: dict[str, Any]) -> bytes:
    """The cleaned content of a post without its submission_key, as the fingerprint sees it."""
    fields = validation.clean(payload, kind)
    content = {k: v for k, v in fields.items() if k != "submission_key"}
    return json.dumps([kind, content], sort_keys=True, ensure_ascii=False).encode()


def post(api: Any, payload: dict[str, Any], at: datetime, ip: str = "198.51.100.7") -> Any:
    with clock.frozen(at):
        return api.post("/v1/comments", payload, ip=ip)


def test_fingerprint_is_keyed_never_a_plain_hash(api, api_env):
    payload = comment(submission_key="privacy-key-0001", email="someone@example.gr")
    answer = post(api, payload, NOW)
    assert answer.status_code == 202, answer.body
    stored = idem(api_env, "privacy-key-0001")
    assert stored is not None and stored["id"] == json.loads(answer.body)["id"]
    content = canonical("comment", payload)
    plain = hashlib.sha256(content).hexdigest()  # what an unkeyed fingerprint would be
    keyed = hmac.new(api_env["IP_HASH_KEY"].encode(), content, hashlib.sha256).hexdigest()
    assert stored["fingerprint"] != plain
    assert stored["fingerprint"] == keyed
    # Nothing of the content itself sits in the item.
    text = json.dumps(stored, default=str, ensure_ascii=False)
    assert "someone@example.gr" not in text and payload["body"] not in text
    assert set(stored) == {
        "PK",
        "SK",
        "id",
        "reference",
        "status",
        "created_at",
        "fingerprint",
        "expires_at",
    }


def test_another_key_gives_another_fingerprint(api, api_env, monkeypatch):
    payload = comment(submission_key="privacy-key-0002")
    assert post(api, payload, NOW).status_code == 202
    first = idem(api_env, "privacy-key-0002")["fingerprint"]

    monkeypatch.setenv("IP_HASH_KEY", "another-secret-of-another-stage")
    config.reset()
    db.reset()
    again = comment(submission_key="privacy-key-0003")  # same content, other key
    assert post(api, again, NOW, ip="203.0.113.9").status_code == 202
    second = idem(api_env, "privacy-key-0003")["fingerprint"]
    assert canonical("comment", payload) == canonical("comment", again)
    assert second != first
    expected = hmac.new(b"another-secret-of-another-stage", canonical("comment", again), "sha256")
    assert second == expected.hexdigest()


def test_the_item_expires_after_idempotency_seconds(api, api_env):
    answer = post(api, comment(submission_key="privacy-key-0004"), NOW)
    assert answer.status_code == 202
    stored = idem(api_env, "privacy-key-0004")
    assert isinstance(stored["expires_at"], Decimal)  # a number: DynamoDB's TTL reads it
    assert int(stored["expires_at"]) == int(NOW.timestamp()) + IDEM_SECONDS
    assert stored["created_at"] == clock.iso(NOW)


def test_retry_within_the_time_replays_after_it_is_new(api, api_env):
    payload = comment(submission_key="privacy-key-0005")
    first = post(api, payload, NOW)
    assert first.status_code == 202
    first_id = json.loads(first.body)["id"]

    just_before = NOW + timedelta(seconds=IDEM_SECONDS - 1)
    replay = post(api, payload, just_before, ip="192.0.2.44")  # from any network
    assert replay.status_code == 202 and json.loads(replay.body) == json.loads(first.body)
    other = post(api, comment(submission_key="privacy-key-0005", body="Άλλο κείμενο."), NOW)
    assert other.status_code == 422
    assert set(json.loads(other.body)["error"]["fields"]) == {"submission_key"}
    other_later = comment(submission_key="privacy-key-0005", body="Άλλο κείμενο ακόμη.")
    assert post(api, other_later, just_before).status_code == 422
    assert [i["id"] for i in pending(api_env)] == [first_id]

    after = NOW + timedelta(seconds=IDEM_SECONDS + 1)  # the item is expired, TTL not yet run
    assert idem(api_env, "privacy-key-0005") is not None
    fresh = post(api, payload, after)
    assert fresh.status_code == 202, fresh.body
    fresh_id = json.loads(fresh.body)["id"]
    assert fresh_id != first_id
    assert json.loads(fresh.body)["reference"] != json.loads(first.body)["reference"]
    renewed = idem(api_env, "privacy-key-0005")
    assert renewed["id"] == fresh_id
    assert int(renewed["expires_at"]) == int(after.timestamp()) + IDEM_SECONDS
    assert sorted(i["id"] for i in pending(api_env)) == sorted([first_id, fresh_id])
    # And the new record answers retries again.
    assert json.loads(post(api, payload, after + timedelta(seconds=5)).body)["id"] == fresh_id


def test_same_key_other_content_after_expiry_is_a_new_submission(api, api_env):
    assert post(api, comment(submission_key="privacy-key-0006"), NOW).status_code == 202
    after = NOW + timedelta(seconds=IDEM_SECONDS + 1)
    changed = comment(submission_key="privacy-key-0006", body="Ένα εντελώς άλλο σχόλιο.")
    answer = post(api, changed, after)
    assert answer.status_code == 202, answer.body
    assert idem(api_env, "privacy-key-0006")["id"] == json.loads(answer.body)["id"]
    assert len(pending(api_env)) == 2


@pytest.fixture
def purge_manifest() -> manifest.Manifest:
    """``anoichti`` closed more than the retention period before NOW + 2 years; ``kleisti``
    closed yesterday (its items keep their e-mail and idempotency record)."""
    later = NOW + timedelta(days=730)
    return manifest.parse(
        {
            "schema_version": 1,
            "generated_at": "2029-03-10T09:30:00Z",
            "consultations": [
                consultation("anoichti", later - RETENTION - timedelta(days=1)),
                consultation("kleisti", later - timedelta(days=1)),
            ],
        }
    )


def test_the_retention_purge_deletes_the_idem_item_with_the_email(api, api_env, purge_manifest):
    keyed = post(api, comment(submission_key="privacy-key-0007"), NOW)
    keyless = post(api, comment(body="Σχόλιο χωρίς κλειδί υποβολής εδώ."), NOW)
    assert keyed.status_code == keyless.status_code == 202
    table = table_resource(api_env)
    # An item of the other consultation, written in the same layout, with its own record.
    kept = {
        **submission(api_env, json.loads(keyed.body)["id"]),
        "PK": "SUB#01keptkeptkeptkeptkeptkept",
        "id": "01keptkeptkeptkeptkeptkept",
        "consultation": "kleisti",
        "submission_key": "privacy-key-kept",
        "GSI3PK": "CONS#kleisti",
    }
    table.put_item(Item=kept)
    table.put_item(Item={**idem(api_env, "privacy-key-0007"), "PK": "IDEM#privacy-key-kept"})

    purge_at = NOW + timedelta(days=730)
    assert retention.purge_personal_data(table, purge_manifest, purge_at) == 2
    assert idem(api_env, "privacy-key-0007") is None
    for answer in (keyed, keyless):
        item = submission(api_env, json.loads(answer.body)["id"])
        assert "email" not in item and item["email_purged_at"] == clock.iso(purge_at)
    assert idem(api_env, "privacy-key-kept") is not None
    assert "email" in submission(api_env, kept["id"])
    # A rerun finds nothing more to do and fails on nothing.
    assert retention.purge_personal_data(table, purge_manifest, purge_at) == 0
