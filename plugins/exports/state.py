"""What the previous build made, so that a consultation whose data did not change keeps its
files without encoding them again (``EXPORTS_STATE``: a dot file beside the pages, never
uploaded). Lost or unreadable, it only costs one encoding of everything: the files come out the
same bytes.

Per file: the key it was made from, its size and SHA-256 (what the data package says of it).
Per consultation: its key, its ``generated_at``, where its JSON file has each list's rows and
its participation total (what the whole site's JSON takes from it without reading it).
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .site_files import JSON_LISTS, Layout

EXPORTS_STATE = ".exports-state.json"


@dataclass(frozen=True)
class FileRecord:
    key: str  # what it was made from
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Made:
    """A consultation's files as made: from ``key``, dated ``generated_at``."""

    key: str
    generated_at: str | None
    layout: Layout
    counts: dict[str, int]  # its comments and proposals (the open-data page shows them)
    made_on: str | None = None  # the Athens day it was encoded (ISO): new rows wait for the next
    behind: bool = False  # kept while its entries changed (they wait): made at the next chance


def file_sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _file(value: Any) -> FileRecord | None:
    if isinstance(value, list) and len(value) == 3:
        key, size, sha = value
        if isinstance(key, str) and isinstance(size, int) and isinstance(sha, str):
            return FileRecord(key, size, sha)
    return None


def _made(value: Any) -> Made | None:
    try:
        spans = {name: value["rows"][name] for name in JSON_LISTS}
        rows = {name: (int(start), int(end)) for name, (start, end) in spans.items()}
        counts = {str(kind): int(n) for kind, n in dict(value["counts"]).items()}
        layout = Layout(rows, dict(value["total"]))
        made_on = value.get("made_on")
        made_on = made_on if isinstance(made_on, str) else None
        behind = value.get("behind") is True
        made = Made(value["key"], value["generated_at"], layout, counts, made_on, behind)
    except (KeyError, TypeError, ValueError):
        return None
    return made if isinstance(made.key, str) else None


class ExportsState:
    """The previous build's records, and this build's (saved by ``save``)."""

    def __init__(self, output: Path) -> None:
        self.output = output
        try:
            loaded = json.loads((output / EXPORTS_STATE).read_bytes())
        except (OSError, ValueError):
            loaded = {}
        if not isinstance(loaded, dict):
            loaded = {}
        files, made = loaded.get("files"), loaded.get("consultations")
        files = files.items() if isinstance(files, dict) else ()
        made = made.items() if isinstance(made, dict) else ()
        self.previous_files = {name: r for name, value in files if (r := _file(value))}
        self.previous_made = {slug: m for slug, value in made if (m := _made(value))}
        site = loaded.get("site")
        self.previous_site: dict[str, Any] = site if isinstance(site, dict) else {}
        self.files: dict[str, FileRecord] = {}
        self.made: dict[str, Made] = {}
        self.site: dict[str, Any] = {}  # the whole site's files: made on, counts, due

    def kept_file(self, save_as: str, key: str | None) -> FileRecord | None:
        """The record of ``save_as`` if it was made from ``key`` (None: from any) and is still
        on disk, of the size it was made."""
        record = self.previous_files.get(save_as)
        path = self.output / save_as
        if record is None or key not in (None, record.key) or not path.is_file():
            return None
        return record if path.stat().st_size == record.bytes else None

    def kept(self, slug: str, key: str | None, names: list[str]) -> Made | None:
        """A consultation made from ``key`` (None: a settled one's, from the key it was made
        from) whose files (``names``) are all still there."""
        made = self.previous_made.get(slug)
        if made is None or made.key != (made.key if key is None else key):
            return None
        key = made.key
        if any(self.kept_file(name, key) is None for name in names):
            return None
        return made

    def save(self) -> bytes:
        """This build's records, as the state file's bytes."""
        state = {
            "files": {name: [r.key, r.bytes, r.sha256] for name, r in self.files.items()},
            "consultations": {
                slug: {
                    "key": made.key,
                    "generated_at": made.generated_at,
                    "rows": made.layout.rows,
                    "total": made.layout.total,
                    "counts": made.counts,
                    "made_on": made.made_on,
                    "behind": made.behind,
                }
                for slug, made in self.made.items()
            },
            "site": self.site,
        }
        return json.dumps(state, sort_keys=True, ensure_ascii=False).encode("utf-8")
