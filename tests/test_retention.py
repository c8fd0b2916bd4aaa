"""The email retention promise of the privacy notice, against DynamoDB Local: emails of
consultations closed longer than limits.json ``retention.email_days_after_close`` ago are
removed, nothing else is touched, a rerun changes nothing, and the scheduled publish runs the
purge without ever failing because of it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from publish_support import comment_entry, put, table_of

from chalicelib import clock, manifest, publish, retention
from chalicelib.clock import iso as now_iso
from chalicelib.spec import limits
from chalicelib.store import state

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAYS = timedelta(days=limits()["retention"]["email_days_after_close"])


def consultation(slug: str, closes: datetime) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": f"Διαβούλευση {slug}",
        "theme": "Περιβάλλον και Ποιότητα Ζωής",
        "opens": (closes - timedelta(days=30)).isoformat(),
        "closes": closes.isoformat(),
        "url": f"/diavoulefseis/{slug}/",
        "texts": [
            {
                "slug": "keimeno",
                "title": "Κείμενο",
                "kind": "project",
                "url": f"/diavoulefseis/{slug}/keimeno/",
                "paragraphs": ["p-00000001"],
            }
        ],
    }


CLOSES = {
    "palia": NOW - timedelta(days=730),  # closed two years ago
    "molis-pera": NOW - DAYS - timedelta(minutes=1),  # just past the retention period
    "oria": NOW - DAYS + timedelta(minutes=1),  # not quite past it
    "prosfati": NOW - timedelta(days=10),  # closed ten days ago
    "anoichti": NOW + timedelta(days=20),  # still open
}
EXPIRED = {"palia", "molis-pera"}
MANIFEST = manifest.parse(
    {
        "schema_version": 1,
        "generated_at": "2026-11-26T10:00:00Z",
        "consultations": [consultation(slug, closes) for slug, closes in CLOSES.items()],
    }
)


def read(table: Any, item: dict[str, Any]) -> dict[str, Any]:
    key = {"PK": item["PK"], "SK": item["SK"]}
    return table.get_item(Key=key, ConsistentRead=True)["Item"]


@pytest.fixture
def ddb(dynamodb: Any, table: str) -> Any:
    return table_of(dynamodb, table)


@pytest.fixture
def stored(ddb: Any) -> dict[str, list[dict[str, Any]]]:
    """Two submissions per consultation (one approved, one pending), each with an email."""
    items: dict[str, list[dict[str, Any]]] = {}
    for n, slug in enumerate(CLOSES):
        items[slug] = [
            put(ddb, comment_entry(2 * n, consultation=slug, text="keimeno")),
            put(ddb, comment_entry(2 * n + 1, consultation=slug, text="keimeno"), status="pending"),
        ]
    return items


def test_emails_go_only_where_the_consultation_closed_past_the_retention(ddb, stored):
    assert retention.purge_personal_data(ddb, MANIFEST, NOW) == 2 * len(EXPIRED)
    for slug, items in stored.items():
        for before in items:
            after = read(ddb, before)
            if slug in EXPIRED:
                assert "email" not in after and after["email_purged_at"] == now_iso(NOW)
                assert before["email"] not in str(after)
                kept = {k: v for k, v in before.items() if k != "email"}
                assert {k: v for k, v in after.items() if k != "email_purged_at"} == kept
            else:
                assert after == before, slug


def test_a_second_run_changes_nothing(ddb, stored):
    assert retention.purge_personal_data(ddb, MANIFEST, NOW) == 2 * len(EXPIRED)
    first = {i["id"]: read(ddb, i) for items in stored.values() for i in items}
    assert retention.purge_personal_data(ddb, MANIFEST, NOW + timedelta(seconds=30)) == 0
    assert {i["id"]: read(ddb, i) for items in stored.values() for i in items} == first


class SmallPages:
    """The real table, answering queries one item at a time: the purge must follow
    LastEvaluatedKey (a large consultation spans many 1 MB pages)."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.queries = 0

    def query(self, **kwargs: Any) -> Any:
        self.queries += 1
        return self.table.query(**{**kwargs, "Limit": 1})  # whatever page size it asks

    def update_item(self, **kwargs: Any) -> Any:
        return self.table.update_item(**kwargs)

    def delete_item(self, **kwargs: Any) -> Any:
        return self.table.delete_item(**kwargs)

    def get_item(self, **kwargs: Any) -> Any:
        return self.table.get_item(**kwargs)

    def put_item(self, **kwargs: Any) -> Any:
        return self.table.put_item(**kwargs)


def test_every_page_of_a_consultation_is_purged(ddb):
    items = [put(ddb, comment_entry(n, consultation="palia", text="keimeno")) for n in range(5)]
    paged = SmallPages(ddb)
    assert retention.purge_personal_data(paged, MANIFEST, NOW) == 5
    assert paged.queries > 5 and all("email" not in read(ddb, i) for i in items)


def test_the_log_has_counts_and_no_email(ddb, stored, caplog):
    with caplog.at_level(logging.INFO, logger="chalicelib.retention"):
        retention.purge_personal_data(ddb, MANIFEST, NOW)
    assert f"{2 * len(EXPIRED)} emails removed from {len(EXPIRED)} consultations" in caplog.text
    assert "@" not in caplog.text


# --- the scheduled publish ---------------------------------------------------------------
@pytest.fixture
def scheduled_env(api_env, monkeypatch, tmp_path) -> dict[str, Any]:
    """The scheduled entry point on the fixture manifest (``kleisti`` closed in 2021,
    ``anoichti`` open), with ``run`` recorded: the publish itself is test_publish_run's."""
    calls: list[dict[str, Any]] = []

    def fake_run(**kwargs: Any) -> publish.PublishResult:
        calls.append(kwargs)
        return publish.PublishResult(status=publish.NOTHING, watermark="w", retention_due=True)

    monkeypatch.setenv("PUBLISH_TARGET_DIR", str(tmp_path / "site"))
    monkeypatch.setattr(publish, "run", fake_run)
    from chalicelib import db

    table = db.table()
    closed = put(table, comment_entry(1, consultation="kleisti", text="palio-keimeno"))
    open_ = put(table, comment_entry(2, consultation="anoichti", text="proto-keimeno"))
    return {"table": table, "closed": closed, "open": open_, "calls": calls}


def test_the_scheduled_publish_purges_after_publishing(scheduled_env):
    result = publish.scheduled()
    assert result.status == publish.NOTHING and len(scheduled_env["calls"]) == 1
    table = scheduled_env["table"]
    assert "email" not in read(table, scheduled_env["closed"])
    assert read(table, scheduled_env["open"])["email"] == scheduled_env["open"]["email"]


@pytest.mark.parametrize("broken", ["MANIFEST_PATH", "TABLE_NAME"])
def test_a_failing_purge_never_fails_the_publish(
    scheduled_env, monkeypatch, tmp_path, caplog, broken
):
    from chalicelib import config, db

    monkeypatch.setenv(broken, str(tmp_path / "missing") if broken == "MANIFEST_PATH" else "none")
    config.reset()
    db.reset()
    with caplog.at_level(logging.ERROR, logger="chalicelib.publish"):
        result = publish.scheduled()
    assert result.status == publish.NOTHING and len(scheduled_env["calls"]) == 1
    assert "retention purge failed" in caplog.text
    assert "email" in read(scheduled_env["table"], scheduled_env["closed"])


def test_the_purge_runs_once_a_day_not_every_minute(scheduled_env, monkeypatch):
    """The minute's schedule costs one read when nothing changed: the purge runs when the
    state says it has not run today (or after a publish), and records the day it ran."""
    publish.scheduled()
    table = scheduled_env["table"]
    assert (
        state.read(table)["retention_on"] == clock.now().astimezone(clock.ATHENS).date().isoformat()
    )
    again = put(table, comment_entry(3, consultation="kleisti", text="palio-keimeno"))

    def not_due(**kwargs: Any) -> publish.PublishResult:
        scheduled_env["calls"].append(kwargs)
        return publish.PublishResult(status=publish.NOTHING, watermark="w")

    monkeypatch.setattr(publish, "run", not_due)
    assert publish.scheduled().status == publish.NOTHING
    assert read(table, again)["email"] == again["email"]  # not purged: not due


# --- a consultation removed or renamed ----------------------------------------------------
def without(slug: str) -> manifest.Manifest:
    return manifest.Manifest({s: c for s, c in MANIFEST.consultations.items() if s != slug})


def test_a_removed_consultation_loses_its_emails_after_the_grace_period(ddb, stored):
    grace = timedelta(days=limits()["retention"]["days_after_removal"])
    retention.purge_personal_data(ddb, MANIFEST, NOW)  # the site has "prosfati": it is recorded
    retention.purge_personal_data(ddb, without("prosfati"), NOW + grace / 2)
    assert all("email" in read(ddb, i) for i in stored["prosfati"])  # a rename may be undone
    purged = retention.purge_personal_data(
        ddb, without("prosfati"), NOW + grace + timedelta(hours=1)
    )
    assert purged == 2
    assert all("email" not in read(ddb, i) for i in stored["prosfati"])
    assert all("email" in read(ddb, i) for i in stored["anoichti"])  # the others are untouched
    # once purged it is forgotten, and a rerun has nothing left to do
    later = NOW + grace + timedelta(days=1)
    assert retention.purge_personal_data(ddb, without("prosfati"), later) == 0


def test_a_consultation_back_on_the_site_is_not_purged(ddb, stored):
    grace = timedelta(days=limits()["retention"]["days_after_removal"])
    retention.purge_personal_data(ddb, without("prosfati"), NOW)  # never seen: nothing to do
    retention.purge_personal_data(ddb, MANIFEST, NOW + timedelta(days=1))
    retention.purge_personal_data(ddb, without("prosfati"), NOW + timedelta(days=2))
    retention.purge_personal_data(ddb, MANIFEST, NOW + grace)  # back before its grace ended
    retention.purge_personal_data(ddb, MANIFEST, NOW + grace + timedelta(days=5))
    assert all("email" in read(ddb, i) for i in stored["prosfati"])
