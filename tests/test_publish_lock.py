"""The publish lock on DynamoDB Local: one holder at a time, expiry, release by the owner only."""

from __future__ import annotations

import pytest

from chalicelib.store import lock
from tests.publish_support import table_of


@pytest.fixture
def ddb(dynamodb, table):
    return table_of(dynamodb, table)


def test_second_owner_is_refused_until_release(ddb):
    assert lock.acquire(ddb, "a", now=1000)
    assert not lock.acquire(ddb, "b", now=1001)
    assert not lock.release(ddb, "b")  # not the owner: nothing changes
    assert not lock.acquire(ddb, "b", now=1002)
    assert lock.release(ddb, "a")
    assert lock.acquire(ddb, "b", now=1003)
    item = ddb.get_item(Key=lock.KEY)["Item"]
    assert item["owner"] == "b" and item["expires_at"] == 1003 + lock.LEASE_SECONDS


def test_expired_lock_is_taken_over_and_old_owner_cannot_release(ddb):
    assert lock.acquire(ddb, "dead", lease_seconds=10, now=1000)
    assert not lock.acquire(ddb, "new", now=1010)  # not yet expired
    assert lock.acquire(ddb, "new", now=1011)
    assert not lock.release(ddb, "dead")
    assert ddb.get_item(Key=lock.KEY)["Item"]["owner"] == "new"


# --- the lease, its heartbeat, breaking it ------------------------------------------------
import io  # noqa: E402
import itertools  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

from rich.console import Console  # noqa: E402

from chalicelib import clock  # noqa: E402

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def lock_item(ddb):
    return ddb.get_item(Key=lock.KEY, ConsistentRead=True).get("Item")


def wait_for(condition, timeout: float = 5.0) -> bool:
    """Wait (on an Event, in small steps) for a heartbeat thread to have done something."""
    step = threading.Event()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        step.wait(0.01)
    return condition()


def ticking(start: datetime, step: float):
    """A clock for ``clock.frozen`` that moves ``step`` seconds on every reading."""
    counter = itertools.count()
    return lambda: start + timedelta(seconds=step * next(counter))


def test_the_lease_is_short():
    assert 0 < lock.LEASE_SECONDS <= 120
    assert 0 < lock.HEARTBEAT_SECONDS * 2 <= lock.LEASE_SECONDS  # renewed several times a lease


def test_renew_extends_only_the_owners_lease(ddb):
    assert lock.acquire(ddb, "a", now=1000)
    assert lock.renew(ddb, "a", now=1030)
    item = lock_item(ddb)
    assert (item["renewed_at"], item["expires_at"]) == (1030, 1030 + lock.LEASE_SECONDS)
    assert item["acquired_at"] == 1000
    assert not lock.renew(ddb, "b", now=1040)
    assert lock_item(ddb) == item  # nothing changed
    assert not lock.acquire(ddb, "b", now=1000 + lock.LEASE_SECONDS + 1)  # renewed: still alive
    assert lock.release(ddb, "a")
    assert not lock.renew(ddb, "a", now=1050)  # released: nothing to renew
    assert lock_item(ddb) is None


def test_the_heartbeat_renews_while_held_and_notices_a_takeover(ddb):
    with clock.frozen(ticking(T0, 10)):
        assert lock.acquire(ddb, "runner")
        start = lock_item(ddb)
        lease = lock.Lease(ddb, "runner", every=0.05)
        lease.start()
        try:
            assert wait_for(lambda: lock_item(ddb)["renewed_at"] > start["renewed_at"])
            first = lock_item(ddb)
            assert wait_for(lambda: lock_item(ddb)["renewed_at"] > first["renewed_at"])
            second = lock_item(ddb)
            assert first["expires_at"] < second["expires_at"]
            assert second["expires_at"] == second["renewed_at"] + lock.LEASE_SECONDS
            assert second["owner"] == "runner" and not lease.lost.is_set()

            # Another run takes the lock over (say this one stalled past its lease).
            ddb.put_item(Item={**second, "owner": "intruder", "expires_at": 10**10})
            assert lease.lost.wait(5)
        finally:
            lease.stop()
    assert not lease._thread.is_alive()
    assert lock_item(ddb)["owner"] == "intruder"  # the lost heartbeat wrote nothing more
    assert lock_item(ddb)["expires_at"] == 10**10


def test_held_yields_none_while_another_owner_is_alive(ddb):
    assert lock.acquire(ddb, "other")
    with lock.held(ddb, "me", every=0.05) as lease:
        assert lease is None
    assert lock_item(ddb)["owner"] == "other"  # not released by a run that never held it


def test_held_releases_even_when_the_block_raises(ddb):
    seen = []
    with pytest.raises(RuntimeError, match="boom"), lock.held(ddb, "me", every=0.05) as lease:
        assert lease is not None and lock_item(ddb)["owner"] == "me"
        seen.append(lease)
        raise RuntimeError("boom")
    assert lock_item(ddb) is None
    assert not seen[0]._thread.is_alive() and not seen[0].lost.is_set()
    assert lock.acquire(ddb, "next")


def test_break_lock(ddb):
    assert lock.break_lock(ddb, now=1000) is None  # free: nothing to break
    assert lock.acquire(ddb, "live", now=1000)
    with pytest.raises(lock.LockHeld):
        lock.break_lock(ddb, now=1000 + lock.LEASE_SECONDS - 1)
    assert lock_item(ddb)["owner"] == "live"
    broken = lock.break_lock(ddb, now=1000 + lock.LEASE_SECONDS + 1)  # it ran out
    assert broken is not None and broken["owner"] == "live"
    assert lock_item(ddb) is None

    assert lock.acquire(ddb, "alive", now=2000)
    forced = lock.break_lock(ddb, force=True, now=2001)
    assert forced is not None and forced["owner"] == "alive"
    assert lock_item(ddb) is None
    assert not lock.release(ddb, "alive")  # the broken owner has nothing left to release


def test_a_dead_holder_is_taken_over(ddb):
    assert lock.acquire(ddb, "dead", now=1000)
    assert not lock.acquire(ddb, "new", now=1000 + lock.LEASE_SECONDS)  # still its last second
    assert lock.acquire(ddb, "new", now=1000 + lock.LEASE_SECONDS + 1)
    item = lock_item(ddb)
    assert item["owner"] == "new" and item["acquired_at"] == 1000 + lock.LEASE_SECONDS + 1
    assert not lock.renew(ddb, "dead", now=1000 + lock.LEASE_SECONDS + 2)


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=400, color_system=None), out


def test_the_break_lock_command(ddb):
    from scripts import publish as cli

    con, out = console()
    assert cli.break_lock(ddb, False, con) == 0
    assert "ήδη ελεύθερο" in out.getvalue()

    assert lock.acquire(ddb, "a live run")  # now: alive
    con, out = console()
    assert cli.break_lock(ddb, False, con) == 2
    assert "Η δημοσίευση τρέχει ακόμη" in out.getvalue() and "--force" in out.getvalue()
    assert lock_item(ddb)["owner"] == "a live run"

    con, out = console()
    assert cli.break_lock(ddb, True, con) == 0
    assert "a live run" in out.getvalue() and "αφαιρέθηκε" in out.getvalue()
    assert lock_item(ddb) is None

    assert lock.acquire(ddb, "a dead run", now=time.time() - 10 * lock.LEASE_SECONDS)
    con, out = console()
    assert cli.break_lock(ddb, False, con) == 0
    assert "a dead run" in out.getvalue() and "αφαιρέθηκε" in out.getvalue()
    assert lock_item(ddb) is None


def test_the_cli_flag_breaks_the_lock(ddb, monkeypatch):
    from scripts import publish as cli

    assert lock.acquire(ddb, "a live run")
    monkeypatch.setattr(cli, "aws_stage", lambda stage: {"table": ddb})
    monkeypatch.setattr(cli.logging, "basicConfig", lambda **_: None)  # keep pytest's logging
    assert cli.main(["--break-lock", "--stage", "prod"]) == 2
    assert lock_item(ddb)["owner"] == "a live run"
    assert cli.main(["--break-lock", "--force", "--stage", "prod"]) == 0
    assert lock_item(ddb) is None


def test_the_cli_says_when_a_run_published_nothing_because_of_the_lock(ddb, tmp_path, monkeypatch):
    from chalicelib.targets import LocalDirTarget
    from scripts import publish as cli

    assert lock.acquire(ddb, "a live run")
    stage = {
        "table": ddb,
        "target": LocalDirTarget(tmp_path / "site"),
        "workdir": tmp_path / "work",
        "site_url": "http://127.0.0.1:8000",
        "api_url": "http://127.0.0.1:8010",
    }
    monkeypatch.setattr(cli, "aws_stage", lambda name: stage)
    monkeypatch.setattr(cli.logging, "basicConfig", lambda **_: None)  # keep pytest's logging
    assert cli.main(["--stage", "prod"]) == 2
    assert not (tmp_path / "site").exists()  # nothing built, nothing uploaded


def test_a_run_whose_lease_is_taken_over_stops_before_uploading(ddb, root, tmp_path, monkeypatch):
    from chalicelib import publish
    from chalicelib.store import state
    from chalicelib.targets import LocalDirTarget
    from tests.publish_support import comment_entry, decide, put

    decide(ddb, put(ddb, comment_entry(1), status="pending"), "approved", "2026-11-25T10:00:00Z")
    leases = []
    original = lock.held

    def quick_held(table, owner, every=lock.HEARTBEAT_SECONDS):
        return _recording(original(table, owner, 0.05), leases)

    monkeypatch.setattr(lock, "held", quick_held)

    class Target(LocalDirTarget):
        def __init__(self, directory):
            super().__init__(directory)
            self.puts = []

        def put(self, path, data, content_type, cache_control):
            self.puts.append(path)
            super().put(path, data, content_type, cache_control)

        def invalidate(self, paths):
            raise AssertionError("nothing to invalidate")

    def progress(step, done, total):
        if step == "build" and done == 1:  # built, about to upload: another run takes over
            item = lock_item(ddb)
            ddb.put_item(Item={**item, "owner": "intruder", "expires_at": 10**10})
            assert leases[0].lost.wait(5)

    target = Target(tmp_path / "site")
    result = publish.run(
        target=target,
        project_root=root,
        workdir=tmp_path / "work",
        api_url="http://127.0.0.1:8010",
        site_url="http://127.0.0.1:8000",
        table=ddb,
        content=root / "tests" / "fixtures" / "site" / "content",
        now=T0,
        progress=progress,
    )
    assert result.status == publish.LOST == "stopped: lock lost"
    assert len(leases) == 1 and leases[0].lost.is_set()
    assert target.puts == [] and target.read_manifest() is None
    assert not (tmp_path / "site").exists() or not any((tmp_path / "site").rglob("*"))
    assert state.read(ddb).get("watermark") is None  # nothing published: the next run does it
    assert lock_item(ddb)["owner"] == "intruder"  # a stopped run releases nobody else's lock


def _recording(manager, leases):
    """Wrap ``lock.held``'s context manager to keep the lease it yields."""

    class Recording:
        def __enter__(self):
            lease = manager.__enter__()
            leases.append(lease)
            return lease

        def __exit__(self, *exc):
            return manager.__exit__(*exc)

    return Recording()
