"""The consultations manifest (``consultations.json``, written by the site build): which
consultations exist, when they are open, their texts and paragraph ids.

It is validated against spec/manifest.schema.json when loaded and reloaded when the file's mtime
changes, so a running ``chalice local`` follows the site rebuilds of ``make dev``. A reload that
finds a broken file keeps the last good manifest (the site build may be half-way through writing).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from chalicelib import config, spec

logger = logging.getLogger(__name__)


class ManifestError(RuntimeError):
    """The manifest is missing or does not match its schema, and no good copy is loaded."""


@dataclass(frozen=True)
class Text:
    slug: str
    url: str
    paragraphs: tuple[str, ...]  # in the text's order: §1 is the first
    title: str = ""


@dataclass(frozen=True)
class Consultation:
    slug: str
    url: str
    opens: datetime
    closes: datetime
    texts: dict[str, Text]
    title: str = ""
    proposal_url: str = ""  # a proposal's path with "{id}"; older manifests lack it
    results_url: str = ""  # the results page's path, once built (closed); else ""
    report_date: str = ""  # YYYY-MM-DD once the results page shows the report; else ""
    comment_url: str = ""  # a comment's finder page with "{bucket}"; older manifests lack it


@dataclass(frozen=True)
class Manifest:
    consultations: dict[str, Consultation]
    site_name: str = ""  # pelicanconf's SITENAME; older manifests lack it
    comment_anchor: str = ""  # a comment's anchor with "{id}"; older manifests lack it
    moderation_url: str = ""  # the staff page (the digest links to it); older manifests lack it
    # The municipality as the site's frame shows it (the API's pages wear the same); optional.
    municipality: str = ""
    emblem: str = ""
    contact_email: str = ""

    def consultation(self, slug: str) -> Consultation | None:
        return self.consultations.get(slug)


class InvalidManifest(ValueError):
    """The manifest does not match spec/manifest.schema.json."""


def validate(data: dict[str, Any]) -> None:
    """Raise InvalidManifest unless ``data`` matches the schema (the build writes the manifest
    and the publish reads it back at every run: chalicelib.spec.check is fast)."""
    from jsonschema import ValidationError

    try:
        spec.check("manifest.schema", data)
    except ValidationError as exc:
        raise InvalidManifest(exc.message) from exc


def parse(data: dict[str, Any]) -> Manifest:
    """Validate ``data`` against the schema and index it by slug."""
    validate(data)
    consultations = {}
    for cons in data["consultations"]:
        texts = {
            t["slug"]: Text(t["slug"], t["url"], tuple(t["paragraphs"]), t["title"])
            for t in cons["texts"]
        }
        opens, closes = (datetime.fromisoformat(cons[key]) for key in ("opens", "closes"))
        if opens.tzinfo is None or closes.tzinfo is None:
            raise InvalidManifest(f"{cons['slug']}: opens/closes need a UTC offset")
        consultations[cons["slug"]] = Consultation(
            cons["slug"],
            cons["url"],
            opens,
            closes,
            texts,
            cons["title"],
            cons.get("proposal_url", ""),
            cons.get("results_url", ""),
            cons.get("report_date", ""),
            cons.get("comment_url", ""),
        )
    return Manifest(
        consultations,
        data.get("site_name", ""),
        data.get("comment_anchor", ""),
        data.get("moderation_url", ""),
        data.get("municipality", ""),
        data.get("emblem", ""),
        data.get("contact_email", ""),
    )


def read(path: Path) -> Manifest:
    """Parse the manifest file at ``path`` (OSError or InvalidManifest when it is unusable)."""
    with open(path, encoding="utf-8") as fh:
        return parse(json.load(fh))


class _Loader:
    """Holds the parsed manifest of one path and re-reads it when its mtime changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Path, int] | None = None
        self._manifest: Manifest | None = None

    def get(self, path: Path) -> Manifest:
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError as exc:
            return self._fallback(path, exc)
        if self._key == (path, mtime) and self._manifest is not None:
            return self._manifest
        with self._lock:
            try:
                manifest = read(path)
            except (OSError, ValueError) as exc:  # InvalidManifest is a ValueError
                return self._fallback(path, exc)
            self._key, self._manifest = (path, mtime), manifest
            logger.info(
                "manifest loaded from %s (%s consultations)", path, len(manifest.consultations)
            )
            return manifest

    def _fallback(self, path: Path, exc: Exception) -> Manifest:
        if self._manifest is not None and self._key is not None and self._key[0] == path:
            logger.warning("manifest %s unreadable (%s); keeping the last good one", path, exc)
            return self._manifest
        raise ManifestError(f"manifest {path} unusable: {exc}") from exc


_loader = _Loader()


def current() -> Manifest:
    """The manifest at ``config.manifest_path``, reloaded if the file changed."""
    return _loader.get(config.get().manifest_path)


def usable() -> Manifest | None:
    """The current manifest, or None (logged) when none is usable: for what can do without
    it (the links and titles of e-mails and of the API's pages)."""
    try:
        return current()
    except ManifestError as exc:
        logger.warning("no usable manifest, links to the site are left out: %s", exc)
        return None
