"""Shared fixtures: one real DynamoDB Local for the whole test session (in memory), a fresh
table per test that asks for one, and the project's paths."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.dynamodb_local import DUMMY_ENV, DynamoDBLocal, create_table

ROOT = Path(__file__).resolve().parent.parent

for key, value in DUMMY_ENV.items():
    os.environ.setdefault(key, value)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dynamodb() -> Iterator[DynamoDBLocal]:
    """The real DynamoDB Local, started once per test session (per xdist worker)."""
    with DynamoDBLocal() as db:
        yield db


@pytest.fixture
def table(dynamodb: DynamoDBLocal) -> str:
    """A fresh, empty table (named uniquely) created from spec/table.json."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    create_table(dynamodb.client(), name)
    return name


SITE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch, dynamodb: DynamoDBLocal, table: str) -> dict[str, str]:
    """Environment of the Chalice app pointed at a fresh table of DynamoDB Local and the fixture
    manifest (one open, one closed, one future consultation). Caches are reset before and after."""
    from chalicelib import config, db

    env = {
        "STAGE": "test",
        "TABLE_NAME": table,
        "DYNAMODB_ENDPOINT": dynamodb.endpoint,
        "SITE_URL": SITE_URL,
        "SITE_ORIGINS": SITE_URL,
        "IP_HASH_KEY": "test-ip-hash-key",
        "MANIFEST_PATH": str(ROOT / "tests" / "fixtures" / "consultations.json"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config.reset()
    db.reset()
    yield env
    config.reset()
    db.reset()
