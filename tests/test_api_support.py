"""Helpers of the API tests (no tests here): valid payloads, a chalice.test client, posting as a
given network, and counting stored items with Query (never Scan)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from boto3.dynamodb.conditions import Key

from chalicelib.spec import limits

SITE = "http://127.0.0.1:8000"
JSON_HEADERS = {"content-type": "application/json", "origin": SITE}
FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded", "origin": SITE}
_networks = itertools.count(1)


def next_ip() -> str:
    """An address in a /24 no other post of this process used (rate limits stay per test)."""
    n = next(_networks)
    return f"10.{n // 250 % 250}.{n % 250}.7"


def comment(**changes: Any) -> dict[str, Any]:
    payload = {
        "consultation": "anoichti",
        "text": "proto-keimeno",
        "paragraph": "eisagogi",
        "body": "Η πλατεία χρειάζεται περισσότερα δέντρα και σκιά.",
        "respondent_type": "citizen",
        "display_name": "Μαρία Παπαδοπούλου",
        "email": "maria@example.gr",
        "consent": True,
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def proposal(**changes: Any) -> dict[str, Any]:
    payload = comment(text=None, paragraph=None, **changes)
    payload.setdefault("title", "Ποδηλατόδρομος στη Λεωφόρο Συγγρού")
    if "body" not in changes:
        payload["body"] = "Προτείνουμε ασφαλή ποδηλατόδρομο σε όλο το μήκος της λεωφόρου."
    return payload


class Api:
    """chalice.test's client with the defaults of a browser on the site."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def post(
        self,
        path: str,
        payload: Any,
        *,
        form: bool = False,
        ip: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Any:
        base = dict(FORM_HEADERS if form else JSON_HEADERS)
        base["x-forwarded-for"] = ip or next_ip()
        base.update(headers or {})
        base = {k: v for k, v in base.items() if v is not None}
        if raw is None:
            raw = (urlencode(payload) if form else json.dumps(payload)).encode()
        return self.client.http.post(path, headers=base, body=raw)


@pytest.fixture
def one_rate_window() -> Iterator[None]:
    """Run a rate-limit test at the start of a fixed window, so that it cannot straddle two
    (which would reset the count midway): the app's clock is moved there, and keeps ticking."""
    from chalicelib import clock

    window = limits()["guards"]["rate_limit"]["window_seconds"]
    offset = window - time.time() % window + 1  # one second into the next window
    with clock.frozen(lambda: datetime.fromtimestamp(time.time() + offset, UTC)):
        yield


@pytest.fixture(name="api")
def api_fixture(api_env: dict[str, str]) -> Iterator[Api]:
    """A chalice.test client of the app on the test's fresh table (import as api_fixture)."""
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield Api(client)


def table_resource(env: dict[str, str]) -> Any:
    import boto3

    return boto3.resource("dynamodb", endpoint_url=env["DYNAMODB_ENDPOINT"]).Table(
        env["TABLE_NAME"]
    )


def query_all(table: Any, index: str, key: str, value: str) -> list[dict[str, Any]]:
    items, kwargs = [], {"IndexName": index, "KeyConditionExpression": Key(key).eq(value)}
    while True:
        page = table.query(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def pending(env: dict[str, str]) -> list[dict[str, Any]]:
    """Every pending submission of the test's table (by_status GSI)."""
    return query_all(table_resource(env), "by_status", "GSI2PK", "STATUS#pending")


def approve(env: dict[str, str], sub_id: str) -> None:
    """Mark a stored submission approved (what moderation does, minus the audit trail)."""
    table_resource(env).update_item(
        Key={"PK": f"SUB#{sub_id}", "SK": "SUB"},
        UpdateExpression="SET #s = :a, GSI2PK = :g",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":a": "approved", ":g": "STATUS#approved"},
    )
