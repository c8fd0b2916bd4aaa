"""Approved comments and proposals, from the publish step's snapshot, onto the consultations."""

import logging

from pelican import signals
from pelican.generators import Generator

from .snapshot import REDACTED_LABEL, WITHDRAWN_LABEL, SnapshotError, attach, load_snapshot

__all__ = ["SnapshotError", "register"]

logger = logging.getLogger(__name__)


def add_submissions(generators: list[Generator]) -> None:
    """After every generator has read its content, before any page is written."""
    context = generators[0].context
    snapshot = load_snapshot(
        context.get("SNAPSHOT_PATH"), validated=bool(context.get("SNAPSHOT_VALIDATED"))
    )
    context["snapshot"] = snapshot
    context["WITHDRAWN_LABEL"] = WITHDRAWN_LABEL  # what the templates show in a placeholder
    context["REDACTED_LABEL"] = REDACTED_LABEL  # beside a comment or proposal staff shortened
    if snapshot is not None:
        attach(context.get("consultations", []), snapshot)
        logger.info(
            "Snapshot: %d comments, %d proposals, %d withdrawn",
            len(snapshot["comments"]),
            len(snapshot["proposals"]),
            len(snapshot.get("withdrawn", [])),
        )


def register() -> None:
    signals.all_generators_finalized.connect(add_submissions)
