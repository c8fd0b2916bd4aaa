"""Settled consultations: a build does the work of the consultations that changed, not the site's.

At ten times the site (30 consultations, 200,000 comments), a publish after 20 approvals on one
consultation read every shard, attached every comment and fingerprinted every page: its cost grew
with the site, not with the change. A consultation is *settled* when everything its pages are made
from is what it was at the last complete build (``key``): the code, the theme, the settings and
the site's own pages (``base``), its content folder, its snapshot shard (the sha256 the publish's
snapshot state records), its state and day count at the build's "now". A settled consultation's
submissions are not loaded; its pages, feed, results and open-data files stay as they are on disk
(their fingerprints carried over: chalicelib's upload sees no change); the site-wide pages (home,
catalogue, open data) read its tally, the counts and the proposals the catalogue lists.

Only a build from shards has a shard's digest; a build from one snapshot file (``make html``, most
tests) settles nothing. The state is removed when a build starts and written when it completes,
so a build that fails half-way settles nothing next time. A settled consultation whose pages are
not all on disk is loaded and built as any other (``load``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib.sources import code_digest, tree_digest

from .models import Consultation
from .render_state import digest, settings_digest

logger = logging.getLogger(__name__)

STATE_NAME = ".settled-consultations.json"
FORMAT = 2  # 2: the catalogue's proposals carry their campaign group
SETTLED = "settled"  # the context key of the build's Settled
# Loads a settled consultation's submissions after all, returns its part of the snapshot.
Loader = Callable[[Consultation], "dict[str, Any] | None"]


def base_digest(settings: dict[str, Any], pages: list[tuple[str, str]]) -> str:
    """What every consultation's pages are made with besides their own data."""
    return digest([code_digest(), tree_digest(settings["THEME"]), settings_digest(settings), pages])


def tally(consultation: Consultation, listed_max: int) -> dict[str, Any]:
    """What the site-wide pages show of a consultation beyond its content."""
    listed = []
    if len(consultation.proposals) <= listed_max:
        listed = [
            {
                "url": p.url,
                "title": p.title,
                "author": {"label": p.author.label},
                "created_at": p.created_at,
                # a campaign's proposals are listed once (plugins/submissions/groups.py)
                **({"representative": True} if p.representative else {}),
                **({"fold": {"count": p.fold.count}} if p.fold else {}),
            }
            for p in consultation.proposals
        ]
    return {
        "texts": {t.slug: len(t.comments) for t in consultation.texts},
        "comments": consultation.comment_count,
        "proposals": len(consultation.proposals),
        "listed": listed,
    }


def _restore(consultation: Consultation, counts: dict[str, Any]) -> bool:
    texts = counts.get("texts")
    if not isinstance(texts, dict) or set(texts) != {t.slug for t in consultation.texts}:
        return False
    for text in consultation.texts:
        text.tallied = int(texts[text.slug])
    consultation.tallied = counts
    return True


class Settled:
    """The previous complete build's keys, pages and tallies; this build's, saved at its end."""

    def __init__(self, output_path: str | Path, shards: dict[str, str] | None) -> None:
        self.path = Path(output_path) / STATE_NAME
        self.shards = shards  # consultation → its shard's sha256; None: nothing settles
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        self.path.unlink(missing_ok=True)  # written again only by a build that completes
        ok = isinstance(loaded, dict) and loaded.get("format") == FORMAT
        previous = loaded.get("consultations") if ok else None
        self.previous: dict[str, Any] = previous if isinstance(previous, dict) else {}
        self.current: dict[str, Any] = {}
        self.keys: dict[str, str] = {}
        self.loader: Loader | None = None
        self.loaded: dict[str, dict[str, Any] | None] = {}  # what ``load`` loaded, by slug

    def settle(self, consultations: list[Consultation], base: str) -> list[Consultation]:
        """Tally the settled consultations; return the others (their submissions are loaded)."""
        changed = []
        for c in consultations:
            if self.shards is None:
                changed.append(c)
                continue
            self.keys[c.slug] = digest(
                [base, c.slug, c.folder_digest, self.shards.get(c.slug, ""), c.state,
                 c.days_left]
            )  # fmt: skip
            before = self.previous.get(c.slug)
            if (
                isinstance(before, dict)
                and before.get("key") == self.keys[c.slug]
                and isinstance(before.get("tally"), dict)
                and _restore(c, before["tally"])
            ):
                self.current[c.slug] = before
            else:
                changed.append(c)
        logger.info(
            "Settled consultations: %d of %d", len(consultations) - len(changed), len(consultations)
        )
        return changed

    def pages(self, slug: str) -> list[str]:
        found = self.current.get(slug, {}).get("pages")
        return list(found) if isinstance(found, list) else []

    def load(self, consultation: Consultation) -> dict[str, Any] | None:
        """A settled consultation whose output is not all there, built after all: its
        submissions attached (by the loader plugins/submissions sets), its part of the snapshot
        returned. It is not settled next time unless ``record`` records it."""
        self.current.pop(consultation.slug, None)
        consultation.tallied = None
        for text in consultation.texts:
            text.tallied = None
        part = self.loader(consultation) if self.loader is not None else None
        self.loaded[consultation.slug] = part
        return part

    def record(self, consultation: Consultation, pages: list[str], listed_max: int) -> None:
        """A consultation this build made: its key, its pages, its tally."""
        key = self.keys.get(consultation.slug)
        if key is None:
            return
        self.current[consultation.slug] = {
            "key": key,
            "pages": sorted(pages),
            "tally": tally(consultation, listed_max),
        }

    def save(self) -> None:
        """At the end of a complete build."""
        if self.shards is None:
            return
        data = {"format": FORMAT, "consultations": self.current}
        part = self.path.with_name(self.path.name + ".part")
        part.write_text(json.dumps(data, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        os.replace(part, self.path)
