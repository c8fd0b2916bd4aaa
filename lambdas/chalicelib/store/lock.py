"""The publish lock: one item (``keys.PUBLISH_LOCK``) so that two publish runs (the schedule,
the dev timer, ``make publish``) never overlap.

The lock is a short lease, renewed by a heartbeat while its run is alive: a run that is killed
(a SIGKILLed ``make publish``, a Lambda timeout) blocks the next one for at most one lease, not
for the length of the longest possible run. A lease that has run out belongs to a run that died
and is taken over. Only the owner renews or releases it; staff can break a lock whose holder has
stopped renewing (``scripts/publish.py --break-lock``), and only with ``force`` one that is alive.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib import clock
from chalicelib.db import conditionally
from chalicelib.store import keys

logger = logging.getLogger(__name__)

KEY = keys.PUBLISH_LOCK
LEASE_SECONDS = 60
HEARTBEAT_SECONDS = 15  # four renewals per lease: one slow write does not lose it


class LockHeld(RuntimeError):
    """Breaking the lock was refused: its holder is still renewing it."""


def acquire(
    table: Any, owner: str, *, lease_seconds: int = LEASE_SECONDS, now: float | None = None
) -> bool:
    """Take the lock for ``owner``; False when another live owner holds it."""
    at = clock.epoch() if now is None else int(now)
    taken = conditionally(
        table.put_item,
        Item={
            **KEY,
            "owner": owner,
            "acquired_at": at,
            "renewed_at": at,
            "expires_at": at + lease_seconds,
        },
        ConditionExpression="attribute_not_exists(PK) OR expires_at < :now",
        ExpressionAttributeValues={":now": at},
    )
    if not taken:
        logger.info("publish lock held by another run")
    return taken


def renew(
    table: Any, owner: str, *, lease_seconds: int = LEASE_SECONDS, now: float | None = None
) -> bool:
    """Extend ``owner``'s lease; False when it is no longer the owner (it was taken over)."""
    at = clock.epoch() if now is None else int(now)
    return conditionally(
        table.update_item,
        Key=KEY,
        UpdateExpression="SET expires_at = :exp, renewed_at = :now",
        ConditionExpression="#owner = :owner",
        ExpressionAttributeNames={"#owner": "owner"},
        ExpressionAttributeValues={":owner": owner, ":exp": at + lease_seconds, ":now": at},
    )


def release(table: Any, owner: str) -> bool:
    """Give the lock back; False (and nothing changes) when ``owner`` no longer holds it."""
    released = conditionally(
        table.delete_item,
        Key=KEY,
        ConditionExpression="#owner = :owner",
        ExpressionAttributeNames={"#owner": "owner"},
        ExpressionAttributeValues={":owner": owner},
    )
    if not released:
        logger.warning("publish lock was taken over before release")
    return released


def holder(table: Any) -> dict[str, Any] | None:
    """The lock item as it is now (None: free)."""
    return table.get_item(Key=KEY, ConsistentRead=True).get("Item")


def break_lock(
    table: Any, *, force: bool = False, now: float | None = None
) -> dict[str, Any] | None:
    """Remove the lock (staff, after a run died); returns what was removed (None: it was free).
    Refused with ``LockHeld`` while the lease is alive, unless ``force``."""
    at = clock.epoch() if now is None else int(now)
    item = holder(table)
    if item is None:
        return None
    alive = int(item.get("expires_at", 0)) >= at
    if alive and not force:
        raise LockHeld(
            f"the lock of {item.get('owner')} is renewed until {int(item['expires_at'])}"
        )
    condition = {
        "ConditionExpression": "#owner = :owner",
        "ExpressionAttributeNames": {"#owner": "owner"},
        "ExpressionAttributeValues": {":owner": item.get("owner")},
    }
    if not conditionally(table.delete_item, Key=KEY, **condition):
        return None  # it changed hands meanwhile: nothing of ours to break
    logger.warning("publish lock of %s broken (alive: %s)", item.get("owner"), alive)
    return item


class Lease:
    """A held lock and its heartbeat; ``lost`` is set when a renewal finds another owner."""

    def __init__(self, table: Any, owner: str, every: float | None = None) -> None:
        self.table, self.owner = table, owner
        self.every = HEARTBEAT_SECONDS if every is None else every
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="publish-lease", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                if not renew(self.table, self.owner):
                    logger.error("publish lock lost to another run")
                    self.lost.set()
                    return
            except Exception as exc:  # a failed renewal is retried; the lease outlasts a few
                logger.warning("publish lock renewal failed: %s", exc)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


@contextmanager
def held(table: Any, owner: str, every: float | None = None) -> Iterator[Lease | None]:
    """The lock for the block, renewed meanwhile: yields the lease, or None when another run
    holds it (the block then runs without it and must do nothing)."""
    if not acquire(table, owner):
        yield None
        return
    lease = Lease(table, owner, every)
    lease.start()
    try:
        yield lease
    finally:
        lease.stop()
        release(table, owner)
