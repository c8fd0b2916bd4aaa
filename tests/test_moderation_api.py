"""The moderation routes on DynamoDB Local through chalice.test: transitions, conflicts, the
audit trail, redaction, paging, and that no answer carries an email or ip_hash (StaffClient
checks every answer)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from moderation_support import StaffClient, data, put_pending, submit_comment

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token

BODY = "Προτείνω περισσότερα δέντρα στην πλατεία της γειτονιάς μας."


def _table() -> Any:
    from chalicelib import db

    return db.table()


def _stored(item_id: str) -> dict[str, Any]:
    return _table().get_item(Key={"PK": f"SUB#{item_id}", "SK": "SUB"})["Item"]


def _to_status(staff: StaffClient, item_id: str, status: str) -> None:
    """Walk a fresh pending item to ``status`` through allowed decisions."""
    steps = {
        "pending": [],
        "approved": [{"action": "approve"}],
        "rejected": [{"action": "reject", "reason": "spam"}],
        "hidden": [{"action": "hide", "reason": "offensive"}],
    }[status]
    for step in steps:
        assert staff.decide(item_id, **step).status_code == 200


ALLOWED = {
    ("pending", "approve"): "approved",
    ("pending", "reject"): "rejected",
    ("pending", "hide"): "hidden",
    ("approved", "hide"): "hidden",
    ("hidden", "approve"): "approved",
    ("rejected", "approve"): "approved",
}


def test_transition_matrix(http: Any, staff: StaffClient) -> None:
    """Every (status, action): the six allowed ones apply and keep the indexes right; the
    other six are 409 conflict and change nothing."""
    for source in ("pending", "approved", "rejected", "hidden"):
        for action in ("approve", "reject", "hide"):
            item_id = submit_comment(http, f"{BODY} ({source} {action})")
            _to_status(staff, item_id, source)
            before = _stored(item_id)
            answer = staff.decide(item_id, action=action, reason="other", note="έλεγχος")
            after = _stored(item_id)
            target = ALLOWED.get((source, action))
            if target is None:
                assert answer.status_code == 409, (source, action)
                assert data(answer)["error"]["code"] == "conflict"
                assert after == before
                continue
            assert answer.status_code == 200, (source, action, answer.body)
            assert data(answer)["item"]["status"] == target
            assert after["status"] == target
            assert after["version"] == before["version"] + 1
            assert after["decided_by"] == "Ελένη Δοκιμαστική"
            assert after["GSI2PK"] == f"STATUS#{target}"
            assert after["GSI2SK"] == f"{after['updated_at']}#{item_id}"
            assert after["GSI3SK"] == f"{target}#{after['created_at']}#{item_id}"
            ever_approved = "approved" in (source, target)
            assert ("approved_at" in after) == ever_approved, (source, action)


def test_decision_validation(http: Any, staff: StaffClient) -> None:
    item_id = submit_comment(http, BODY)
    cases = [
        ({"action": "reject"}, 422, "validation", "reason"),
        ({"action": "hide", "reason": "nonsense"}, 422, "validation", "reason"),
        ({"action": "publish"}, 422, "validation", "action"),
        ({"action": "approve", "note": "x" * 1001}, 422, "validation", "note"),
        ({"action": "reject", "reason": "spam", "redacted_body": BODY}, 422, "validation", None),
        ({"action": "approve", "status": "approved"}, 400, "unknown_field", "status"),
        ({"action": 1}, 400, "invalid_type", "action"),
        ({"action": "approve", "version": True}, 400, "invalid_type", "version"),
        ({"action": "approve", "version": 7}, 409, "conflict", None),
    ]
    for body, status, code, field in cases:
        answer = staff.decide(item_id, **body)
        assert answer.status_code == status, (body, answer.body)
        error = data(answer)["error"]
        assert error["code"] == code and error["message"]
        if field:
            assert field in error["fields"], (body, error)
    bad_json = staff.request("POST", f"/v1/moderation/items/{item_id}", body=b"{nope")
    assert data(bad_json)["error"]["code"] == "invalid_json"
    assert staff.decide("01doesnotexist", action="approve").status_code == 404
    assert staff.get("/v1/moderation/items/NOT-AN-ID").status_code == 404
    assert _stored(item_id)["status"] == "pending"


def test_two_moderators_at_once_exactly_one_wins(http: Any, staff: StaffClient) -> None:
    """Two threads decide the same pending item at the same moment (the logic layer: chalice's
    app object holds one current request and is not meant to be shared by threads)."""
    from chalicelib import moderation
    from chalicelib.errors import ApiError

    for round_ in range(3):
        item_id = submit_comment(http, f"{BODY} γύρος {round_}")
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def decide(
            body: dict[str, Any],
            item_id: str = item_id,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            raw = json.dumps({**body, "version": 1}).encode()
            barrier.wait()
            try:
                moderation.decide(item_id, raw, f"moderator-{body['action']}")
                outcomes.append("ok")
            except ApiError as err:
                outcomes.append(err.code)

        threads = [
            threading.Thread(target=decide, args=({"action": "approve"},)),
            threading.Thread(target=decide, args=({"action": "hide", "reason": "spam"},)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["conflict", "ok"], outcomes
        assert _stored(item_id)["version"] == 2
        audit = data(staff.get(f"/v1/moderation/items/{item_id}"))["audit"]
        assert len(audit) == 1


def test_stale_read_loses_at_the_condition(
    http: Any, staff: StaffClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conditional write itself refuses a decision based on a stale read."""
    from chalicelib import moderation

    item_id = submit_comment(http, BODY)
    stale = _stored(item_id)
    assert staff.decide(item_id, action="approve").status_code == 200
    monkeypatch.setattr(moderation, "read", lambda _id: dict(stale))
    answer = staff.decide(item_id, action="hide", reason="spam")
    assert answer.status_code == 409
    assert _stored(item_id)["status"] == "approved"


def test_audit_trail_and_publish_state(http: Any, staff: StaffClient) -> None:
    item_id = submit_comment(http, BODY)
    assert staff.decide(item_id, action="approve", note="εντάξει").status_code == 200
    assert staff.decide(item_id, action="hide", reason="personal_data").status_code == 200
    third = staff.decide(item_id, action="approve", note="ξανά ορατό")
    assert third.status_code == 200
    answer = data(staff.get(f"/v1/moderation/items/{item_id}"))
    trail = answer["audit"]
    assert [(a["from_status"], a["to_status"]) for a in trail] == [
        ("pending", "approved"),
        ("approved", "hidden"),
        ("hidden", "approved"),
    ]
    assert [a["version"] for a in trail] == [2, 3, 4]
    assert all(a["by"] == "Ελένη Δοκιμαστική" for a in trail)
    assert trail[0]["note"] == "εντάξει" and "reason" not in trail[0]
    assert trail[1]["reason"] == "personal_data"
    assert trail[0]["at"] < trail[1]["at"] < trail[2]["at"]
    item = answer["item"]
    assert item["decision_note"] == "ξανά ορατό" and "decision_reason" not in item
    assert item["approved_at"] == trail[0]["at"]  # re-showing keeps the first approval time
    state = _table().get_item(Key={"PK": "META#publish", "SK": "STATE"})["Item"]
    assert state["last_decision_at"] == trail[2]["at"]


def test_redaction_keeps_the_original_only_in_the_audit(http: Any, staff: StaffClient) -> None:
    from chalicelib import snapshot

    original = "Καλέστε με στο 6900000000, θέλω φωτισμό στην οδό Ομήρου."
    redacted = "Καλέστε με στο [απαλείφθηκε], θέλω φωτισμό στην οδό Ομήρου."
    item_id = submit_comment(http, original)
    answer = staff.decide(item_id, action="approve", redacted_body=redacted)
    assert answer.status_code == 200, answer.body
    assert data(answer)["item"]["body"] == redacted and data(answer)["item"]["redacted"] is True
    assert _stored(item_id)["body"] == redacted
    exported = snapshot.build(snapshot.approved_items(_table()))
    assert redacted in str(exported) and original not in str(exported)
    trail = data(staff.get(f"/v1/moderation/items/{item_id}"))["audit"]
    assert trail[-1]["original_body"] == original and trail[-1]["redacted"] is True
    # A published item can be redacted again (approved → approved); unchanged text is refused.
    again = staff.decide(item_id, action="approve", redacted_body=redacted)
    assert again.status_code == 422
    assert staff.decide(item_id, action="approve").status_code == 409
    second = redacted.replace("Ομήρου", "[απαλείφθηκε]")
    assert staff.decide(item_id, action="approve", redacted_body=second).status_code == 200
    assert data(staff.get(f"/v1/moderation/items/{item_id}"))["audit"][-1]["original_body"] == (
        redacted
    )
    too_short = staff.decide(item_id, action="approve", redacted_body="λίγο")
    assert data(too_short)["error"]["fields"]["redacted_body"]


def test_paging_and_order(staff: StaffClient) -> None:
    table = _table()
    ids = [put_pending(table, i)["id"] for i in range(7)]
    put_pending(table, 50, consultation="kleisti")

    def walk(query: str) -> list[str]:
        seen, cursor = [], None
        for _ in range(10):
            page = data(staff.get(query + (f"&cursor={cursor}" if cursor else "")))
            assert len(page["items"]) <= 3
            seen += [i["id"] for i in page["items"]]
            cursor = page["cursor"]
            if not cursor:
                return seen
        raise AssertionError("cursor never ended")

    base = "/v1/moderation/items?status=pending&limit=3"
    assert walk(base + "&order=oldest&consultation=anoichti") == ids
    assert walk(base + "&order=newest&consultation=anoichti") == ids[::-1]
    everything = walk(base + "&order=newest")
    assert everything[0] == "01test" + "50".zfill(20) and everything[1:] == ids[::-1]
    first = data(staff.get(base + "&order=oldest"))
    wrong_scope = staff.get(base + f"&order=newest&cursor={first['cursor']}")
    assert data(wrong_scope)["error"]["fields"]["cursor"]
    for bad in ("cursor=%%%", "cursor=bm9wZQ", "limit=0", "limit=101", "status=nope", "x=1"):
        answer = staff.get(f"/v1/moderation/items?{bad}")
        assert answer.status_code in (400, 422), bad


def test_item_context_and_allowlist(http: Any, staff: StaffClient) -> None:
    item_id = submit_comment(http, BODY, paragraph="eisagogi")
    item = data(staff.get("/v1/moderation/items"))["items"][0]
    assert item["id"] == item_id
    assert item["respondent_type"] == "citizen" and item["display_name"] == "Γιώργος Δοκιμής"
    assert item["context"] == {
        "consultation_title": "Ανοιχτή διαβούλευση δοκιμής",
        "text_title": "Πρώτο κείμενο",
        "paragraph_known": True,
        "url": "http://127.0.0.1:8000/diavoulefseis/anoichti/proto-keimeno/#eisagogi",
    }
    assert not {"email", "ip_hash", "submission_key", "consent", "PK", "GSI2SK"} & set(item)


def test_summary_and_decided_unpublished(http: Any, staff: StaffClient) -> None:
    from chalicelib.store import state

    ids = [submit_comment(http, f"{BODY} {n}") for n in range(4)]
    staff.decide(ids[0], action="approve")
    staff.decide(ids[1], action="reject", reason="off_topic")
    summary = data(staff.get("/v1/moderation/summary"))
    counts = {"pending": 2, "approved": 1, "rejected": 1, "hidden": 0, "withdrawn": 0}
    assert summary["counts"] == counts
    assert summary["reasons"]["spam"] == "Ανεπιθύμητο περιεχόμενο"
    waiting = data(staff.get("/v1/moderation/decided-unpublished"))
    assert waiting["count"] == 1 and [i["id"] for i in waiting["items"]] == [ids[0]]
    # A complete publish moves the watermark; later decisions wait again.
    state.advance_watermark(_table(), waiting["last_decision_at"])
    assert data(staff.get("/v1/moderation/decided-unpublished"))["count"] == 0
    staff.decide(ids[2], action="hide", reason="spam")
    staff.decide(ids[0], action="hide", reason="offensive")
    waiting = data(staff.get("/v1/moderation/decided-unpublished?limit=1"))
    assert waiting["count"] == 2 and [i["id"] for i in waiting["items"]] == [ids[0]]
    per_consultation = data(staff.get("/v1/moderation/summary?consultation=kleisti"))
    assert sum(per_consultation["counts"].values()) == 0


def test_summary_build_error_is_allowlisted_and_cleared(staff: StaffClient) -> None:
    """A site that did not build shows in the summary (file, field, problem, at: nothing else)
    until the next publish that builds removes it."""
    from chalicelib.store import state

    assert data(staff.get("/v1/moderation/summary"))["build_error"] is None
    state.record_build_error(
        _table(),
        {
            "file": "consultations/dokimi/a.md",
            "field": "Title",
            "problem": "λείπει (υποχρεωτικό πεδίο)",
            "trace": "an internal detail staff must not see",
        },
    )
    stored = state.read(_table())["build_error"]
    assert stored["trace"]  # stored, yet not returned
    summary = data(staff.get("/v1/moderation/summary"))
    assert summary["build_error"] == {
        "file": "consultations/dokimi/a.md",
        "field": "Title",
        "problem": "λείπει (υποχρεωτικό πεδίο)",
        "at": stored["at"],
    }
    assert summary["counts"] and "attention" in summary  # the other keys stay
    state.record_build_error(_table(), {"file": None, "field": None, "problem": "Σφάλμα."})
    assert data(staff.get("/v1/moderation/summary"))["build_error"] == {
        "file": None,
        "field": None,
        "problem": "Σφάλμα.",
        "at": state.read(_table())["build_error"]["at"],
    }
    state.record_site(_table(), source="x", next_change=None)
    assert data(staff.get("/v1/moderation/summary"))["build_error"] is None
