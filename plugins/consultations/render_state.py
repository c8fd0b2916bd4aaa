"""Render fingerprints: re-render a page only when what it shows changed.

A publish after 20 approvals on a 20,000-comment site must not re-render 1,600 pages. Each page's
fingerprint hashes its template set, the context every page shares and the page's own data; an
unchanged fingerprint with the output file present means the file on disk is already right.
"""

import hashlib
import json
import logging
import marshal
import os
from pathlib import Path
from typing import Any

from chalicelib import site_files

logger = logging.getLogger(__name__)

STATE_NAME = ".render-state.json"
# Settings that differ between two builds of the same site without changing a page
# (ADDITIONS_ONLY decides only when the open data take new rows: plugins.exports).
VOLATILE = frozenset(
    {"CONSULTATION_NOW", "BUILD_STATS_PATH", "SNAPSHOT_VALIDATED", "ADDITIONS_ONLY"}
)


def digest(value: Any) -> str:
    """A value's fingerprint. Plain data (strings, numbers, None, lists, dicts: what a page's
    data is) as marshal writes it, about three times faster than JSON on a consultation's
    10,000 comments (format 2: no references, and an interned string writes as any other, so
    equal values give equal bytes); anything else as JSON, an object by its ``str``. Another
    Python may marshal other bytes: one render of everything, never a stale page."""
    try:
        data = marshal.dumps(value, 2)
    except ValueError:
        data = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _kind(value: Any) -> str:
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def settings_digest(settings: dict[str, Any]) -> str:
    """The settings as data: an object (a Jinja filter, a Markdown extension, a cache) counts
    by its type, its code being in chalicelib.sources.code_digest; without the settings that
    change between two builds of one site."""
    plain = {key: value for key, value in settings.items() if key not in VOLATILE}
    data = json.dumps(plain, sort_keys=True, ensure_ascii=False, default=_kind)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class RenderState:
    """Fingerprints of the previous build, and counts of what this build did."""

    def __init__(self, output_path: str, state_path: str | None, shared: str) -> None:
        self.output_path = output_path
        self.path = Path(state_path or os.path.join(output_path, STATE_NAME))
        self.shared = shared
        try:
            self.previous: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.previous = {}
        except (OSError, ValueError):
            logger.warning("Unreadable render state %s: rendering everything", self.path)
            self.previous = {}
        self.current: dict[str, str] = {}
        self.rendered = 0
        self.skipped = 0

    def needs_render(self, save_as: str, template: str, data: Any) -> bool:
        """Record the page's fingerprint; False when the file on disk already matches it."""
        fingerprint = digest([self.shared, template, data])
        self.current[save_as] = fingerprint
        fresh = self.previous.get(save_as) == fingerprint and os.path.exists(
            os.path.join(self.output_path, save_as)
        )
        if fresh:
            self.skipped += 1
        else:
            self.rendered += 1
        return not fresh

    def keep(self, pages: list[str]) -> bool:
        """Carry a settled consultation's pages over without making their data: True when each
        is on disk with a fingerprint (else none is carried, and the caller builds them)."""
        exists = os.path.exists
        if not pages or any(
            p not in self.previous or not exists(os.path.join(self.output_path, p)) for p in pages
        ):
            return False
        for page in pages:
            self.current[page] = self.previous[page]
        self.skipped += len(pages)
        return True

    def finish(self) -> int:
        """Delete pages this build no longer produces; save the fingerprints. Returns deletions."""
        deleted = 0
        for save_as in set(self.previous) - set(self.current):
            path = os.path.join(self.output_path, save_as)
            if os.path.isfile(path):
                os.remove(path)
                site_files.removed(path)
                deleted += 1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.current, sort_keys=True), encoding="utf-8")
        return deleted

    def stats(self, deleted: int) -> dict[str, int]:
        return {"rendered": self.rendered, "skipped": self.skipped, "deleted": deleted}
