"""The local stand-in for production's publish triggers (the schedule and the decision's ask) and
for its ``group_submissions`` schedule (chalicelib.grouping, before every publish run).

In AWS a change invokes the publish function at once (chalicelib.trigger) and EventBridge runs
it every ``PUBLISH_RATE_MINUTES`` as well. Locally (``make dev``, the approval-to-visible bench)
one thread does both: it reads the publish state item every ``poll`` seconds, the way the
invoke would arrive, and runs ``publish.run`` when a change asked for it and its burst is over
(``trigger.due``), or when ``interval`` seconds passed since the last run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib import clock, grouping, publish, trigger
from chalicelib.sitebuild import describe
from chalicelib.store import state

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0


class Publisher(threading.Thread):
    """Runs ``publish.run(**kwargs)`` on request and every ``interval`` seconds until ``stop``.
    The run itself notices an edited text, theme or setting (chalicelib.sources) and the
    calendar; a site that does not build is reported once per distinct error, and a failed run
    is retried next time. ``on_result`` sees every run's result (the bench times them)."""

    def __init__(
        self,
        interval: float,
        stop: threading.Event,
        *,
        poll: float = POLL_SECONDS,
        on_result: Callable[[publish.PublishResult], None] | None = None,
        group: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name="publish-timer", daemon=True)
        self.interval, self.stop, self.poll, self.kwargs = interval, stop, poll, kwargs
        self.on_result = on_result
        self.group = group  # False: grouping runs elsewhere (production: its own function)
        self.error: dict[str, Any] | None = None

    def _table(self) -> Any:
        table = self.kwargs.get("table")
        if table is None:
            from chalicelib import db

            table = db.table()
        return table

    def run(self) -> None:
        last = time.monotonic()
        while not self.stop.wait(self.poll):
            try:
                asked = trigger.due(state.read(self._table()), clock.now())
            except Exception:
                logger.exception("publish state unreadable; the schedule goes on")
                asked = False
            if not asked and time.monotonic() - last < self.interval:
                continue
            last = time.monotonic()
            self._once()

    def group_now(self) -> None:
        """Group what arrived (production's one-minute schedule); a failure waits for the next
        run, and never stops the publish."""
        root = self.kwargs.get("project_root")
        content = self.kwargs.get("content") or (Path(root) / "content" if root else None)
        try:
            grouping.run(self._table(), content=content)
        except Exception:
            logger.exception("grouping failed; the next run retries")

    def _once(self) -> None:
        if self.group:
            self.group_now()
        try:
            result = publish.run(**self.kwargs)
        except Exception:
            logger.exception("publish run failed; the next run retries")
            return
        if result.status == publish.PUBLISHED:
            logger.info(
                "published (%s): %s uploaded, %s deleted",
                ", ".join(result.reasons),
                result.uploaded,
                result.deleted,
            )
        error = result.error if result.status == publish.FAILED else None
        if error and error != self.error:
            logger.error("the site does not build: %s", describe(error))
        self.error = error
        if self.on_result is not None:
            self.on_result(result)
