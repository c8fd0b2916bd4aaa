"""POST /v1/comments and /v1/proposals through chalice.test against DynamoDB Local: what is
stored, what is answered (JSON, or pages for plain forms: tests/test_api_form_pages.py), and every
refusal with its code and Greek message."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    SITE,
    api_fixture,
    approve,
    comment,
    pending,
    proposal,
    table_resource,
)

from chalicelib import text
from chalicelib.spec import limits
from chalicelib.validation import dedup_text

ID = re.compile(r"[0-9a-z]{26}")
REFERENCE = re.compile(r"NS-[0-9A-HJKMNP-TV-Z]{6}")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.body
    error = json.loads(response.body)["error"]
    assert error["code"] == code
    assert GREEK.search(error["message"])
    assert all(GREEK.search(message) for message in error["fields"].values())
    return error


def stored(api_env, sub_id: str) -> dict:
    return table_resource(api_env).get_item(Key={"PK": f"SUB#{sub_id}", "SK": "SUB"})["Item"]


def test_copies_of_one_text_get_one_fingerprint_whatever_their_punctuation(api, api_env):
    body = comment()["body"]
    prints = []
    for n, variant in enumerate([body, body.upper() + "!!", body.replace(" ", "  ") + " ."]):
        answer = api.post("/v1/comments", comment(body=variant), ip=f"198.51.{n}.7")
        assert answer.status_code == 202, answer.body
        prints.append(stored(api_env, json.loads(answer.body)["id"])["body_print"])
    other = api.post("/v1/comments", comment(body=body + " Και κάτι ακόμη."), ip="203.0.113.9")
    assert len(set(prints)) == 1 and len(prints[0]) == text.PRINT_LENGTH
    assert stored(api_env, json.loads(other.body)["id"])["body_print"] != prints[0]


def test_comment_is_stored_exactly_as_the_contract_says(api, api_env):
    answer = api.post("/v1/comments", comment(submission_key="key-0001"), ip="192.0.2.55")
    assert answer.status_code == 202
    body = json.loads(answer.body)
    assert set(body) == {"id", "status", "reference"} and body["status"] == "pending"
    assert ID.fullmatch(body["id"]) and REFERENCE.fullmatch(body["reference"])
    item = stored(api_env, body["id"])
    sid, stamp = item["id"], item["created_at"]
    assert STAMP.fullmatch(stamp) and item["updated_at"] == stamp
    expected_hash = hmac.new(b"test-ip-hash-key", b"192.0.2.0/24", hashlib.sha256).hexdigest()
    assert item == {
        "PK": f"SUB#{sid}",
        "SK": "SUB",
        "id": sid,
        "kind": "comment",
        "status": "pending",
        "reference": body["reference"],
        "consultation": "anoichti",
        "text": "proto-keimeno",
        "paragraph": "eisagogi",
        "body": comment()["body"],
        "respondent_type": "citizen",
        "display_name": "Μαρία Παπαδοπούλου",
        "publish_name": False,
        # its text's exact fingerprint, for grouping a campaign's copies (chalicelib.campaigns)
        "body_print": text.fingerprint(comment()["body"]),
        "email": "maria@example.gr",
        # who wrote, for counting participants: a keyed hash of the e-mail, not the e-mail
        "participant": hmac.new(
            b"test-ip-hash-key", b"participant\0maria@example.gr", hashlib.sha256
        ).hexdigest()[:16],
        "consent": {"terms_version": limits()["terms_version"], "at": stamp},
        "submission_key": "key-0001",
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
        "GSI1PK": "TARGET#anoichti#proto-keimeno",
        "GSI1SK": f"{stamp}#{sid}",
        "GSI2PK": "STATUS#pending",
        "GSI2SK": f"{stamp}#{sid}",
        "GSI3PK": "CONS#anoichti",
        "GSI3SK": f"pending#{stamp}#{sid}",
        # the private link: the digest of its secret (the secret is only in the receipt), and
        # when it dies: the consultation's close (end of 2099) + the e-mail's retention
        "link_digest": item["link_digest"],
        "link_expires_at": int(
            (
                datetime(2099, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=2)))
                + timedelta(days=limits()["retention"]["email_days_after_close"])
            ).timestamp()
        ),
    }
    assert re.fullmatch(r"[0-9a-f]{64}", item["link_digest"])
    assert "192.0.2.55" not in json.dumps(item, default=str)
    assert expected_hash not in json.dumps(item, default=str)  # the network stays in the guards


def test_only_the_expiring_guard_items_hold_the_network_hash(api, api_env):
    """The privacy notice promises the prefix hash is kept only for the anti-abuse window."""
    answer = api.post("/v1/comments", comment(), ip="192.0.2.55")
    assert answer.status_code == 202
    created = stored(api_env, json.loads(answer.body)["id"])["created_at"]
    seconds = int(datetime.fromisoformat(created).timestamp())
    prefix_hash = hmac.new(b"test-ip-hash-key", b"192.0.2.0/24", hashlib.sha256).hexdigest()
    window = limits()["guards"]["rate_limit"]["window_seconds"]
    start = seconds - seconds % window
    dup = hashlib.sha256(f"{prefix_hash}\n{dedup_text(comment()['body'])}".encode()).hexdigest()
    table = table_resource(api_env)
    rate = table.get_item(Key={"PK": f"RATE#{prefix_hash}#{start}", "SK": "RATE"})["Item"]
    guard = table.get_item(Key={"PK": f"DUP#{dup}", "SK": "DUP"})["Item"]
    assert set(rate) == {"PK", "SK", "count", "expires_at"} and rate["expires_at"] == start + window
    window = limits()["guards"]["duplicate_window_seconds"]
    assert guard == {"PK": f"DUP#{dup}", "SK": "DUP", "expires_at": seconds + window}


def test_proposal_is_stored_without_a_target_and_with_its_own_limits(api, api_env):
    answer = api.post("/v1/proposals", proposal(location="Πλατεία Νέας Σμύρνης"))
    assert answer.status_code == 202
    item = stored(api_env, json.loads(answer.body)["id"])
    assert item["kind"] == "proposal" and item["title"].startswith("Ποδηλατόδρομος")
    assert item["location"] == "Πλατεία Νέας Σμύρνης"
    assert "GSI1PK" not in item and "text" not in item and item["GSI3PK"] == "CONS#anoichti"
    short = "x" * (limits()["fields"]["proposal_body"]["min"] - 1)
    error = error_of(api.post("/v1/proposals", proposal(body=short)), 422, "validation")
    assert str(limits()["fields"]["proposal_body"]["min"]) in error["fields"]["body"]


def test_form_post_redirects_to_its_confirmation_with_the_reference(api, api_env):
    page = "/diavoulefseis/anoichti/proto-keimeno/"
    form = comment(consent="on", publish_name="on", return_to=page, website="")
    answer = api.post("/v1/comments", form, form=True)
    assert answer.status_code == 303
    [item] = pending(api_env)
    back = quote(page, safe="")
    assert answer.headers["Location"] == f"received/{item['reference']}?back={back}"
    assert item["publish_name"] is True and "return_to" not in item and "website" not in item


def test_form_refusals_answer_a_page_with_the_status_and_store_nothing(api, api_env):
    page = "/diavoulefseis/anoichti/proto-keimeno/"
    answer = api.post("/v1/comments", comment(consent=None, return_to=page), form=True)
    assert answer.status_code == 422 and "Location" not in answer.headers
    assert answer.headers["Content-Type"].startswith("text/html")
    closed = comment(consultation="kleisti", text="palio-keimeno", paragraph=None)
    answer = api.post("/v1/comments", closed, form=True)
    assert answer.status_code == 409 and answer.headers["Content-Type"].startswith("text/html")
    assert pending(api_env) == []


def test_form_post_asking_for_json_gets_json(api):
    answer = api.post(
        "/v1/comments", comment(consent="true"), form=True, headers={"accept": "application/json"}
    )
    assert answer.status_code == 202 and json.loads(answer.body)["status"] == "pending"


UNSAFE_RETURN_TO = (
    "//evil.example/x",
    "https://evil.example/",
    "/\\evil.example",
    "/a//b/",
    "/a/\n",
    "javascript:alert(1)",
    "/a/?x=1",
    "/a/#x",
    "diavoulefseis/",
    "/" + "a" * 400,
    "/%0d%0a:Set-Cookie/",
)


def test_unsafe_return_to_falls_back_to_the_consultation_page(api):
    for n, return_to in enumerate(UNSAFE_RETURN_TO):
        body = f"Σχόλιο {n} για τον έλεγχο της επιστροφής."
        answer = api.post(
            "/v1/comments", comment(body=body, return_to=return_to, consent="on"), form=True
        )
        location = answer.headers["Location"]
        assert re.fullmatch(r"received/NS-\w{6}\?back=%2Fdiavoulefseis%2Fanoichti%2F", location), (
            return_to
        )


REFUSALS = (
    ({"colour": "red"}, 400, "unknown_field", "colour"),
    ({"body": ["a", "list"]}, 400, "invalid_type", "body"),
    ({"body": {"an": "object"}}, 400, "invalid_type", "body"),
    ({"display_name": 12345}, 400, "invalid_type", "display_name"),
    ({"email": False}, 400, "invalid_type", "email"),
    ({"consent": None}, 422, "validation", "consent"),
    ({"consent": "yes"}, 422, "validation", "consent"),
    ({"consent": False}, 422, "validation", "consent"),
    ({"email": "not-an-address"}, 422, "validation", "email"),
    ({"email": None}, 422, "validation", "email"),
    ({"display_name": "Μαρία\x00"}, 422, "validation", "display_name"),
    ({"display_name": "Μαρία\tΠ."}, 422, "validation", "display_name"),
    ({"body": "short"}, 422, "validation", "body"),
    ({"body": "   \u200b\u202e   "}, 422, "validation", "body"),
    ({"body": "Σχόλιο με \x1b[31m χρώμα τερματικού"}, 422, "validation", "body"),
    ({"respondent_type": "alien"}, 422, "validation", "respondent_type"),
    ({"respondent_type": "organisation"}, 422, "validation", "organisation_name"),
    (
        {
            "respondent_type": "organisation",
            "organisation_name": "Σύλλογος",
            "organisation_type": "x",
        },
        422,
        "validation",
        "organisation_type",
    ),
    ({"submission_key": "short"}, 422, "validation", "submission_key"),
    ({"submission_key": "bad key with spaces"}, 422, "validation", "submission_key"),
    ({"text": None, "paragraph": None}, 422, "validation", "text"),
    ({"proposal": "01abc"}, 422, "validation", "proposal"),
    ({"consultation": None}, 422, "validation", "consultation"),
    ({"consultation": "den-yparchei"}, 404, "not_found", "consultation"),
    ({"text": "den-yparchei"}, 404, "not_found", "text"),
    ({"paragraph": "p-00000000"}, 422, "invalid_reference", "paragraph"),
    ({"parent": "01m8cxwewfq2b9qahwxf14wn2q"}, 422, "invalid_reference", "parent"),
)


def test_refusals_name_the_field_in_greek(api, api_env):
    for changes, status, code, field in REFUSALS:
        error = error_of(api.post("/v1/comments", comment(**changes)), status, code)
        assert field in error["fields"], (changes, error)
    assert pending(api_env) == []


def test_lengths_come_from_limits_json_and_count_characters_after_nfc(api, api_env):
    top = limits()["fields"]["body"]["max"]
    decomposed = unicodedata.normalize("NFD", "ά") * top  # 2 code points each, 1 after NFC
    assert api.post("/v1/comments", comment(body=decomposed)).status_code == 202
    error = error_of(api.post("/v1/comments", comment(body="β" * (top + 1))), 422, "validation")
    assert str(top) in error["fields"]["body"]
    [item] = pending(api_env)
    assert item["body"] == "ά" * top


def test_text_is_normalised_and_invisible_controls_are_stripped(api, api_env):
    body = "\ufeffΠρώτη γραμμή\r\nδεύτερη\u202e γραμμή\rτρίτη\tμε στηλοθέτη\u2066\u200d  "
    answer = api.post("/v1/comments", comment(body=body, display_name="Νί\u200bκος"))
    assert answer.status_code == 202
    [item] = pending(api_env)
    assert item["body"] == "Πρώτη γραμμή\nδεύτερη γραμμή\nτρίτη\tμε στηλοθέτη"
    assert item["display_name"] == "Νίκος"


MALFORMED = (
    (b'{"body": "\xff\xfe"}', "application/json", 400, "invalid_encoding"),
    (
        b"body=%FF%FE",
        "application/x-www-form-urlencoded; charset=utf-8",
        400,
        "invalid_encoding",
    ),
    (b'{"body": "\\ud800 lone surrogate"}', "application/json", 400, "invalid_encoding"),
    (b'{"body": ', "application/json", 400, "invalid_json"),
    (b"", "application/json", 400, "invalid_json"),
    (b"[" * 100_00 + b"]" * 100_00, "application/json", 400, "invalid_json"),
    (b'["a", "list"]', "application/json", 400, "invalid_type"),
    (b"body=a&body=b", "application/x-www-form-urlencoded; charset=utf-8", 400, "invalid_type"),
    (b"hello", "text/plain", 415, "unsupported_media_type"),
    (b"--x--", "multipart/form-data; boundary=x", 415, "unsupported_media_type"),
    (b"{}", "application/json; charset=iso-8859-7", 415, "unsupported_media_type"),
    (b"{}", None, 415, "unsupported_media_type"),
)


def test_malformed_bodies(api):
    for raw, content_type, status, code in MALFORMED:
        headers = {"content-type": content_type, "accept": "application/json"}
        error_of(api.post("/v1/comments", None, raw=raw, headers=headers), status, code)


def test_body_over_max_request_bytes_is_413(api):
    size = limits()["max_request_bytes"]
    payload = json.dumps(comment(body="α" * 100, display_name="x" * size)).encode()
    error_of(api.post("/v1/comments", None, raw=payload), 413, "too_large")


@pytest.mark.parametrize(
    ("consultation", "text", "code", "date"),
    [
        ("kleisti", "palio-keimeno", "consultation_closed", "31 Ιανουαρίου 2021"),
        ("mellontiki", "neo-keimeno", "consultation_not_open", "1 Μαρτίου 2098"),
    ],
)
def test_closed_and_future_consultations_name_the_date(
    api, api_env, consultation, text, code, date
):
    payload = comment(consultation=consultation, text=text, paragraph=None)
    error = error_of(api.post("/v1/comments", payload), 409, code)
    assert date in error["message"]
    proposal_error = error_of(
        api.post("/v1/proposals", proposal(consultation=consultation)), 409, code
    )
    assert date in proposal_error["message"]
    assert pending(api_env) == []


def test_organisations_keep_their_fields_and_citizens_lose_stray_ones(api, api_env):
    org = {
        "respondent_type": "organisation",
        "organisation_name": "Σύλλογος Γονέων",
        "organisation_type": "association",
    }
    first = api.post("/v1/comments", comment(**org))
    second = api.post(
        "/v1/comments",
        comment(
            body="Άλλο σχόλιο πολίτη εδώ.", respondent_type="citizen", organisation_name="Κάτι"
        ),
    )
    by_id = {item["id"]: item for item in pending(api_env)}
    assert by_id[json.loads(first.body)["id"]]["organisation_type"] == "association"
    assert "organisation_name" not in by_id[json.loads(second.body)["id"]]


def test_replies_need_an_approved_parent_on_the_same_text(api, api_env):
    parent_id = json.loads(api.post("/v1/comments", comment()).body)["id"]
    reply = comment(body="Συμφωνώ απολύτως μαζί σας.", parent=parent_id)
    error_of(api.post("/v1/comments", reply), 422, "invalid_reference")  # still pending
    approve(api_env, parent_id)
    elsewhere = comment(
        body="Συμφωνώ απολύτως μαζί σας.", parent=parent_id, text="deftero-keimeno", paragraph=None
    )
    error_of(api.post("/v1/comments", elsewhere), 422, "invalid_reference")
    answer = api.post("/v1/comments", reply)
    assert answer.status_code == 202
    assert stored(api_env, json.loads(answer.body)["id"])["parent"] == parent_id


def test_comments_on_proposals_need_an_approved_proposal(api, api_env):
    prop_id = json.loads(api.post("/v1/proposals", proposal()).body)["id"]
    on_proposal = comment(text=None, paragraph=None, proposal=prop_id)
    error_of(api.post("/v1/comments", on_proposal), 404, "not_found")
    approve(api_env, prop_id)
    error_of(api.post("/v1/comments", dict(on_proposal, paragraph="eisagogi")), 422, "validation")
    answer = api.post("/v1/comments", on_proposal)
    assert answer.status_code == 202
    item = stored(api_env, json.loads(answer.body)["id"])
    assert item["GSI1PK"] == f"TARGET#anoichti#proposal#{prop_id}"


def test_a_retry_with_the_same_key_gets_the_same_answer_and_stores_once(api, api_env):
    payload = comment(submission_key="retry-key-42")
    first = api.post("/v1/comments", payload, ip="198.51.100.1")
    again = api.post("/v1/comments", payload, ip="203.0.113.9")  # the phone changed network
    assert first.status_code == again.status_code == 202
    assert json.loads(first.body) == json.loads(again.body)
    assert len(pending(api_env)) == 1
    other = dict(payload, body="Ένα εντελώς διαφορετικό σχόλιο.")
    error = error_of(api.post("/v1/comments", other), 422, "validation")
    assert "submission_key" in error["fields"]
    assert len(pending(api_env)) == 1


def test_honeypot_answers_like_success_and_stores_nothing(api, api_env):
    answer = api.post("/v1/comments", comment(website="http://spam.example"))
    assert answer.status_code == 202
    body = json.loads(answer.body)
    assert ID.fullmatch(body["id"]) and REFERENCE.fullmatch(body["reference"])
    form = api.post("/v1/proposals", proposal(website="x", consent="on"), form=True)
    assert form.status_code == 303 and form.headers["Location"].startswith("received/NS-")
    assert pending(api_env) == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"origin": "https://evil.example"}, 403),
        ({"origin": "null"}, 403),
        ({"origin": None, "referer": "https://evil.example/page"}, 403),
        ({"origin": None, "referer": f"{SITE}/diavoulefseis/anoichti/"}, 202),
        ({"origin": None}, 202),  # not a browser acting for another site
    ],
)
def test_origin_rule(api, headers, status):
    answer = api.post("/v1/comments", comment(), headers=headers)
    assert answer.status_code == status
    if status == 403:
        error_of(answer, 403, "forbidden_origin")


def test_cross_site_form_posts_get_403_not_a_redirect(api, api_env):
    answer = api.post(
        "/v1/comments", comment(consent="on"), form=True, headers={"origin": "https://evil.example"}
    )
    error_of(answer, 403, "forbidden_origin")
    assert "Location" not in answer.headers and pending(api_env) == []


def test_cors_only_for_site_origins(api):
    ok = api.post("/v1/comments", comment())
    assert ok.headers["Access-Control-Allow-Origin"] == SITE
    refused = api.post("/v1/comments", comment(), headers={"origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    for path in ("/v1/comments", "/v1/proposals"):
        pre = api.client.http.options(
            path, headers={"origin": SITE, "access-control-request-method": "POST"}
        )
        assert pre.status_code == 204
        assert pre.headers["Access-Control-Allow-Origin"] == SITE
        assert "POST" in pre.headers["Access-Control-Allow-Methods"]
        bad = api.client.http.options(path, headers={"origin": "https://evil.example"})
        assert bad.status_code == 403 and "Access-Control-Allow-Origin" not in bad.headers


def test_health(api):
    answer = api.client.http.get("/v1/health")
    assert answer.status_code == 200 and json.loads(answer.body) == {"status": "ok"}
