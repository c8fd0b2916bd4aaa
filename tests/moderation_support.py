"""Helpers of the moderation and staff-token tests: a chalice.test client that checks every
answer for personal data, submissions through the real intake route or (for bulk) written in
the layout of docs/contracts.md, a staff token, and for the moderation page's browser tests the
fixture site over HTTP beside the API under ``chalice local``."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EMAIL = "leak-check@example.org"
SITE = "http://127.0.0.1:8000"
ROOT = Path(__file__).resolve().parent.parent
FIXTURE_SITE = ROOT / "tests" / "fixtures" / "site"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


class StaffClient:
    """chalice.test's HTTP client with the bearer token; fails the test if any answer carries
    an email address or an ip_hash."""

    def __init__(self, http: Any, token: str) -> None:
        self.http = http
        self.token = token

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        raw = b""
        if body is not None:
            headers["Content-Type"] = "application/json"
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        answer = self.http.request(method, path, headers=headers, body=raw)
        text = answer.body.decode("utf-8", "replace")
        assert EMAIL not in text and "ip_hash" not in text and '"email"' not in text, text
        return answer

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def decide(self, item_id: str, **decision: Any) -> Any:
        return self.request("POST", f"/v1/moderation/items/{item_id}", body=decision)


def data(answer: Any) -> dict[str, Any]:
    return json.loads(answer.body)


@pytest.fixture
def http(api_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    """chalice.test's client on the app; the empty project dir keeps .chalice/config.json's
    stage variables (TABLE_NAME) from overriding the test's table."""
    from chalice.test import Client

    from app import app

    with Client(app, project_dir=str(tmp_path)) as client:
        yield client.http


@pytest.fixture
def staff_token(api_env: dict[str, str]) -> str:
    from chalicelib import auth, db

    token, _ = auth.create(db.table(), "Ελένη Δοκιμαστική")
    return token


@pytest.fixture
def staff(http: Any, staff_token: str) -> StaffClient:
    return StaffClient(http, staff_token)


def submit_comment(http: Any, body: str, **fields: Any) -> str:
    """A comment through the public intake route (the real write path); returns its id."""
    payload = {
        "consultation": "anoichti",
        "text": "proto-keimeno",
        "body": body,
        "respondent_type": "citizen",
        "display_name": "Γιώργος Δοκιμής",
        "publish_name": True,
        "email": EMAIL,
        "consent": True,
        "submission_key": uuid.uuid4().hex,
        **fields,
    }
    answer = http.post(
        "/v1/comments",
        headers={"Content-Type": "application/json", "Origin": SITE},
        body=json.dumps(payload).encode(),
    )
    assert answer.status_code == 202, answer.body
    return json.loads(answer.body)["id"]


def put_pending(table: Any, index: int, consultation: str = "anoichti") -> dict[str, Any]:
    """A pending comment written directly in the documented layout (bulk data for paging);
    ``index`` orders the creation times."""
    stamp = f"2026-11-20T10:{index // 60:02d}:{index % 60:02d}.000Z"
    sub_id = f"01test{index:020d}"
    item = {
        "PK": f"SUB#{sub_id}",
        "SK": "SUB",
        "id": sub_id,
        "kind": "comment",
        "status": "pending",
        "reference": f"NS-T{index:05d}",
        "consultation": consultation,
        "text": "proto-keimeno",
        "body": f"Σχόλιο δοκιμής αριθμός {index}",
        "respondent_type": "citizen",
        "display_name": "Δοκιμή",
        "publish_name": False,
        "email": EMAIL,
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
        "GSI1PK": f"TARGET#{consultation}#proto-keimeno",
        "GSI1SK": f"{stamp}#{sub_id}",
        "GSI2PK": "STATUS#pending",
        "GSI2SK": f"{stamp}#{sub_id}",
        "GSI3PK": f"CONS#{consultation}",
        "GSI3SK": f"pending#{stamp}#{sub_id}",
    }
    table.put_item(Item=item)
    return item


@pytest.fixture
def page_stack(api_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """The fixture site over HTTP and the API under chalice local. The site's consultations.json
    is the API's manifest, as in a real deployment (the page's text and paragraph filters read
    it; the fixture site's own content has other texts than the API's fixture manifest)."""
    from browser import NOW, serve

    from chalicelib.sitebuild import build_site
    from scripts.api_local import start_api, stop_api
    from scripts.dynamodb_local import free_port

    api_url = f"http://127.0.0.1:{free_port()}"
    output = tmp_path / "out"
    with serve(output) as site:
        build_site(
            ROOT,
            output,
            snapshot=FIXTURE_SITE / "snapshot.json",
            api_url=api_url,
            now=NOW,
            content=FIXTURE_SITE / "content",
        )
        shutil.copyfile(api_env["MANIFEST_PATH"], output / "consultations.json")
        env = {**api_env, "SITE_URL": site.url, "SITE_ORIGINS": site.url}
        proc = start_api(int(api_url.rsplit(":", 1)[1]), env, log_path=tmp_path / "api.log")
        try:
            yield {"site": site.url, "api": api_url}
        finally:
            stop_api(proc)


def submit_page_comment(
    stack: dict[str, str], body: str, paragraph: str = "eisagogi"
) -> dict[str, str]:
    """A comment through the running API's public intake (the page's tests); its id and
    reference."""
    import requests
    from test_api_support import comment

    sent = requests.post(
        f"{stack['api']}/v1/comments",
        json=comment(
            paragraph=paragraph,
            body=body,
            display_name="Σοφία Δοκιμή",
            publish_name=True,
            email="look-check@example.org",
            submission_key=uuid.uuid4().hex,
        ),
        headers={"Origin": stack["site"]},
        timeout=10,
    )
    assert sent.status_code == 202, sent.text
    return dict(sent.json())


def decide_by_api(
    stack: dict[str, str], token: str, item_id: str, **decision: str
) -> dict[str, Any]:
    """A decision through the running API, as another member of staff would take it."""
    import requests

    done = requests.post(
        f"{stack['api']}/v1/moderation/items/{item_id}",
        json=decision,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert done.status_code == 200, done.text
    return dict(done.json()["item"])


def summary_by_api(stack: dict[str, str], token: str) -> dict[str, Any]:
    import requests

    return dict(
        requests.get(
            f"{stack['api']}/v1/moderation/summary",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
    )


def sign_in(page: Any, stack: dict[str, str], token: str) -> None:
    """Open the page and sign in; returns once the summary's statuses are in the filter."""
    from playwright.sync_api import expect

    page.goto(f"{stack['site']}/moderation/")
    page.get_by_label("Διακριτικό προσωπικού").fill(token)
    page.keyboard.press("Enter")
    expect(page.locator("#mod-work")).to_be_visible()
    expect(page.locator("#mod-filter-status option")).not_to_have_count(0)


def show_status(page: Any, status: str) -> None:
    """List the items of ``status`` through the filter form; returns once the new list is shown
    (the rows on screen are marked first, and the status line emptied, so that the old list and
    its message are not taken for the new ones)."""
    from playwright.sync_api import expect

    page.evaluate(
        "() => { document.querySelectorAll('#mod-items > li').forEach((li) => li.dataset.old = '');"
        " document.getElementById('mod-status').textContent = ''; }"
    )
    page.get_by_label("Κατάσταση").select_option(status)
    page.locator("#mod-filter").get_by_role("button", name="Εμφάνιση").click()
    expect(page.locator("#mod-status")).to_contain_text("Υποβολές:")
    expect(page.locator("#mod-items > li[data-old]")).to_have_count(0)


def axe22(page: Any) -> None:
    """axe-core with the WCAG 2.2 AA rules (target size, among others): nothing found."""
    from browser import axe_violations

    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False)


def put_member(
    table: Any,
    index: int,
    group: str | None,
    body: str,
    *,
    status: str = "pending",
    created: str | None = None,
    consultation: str = "anoichti",
    text: str = "proto-keimeno",
    kind: str = "comment",
    **extra: Any,
) -> dict[str, Any]:
    """A submission of a campaign group (``group``: the id of a member, None for none) written
    directly in the documented layout; ``index`` makes its id (``01grp…``) and, unless
    ``created`` is given, its creation time. A proposal (``kind``) has no by_target keys."""
    stamp = created or f"2026-11-20T09:{index // 60:02d}:{index % 60:02d}.000Z"
    sub_id = f"01grp{index:021d}"
    item = {
        "PK": f"SUB#{sub_id}",
        "SK": "SUB",
        "id": sub_id,
        "kind": kind,
        "status": status,
        "reference": f"NS-G{index:05d}",
        "consultation": consultation,
        "body": body,
        "respondent_type": "citizen",
        "display_name": f"Μέλος {index}",
        "publish_name": True,
        "email": EMAIL,
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
        "GSI2PK": f"STATUS#{status}",
        "GSI2SK": f"{stamp}#{sub_id}",
        "GSI3PK": f"CONS#{consultation}",
        "GSI3SK": f"{status}#{stamp}#{sub_id}",
        **({"group": group} if group else {}),
        **extra,
    }
    if kind == "comment":
        item.update(text=text, GSI1PK=f"TARGET#{consultation}#{text}", GSI1SK=f"{stamp}#{sub_id}")
    else:
        item.setdefault("title", f"Πρόταση {index}")
    table.put_item(Item=item)
    return item


# --- campaign groups on the moderation page (test_moderation_page_groups.py) ----------------------
def submit_group(stack: dict[str, str], common: str, extras: list[str]) -> list[dict[str, str]]:
    """Near-identical comments through the running API's intake: ``common`` and one sentence of
    ``extras`` each (what each member adds); grouped by ``run_grouping``."""
    return [submit_page_comment(stack, f"{common} {extra}") for extra in extras]


def run_grouping() -> None:
    """One run of the grouping step on the test's table (what the schedule does every minute),
    with the fixture site's texts as what comments quote."""
    from chalicelib import db, grouping

    result = grouping.run(db.table(), content=FIXTURE_SITE / "content")
    assert result.complete, result


def stored_item(item_id: str) -> dict[str, Any]:
    from chalicelib import db

    return dict(db.table().get_item(Key={"PK": f"SUB#{item_id}", "SK": "SUB"})["Item"])


def put_old_pending(table: Any, hours_ago: float, body: str) -> dict[str, Any]:
    """A pending comment created ``hours_ago`` hours before now, written directly in the
    documented layout (the intake stamps the present: this stands for an old one)."""
    from datetime import UTC, datetime, timedelta

    moment = datetime.now(UTC) - timedelta(hours=hours_ago)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    item = put_pending(table, int(moment.timestamp()) % 100000)
    sub_id = item["id"]
    item.update(
        body=body,
        created_at=stamp,
        updated_at=stamp,
        GSI1SK=f"{stamp}#{sub_id}",
        GSI2SK=f"{stamp}#{sub_id}",
        GSI3SK=f"pending#{stamp}#{sub_id}",
    )
    table.put_item(Item=item)
    return item


def show_filtered(page: Any) -> None:
    """Submit the filter form as it is; returns once the new list is shown (see show_status)."""
    from playwright.sync_api import expect

    page.evaluate(
        "() => { document.querySelectorAll('#mod-items > li').forEach((li) => li.dataset.old = '');"
        " document.getElementById('mod-status').textContent = ''; }"
    )
    page.locator("#mod-filter").get_by_role("button", name="Εμφάνιση").click()
    expect(page.locator("#mod-status")).to_contain_text("Υποβολές:")
    expect(page.locator("#mod-items > li[data-old]")).to_have_count(0)
