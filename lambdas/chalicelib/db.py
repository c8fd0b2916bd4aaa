"""The DynamoDB table, built lazily from the configuration (one client per Lambda container)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from chalicelib import config
from chalicelib.errors import unavailable

logger = logging.getLogger(__name__)

# Errors that mean "the database is unreachable or overloaded", answered with 503.
UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "InternalServerError",
        "ServiceUnavailable",
        "ResourceNotFoundException",
    }
)
# Every way the connection can fail: refused, unreachable, timed out connecting
# (ConnectionError and its subclasses) or reading, closed mid-answer (HTTPClientError's).
CONNECTION_ERRORS = (ConnectionError, HTTPClientError)


# Short timeouts: a request that cannot reach the database answers 503 quickly instead of
# hanging until the Lambda times out.
BOTO_CONFIG = BotoConfig(
    connect_timeout=2,
    read_timeout=5,
    retries={"max_attempts": 3, "mode": "standard"},
    max_pool_connections=32,
)


@cache
def client() -> Any:
    cfg = config.get()
    return boto3.client("dynamodb", endpoint_url=cfg.dynamodb_endpoint, config=BOTO_CONFIG)


@cache
def table() -> Any:
    cfg = config.get()
    resource = boto3.resource("dynamodb", endpoint_url=cfg.dynamodb_endpoint, config=BOTO_CONFIG)
    return resource.Table(cfg.table_name)


def conditionally(write: Callable[..., Any], **kwargs: Any) -> bool:
    """Run a conditional write (``table.put_item``, ``update_item``, ``delete_item``); False when
    its condition failed, i.e. another writer got there first or there was nothing to do."""
    try:
        write(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached now (answer 503, not 500)."""
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in UNAVAILABLE_CODES
    return False


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn "the database cannot be reached" into 503 ``unavailable``; anything else is a bug
    and propagates."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        if not is_unavailable(exc):
            raise
        logger.warning("database unavailable: %s", type(exc).__name__)
        raise unavailable() from exc


def reset() -> None:
    """Drop cached clients (tests point the app at another table)."""
    client.cache_clear()
    table.cache_clear()
