"""Approved comments and proposals, from the publish step's snapshot, onto the consultations.

A build from the publish step's shards loads only the consultations that changed: the others
are settled (plugins/consultations/settled.py) and keep their pages as they are."""

import logging
from pathlib import Path
from typing import Any

from pelican import Pelican, signals
from pelican.generators import Generator

from chalicelib.snapshot_delta import shard_digests
from plugins.consultations.generator import consultation_pages
from plugins.consultations.models import Consultation
from plugins.consultations.settled import SETTLED, Settled, base_digest

from .group_pages import write_group_pages
from .snapshot import REDACTED_LABEL, WITHDRAWN_LABEL, SnapshotError, attach, load_snapshot

__all__ = ["SnapshotError", "register"]

logger = logging.getLogger(__name__)

SETTLED_SETTING = "_SETTLED"  # the build's Settled, where the ``finalized`` signal finds it


def add_submissions(generators: list[Generator]) -> None:
    """After every generator has read its content, before any page is written."""
    context, settings = generators[0].context, generators[0].settings
    path = context.get("SNAPSHOT_PATH")
    is_folder = bool(path) and Path(path).is_dir()
    settled = Settled(settings["OUTPUT_PATH"], shard_digests(Path(path)) if is_folder else None)
    context[SETTLED] = settings[SETTLED_SETTING] = settled  # settings: for ``save_settled``
    context["WITHDRAWN_LABEL"] = WITHDRAWN_LABEL  # what the templates show in a placeholder
    context["REDACTED_LABEL"] = REDACTED_LABEL  # beside a comment or proposal staff shortened
    consultations: list[Consultation] = context.get("consultations", [])
    pages = [(p.title, p.url) for p in context.get("pages", [])]
    changed = settled.settle(consultations, base_digest(settings, pages))
    only = {c.slug for c in changed} if is_folder else None
    validated = bool(context.get("SNAPSHOT_VALIDATED"))
    snapshot = load_snapshot(path, validated=validated, only=only)
    context["snapshot"] = snapshot

    def load(consultation: Consultation) -> dict[str, Any] | None:
        part = load_snapshot(path, validated=validated, only={consultation.slug})
        if part is not None:
            attach([consultation], part)
        return part

    settled.loader = load
    if snapshot is not None:
        attach(changed, snapshot)
        logger.info(
            "Snapshot: %d comments, %d proposals, %d withdrawn",
            len(snapshot["comments"]),
            len(snapshot["proposals"]),
            len(snapshot.get("withdrawn", [])),
        )


def save_settled(pelican: Pelican) -> None:
    """The build completed: what it settled is true of the output."""
    settled = pelican.settings.pop(SETTLED_SETTING, None)
    if settled is not None:
        settled.save()


def register() -> None:
    signals.all_generators_finalized.connect(add_submissions)
    signals.finalized.connect(save_settled)
    consultation_pages.connect(write_group_pages)  # a group's members beyond its block
