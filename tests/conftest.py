"""Shared fixtures: one real DynamoDB Local for the whole test session (in memory), a fresh
table per test that asks for one, and the project's paths."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "lambdas"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from scripts.dynamodb_local import DUMMY_ENV, DynamoDBLocal, create_table  # noqa: E402

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
