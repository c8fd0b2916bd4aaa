"""The publish loop end to end on DynamoDB Local and the real site build (the tiny fixture site):
idempotence, a crash midway, the lock, and what a hidden comment leaves behind (nothing)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib import publish, tree, workstate
from chalicelib.store import keys, lock, state
from chalicelib.targets import MANIFEST_NAME, LocalDirTarget
from tests.publish_support import comment_entry, decide, put, table_of, tree_bytes

SITE_URL = "http://127.0.0.1:8000"
API_URL = "http://127.0.0.1:8010"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class RecordingTarget(LocalDirTarget):
    """A local directory that remembers what it was asked to do; can die after N puts."""

    def __init__(self, directory: Path, fail_after: int | None = None) -> None:
        super().__init__(directory)
        self.fail_after = fail_after
        self.puts: list[str] = []
        self.invalidated: list[str] = []

    def put(self, path: str, data: bytes, content_type: str, cache_control: str) -> None:
        if self.fail_after is not None and len(self.puts) >= self.fail_after:
            raise ConnectionError("the target went away midway")
        self.puts.append(path)
        super().put(path, data, content_type, cache_control)

    def invalidate(self, paths: list[str]) -> None:
        self.invalidated.extend(paths)


@pytest.fixture
def ddb(dynamodb, table):
    return table_of(dynamodb, table)


@pytest.fixture
def project_root(root):
    return root


def run(ddb, target, project_root, workdir, **kwargs):
    """One publish of the tiny fixture site, "now" pinned while its consultation is open."""
    return publish.run(
        target=target,
        project_root=project_root,
        workdir=workdir,
        api_url=API_URL,
        site_url=SITE_URL,
        table=ddb,
        content=project_root / "tests" / "fixtures" / "site" / "content",
        **{"now": NOW, **kwargs},
    )


def files_containing(directory: Path, needle: str) -> list[str]:
    raw = needle.encode("utf-8")
    return sorted(p for p, data in tree_bytes(directory).items() if raw in data)


def publish_state(ddb) -> dict:
    return state.read(ddb)


def test_second_run_uploads_nothing_and_an_expired_lock_is_taken_over(ddb, project_root, tmp_path):
    for n in (1, 2):
        put(ddb, comment_entry(n))
    decide(ddb, put(ddb, comment_entry(3), status="pending"), "approved", "2026-11-25T10:00:00Z")
    lock.acquire(ddb, "a run that died", lease_seconds=1, now=time.time() - 60)
    target = RecordingTarget(tmp_path / "site")

    first = run(ddb, target, project_root, tmp_path / "work")
    assert first.status == publish.PUBLISHED
    # the manifest after every site file, then the work state a cold start restores
    manifest_at = target.puts.index(MANIFEST_NAME)
    work = target.puts[manifest_at + 1 :]
    assert work[-1] == workstate.ARCHIVE and all(p.startswith(".publish-work/") for p in work)
    assert first.uploaded == manifest_at > 0 and first.deleted == 0
    assert "index.html" in target.puts and "consultations.json" in target.puts
    assert not [p for p in target.puts[:manifest_at] if "/." in "/" + p]  # no build state
    output = tmp_path / "work" / "output"  # every file of the site, hashed afresh
    everything = tree.hashed(output, (rel for rel, _ in tree.files(output)), {})
    assert target.read_manifest() == {rel: found[2] for rel, found in everything.items()}
    assert publish_state(ddb)["watermark"] == "2026-11-25T10:00:00Z" == first.watermark
    assert ddb.get_item(Key=lock.KEY).get("Item") is None  # released

    third = run(ddb, target, project_root, tmp_path / "work")
    assert third.status == publish.NOTHING, third.reasons
    target.puts.clear()
    target.invalidated.clear()
    forced = run(ddb, target, project_root, tmp_path / "work", force=True)
    assert forced.status == publish.PUBLISHED
    assert (forced.uploaded, forced.deleted) == (0, 0)
    assert target.puts == [MANIFEST_NAME, workstate.ARCHIVE]
    assert forced.unchanged == first.uploaded
    assert target.invalidated == []


def test_a_run_that_is_locked_out_does_nothing(ddb, project_root, tmp_path):
    assert lock.acquire(ddb, "another run")
    target = RecordingTarget(tmp_path / "site")
    result = run(ddb, target, project_root, tmp_path / "work", force=True)
    assert result.status == publish.LOCKED
    assert target.puts == [] and not (tmp_path / "work").exists()
    assert ddb.get_item(Key=lock.KEY)["Item"]["owner"] == "another run"


def test_a_crash_midway_is_completed_by_the_next_run(ddb, project_root, tmp_path):
    put(ddb, comment_entry(1))
    state.advance_watermark(ddb, "2026-11-21T00:00:00Z")
    target = RecordingTarget(tmp_path / "site")
    run(ddb, target, project_root, tmp_path / "work", force=True)
    old_manifest = target.read_manifest()

    pending = put(
        ddb,
        comment_entry(2, body="Νέο σχόλιο που φτάνει μετά την πρώτη δημοσίευση."),
        status="pending",
    )
    decide(ddb, pending, "approved", "2026-11-26T12:00:00Z")
    dying = RecordingTarget(tmp_path / "site", fail_after=1)
    with pytest.raises(ConnectionError):
        run(ddb, dying, project_root, tmp_path / "work")
    assert len(dying.puts) == 1
    assert publish_state(ddb)["watermark"] == "2026-11-21T00:00:00Z"  # not advanced
    assert target.read_manifest() == old_manifest  # the manifest is written last
    assert ddb.get_item(Key=lock.KEY).get("Item") is None  # released even on failure

    result = run(ddb, RecordingTarget(tmp_path / "site"), project_root, tmp_path / "work")
    assert result.status == publish.PUBLISHED and result.uploaded >= 1
    published = tree_bytes(tmp_path / "site")  # the site: the machinery's dot files aside
    built = tree_bytes(tmp_path / "work" / "output")
    assert published == built
    assert (tmp_path / "site" / MANIFEST_NAME).is_file()
    assert files_containing(tmp_path / "site", pending["body"])
    assert publish_state(ddb)["watermark"] == "2026-11-26T12:00:00Z"


def test_a_hidden_comment_disappears_from_every_file(ddb, project_root, tmp_path):
    keep = put(ddb, comment_entry(1))
    gone = put(ddb, comment_entry(2, body="Σχόλιο που θα αποκρυφτεί αργότερα από τον συντονιστή."))
    decide(ddb, keep, "approved", "2026-11-25T10:00:00Z")
    site = tmp_path / "site"
    target = RecordingTarget(site)
    run(ddb, target, project_root, tmp_path / "work")
    for needle in (gone["body"], gone["reference"], keep["body"]):
        assert files_containing(site, needle), needle

    decide(ddb, gone, "hidden", "2026-11-26T10:00:00Z")
    before = target.read_manifest()
    target.puts.clear()
    target.invalidated.clear()
    result = run(ddb, target, project_root, tmp_path / "work")
    assert result.status == publish.PUBLISHED and result.uploaded > 0
    removed = set(before) - set(target.read_manifest())
    site_puts = {p for p in target.puts if not p.startswith(".")}  # not the machinery's
    assert set(target.invalidated) == site_puts | removed
    assert files_containing(site, gone["body"]) == []
    assert files_containing(site, gone["reference"]) == []
    assert files_containing(site, keep["body"])
    for item in (keep, gone):
        assert "ip_hash" not in item  # the network hash lives only in expiring guard items
        for private in (item["email"], item["submission_key"]):
            assert files_containing(site, private) == []
    assert files_containing(site, "@example.invalid") == []


def test_the_schedule_refuses_to_run_without_its_bucket(api_env, monkeypatch):
    from chalice.test import Client

    from app import app

    monkeypatch.delenv("SITE_BUCKET", raising=False)
    with Client(app) as client, pytest.raises(publish.PublishConfigError):
        client.lambda_.invoke(
            "publish_site", client.events.generate_cw_event("Scheduled Event", "aws.events", {}, [])
        )


def test_a_decision_that_commits_out_of_order_is_still_published(ddb, project_root, tmp_path):
    """Two moderators: B's decision (later clock) commits first and is published; A's (earlier
    clock) commits after, so last_decision_at steps back below the watermark. The decision
    count still tells publish there is something new, and the export's margin finds the item."""
    put(ddb, comment_entry(1))
    late = put(ddb, comment_entry(2), status="pending")
    early = put(ddb, comment_entry(3), status="pending")
    target = RecordingTarget(tmp_path / "site")
    decide(ddb, late, "approved", "2026-11-25T10:00:05.000Z")
    assert run(ddb, target, project_root, tmp_path / "work").status == publish.PUBLISHED
    assert publish_state(ddb)["watermark"] == "2026-11-25T10:00:05.000Z"

    # A's transaction, as moderation.decide writes it: the item, then the state unconditionally.
    stamp = "2026-11-25T10:00:04.000Z"
    ddb.update_item(
        Key={"PK": f"SUB#{early['id']}", "SK": "SUB"},
        UpdateExpression="SET #s = :s, GSI2PK = :pk, GSI2SK = :sk, updated_at = :at",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":s": "approved",
            ":pk": "STATUS#approved",
            ":sk": f"{stamp}#{early['id']}",
            ":at": stamp,
        },
    )
    ddb.update_item(
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET last_decision_at = :at ADD decisions :one",
        ExpressionAttributeValues={":at": stamp, ":one": 1},
    )
    second = run(ddb, target, project_root, tmp_path / "work")
    assert second.status == publish.PUBLISHED
    assert files_containing(tmp_path / "work" / "output", early["body"])
    third = run(ddb, target, project_root, tmp_path / "work")
    assert third.status == publish.NOTHING, third.reasons


def test_notices_cover_a_decision_whose_stamp_committed_out_of_order(
    ddb, project_root, tmp_path, api_env
):
    """Two moderators at once: the decision stamped later commits first, so the publish state's
    last_decision_at steps back; the later one is on the site all the same, and told."""
    target = RecordingTarget(tmp_path / "site")
    decide(ddb, put(ddb, comment_entry(1), status="pending"), "approved", "2026-11-25T10:00:00Z")
    run(ddb, target, project_root, tmp_path / "work")  # the first publish sets the notices' mark
    early, late = (put(ddb, comment_entry(n), status="pending") for n in (2, 3))
    decide(ddb, late, "approved", "2026-11-25T11:00:00Z")
    decide(ddb, early, "approved", "2026-11-25T10:30:00Z")
    ddb.update_item(  # the earlier stamp, written last
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET last_decision_at = :at",
        ExpressionAttributeValues={":at": "2026-11-25T10:30:00Z"},
    )
    result = run(ddb, target, project_root, tmp_path / "work")
    assert result.status == publish.PUBLISHED
    assert result.notices["notices"] == 2  # each author, once
    assert state.read(ddb)["notices_mark"] == "2026-11-25T11:00:00Z"
