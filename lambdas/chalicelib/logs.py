"""Structured logs of the API: one JSON object per line.

Only the keys named here ever reach the log: the route, status, error code, latency and the
submission id of a request, and counters (metrics). Nothing a person typed, no email, name or IP,
so the logs can be kept and shared without becoming personal data.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

logger = logging.getLogger("diavoulefsi.api")
logger.setLevel(logging.INFO)
# Bare JSON on stdout (CloudWatch and Logs Insights read it as is), not through Chalice's app
# logger, whose handler prefixes "name - level - ".
logger.propagate = False
# Pelican, imported in the same process (the publish function, the tests), makes every logger
# created after it drop a line identical to an earlier one (pelican.log.LimitFilter); metrics
# repeat by design and every line counts.
for _filter in list(logger.filters):
    logger.removeFilter(_filter)
if not logger.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(_handler)

REQUEST_KEYS = ("route", "method", "status", "code", "latency_ms", "submission_id", "replay")


def request(**fields: Any) -> None:
    """Log one finished request; keys outside REQUEST_KEYS are dropped (an allowlist)."""
    record = {key: fields[key] for key in REQUEST_KEYS if fields.get(key) is not None}
    logger.info("%s", _dumps({"event": "request", **record}))


def answered(route: Any, started: float, status: int, code: str, **fields: Any) -> None:
    """``request`` for the chalice request ``route``, answered ``status`` (``code``) after
    ``started`` (``time.perf_counter``): the public routes' one line each."""
    request(
        route=route.context.get("resourcePath"),
        method=route.method,
        status=status,
        code=code,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
        **fields,
    )


def metric(name: str, **dimensions: str | int) -> None:
    """Count one occurrence of ``name`` (honeypot hits, rate-limit refusals, replays)."""
    logger.info("%s", _dumps({"metric": name, "value": 1, **dimensions}))


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
