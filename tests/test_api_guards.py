"""Guards (networks, rate limit, duplicates), 503 when DynamoDB is unreachable, the logs and the
manifest loader."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time

import pytest
from botocore.stub import Stubber
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    SITE,
    api_fixture,
    comment,
    one_rate_window,
    pending,
    proposal,
    table_resource,
)

from chalicelib import config, db, guards, manifest, validation
from chalicelib.spec import limits


@pytest.mark.parametrize(
    ("source", "forwarded", "expected"),
    [
        ("127.0.0.1", "198.51.100.23, 10.0.0.1", "198.51.100.23"),
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),
        ("203.0.113.5", "198.51.100.23", "203.0.113.5"),  # API Gateway: the header is ignored
        ("::ffff:203.0.113.5", None, "203.0.113.5"),
        ("", None, "unknown"),
    ],
)
def test_client_ip_trusts_forwarded_for_only_behind_loopback(source, forwarded, expected):
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    assert guards.client_ip({"identity": {"sourceIp": source}}, headers) == expected


def test_networks_are_prefixes_and_only_their_hmac_is_kept(api_env):
    assert guards.network_prefix("203.0.113.77") == "203.0.113.0/24"
    assert guards.network_prefix("2001:db8:1:2:3::9") == "2001:db8:1::/48"
    same = {guards.prefix_hash("203.0.113.1"), guards.prefix_hash("203.0.113.254")}
    assert len(same) == 1
    assert guards.prefix_hash("203.0.114.1") not in same
    assert same == {hmac.new(b"test-ip-hash-key", b"203.0.113.0/24", hashlib.sha256).hexdigest()}


@pytest.mark.usefixtures("one_rate_window")
def test_rate_limit_per_network_from_limits_json(api, api_env):
    rule = limits()["guards"]["rate_limit"]
    for n in range(rule["max_submissions"]):
        answer = api.post(
            "/v1/comments",
            comment(body=f"Σχόλιο αριθμός {n} για το όριο."),
            ip=f"198.18.7.{n % 200 + 1}",
        )
        assert answer.status_code == 202, answer.body
    refused = api.post(
        "/v1/comments", comment(body="Ένα ακόμη σχόλιο, πάνω από το όριο."), ip="198.18.7.250"
    )
    assert refused.status_code == 429
    assert json.loads(refused.body)["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= rule["window_seconds"]
    form = api.post("/v1/proposals", proposal(consent="on"), form=True, ip="198.18.7.9")
    assert form.status_code == 429 and form.headers["Content-Type"].startswith("text/html")
    assert proposal()["body"] in form.body.decode()  # the text is kept to send again later
    assert "Retry-After" in form.headers
    other_network = api.post(
        "/v1/comments", comment(body="Από άλλο δίκτυο, κανένα πρόβλημα."), ip="198.18.8.1"
    )
    assert other_network.status_code == 202
    assert len(pending(api_env)) == rule["max_submissions"] + 1


def test_duplicates_from_the_same_network_within_the_window(api, api_env):
    first = api.post(
        "/v1/comments", comment(body="Θέλουμε   περισσότερο ΠΡΆΣΙΝΟ."), ip="192.0.2.10"
    )
    assert first.status_code == 202
    twin = api.post("/v1/comments", comment(body="θέλουμε περισσότερο πράσινο.\n"), ip="192.0.2.99")
    assert twin.status_code == 409 and json.loads(twin.body)["error"]["code"] == "duplicate"
    elsewhere = api.post(
        "/v1/comments", comment(body="θέλουμε περισσότερο πράσινο."), ip="192.0.3.1"
    )
    assert elsewhere.status_code == 202
    assert len(pending(api_env)) == 2  # the refused twin left nothing behind


def test_an_expired_duplicate_guard_no_longer_counts(api, api_env):
    body = comment(body="Σχόλιο που θα ξαναγραφτεί αργότερα.")
    assert api.post("/v1/comments", body, ip="192.0.2.10").status_code == 202
    seen = f"{guards.prefix_hash('192.0.2.10')}\n{validation.dedup_text(body['body'])}"
    key = {"PK": f"DUP#{hashlib.sha256(seen.encode()).hexdigest()}", "SK": "DUP"}
    table = table_resource(api_env)
    assert "Item" in table.get_item(Key=key)
    assert api.post("/v1/comments", body, ip="192.0.2.10").status_code == 409
    past = int(time.time()) - 1  # expired, but DynamoDB's TTL has not deleted it yet
    table.update_item(
        Key=key, UpdateExpression="SET expires_at = :p", ExpressionAttributeValues={":p": past}
    )
    assert api.post("/v1/comments", body, ip="192.0.2.10").status_code == 202


def test_unreachable_database_is_503_with_retry_after(api, api_env, monkeypatch):
    from scripts.dynamodb_local import free_port

    monkeypatch.setenv("DYNAMODB_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    config.reset()
    db.reset()
    answer = api.post("/v1/comments", comment())
    assert answer.status_code == 503
    error = json.loads(answer.body)["error"]
    assert error["code"] == "unavailable" and "διαθέσιμη" in error["message"]
    assert (
        int(answer.headers["Retry-After"]) == limits()["guards"]["unavailable_retry_after_seconds"]
    )
    form = api.post("/v1/comments", comment(consent="on"), form=True)
    assert form.status_code == 503 and comment()["body"] in form.body.decode()


def test_throttling_is_503_too(api, api_env):
    client = db.table().meta.client
    with Stubber(client) as stub:
        stub.add_client_error(
            "transact_write_items",
            "ProvisionedThroughputExceededException",
            http_status_code=400,
        )
        answer = api.post("/v1/comments", comment())
        stub.assert_no_pending_responses()
    assert answer.status_code == 503


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines():
    handler = _Lines()
    target = logging.getLogger("diavoulefsi.api")
    target.addHandler(handler)
    yield handler.lines
    target.removeHandler(handler)


def test_identical_log_lines_are_all_kept(monkeypatch):
    """The API's logger made after Pelican was imported (its logger class drops a line that
    repeats an earlier one) still keeps every line: metrics repeat by design."""
    import importlib

    import pelican  # noqa: F401  (its logger class, as in the publish function or the tests)

    from chalicelib import logs

    monkeypatch.setattr(logs, "logger", logs.logger)  # restored after the reload below
    monkeypatch.delitem(logging.Logger.manager.loggerDict, "diavoulefsi.api")
    importlib.reload(logs)
    assert type(logs.logger).__module__ == "pelican.log"  # the case that matters
    lines = _Lines()
    logs.logger.addHandler(lines)
    for _ in range(3):
        logs.metric("honeypot", kind="comment")
    assert lines.lines.count('{"kind":"comment","metric":"honeypot","value":1}') == 3


def test_logs_are_json_lines_without_anything_personal(api, api_env, log_lines, monkeypatch):
    secret = {
        "email": "kryfo@example.gr",
        "display_name": "Ονοματεπώνυμο Κρυφό",
        "body": "Το κείμενο του σχολίου μένει μυστικό.",
    }
    ip = "203.0.113.201"
    assert api.post("/v1/comments", comment(**secret), ip=ip).status_code == 202
    assert api.post("/v1/comments", comment(**secret, consent=None), ip=ip).status_code == 422
    assert api.post("/v1/comments", comment(**secret, website="spam"), ip=ip).status_code == 202
    from scripts.dynamodb_local import free_port

    monkeypatch.setenv("DYNAMODB_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    config.reset()
    db.reset()
    assert api.post("/v1/comments", comment(**secret), ip=ip, form=True).status_code == 503
    records = [json.loads(line) for line in log_lines]
    requests = [r for r in records if r.get("event") == "request"]
    assert [r["status"] for r in requests] == [202, 422, 202, 503]
    assert [r["code"] for r in requests] == ["ok", "validation", "honeypot", "unavailable"]
    assert all(r["route"] == "/v1/comments" and r["latency_ms"] >= 0 for r in requests)
    assert len(requests[0]["submission_id"]) == 26
    assert "submission_id" not in requests[2]  # the honeypot's decoy id is not a submission
    assert {"metric": "honeypot", "value": 1, "kind": "comment"} in records
    text = "\n".join(log_lines)
    for value in [*secret.values(), ip, "203.0.113"]:
        assert value not in text


def test_manifest_reloads_when_the_file_changes_and_keeps_the_last_good_one(
    api, api_env, root, tmp_path, monkeypatch
):
    path = tmp_path / "consultations.json"
    data = json.loads((root / "tests" / "fixtures" / "consultations.json").read_text("utf-8"))
    new = dict(data["consultations"][0], slug="nea", url="/diavoulefseis/nea/")
    path.write_text(json.dumps(data), "utf-8")
    monkeypatch.setenv("MANIFEST_PATH", str(path))
    config.reset()
    assert api.post("/v1/comments", comment(consultation="nea")).status_code == 404
    data["consultations"].append(new)
    path.write_text(json.dumps(data), "utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert api.post("/v1/comments", comment(consultation="nea")).status_code == 202
    path.write_text('{"schema_version": 1, "consultations": "half-written', "utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    answer = api.post("/v1/comments", comment(consultation="nea", body="Δεύτερο σχόλιο στη νέα."))
    assert answer.status_code == 202


def test_a_missing_or_invalid_manifest_is_refused(tmp_path):
    with pytest.raises(manifest.ManifestError):
        manifest._Loader().get(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"schema_version": 2, "generated_at": "x", "consultations": []}), "utf-8"
    )
    with pytest.raises(manifest.ManifestError):
        manifest._Loader().get(bad)


def test_no_manifest_is_503_not_500(api, api_env, tmp_path, monkeypatch):
    monkeypatch.setenv("MANIFEST_PATH", str(tmp_path / "not-built-yet.json"))
    config.reset()
    answer = api.post("/v1/comments", comment())
    assert answer.status_code == 503 and "Retry-After" in answer.headers
