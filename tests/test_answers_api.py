"""The municipality's answers on DynamoDB Local through chalice.test: one answer and many,
editing an answer, the audit trail, the conditions (approved only, the version read, two staff
at once), Greek 422s, and that the next publish's delta export carries the answer without who
gave it (StaffClient checks every answer for personal data)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from moderation_support import StaffClient, data, submit_comment

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token

BODY = "Προτείνω περισσότερα δέντρα στην πλατεία της γειτονιάς μας."
ANSWER = {"disposition": "adopted", "text": "Ενσωματώνεται στο τελικό κείμενο, στην ενότητα 2."}


def _stored(item_id: str) -> dict[str, Any]:
    from chalicelib import db

    return db.table().get_item(Key={"PK": f"SUB#{item_id}", "SK": "SUB"})["Item"]


def _approved(http: Any, staff: StaffClient, body: str = BODY) -> str:
    item_id = submit_comment(http, body)
    assert staff.decide(item_id, action="approve").status_code == 200
    return item_id


def _answer(staff: StaffClient, item_id: str, body: Any) -> Any:
    return staff.request("POST", f"/v1/moderation/items/{item_id}/answer", body=body)


def test_answer_is_stored_audited_and_counted_for_the_publish(
    http: Any, staff: StaffClient
) -> None:
    item_id = _approved(http, staff)
    before = _stored(item_id)
    from chalicelib import db
    from chalicelib.store import state

    decisions = int(state.read(db.table()).get("decisions", 0))
    answer = _answer(staff, item_id, ANSWER)
    assert answer.status_code == 200, answer.body
    shown = data(answer)
    assert shown["item"]["answer"]["disposition"] == "adopted"
    assert shown["item"]["answer"]["answered_by"] == "Ελένη Δοκιμαστική"
    assert shown["audit"]["action"] == "answer"
    assert shown["audit"]["answer_text"] == ANSWER["text"]
    stored = _stored(item_id)
    assert stored["status"] == "approved"
    assert stored["version"] == before["version"] + 1
    assert stored["answer"]["text"] == ANSWER["text"]
    # the by_status sort key moved to the answer: the publish delta finds the change there
    assert stored["GSI2SK"].startswith(stored["answer"]["answered_at"])
    assert stored["GSI2SK"] > before["GSI2SK"]
    assert int(state.read(db.table())["decisions"]) == decisions + 1


def test_editing_an_answer_keeps_the_previous_one_in_the_audit_trail(
    http: Any, staff: StaffClient
) -> None:
    item_id = _approved(http, staff)
    assert _answer(staff, item_id, ANSWER).status_code == 200
    changed = {"disposition": "partly", "text": "Εν μέρει: μόνο η δεντροφύτευση."}
    answer = _answer(staff, item_id, changed)
    assert answer.status_code == 200, answer.body
    assert data(answer)["audit"]["previous_disposition"] == "adopted"
    assert data(answer)["audit"]["previous_answer_text"] == ANSWER["text"]
    trail = data(staff.get(f"/v1/moderation/items/{item_id}"))["audit"]
    assert [e["action"] for e in trail] == ["approve", "answer", "answer"]
    assert _stored(item_id)["answer"]["disposition"] == "partly"


@pytest.mark.parametrize("status", ["pending", "rejected", "hidden"])
def test_an_item_that_is_not_approved_cannot_be_answered(
    http: Any, staff: StaffClient, status: str
) -> None:
    item_id = submit_comment(http, f"{BODY} ({status})")
    if status != "pending":
        decision = {"action": "reject" if status == "rejected" else "hide", "reason": "spam"}
        assert staff.decide(item_id, **decision).status_code == 200
    before = _stored(item_id)
    answer = _answer(staff, item_id, ANSWER)
    assert answer.status_code == 409
    assert "εγκεκριμένες" in data(answer)["error"]["message"]
    assert _stored(item_id) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"disposition": "maybe", "text": "Κάτι."}, "disposition"),
        ({"text": "Χωρίς απάντηση."}, "disposition"),
        ({"disposition": "adopted"}, "text"),
        ({"disposition": "adopted", "text": "   \u200b "}, "text"),
        ({"disposition": "adopted", "text": "α" * 2001}, "text"),
        ({"disposition": "adopted", "text": "Ναι.", "version": -1}, "version"),
    ],
)
def test_bad_answers_are_greek_422(
    http: Any, staff: StaffClient, body: dict[str, Any], field: str
) -> None:
    item_id = _approved(http, staff)
    answer = _answer(staff, item_id, body)
    assert answer.status_code == 422, answer.body
    error = data(answer)["error"]
    assert error["code"] == "validation"
    assert field in error["fields"]
    assert any("\u0370" <= ch <= "\u03ff" for ch in error["fields"][field])
    assert "answer" not in _stored(item_id)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (json.dumps({**ANSWER, "by": "someone"}).encode(), 400),
        (json.dumps({**ANSWER, "disposition": 3}).encode(), 400),
    ],
)
def test_malformed_bodies_are_4xx(http: Any, staff: StaffClient, raw: bytes, status: int) -> None:
    item_id = _approved(http, staff)
    assert _answer(staff, item_id, raw).status_code == status


def test_a_stale_version_or_an_unknown_item_is_refused(http: Any, staff: StaffClient) -> None:
    item_id = _approved(http, staff)
    version = int(_stored(item_id)["version"])
    assert _answer(staff, item_id, {**ANSWER, "version": version - 1}).status_code == 409
    assert _answer(staff, item_id, {**ANSWER, "version": version}).status_code == 200
    assert _answer(staff, "nosuchitem00", ANSWER).status_code == 404
    assert _answer(staff, "../x", ANSWER).status_code in (403, 404)


def test_two_staff_answering_at_once_one_wins(http: Any, staff: StaffClient) -> None:
    """Both read the same version; the conditional write lets exactly one through."""
    from chalicelib import answers, db
    from chalicelib.errors import ApiError
    from chalicelib.store import answers as store

    item_id = _approved(http, staff)
    item = _stored(item_id)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def write(text: str) -> None:
        given = store.Answer("adopted", text, "2026-11-30T10:00:00Z", "staff")
        barrier.wait()
        try:
            store.write(db.table(), item, given, store.audit_entry(item, given))
            outcomes.append("ok")
        except ApiError as err:
            outcomes.append(err.code)

    threads = [threading.Thread(target=write, args=(t,)) for t in ("Πρώτη.", "Δεύτερη.")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert answers.dispositions()["adopted"] == "Ενσωματώνεται"


def test_many_at_once_answers_each_and_reports_the_others(http: Any, staff: StaffClient) -> None:
    good = [_approved(http, staff, f"{BODY} ({n})") for n in range(3)]
    pending = submit_comment(http, f"{BODY} (σε αναμονή)")
    ids = [*good, pending, "nosuchitem00", good[0]]
    answer = staff.request("POST", "/v1/moderation/answers", body={"ids": ids, **ANSWER})
    assert answer.status_code == 200, answer.body
    result = data(answer)
    assert result["answered"] == good
    assert {f["id"]: f["code"] for f in result["failed"]} == {
        pending: "conflict",
        "nosuchitem00": "not_found",
    }
    assert all(_stored(i)["answer"]["disposition"] == "adopted" for i in good)
    assert "answer" not in _stored(pending)


@pytest.mark.parametrize(
    "body",
    [
        {"ids": [], **ANSWER},
        {"ids": ["x" * 65], **ANSWER},
        {"ids": ["a1"] * 201, **ANSWER},
        {"ids": ["abc12345"], "disposition": "nope", "text": "Κάτι."},
    ],
)
def test_many_at_once_checks_the_whole_request_first(
    http: Any, staff: StaffClient, body: dict[str, Any]
) -> None:
    answer = staff.request("POST", "/v1/moderation/answers", body=body)
    assert answer.status_code == 422, answer.body


def test_the_summary_gives_the_page_the_dispositions_and_limits(
    http: Any, staff: StaffClient
) -> None:
    from chalicelib.spec import limits

    summary = data(staff.get("/v1/moderation/summary"))
    assert summary["dispositions"] == limits()["dispositions"]["labels"]
    assert summary["limits"]["answer"]["max"] == limits()["fields"]["answer_text"]["max"]
    assert summary["answerable"] == "approved"


def test_the_next_publish_exports_the_answer_but_not_who_gave_it(
    http: Any, staff: StaffClient, tmp_path: Path
) -> None:
    """The delta export after the answer sees it (the by_status key moved), and the snapshot
    entry holds disposition, text and date only."""
    from chalicelib import db, snapshot_delta, snapshot_shards

    item_id = _approved(http, staff)
    path = tmp_path / "snapshot"
    watermark = _stored(item_id)["GSI2SK"].split("#")[0]  # the approval: published
    first = snapshot_delta.refresh(db.table(), path, decided_at=watermark, watermark=watermark)
    assert first.mode == snapshot_delta.FULL
    assert _answer(staff, item_id, ANSWER).status_code == 200
    stored = _stored(item_id)
    second = snapshot_delta.refresh(
        db.table(), path, decided_at=stored["answer"]["answered_at"], watermark=watermark
    )
    assert second.mode == snapshot_delta.INCREMENTAL
    assert second.changed
    entry = next(c for c in snapshot_shards.merged(path)["comments"] if c["id"] == item_id)
    assert entry["answer"] == {
        "disposition": "adopted",
        "text": ANSWER["text"],
        "answered_at": stored["answer"]["answered_at"],
    }
    assert all("Ελένη Δοκιμαστική" not in shard.read_text() for shard in path.glob("*.json"))
    assert entry["participant"] == stored["participant"]
    assert len(entry["participant"]) == 16


def test_the_approved_comments_of_one_paragraph_are_listed_and_answered_together(
    http: Any, staff: StaffClient
) -> None:
    """What the moderation page does: list a paragraph's approved comments (by_target with
    filters, paged), select them, answer them with one answer."""
    on_para = []
    for n in range(3):
        item_id = submit_comment(http, f"{BODY} (¶ {n})", paragraph="eisagogi")
        assert staff.decide(item_id, action="approve").status_code == 200
        on_para.append(item_id)
    elsewhere = submit_comment(http, f"{BODY} (άλλη παράγραφος)", paragraph="p-0a1b2c3d")
    assert staff.decide(elsewhere, action="approve").status_code == 200
    waiting = submit_comment(http, f"{BODY} (σε αναμονή)", paragraph="eisagogi")
    query = "consultation=anoichti&text=proto-keimeno&paragraph=eisagogi&status=approved"
    found: list[str] = []
    cursor = None
    while True:
        more = f"&cursor={cursor}" if cursor else ""
        page = data(staff.get(f"/v1/moderation/items?{query}&limit=2{more}"))
        found += [i["id"] for i in page["items"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert sorted(found) == sorted(on_para)
    assert elsewhere not in found and waiting not in found
    answer = staff.request("POST", "/v1/moderation/answers", body={"ids": found, **ANSWER})
    assert data(answer)["answered"] == found


@pytest.mark.parametrize(
    "query",
    [
        "text=proto-keimeno",  # a text needs its consultation
        "consultation=anoichti&paragraph=eisagogi",  # a paragraph needs its text
        "consultation=anoichti&text=Proto",
        "consultation=anoichti&text=proto-keimeno&paragraph=1x",
    ],
)
def test_listing_by_text_checks_its_parameters(staff: StaffClient, query: str) -> None:
    assert staff.get(f"/v1/moderation/items?{query}").status_code == 422
