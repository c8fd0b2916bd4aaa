"""Campaign groups moderated as one, on DynamoDB Local through chalice.test: the group's row in
the queue (count, representative, differences), one decision or answer on every member in
batches (each member audited with the group, the counts moved, the publish state counted once
per batch), the race with a single decision, an interrupted run finished by a second call,
splitting an item out, the queue's group= and older_than= filters, the summary's waiting
counts, and the command line's group commands against chalice local. StaffClient fails any
answer that carries an e-mail."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from moderation_support import EMAIL, StaffClient, data, put_member

from scripts import moderate
from scripts.api_local import start_api, stop_api
from scripts.dynamodb_local import free_port

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token

LETTER = (
    "Ζητούμε να μείνει ανοιχτός ο χώρος πρασίνου της πλατείας. Η πλατεία είναι ο μόνος "
    "ελεύθερος χώρος της γειτονιάς. Κανένα κτίριο στη θέση των δέντρων."
)
MEMBER = "01grp" + "0" * 21  # put_member(table, 0, ...): the group's id
STAFF_NAME = "Ελένη Δοκιμαστική"


def _table() -> Any:
    from chalicelib import db

    return db.table()


def _stored(item_id: str) -> dict[str, Any]:
    return _table().get_item(Key={"PK": f"SUB#{item_id}", "SK": "SUB"})["Item"]


def _id(index: int) -> str:
    return f"01grp{index:021d}"


def _campaign(size: int, group: str = MEMBER, start: int = 0, **fields: Any) -> list[str]:
    """``size`` copies of the letter in one group; every third adds a sentence of its own."""
    ids = []
    for n in range(start, start + size):
        body = LETTER + (f" Ο δρόμος {n} χρειάζεται δέντρα." if n % 3 == 1 else "")
        ids.append(put_member(_table(), n, group, body, **fields)["id"])
    return ids


def _audit(staff: StaffClient, item_id: str) -> list[dict[str, Any]]:
    return list(data(staff.get(f"/v1/moderation/items/{item_id}"))["audit"])


def _decide(staff: StaffClient, group: str, **body: Any) -> Any:
    return staff.request("POST", f"/v1/moderation/groups/{group}", body=body)


def _publish_state() -> dict[str, Any]:
    return _table().get_item(Key={"PK": "META#publish", "SK": "STATE"}).get("Item") or {}


def test_a_group_is_one_row_with_count_representative_and_differences(
    staff: StaffClient,
) -> None:
    ids = _campaign(5)
    put_member(_table(), 5, MEMBER, LETTER + " Και παγκάκια!", status="approved")
    put_member(_table(), 6, MEMBER, LETTER, status="rejected")  # in no count
    put_member(_table(), 7, None, "Ένα σχόλιο χωρίς ομάδα, για την πλατεία Νέας Σμύρνης.")
    page = data(staff.get("/v1/moderation/items?status=pending&consultation=anoichti"))
    assert [i["id"] for i in page["items"]] == [*ids, _id(7)]
    assert set(page["groups"]) == {MEMBER}
    group = page["groups"][MEMBER]
    assert group["count"] == 6 and group["statuses"] == {"pending": 5, "approved": 1}
    assert group["target"] == {
        "consultation": "anoichti",
        "text": "proto-keimeno",
        "proposal": None,
    }
    representative = group["representative"]
    assert representative["id"] == ids[0] and representative["body"] == LETTER
    assert representative["context"]["text_title"] == "Πρώτο κείμενο"
    assert group["differences"] == [
        {"id": ids[1], "added": ["Ο δρόμος 1 χρειάζεται δέντρα."]},
        {"id": ids[4], "added": ["Ο δρόμος 4 χρειάζεται δέντρα."]},
        {"id": _id(5), "added": ["Και παγκάκια!"]},
    ]

    shown = data(staff.get(f"/v1/moderation/groups/{MEMBER}?limit=2"))
    assert shown["group"] == group
    assert [(i["id"], i["added"]) for i in shown["items"]] == [
        (ids[0], []),
        (ids[1], ["Ο δρόμος 1 χρειάζεται δέντρα."]),
    ]
    seen, cursor = [i["id"] for i in shown["items"]], shown["cursor"]
    while cursor:
        more = data(staff.get(f"/v1/moderation/groups/{MEMBER}?limit=2&cursor={cursor}"))
        seen += [i["id"] for i in more["items"]]
        cursor = more["cursor"]
    assert seen == ids
    rejected = data(staff.get(f"/v1/moderation/groups/{MEMBER}?status=rejected"))["items"]
    assert [i["id"] for i in rejected] == [_id(6)]
    for unknown in ("nosuchgroup", _id(7), "NOT-AN-ID"):
        answer = staff.get(f"/v1/moderation/groups/{unknown}")
        assert answer.status_code == 404 and data(answer)["error"]["code"] == "not_found"
        assert _decide(staff, unknown, action="approve").status_code == 404
    wrong = staff.get(f"/v1/moderation/groups/{MEMBER}?limit=2&cursor=bm9wZQ")
    assert data(wrong)["error"]["fields"]["cursor"]


def test_proposals_of_a_consultation_are_one_target(api_env: dict[str, str]) -> None:
    from chalicelib import moderation_groups

    title = "Πράσινο στην πλατεία"
    put_member(_table(), 0, MEMBER, LETTER, kind="proposal", title=title)
    put_member(_table(), 1, MEMBER, LETTER + " Και φως.", kind="proposal", title=title)
    put_member(_table(), 2, MEMBER, LETTER, text="deftero-keimeno")  # another target
    group = moderation_groups.show(MEMBER, {})["group"]
    assert group["count"] == 2
    assert group["target"] == {"consultation": "anoichti", "text": None, "proposal": None}
    assert group["differences"] == [{"id": _id(1), "added": ["Και φως."]}]


def test_approve_sixty_members_in_one_call(
    staff: StaffClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _campaign(60)
    before = data(staff.get("/v1/moderation/summary"))  # the first look counts the table
    assert before["counts"]["pending"] == 60 and before["waiting"]["anoichti"] == 60
    client = _table().meta.client
    transactions: list[list[dict[str, Any]]] = []
    real = client.transact_write_items

    def recorded(**kwargs: Any) -> Any:
        transactions.append(kwargs["TransactItems"])
        return real(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", recorded)
    answer = _decide(staff, MEMBER, action="approve", note="εκστρατεία")
    assert answer.status_code == 200, answer.body
    result = data(answer)
    assert result["group"] == MEMBER and result["action"] == "approve"
    assert sorted(result["decided"]) == ids
    assert result["already"] == [] and result["conflicts"] == [] and result["remaining"] == 0

    for item_id in ids:
        stored = _stored(item_id)
        assert stored["status"] == "approved" and stored["version"] == 2
        assert stored["decided_by"] == STAFF_NAME and stored["decision_note"] == "εκστρατεία"
        assert stored["GSI2PK"] == "STATUS#approved"
        assert stored["GSI3SK"].startswith("approved#")
        (entry,) = _audit(staff, item_id)
        assert entry["group"] == MEMBER and entry["action"] == "approve"
        assert (entry["from_status"], entry["to_status"]) == ("pending", "approved")
    after = data(staff.get("/v1/moderation/summary"))
    assert after["counts"]["pending"] == 0 and after["counts"]["approved"] == 60
    assert after["waiting"]["anoichti"] == 0

    # batches of at most 25 members: each member once, one counts shard, one publish state
    assert [len(t) for t in transactions] == [52, 52, 22]
    for actions in transactions:
        touched = [
            str(
                a["Update"]["Key"]
                if "Update" in a
                else (a["Put"]["Item"]["PK"], a["Put"]["Item"]["SK"])
            )
            for a in actions
        ]
        assert len(touched) == len(set(touched))  # an item appears once in a transaction
        updated = [a["Update"]["Key"]["PK"] for a in actions if "Update" in a]
        assert updated.count("META#publish") == 1 and updated.count("META#counts") == 1
    assert int(_publish_state()["decisions"]) == 60
    assert _publish_state().get("publish_requested_at")  # a publish asked for at once


def test_reject_needs_a_reason_and_a_transition_that_exists(staff: StaffClient) -> None:
    ids = _campaign(3)
    cases = [
        ({"action": "reject"}, 422, "reason", "Επιλέξτε λόγο."),
        ({"action": "hide", "reason": "nonsense"}, 422, "reason", "Άγνωστος λόγος."),
        ({"action": "approve", "status": "approved"}, 422, "status", "δεν επιτρέπεται"),
        ({"action": "approve", "status": "withdrawn"}, 422, "status", "κατάσταση"),
        ({"action": "approve", "version": 1}, 400, "version", "Άγνωστο πεδίο."),
        ({"action": "publish"}, 422, "action", "έγκριση"),
    ]
    for body, status, field, words in cases:
        answer = _decide(staff, MEMBER, **body)
        assert answer.status_code == status, (body, answer.body)
        assert words in data(answer)["error"]["fields"][field], (body, answer.body)
    assert all(_stored(i)["status"] == "pending" for i in ids)
    done = data(_decide(staff, MEMBER, action="reject", reason="spam"))
    assert sorted(done["decided"]) == ids
    assert all(_stored(i)["decision_reason"] == "spam" for i in ids)
    # the rejected members again, approved on appeal: ``status`` names whom to act on
    again = data(_decide(staff, MEMBER, action="approve", status="rejected"))
    assert sorted(again["decided"]) == ids and again["remaining"] == 0


def test_a_single_decision_first_keeps_its_decision_and_is_reported(
    staff: StaffClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import moderation
    from chalicelib.store import group_decisions

    ids = _campaign(30)
    before = ids[0]  # decided alone before the group's call
    assert staff.decide(before, action="approve").status_code == 200
    rejected = ids[1]  # decided otherwise before the group's call: it keeps it, reported
    assert staff.decide(rejected, action="reject", reason="spam").status_code == 200
    racing = {ids[3]: "reject", ids[27]: "approve"}  # decided while the group's run reads
    real = group_decisions.commit
    raced: list[str] = []

    def race_first(table: Any, changes: Any, at: str) -> set[str]:
        for item_id, action in racing.items():
            if item_id not in raced:
                raced.append(item_id)
                body = {"action": action, **({"reason": "spam"} if action == "reject" else {})}
                moderation.decide(item_id, json.dumps(body), "Άλλος Συνάδελφος")
        return real(table, changes, at)

    monkeypatch.setattr(group_decisions, "commit", race_first)
    result = data(_decide(staff, MEMBER, action="approve"))
    assert result["conflicts"] == [{"id": ids[3], "status": "rejected"}]
    assert sorted(result["already"]) == sorted([before, ids[27]])
    assert {"id": rejected, "status": "rejected"} in result["kept"]
    assert sorted(result["decided"]) == sorted(set(ids) - {before, rejected, ids[3], ids[27]})
    assert result["remaining"] == 0
    assert _stored(ids[3])["status"] == "rejected" and _stored(rejected)["status"] == "rejected"
    for item_id in (before, rejected, ids[3], ids[27]):  # one decision each: the first
        (entry,) = _audit(staff, item_id)
        assert "group" not in entry
    assert _audit(staff, ids[3])[0]["by"] == "Άλλος Συνάδελφος"


def test_an_interrupted_run_is_finished_by_the_next_call(
    staff: StaffClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import moderation_groups
    from chalicelib.errors import ApiError
    from chalicelib.store import group_decisions

    ids = _campaign(60)
    monkeypatch.setattr(moderation_groups, "BUDGET_SECONDS", 0.0)  # one batch per call
    first = data(_decide(staff, MEMBER, action="hide", reason="offensive"))
    assert len(first["decided"]) == 25 and first["remaining"] == 35
    monkeypatch.undo()

    real, calls = group_decisions.commit, []

    def fails_after_one(table: Any, changes: Any, at: str) -> set[str]:
        calls.append(len(changes))
        if len(calls) > 1:
            raise ApiError("unavailable")  # the database goes away mid-run
        return real(table, changes, at)

    monkeypatch.setattr(group_decisions, "commit", fails_after_one)
    broken = _decide(staff, MEMBER, action="hide", reason="offensive")
    assert broken.status_code == 503
    monkeypatch.undo()
    last = data(_decide(staff, MEMBER, action="hide", reason="offensive"))
    assert len(last["decided"]) == 10 and last["remaining"] == 0 and last["conflicts"] == []
    assert sorted(last["already"]) == sorted(first["decided"] + ids[25:50])
    for item_id in ids:  # each hidden exactly once
        assert _stored(item_id)["status"] == "hidden"
        assert [e["action"] for e in _audit(staff, item_id)] == ["hide"]
    again = data(_decide(staff, MEMBER, action="hide", reason="offensive"))
    assert again["decided"] == [] and again["remaining"] == 0 and len(again["already"]) == 60


def test_answer_a_whole_group(staff: StaffClient) -> None:
    ids = _campaign(4, status="approved")
    pending = put_member(_table(), 9, MEMBER, LETTER)["id"]
    body = {"disposition": "partly", "text": "Ο χώρος πρασίνου μένει, όπως ζητάτε."}
    bad = staff.request("POST", f"/v1/moderation/groups/{MEMBER}/answer", body={"text": "x"})
    assert bad.status_code == 422 and set(data(bad)["error"]["fields"]) == {"disposition", "text"}
    answer = staff.request("POST", f"/v1/moderation/groups/{MEMBER}/answer", body=body)
    assert answer.status_code == 200, answer.body
    result = data(answer)
    assert sorted(result["answered"]) == ids and result["remaining"] == 0
    assert result["already"] == [] and result["conflicts"] == [] and result["group"] == MEMBER
    for item_id in ids:
        stored = _stored(item_id)
        assert stored["answer"]["disposition"] == "partly"
        assert stored["answer"]["answered_by"] == STAFF_NAME
        assert stored["GSI2SK"].startswith(stored["answer"]["answered_at"])
        (entry,) = _audit(staff, item_id)
        assert (entry["action"], entry["group"], entry["disposition"]) == (
            "answer",
            MEMBER,
            "partly",
        )
    assert "answer" not in _stored(pending)
    assert int(_publish_state()["decisions"]) == 4
    again = data(staff.request("POST", f"/v1/moderation/groups/{MEMBER}/answer", body=body))
    assert again["answered"] == [] and sorted(again["already"]) == ids
    changed = {**body, "disposition": "adopted"}
    third = data(staff.request("POST", f"/v1/moderation/groups/{MEMBER}/answer", body=changed))
    assert sorted(third["answered"]) == ids
    assert _audit(staff, ids[0])[-1]["previous_disposition"] == "partly"


def test_split_an_item_out_of_its_group(staff: StaffClient) -> None:
    ids = _campaign(3)
    published = put_member(_table(), 7, MEMBER, LETTER, status="approved")
    split = staff.request("POST", f"/v1/moderation/items/{ids[1]}/split", body={"version": 1})
    assert split.status_code == 200, split.body
    shown = data(split)
    assert shown["item"]["group_split"] is True and "group" not in shown["item"]
    assert shown["item"]["version"] == 2
    assert shown["audit"]["action"] == "split" and shown["audit"]["group"] == MEMBER
    stored = _stored(ids[1])
    assert stored["group_split"] is True and "group" not in stored and stored["version"] == 2
    assert stored["status"] == "pending" and stored["GSI2SK"].startswith("2026-11-20T09")
    assert _audit(staff, ids[1])[-1]["by"] == STAFF_NAME
    assert "decisions" not in _publish_state()  # a pending item's split changes no page
    stale = staff.request("POST", f"/v1/moderation/items/{ids[2]}/split", body={"version": 7})
    assert stale.status_code == 409 and _stored(ids[2])["group"] == MEMBER
    alone = staff.request("POST", f"/v1/moderation/items/{ids[1]}/split", body={})
    assert alone.status_code == 409 and "ομάδα" in data(alone)["error"]["message"]
    group = data(staff.get(f"/v1/moderation/groups/{MEMBER}"))["group"]
    assert group["count"] == 3  # two pending and the approved one

    # the group's id holder leaves too: the group lives on under its id
    assert staff.request("POST", f"/v1/moderation/items/{MEMBER}/split", body={}).status_code == 200
    assert data(staff.get(f"/v1/moderation/groups/{MEMBER}"))["group"]["count"] == 2
    # a published member's split reaches the site: restamped and counted for the publish
    out = data(staff.request("POST", f"/v1/moderation/items/{published['id']}/split", body={}))
    stored = _stored(published["id"])
    assert stored["GSI2SK"] == f"{out['item']['updated_at']}#{published['id']}"
    assert stored["GSI2SK"] > published["GSI2SK"]
    assert int(_publish_state()["decisions"]) == 1


def test_split_loses_a_race_at_the_condition(
    staff: StaffClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import moderation_groups

    ids = _campaign(2)
    stale = _stored(ids[1])
    assert staff.decide(ids[1], action="approve").status_code == 200
    monkeypatch.setattr(moderation_groups, "read", lambda _id: dict(stale))
    answer = staff.request("POST", f"/v1/moderation/items/{ids[1]}/split", body={})
    assert answer.status_code == 409
    assert _stored(ids[1])["group"] == MEMBER


def test_queue_filters_group_and_older_than(staff: StaffClient) -> None:
    from chalicelib import clock

    old = "2026-11-20T08:00:00.000Z"
    new = "2026-11-21T09:30:00.000Z"
    members = [put_member(_table(), n, MEMBER, LETTER, created=old)["id"] for n in range(3)]
    late = put_member(_table(), 3, MEMBER, LETTER, created=new)["id"]
    other = put_member(_table(), 4, _id(4), "Άλλη ομάδα.", created=old)["id"]
    fresh = put_member(_table(), 5, None, "Ένα νέο σχόλιο.", created=new)["id"]
    put_member(_table(), 6, MEMBER, LETTER, status="approved", created=old)
    put_member(_table(), 7, None, "Παλιό, άλλης διαβούλευσης.", created=old, consultation="kleisti")

    def ids(query: str) -> list[str]:
        seen, cursor = [], None
        for _ in range(20):
            page = data(staff.get(query + (f"&cursor={cursor}" if cursor else "")))
            seen += [i["id"] for i in page["items"]]
            cursor = page["cursor"]
            if not cursor:
                return seen
        raise AssertionError("cursor never ended")

    with clock.frozen(datetime(2026, 11, 21, 10, 0, tzinfo=UTC)):
        base = "/v1/moderation/items?status=pending&limit=2"
        assert ids(f"{base}&group={MEMBER}") == [*members, late]
        assert ids(f"{base}&group={MEMBER}&order=newest") == [late, *members[::-1]]
        assert ids(f"{base}&group={MEMBER}&older_than=2") == members
        assert ids(f"{base}&group={MEMBER}&consultation=kleisti") == []
        assert ids(f"{base}&group={MEMBER}&consultation=anoichti&text=proto-keimeno") == [
            *members,
            late,
        ]
        page = data(staff.get(f"{base}&group={MEMBER}"))
        assert set(page["groups"]) == {MEMBER} and page["groups"][MEMBER]["count"] == 5
        assert ids(f"/v1/moderation/items?status=approved&group={MEMBER}") == [_id(6)]
        older = ids(f"{base}&older_than=2&consultation=anoichti")
        assert older == [*members, other]
        assert ids(f"{base}&older_than=2&order=newest") == [_id(7), other, *members[::-1]]
        assert ids(f"{base}&older_than=48") == []
        assert fresh in ids(f"{base}&older_than=0") and late in ids(f"{base}&older_than=0")
        for bad in ("older_than=-1", "older_than=1.5", "older_than=x", "group=NOT-AN-ID"):
            answer = staff.get(f"/v1/moderation/items?{bad}")
            assert answer.status_code == 422, bad
        assert staff.get("/v1/moderation/items?group=nosuchgroup").status_code == 404
        first = data(staff.get(f"{base}&group={MEMBER}"))
        mixed = staff.get(f"{base}&group={_id(4)}&cursor={first['cursor']}")
        assert data(mixed)["error"]["fields"]["cursor"]


def test_summary_waiting_per_consultation(staff: StaffClient) -> None:
    _campaign(3)
    put_member(_table(), 8, None, "Σχόλιο στην κλειστή.", consultation="kleisti")
    summary = data(staff.get("/v1/moderation/summary"))
    assert summary["waiting"] == {"anoichti": 3, "kleisti": 1, "mellontiki": 0}
    assert staff.decide(MEMBER, action="reject", reason="spam").status_code == 200
    one = data(staff.get("/v1/moderation/summary?consultation=kleisti"))
    assert one["waiting"] == {"anoichti": 2, "kleisti": 1, "mellontiki": 0}
    assert one["counts"]["pending"] == 1


# --- the command line --------------------------------------------------------------------
@pytest.fixture
def api(api_env: dict[str, str], tmp_path: Any) -> Iterator[str]:
    port = free_port()
    proc = start_api(port, dict(api_env), log_path=tmp_path / "api.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_api(proc)


def test_cli_group_commands(
    api: str,
    staff_token: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(moderate, "Console", functools.partial(moderate.Console, width=250))
    ids = _campaign(30)
    put_member(_table(), 40, None, "Ένα μοναχικό σχόλιο για τα πεζοδρόμια.")
    cli = ["--api", api, "--token", staff_token]

    assert moderate.main([*cli, "list", "--limit", "100"]) == 0
    out = capsys.readouterr().out
    assert f"ομάδα {MEMBER}" in out and "30 μέλη" in out and "Ο δρόμος 1 χρειάζεται" in out
    assert ids[5] not in out  # folded into the group's row
    assert _id(40) in out and EMAIL not in out

    assert moderate.main([*cli, "group", MEMBER]) == 0
    out = capsys.readouterr().out
    assert "Ομάδα" in out and ids[5] in out and "Ο δρόμος 4 χρειάζεται δέντρα." in out

    assert moderate.main([*cli, "group", MEMBER, "reject"]) == 1
    assert "Επιλέξτε λόγο" in capsys.readouterr().out

    assert moderate.main([*cli, "split", ids[29]]) == 0
    assert "εκτός ομάδας" in capsys.readouterr().out
    assert "group" not in _stored(ids[29])

    # chalice local runs in its own process: a budget of 0 there would need its environment,
    # so an earlier single decision stands for the group's "already"
    assert requests.post(
        f"{api}/v1/moderation/items/{ids[2]}",
        json={"action": "approve"},
        headers={"Authorization": f"Bearer {staff_token}"},
        timeout=10,
    ).ok
    assert moderate.main([*cli, "group", MEMBER, "approve", "--note", "ομαδικά"]) == 0
    out = capsys.readouterr().out
    assert "Εγκρίθηκαν 28" in out and "ήταν ήδη" in out and "απομένουν 0" in out
    assert all(_stored(i)["status"] == "approved" for i in ids[:29])
    assert _stored(ids[29])["status"] == "pending"

    answer = ["--disposition", "not_adopted", "--text", "Δεν προβλέπεται αλλαγή χρήσης."]
    assert moderate.main([*cli, "group", MEMBER, "answer", *answer]) == 0
    assert "Απαντήθηκαν 29" in capsys.readouterr().out


def test_cli_group_run_repeats_until_done_and_stops_when_stuck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The command repeats a call while ``remaining`` is above 0, and stops (exit 1, in Greek)
    when a call moves nothing."""
    answers = iter(
        [
            {"group": "g", "action": "approve", "decided": ["a"], "already": [], "conflicts": []}
            | {"remaining": 2},
            {"group": "g", "action": "approve", "decided": ["b"], "already": ["a"]}
            | {"conflicts": [{"id": "c", "status": "rejected"}], "remaining": 1},
            {"group": "g", "action": "approve", "decided": [], "already": ["a", "b"]}
            | {"conflicts": [], "remaining": 1},
        ]
    )
    calls: list[dict[str, Any]] = []

    def fake(self: Any, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if path.endswith("/summary"):
            return {"status_labels": {"rejected": "Απορρίφθηκε"}}
        calls.append(kwargs["json"])
        return next(answers)

    monkeypatch.setattr(moderate.Api, "call", fake)
    printed: list[str] = []
    console = moderate.Console(width=250, record=True)
    args = moderate.parser().parse_args(["group", "g", "approve"])
    with pytest.raises(moderate.ApiFailure) as failed:
        moderate.run(moderate.Api("http://x", "t"), args, console)
    printed.append(console.export_text())
    assert len(calls) == 3 and all(c == {"action": "approve"} for c in calls)
    text = "\n".join(printed)
    assert "c (Απορρίφθηκε)" in text and "δεν προχωρά" in str(failed.value)
    assert "Εγκρίθηκαν 1 (σύνολο 2), απομένουν 1." in text
