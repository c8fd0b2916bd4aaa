"""Shared fixtures: one real DynamoDB Local for the whole test session (in memory), a fresh
table per test that asks for one, and the project's paths."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib import site_files
from scripts.dynamodb_local import DUMMY_ENV, DynamoDBLocal, create_table
from scripts.smtp_local import LocalSmtp

ROOT = Path(__file__).resolve().parent.parent

for key, value in DUMMY_ENV.items():
    os.environ.setdefault(key, value)
# Every build of the tests checks the files its writers said they wrote against a walk.
os.environ.setdefault(site_files.AUDIT, "1")


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


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSmtp]:
    """A real SMTP server (aiosmtpd) on a free port for the whole session (per xdist worker),
    keeping every message it receives as an .eml file."""
    with LocalSmtp(tmp_path_factory.mktemp("mail")) as server:
        yield server


MAIL_API_URL = "http://127.0.0.1:8010"


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch, smtp_server: LocalSmtp) -> Iterator[LocalSmtp]:
    """Mail goes to ``smtp_server`` (emptied first); ``chalicelib.mail.get`` is rebuilt from
    this environment before and after the test (and the config, which reads API_URL)."""
    from chalicelib import config, mail

    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_server.port),
        "MAIL_SENDER": "Διαβούλευση <diavoulefsi@example.gr>",
        "API_URL": MAIL_API_URL,
        "STAFF_DIGEST_TO": "prosopiko@example.gr",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    smtp_server.clear()
    mail.get.cache_clear()
    config.reset()
    yield smtp_server
    smtp_server.clear()
    mail.get.cache_clear()
    config.reset()
