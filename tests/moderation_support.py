"""Helpers of the moderation and staff-token tests: a chalice.test client that checks every
answer for personal data, submissions through the real intake route or (for bulk) written in
the layout of docs/contracts.md, and a staff token."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EMAIL = "leak-check@example.org"
SITE = "http://127.0.0.1:8000"


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
