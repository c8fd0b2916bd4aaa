"""Every road text takes through the one cleaner (chalicelib.text): the intake API (JSON and
form posts, stored items read back from DynamoDB Local), moderation (redactions, notes, reasons)
and the command-line moderation tool's arguments. The rules themselves: test_text_rules.py."""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar

import pytest
from moderation_support import StaffClient, data, submit_comment
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    comment,
    pending,
    proposal,
    query_all,
    table_resource,
)
from text_support import GREEK, HIDDEN, VISIBLE, has_tags, tags

from scripts import moderate

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token


# --- intake: the API cleans every field ------------------------------------------------------


def error_of(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.body
    error = json.loads(answer.body)["error"]
    assert error["code"] == code, error
    assert GREEK.search(error["message"]), error
    assert all(GREEK.search(m) for m in error["fields"].values()), error
    return error


def stored_everything(api_env: dict[str, str]) -> list[dict[str, Any]]:
    """Every submission of the test's consultation, whatever its status (by_consultation)."""
    return query_all(table_resource(api_env), "by_consultation", "GSI3PK", "CONS#anoichti")


def test_a_body_of_tag_characters_is_an_empty_required_body(api, api_env):
    body = tags("x" * 24)
    assert len(body) == 24
    error = error_of(api.post("/v1/comments", comment(body=body)), 422, "validation")
    assert "υποχρεωτικό" in error["fields"]["body"], error
    assert set(error["fields"]) == {"body"}
    # the form post: the form page, the body's message beside it; with Accept JSON, the same 422
    page = "/diavoulefseis/anoichti/proto-keimeno/"
    form = comment(body=body, consent="on", return_to=page)
    answer = api.post("/v1/comments", form, form=True)
    assert answer.status_code == 422 and 'id="f-body-error"' in answer.body.decode()
    asked = api.post("/v1/comments", form, form=True, headers={"accept": "application/json"})
    assert "υποχρεωτικό" in error_of(asked, 422, "validation")["fields"]["body"]
    proposal_answer = api.post("/v1/proposals", proposal(title=tags("a title")))
    assert "title" in error_of(proposal_answer, 422, "validation")["fields"]
    assert stored_everything(api_env) == []


def test_a_display_name_of_tag_characters_is_refused(api, api_env):
    error = error_of(api.post("/v1/comments", comment(display_name=tags("ab"))), 422, "validation")
    assert "υποχρεωτικό" in error["fields"]["display_name"]
    form = api.post(
        "/v1/comments",
        comment(display_name=tags("ab"), consent="on"),
        form=True,
        headers={"accept": "application/json"},
    )
    assert "display_name" in error_of(form, 422, "validation")["fields"]
    assert stored_everything(api_env) == []


def test_tag_characters_inside_a_body_are_stripped_before_it_is_stored(api, api_env):
    body = VISIBLE[:20] + tags(HIDDEN) + VISIBLE[20:]
    answer = api.post(
        "/v1/comments",
        comment(body=body, display_name="Μαρία" + tags("admin") + " Παπαδοπούλου"),
    )
    assert answer.status_code == 202, answer.body
    form = api.post(
        "/v1/comments", comment(body=tags("hi") + VISIBLE + "!", consent="on"), form=True
    )
    assert form.status_code == 303 and form.headers["Location"].startswith("received/NS-")
    items = sorted(pending(api_env), key=lambda i: i["body"])
    assert [i["body"] for i in items] == [VISIBLE, VISIBLE + "!"]
    assert items[0]["display_name"] == "Μαρία Παπαδοπούλου"
    for item in items:
        assert not any(has_tags(v) for v in item.values() if isinstance(v, str)), item


def test_a_line_separator_in_a_name_is_refused(api, api_env):
    error = error_of(
        api.post("/v1/comments", comment(display_name="Μαρία\u2028Παπαδοπούλου")), 422, "validation"
    )
    assert "γραμμή" in error["fields"]["display_name"]
    form = api.post(
        "/v1/comments",
        comment(display_name="Μαρία\u2029Π.", consent="on"),
        form=True,
        headers={"accept": "application/json"},
    )
    assert "display_name" in error_of(form, 422, "validation")["fields"]
    # in the body it is a line break
    ok = api.post("/v1/comments", comment(body="Πρώτη γραμμή\u2028δεύτερη γραμμή"))
    assert ok.status_code == 202, ok.body
    assert [i["body"] for i in pending(api_env)] == ["Πρώτη γραμμή\nδεύτερη γραμμή"]


def test_a_noncharacter_in_a_body_is_refused(api, api_env):
    for char in ("\ufffe", "\uffff", "\ufdd0", "\U0001ffff"):
        body = f"Η πλατεία χρειάζεται {char} περισσότερα δέντρα."
        error = error_of(api.post("/v1/comments", comment(body=body)), 422, "validation")
        assert set(error["fields"]) == {"body"}
    form = api.post(
        "/v1/comments",
        comment(body="Η πλατεία \ufffe χρειάζεται δέντρα.", consent="on"),
        form=True,
        headers={"accept": "application/json"},
    )
    assert "body" in error_of(form, 422, "validation")["fields"]
    assert stored_everything(api_env) == []


def test_tag_characters_in_an_identifier_are_refused_not_stripped(api, api_env):
    answer = api.post("/v1/comments", comment(email="maria@example.gr" + tags("x")))
    assert "email" in error_of(answer, 422, "validation")["fields"]
    answer = api.post("/v1/comments", comment(consultation="anoichti" + tags("x")))
    assert answer.status_code in (404, 422), answer.body  # never the consultation "anoichti"
    assert stored_everything(api_env) == []


# --- moderation: redactions, notes and reasons -----------------------------------------------


def stored_item(item_id: str) -> dict[str, Any]:
    from chalicelib import db

    return db.table().get_item(Key={"PK": f"SUB#{item_id}", "SK": "SUB"}, ConsistentRead=True)[
        "Item"
    ]


def audit_entries(item_id: str) -> list[dict[str, Any]]:
    from chalicelib import db
    from chalicelib.store import queries

    return queries.audit_trail(db.table(), item_id)


@pytest.fixture
def approved(http: Any, staff: StaffClient) -> str:
    item_id = submit_comment(http, VISIBLE)
    assert staff.decide(item_id, action="approve").status_code == 200
    return item_id


def refused_decision(answer: Any, statuses: tuple[int, ...]) -> dict[str, Any]:
    assert answer.status_code in statuses, (answer.status_code, answer.body)
    error = data(answer)["error"]
    assert GREEK.search(error["message"]), error
    assert all(GREEK.search(m) for m in error.get("fields", {}).values()), error
    return error


def test_a_redaction_with_a_lone_surrogate_is_refused(staff: StaffClient, approved: str):
    before = stored_item(approved)
    trail = audit_entries(approved)
    redaction = "Η πλατεία χρειάζεται \ud800 περισσότερα δέντρα."
    as_json = staff.decide(approved, action="approve", redacted_body=redaction)  # "\ud800" escape
    refused_decision(as_json, (400, 422))
    raw = json.dumps({"action": "approve", "redacted_body": redaction}, ensure_ascii=False)
    as_bytes = staff.request(
        "POST",
        f"/v1/moderation/items/{approved}",
        body=raw.encode("utf-8", "surrogatepass"),  # CESU-style bytes: not UTF-8
    )
    refused_decision(as_bytes, (400, 422))
    note = staff.decide(approved, action="hide", reason="other", note="Σημείωση \udcff")
    refused_decision(note, (400, 422))
    assert stored_item(approved) == before
    assert audit_entries(approved) == trail


def test_a_redaction_of_invisible_characters_only_is_refused(staff: StaffClient, approved: str):
    before = stored_item(approved)
    for redaction in (tags(HIDDEN), "\u200b\u2066\u202e\u3164 \u2800", "\U000e0041" * 30):
        answer = staff.decide(approved, action="approve", redacted_body=redaction)
        error = refused_decision(answer, (422,))
        assert error["code"] == "validation" and "redacted_body" in error["fields"]
    assert stored_item(approved) == before


def test_a_redaction_loses_its_hidden_characters(staff: StaffClient, approved: str):
    redaction = "Η πλατεία χρειάζεται [απαλείφθηκε]" + tags(HIDDEN) + " δέντρα."
    answer = staff.decide(approved, action="approve", redacted_body=redaction)
    assert answer.status_code == 200, answer.body
    assert stored_item(approved)["body"] == "Η πλατεία χρειάζεται [απαλείφθηκε] δέντρα."
    assert data(answer)["item"]["body"] == "Η πλατεία χρειάζεται [απαλείφθηκε] δέντρα."


def test_a_note_loses_its_tag_characters(http: Any, staff: StaffClient):
    item_id = submit_comment(http, VISIBLE)
    answer = staff.decide(item_id, action="approve", note="Έλεγχος\U000e0041 ολοκληρώθηκε")
    assert answer.status_code == 200, answer.body
    assert data(answer)["audit"]["note"] == "Έλεγχος ολοκληρώθηκε"
    [entry] = audit_entries(item_id)
    assert entry["note"] == "Έλεγχος ολοκληρώθηκε" and not has_tags(entry["note"])
    assert stored_item(item_id)["decision_note"] == "Έλεγχος ολοκληρώθηκε"
    shown = data(staff.get(f"/v1/moderation/items/{item_id}"))
    assert [a["note"] for a in shown["audit"]] == ["Έλεγχος ολοκληρώθηκε"]


def test_a_reason_with_tag_characters_is_refused(http: Any, staff: StaffClient):
    item_id = submit_comment(http, VISIBLE)
    before = stored_item(item_id)
    answer = staff.decide(item_id, action="reject", reason="spam" + tags("x"))
    error = refused_decision(answer, (422,))
    assert "reason" in error["fields"]
    assert stored_item(item_id) == before


# --- the command-line tool's arguments -------------------------------------------------------


class RecordingApi:
    """Stands in for moderate.Api: records what would have been sent."""

    calls: ClassVar[list[tuple[str, Any]]] = []

    def __init__(self, base: str, token: str) -> None:
        RecordingApi.calls.append(("init", base))

    def decide(self, item_id: str, **decision: Any) -> dict[str, Any]:
        RecordingApi.calls.append(("decide", (item_id, decision)))
        return {"item": {"id": item_id, "status": "approved", "version": 3}}


@pytest.fixture
def recording_api(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    RecordingApi.calls = []
    monkeypatch.setattr(moderate, "Api", RecordingApi)
    monkeypatch.setenv("DIAVOULEFSI_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DIAVOULEFSI_STAFF_TOKEN", "not-a-real-token")
    return RecordingApi.calls


UNDECODABLE = (
    os.fsdecode(b"\xe1\xed"),  # "άν" in ISO-8859-7 read by a UTF-8 locale
    b"\xe1".decode("utf-8", "surrogateescape"),
    os.fsdecode("Σημείωση ".encode() + b"\xff"),
)


@pytest.mark.parametrize("bad", UNDECODABLE)
def test_an_undecodable_argument_is_refused_by_position(bad):
    with pytest.raises(moderate.ApiFailure) as caught:
        moderate.utf8_arguments(["approve", "01abc", "--note", bad])
    message = str(caught.value)
    assert GREEK.search(message) and "UTF-8" in message
    assert "όρισμα 4" in message, message
    with pytest.raises(moderate.ApiFailure, match="όρισμα 1"):
        moderate.utf8_arguments([bad])


@pytest.mark.parametrize("bad", UNDECODABLE)
def test_main_stops_before_the_api_on_an_undecodable_argument(bad, recording_api, capsys):
    code = moderate.main(["redact", "01abc", "--body", bad])
    assert code == 2
    assert recording_api == []
    out = capsys.readouterr().out
    assert "όρισμα 4" in out and GREEK.search(out)


def test_a_greek_argument_passes_unchanged(recording_api):
    note = "Έλεγχος από τη Μαρία — «εντάξει»"
    args = ["approve", "01abc", "--note", note]
    assert moderate.utf8_arguments(args) == args
    assert moderate.main(args) == 0
    assert recording_api[-1] == (
        "decide",
        (
            "01abc",
            {
                "action": "approve",
                "reason": None,
                "note": note,
                "redacted_body": None,
                "version": None,
            },
        ),
    )
