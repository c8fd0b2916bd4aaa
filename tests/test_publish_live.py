"""An approval live within a minute (chalicelib.trigger, scripts/publisher.py) and a cold start
that publishes incrementally (chalicelib.workstate), on DynamoDB Local and the real site build:
a decision asks for a run once per burst, the ask reaches Lambda as an asynchronous invoke
(botocore Stubber), the schedule's idle run reads one item and nothing else, changes that land
during a run are published by its next round under the same lock, and a run with an empty work
folder restores it from the target and re-renders only what changed."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib import publish, trigger, workstate
from chalicelib.store import lock, state
from chalicelib.targets import LocalDirTarget
from scripts.publisher import Publisher
from tests.publish_support import comment_entry, decide, put, table_of, tree_bytes
from tests.test_publish_run import NOW, RecordingTarget, run

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token

AT = "2026-11-26T12:00:00.000Z"


@pytest.fixture
def ddb(dynamodb, table):
    return table_of(dynamodb, table)


@pytest.fixture
def project_root(root):
    return root


def test_a_burst_of_decisions_asks_for_one_run(ddb, monkeypatch):
    monkeypatch.delenv("PUBLISH_FUNCTION", raising=False)
    assert trigger.soon(ddb, AT)
    assert not trigger.soon(ddb, "2026-11-26T12:00:01.000Z")  # the pending run takes it
    assert state.read(ddb)["publish_requested_at"] == AT
    # a request whose run never came (older than STALE) is asked again
    later = "2026-11-26T12:06:00.000Z"
    assert trigger.soon(ddb, later)
    assert state.read(ddb)["publish_requested_at"] == later
    state.take_request(ddb)
    assert "publish_requested_at" not in state.read(ddb)


def test_in_lambda_the_ask_is_an_asynchronous_invoke_of_the_publish_function(ddb, monkeypatch):
    monkeypatch.setenv("PUBLISH_FUNCTION", "diavoulefsi-publish")
    client = boto3.client("lambda", region_name="eu-central-1")
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "diavoulefsi-publish",
                "InvocationType": "Event",
                "Payload": ANY,
            },
        )
        assert trigger.soon(ddb, AT, client)
        assert not trigger.soon(ddb, AT, client)  # no second invoke within the burst
        stub.assert_no_pending_responses()


def test_a_refused_invoke_never_fails_the_change(ddb, monkeypatch, caplog):
    monkeypatch.setenv("PUBLISH_FUNCTION", "diavoulefsi-publish")
    client = boto3.client("lambda", region_name="eu-central-1")
    with Stubber(client) as stub:
        stub.add_client_error("invoke", "TooManyRequestsException", http_status_code=429)
        assert trigger.soon(ddb, AT, client) is False
    assert "the schedule publishes" in caplog.text


def test_the_invoked_run_knows_it_was_asked_for():
    event = trigger.scheduled_event("Decision", trigger.SOURCE, "eu-central-1")
    assert event["source"] == trigger.SOURCE and event["detail-type"] == "Decision"
    assert set(event) >= {"version", "id", "time", "region", "resources", "detail", "account"}


def test_a_decision_through_the_api_asks_for_a_publish(api_env, staff, monkeypatch):
    from chalicelib import db

    monkeypatch.delenv("PUBLISH_FUNCTION", raising=False)
    table = db.table()
    item = put(table, comment_entry(40), status="pending")
    answer = staff.decide(item["id"], action="approve")
    assert answer.status_code == 200, answer.body
    assert state.read(table).get("publish_requested_at")
    assert trigger.due(state.read(table), NOW + timedelta(days=3650))


class CountingTable:
    """The table, counting the calls that reach DynamoDB."""

    def __init__(self, table: Any) -> None:
        self._table, self.calls = table, []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._table, name)
        if name in {"get_item", "put_item", "update_item", "delete_item", "query", "scan"}:

            def counted(*args: Any, **kwargs: Any) -> Any:
                self.calls.append(name)
                return attr(*args, **kwargs)

            return counted
        return attr


class NoReadTarget(LocalDirTarget):
    def read_manifest(self) -> dict[str, str] | None:
        raise AssertionError("the idle run must not read the target")


def test_the_schedules_idle_run_reads_one_item_and_nothing_else(ddb, project_root, tmp_path):
    target = LocalDirTarget(tmp_path / "site")
    assert run(ddb, target, project_root, tmp_path / "work").status == publish.PUBLISHED
    counting = CountingTable(ddb)
    idle = NoReadTarget(tmp_path / "site")
    assert run(counting, idle, project_root, tmp_path / "work").status == publish.NOTHING
    assert counting.calls == ["get_item"]


def test_changes_that_land_during_a_run_take_another_round(ddb, project_root, tmp_path):
    target = LocalDirTarget(tmp_path / "site")
    assert run(ddb, target, project_root, tmp_path / "work").status == publish.PUBLISHED
    first = put(ddb, comment_entry(1), status="pending")
    decide(ddb, first, "approved", "2026-11-26T11:00:00Z")
    late = put(ddb, comment_entry(2), status="pending")
    landed = []

    def progress(step: str, done: int, total: int | None) -> None:
        if step == "build" and done == 0 and not landed:  # staff approve while it builds
            decide(ddb, late, "approved", "2026-11-26T11:00:05Z")
            landed.append(late["id"])

    result = run(ddb, target, project_root, tmp_path / "work", progress=progress)
    assert (result.status, result.rounds) == (publish.PUBLISHED, 2)
    published = b"".join(tree_bytes(tmp_path / "site").values())
    for item in (first, late):
        assert item["reference"].encode() in published
    assert ddb.get_item(Key=lock.KEY).get("Item") is None  # released after the last round


def test_the_local_publisher_runs_on_request_and_never_two_at_once(
    ddb, project_root, tmp_path, monkeypatch
):
    monkeypatch.setenv("PUBLISH_DEBOUNCE_SECONDS", "0")
    target = LocalDirTarget(tmp_path / "site")
    assert run(ddb, target, project_root, tmp_path / "work").status == publish.PUBLISHED
    results: list[publish.PublishResult] = []
    done = threading.Event()

    def seen(result: publish.PublishResult) -> None:
        results.append(result)
        if result.status == publish.PUBLISHED:
            done.set()

    stop = threading.Event()
    kwargs = {"target": target, "project_root": project_root, "workdir": tmp_path / "work",
              "api_url": "http://127.0.0.1:8010", "site_url": "http://127.0.0.1:8000",
              "now": NOW, "table": ddb,
              "content": project_root / "tests" / "fixtures" / "site" / "content"}  # fmt: skip
    publisher = Publisher(3600, stop, poll=0.05, on_result=seen, **kwargs)
    item = put(ddb, comment_entry(7), status="pending")
    decide(ddb, item, "approved", "2026-11-26T11:30:00Z")
    assert lock.acquire(ddb, "someone else", lease_seconds=3600)  # a run already going
    trigger.soon(ddb, "2026-11-26T11:30:00.000Z")
    publisher.start()
    try:
        # while another run holds the lock, the publisher's runs step aside
        deadline = threading.Event()
        deadline.wait(0.5)
        assert done.is_set() is False
        assert all(r.status == publish.LOCKED for r in results) and results
        assert lock.release(ddb, "someone else")
        trigger.soon(ddb, "2026-11-26T11:40:00.000Z")  # the next change asks again
        assert done.wait(120), [r.status for r in results]
    finally:
        stop.set()
        publisher.join(30)
    assert item["reference"].encode() in b"".join(tree_bytes(tmp_path / "site").values())
    assert "publish_requested_at" not in state.read(ddb)


def test_a_cold_start_restores_the_work_folder_and_renders_only_what_changed(
    ddb, project_root, tmp_path
):
    for n in (1, 2, 3):
        put(ddb, comment_entry(n))
    decide(ddb, put(ddb, comment_entry(4), status="pending"), "approved", "2026-11-25T10:00:00Z")
    target = RecordingTarget(tmp_path / "site")
    first = run(ddb, target, project_root, tmp_path / "warm")
    assert first.status == publish.PUBLISHED and not first.cold_start
    assert target.get(workstate.ARCHIVE) is not None

    late = put(ddb, comment_entry(5), status="pending")
    decide(ddb, late, "approved", "2026-11-26T10:00:00Z")
    target.puts.clear()
    cold = run(ddb, target, project_root, tmp_path / "cold")  # a new container: empty folder
    assert (cold.status, cold.cold_start, cold.export) == (publish.PUBLISHED, True, "incremental")
    assert 0 < cold.rendered < first.rendered and cold.skipped > 0
    assert late["reference"].encode() in b"".join(tree_bytes(tmp_path / "site").values())
    uploaded = [p for p in target.puts if not p.startswith(".")]
    assert uploaded and len(uploaded) < first.uploaded  # only what changed went up

    # the same site as a fresh full build of the same data, once the whole site's open-data
    # files have taken the day's new rows (at midnight, the run the cold one said was due)
    assert cold.next_change is not None
    midnight = datetime.fromisoformat(cold.next_change)
    assert run(ddb, target, project_root, tmp_path / "cold", now=midnight).status == "published"
    fresh = LocalDirTarget(tmp_path / "fresh")
    state.record_target(ddb, "elsewhere")
    full = run(ddb, fresh, project_root, tmp_path / "full", force=True, now=midnight)
    assert full.status == publish.PUBLISHED
    assert tree_bytes(tmp_path / "site") == tree_bytes(tmp_path / "fresh")


def test_a_cold_start_without_work_state_builds_everything(ddb, project_root, tmp_path):
    put(ddb, comment_entry(1))
    target = LocalDirTarget(tmp_path / "site")
    assert run(ddb, target, project_root, tmp_path / "warm").status == publish.PUBLISHED
    target.delete([workstate.ARCHIVE])
    decide(ddb, put(ddb, comment_entry(2), status="pending"), "approved", "2026-11-26T10:00:00Z")
    cold = run(ddb, target, project_root, tmp_path / "cold")
    assert (cold.status, cold.cold_start, cold.export) == (publish.PUBLISHED, False, "full")
    assert cold.skipped == 0


def test_the_work_state_holds_only_the_work_files_and_sends_only_changed_shards(tmp_path):
    work = tmp_path / "work"
    (work / "output" / "sub").mkdir(parents=True)
    (work / "snapshot").mkdir()
    shard = {"file": "anoichti.json", "sha256": "a" * 64, "stamps_sha256": "b" * 64}
    (work / "snapshot" / "anoichti.json").write_text("{}")
    (work / "snapshot" / "anoichti.stamps").write_text("{}")
    state = {"shards": {"anoichti": shard}}
    (work / "snapshot-state.json").write_text(json.dumps(state))
    (work / "output" / ".render-state.json").write_text("{}")
    (work / "output" / "index.html").write_text("<p>site</p>")
    (work / "output" / "sub" / ".hidden").write_text("x")
    target = RecordingTarget(tmp_path / "site")
    workstate.save(target, work)
    shard_files = [f"{workstate.SHARDS}/anoichti.json.gz", f"{workstate.SHARDS}/anoichti.stamps.gz"]
    assert target.puts == [*shard_files, workstate.ARCHIVE]
    target.puts.clear()
    workstate.save(target, work)  # the target has this shard's bytes already
    assert target.puts == [workstate.ARCHIVE]
    shard["stamps_sha256"] = "c" * 64  # only the stamps changed: only they go
    (work / "snapshot-state.json").write_text(json.dumps(state))
    target.puts.clear()
    workstate.save(target, work)
    assert target.puts == [shard_files[1], workstate.ARCHIVE]

    restored = tmp_path / "restored"
    # state, uploaded list, render state, the shard's entries and stamps
    assert workstate.restore(target, restored, {}) == 5
    names = {p.relative_to(restored).as_posix() for p in restored.rglob("*") if p.is_file()}
    assert {"output/.render-state.json", "snapshot-state.json", "snapshot/anoichti.json",
            "snapshot/anoichti.stamps"} <= names  # fmt: skip
    assert not {"output/index.html", "output/sub/.hidden"} & names
