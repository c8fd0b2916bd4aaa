"""An approval live within a minute: a change the site shows asks for a publish at once.

Every change that reaches the site (a decision, an answer, an author's withdrawal: all written
by chalicelib.store.decisions.audited) calls ``soon``. It records the request on the publish
state item, conditionally, so that of a burst of decisions only the first starts a run; that run
waits ``debounce()`` seconds for the rest of the burst, and a change that lands while it works
is taken by its next round (chalicelib.publish.run). In Lambda the run is an asynchronous invoke
of the publish function (``PUBLISH_FUNCTION``; its reserved concurrency of one and the lock keep
two runs apart); locally the dev stack's publish timer reads the state item every second and
runs when it finds a request (``due``). The one-minute schedule is the net under both: a
request whose run never came is asked again after ``STALE``.

A failure here never fails the change: it is committed, and the schedule publishes it.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clock
from chalicelib.store import state

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 3.0  # the rest of a burst of decisions joins the run
STALE = timedelta(minutes=5)  # a request older than this lost its run: ask again
SOURCE = "diavoulefsi.decision"


def debounce() -> float:
    """Seconds a requested run waits before it starts (``PUBLISH_DEBOUNCE_SECONDS``)."""
    return float(os.environ.get("PUBLISH_DEBOUNCE_SECONDS") or DEBOUNCE_SECONDS)


def scheduled_event(detail_type: str, source: str, region: str = "") -> dict[str, Any]:
    """The shape of an EventBridge scheduled event: Chalice's ``@app.schedule`` handler wraps
    what it receives in its CloudWatchEvent, which reads exactly these keys."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": "",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [],
        "detail": {},
    }


def invoke(function: str, event: dict[str, Any], client: Any = None) -> bool:
    """Start ``function`` asynchronously with ``event``; True when Lambda queued it (202)."""
    if client is None:
        import boto3

        client = boto3.client("lambda")
    answer = client.invoke(
        FunctionName=function, InvocationType="Event", Payload=json.dumps(event).encode("utf-8")
    )
    return answer.get("StatusCode") == 202


def soon(table: Any, at: str | None = None, client: Any = None) -> bool:
    """Ask for a publish now (see the module docstring); True when this call started one."""
    moment = at or clock.now_iso()
    try:
        stale = clock.iso(_parse(moment) - STALE)
        if not state.request_publish(table, moment, stale):
            return False  # a run is already asked for: it takes this change too
        function = os.environ.get("PUBLISH_FUNCTION", "").strip()
        if not function:
            return True  # local: the dev stack's publish timer reads the request
        region = os.environ.get("AWS_REGION", "")
        queued = invoke(function, scheduled_event("Decision", SOURCE, region), client)
        if not queued:
            logger.warning("publish run not queued; the schedule publishes")
        return queued
    except (ClientError, BotoCoreError, ValueError) as exc:
        logger.warning("could not ask for a publish (the schedule publishes): %s", exc)
        return False


def due(current: dict[str, Any], now: datetime) -> bool:
    """A request in ``current`` (the state item) whose debounce has passed."""
    requested = current.get("publish_requested_at")
    if not requested:
        return False
    try:
        return (now - _parse(requested)).total_seconds() >= debounce()
    except ValueError:
        return True  # unreadable: run rather than wait for the schedule


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
