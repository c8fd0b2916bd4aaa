"""Settled consultations (plugins/consultations/settled.py): a publish after a decision on one
consultation loads, renders and exports that consultation only, on DynamoDB Local and the real
site build, and the site it leaves is byte for byte a fresh full build of the same data; a
settled consultation whose pages are gone from the work folder is built after all."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from chalicelib import publish
from chalicelib.store import state
from chalicelib.targets import LocalDirTarget
from plugins.consultations import settled as settled_module
from plugins.consultations.models import Consultation
from plugins.submissions import snapshot as snapshot_plugin
from tests.publish_support import comment_entry, decide, put, table_of, tree_bytes
from tests.test_publish_run import run

OPEN, CLOSED = "prasino-kai-evangelistria", "kleisti"


@pytest.fixture
def ddb(api_env, dynamodb, table):
    return table_of(dynamodb, table)


@pytest.fixture
def attached(monkeypatch) -> list[list[str]]:
    """The consultations each attach() call gave submissions to."""
    calls: list[list[str]] = []
    real = snapshot_plugin.attach

    def spy(consultations: list[Consultation], snapshot: dict[str, Any]) -> None:
        calls.append(sorted(c.slug for c in consultations))
        real(consultations, snapshot)

    monkeypatch.setattr("plugins.submissions.attach", spy)
    return calls


def closed_comment(n: int) -> dict[str, Any]:
    return comment_entry(n, consultation=CLOSED, text="palio-keimeno")


def fresh_full_build(
    ddb: Any, project_root: Any, tmp_path: Any, target: Any, last: publish.PublishResult
) -> dict[str, bytes]:
    """A fresh full build of the same data, at the moment ``last`` said the site is due again
    (the next midnight: the whole site's open-data files take the day's new rows then), after
    the run of ``target`` at that moment."""
    assert last.next_change is not None
    now = datetime.fromisoformat(last.next_change)
    assert run(ddb, target, project_root, tmp_path / "work", now=now).status == publish.PUBLISHED
    state.record_target(ddb, "elsewhere")
    fresh = LocalDirTarget(tmp_path / "fresh")
    full = run(ddb, fresh, project_root, tmp_path / "full", force=True, now=now)
    assert full.status == publish.PUBLISHED
    return tree_bytes(tmp_path / "fresh")


def test_a_decision_on_one_consultation_builds_that_one_only(ddb, root, tmp_path, attached):
    for n in (1, 2):
        put(ddb, comment_entry(n))
    put(ddb, closed_comment(3))
    target = LocalDirTarget(tmp_path / "site")
    assert run(ddb, target, root, tmp_path / "work").status == publish.PUBLISHED
    assert attached[-1] == sorted([OPEN, CLOSED, "mellontiki"])  # a first build: everything

    late = put(ddb, comment_entry(4), status="pending")
    decide(ddb, late, "approved", "2026-11-26T10:00:00Z")
    attached.clear()
    second = run(ddb, target, root, tmp_path / "work")
    assert second.status == publish.PUBLISHED
    assert attached == [[OPEN]]  # the closed and the upcoming consultations stay settled
    recorded = json.loads((tmp_path / "work" / "output" / settled_module.STATE_NAME).read_bytes())
    closed = recorded["consultations"][CLOSED]
    assert closed["tally"]["comments"] == 1 and closed["pages"]
    assert late["reference"].encode() in b"".join(tree_bytes(tmp_path / "site").values())
    # the home page and the catalogue still count the settled consultation's comment
    fresh = fresh_full_build(ddb, root, tmp_path, target, second)  # runs the target's first
    assert tree_bytes(tmp_path / "site") == fresh


def test_a_settled_consultation_missing_its_pages_is_built_after_all(ddb, root, tmp_path, attached):
    put(ddb, comment_entry(1))
    put(ddb, closed_comment(2))
    target = LocalDirTarget(tmp_path / "site")
    assert run(ddb, target, root, tmp_path / "work").status == publish.PUBLISHED
    recorded = json.loads((tmp_path / "work" / "output" / settled_module.STATE_NAME).read_bytes())
    lost = recorded["consultations"][CLOSED]["pages"][0]
    (tmp_path / "work" / "output" / lost).unlink()

    decide(ddb, put(ddb, comment_entry(3), status="pending"), "approved", "2026-11-26T10:00:00Z")
    attached.clear()
    again = run(ddb, target, root, tmp_path / "work")
    assert again.status == publish.PUBLISHED
    assert [OPEN] in attached and [CLOSED] in attached  # the open one changed; the closed, lost
    assert (tmp_path / "work" / "output" / lost).is_file()
    fresh = fresh_full_build(ddb, root, tmp_path, target, again)  # runs the target's first
    assert tree_bytes(tmp_path / "site") == fresh


@pytest.mark.parametrize("changed", ["code", "settings"])
def test_nothing_settles_when_the_code_or_the_settings_differ(
    ddb, root, tmp_path, attached, monkeypatch, changed
):
    put(ddb, comment_entry(1))
    put(ddb, closed_comment(2))
    target = LocalDirTarget(tmp_path / "site")
    assert run(ddb, target, root, tmp_path / "work").status == publish.PUBLISHED
    if changed == "code":  # a deploy with other plugins or chalicelib code
        monkeypatch.setattr(settled_module, "code_digest", lambda: "another deploy")
    else:  # a setting every page reads, as publishconf would give it
        real = settled_module.settings_digest
        monkeypatch.setattr(settled_module, "settings_digest", lambda s: real({**s, "X": 1}))

    decide(ddb, put(ddb, comment_entry(3), status="pending"), "approved", "2026-11-26T10:00:00Z")
    attached.clear()
    assert run(ddb, target, root, tmp_path / "work").status == publish.PUBLISHED
    assert attached == [sorted([OPEN, CLOSED, "mellontiki"])]


def test_a_build_from_one_snapshot_file_settles_nothing(tmp_path):
    settled = settled_module.Settled(tmp_path, None)
    consultation = Consultation(
        slug="a", title="A", summary="", theme="", opens=None, closes=None,  # type: ignore[arg-type]
        order=1, content="", source="a/index.md", url="a/",
    )  # fmt: skip
    assert settled.settle([consultation], "base") == [consultation]
    settled.save()
    assert not (tmp_path / settled_module.STATE_NAME).exists()


def test_open_data_behind_its_settled_consultation_is_made_at_midnight(
    ddb, root, tmp_path, attached
):
    """A late approval on the closed consultation waits for the day in its open data; at
    midnight the consultation is settled (nothing of it changed since), yet its files are
    behind its entries: it is loaded and they are made."""
    put(ddb, comment_entry(1))
    put(ddb, closed_comment(2))
    target = LocalDirTarget(tmp_path / "site")
    assert run(ddb, target, root, tmp_path / "work").status == publish.PUBLISHED
    decide(ddb, put(ddb, closed_comment(3), status="pending"), "approved", "2026-11-26T09:00:00Z")
    assert run(ddb, target, root, tmp_path / "work").export == "full"  # the first watermark
    late = put(ddb, closed_comment(4), status="pending")
    decide(ddb, late, "approved", "2026-11-26T10:00:00Z")
    day = run(ddb, target, root, tmp_path / "work")
    assert day.export == "incremental" and day.next_change is not None
    data = tmp_path / "site" / "anoikta-dedomena" / f"{CLOSED}.json"
    assert late["reference"] not in data.read_text(encoding="utf-8")  # waits for the day

    attached.clear()
    midnight = datetime.fromisoformat(day.next_change)
    assert run(ddb, target, root, tmp_path / "work", now=midnight).status == publish.PUBLISHED
    assert any(CLOSED in call for call in attached)  # settled, yet loaded
    assert late["reference"] in data.read_text(encoding="utf-8")
    state.record_target(ddb, "elsewhere")
    fresh = LocalDirTarget(tmp_path / "fresh")
    full = run(ddb, fresh, root, tmp_path / "full", force=True, now=midnight)
    assert full.status == publish.PUBLISHED
    assert tree_bytes(tmp_path / "site") == tree_bytes(tmp_path / "fresh")
