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
