"""The whole site's JSON and CSV, put together from the consultations' own files.

Every consultation's file is already on disk (made now, or kept from an earlier build because
its data did not change), so the site's files are those files end to end: the CSV's header
once, then each consultation's rows in the order of the site; the JSON's lists each the
consultations' lists one after the other (to_json writes one row per line, so a list is a run
of whole lines), then the site's participation row, the sum of the consultations' totals.
Nothing holds the site's rows: each piece is copied from its file to the site's in chunks.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .data import EMPTY_SNAPSHOT
from .participation import site_total
from .text_files import to_csv

CHUNK = 1024 * 1024
JSON_LISTS = ("comments", "proposals", "participation")  # a consultation's JSON's lists
ROW_LISTS = ("comments", "proposals")  # its lists of submissions (not the counts)
REGROUPED = ("group",)  # a row's columns that may change without taking anything back


class SiteFileError(Exception):
    """A consultation's JSON is not laid out as to_json lays it out (a bug, never data)."""


class Sink:
    """A file being written, with its size and SHA-256 known at the end without reading it."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.sha.update(data)
        self.size += len(data)

    def copy(self, path: Path, start: int, end: int | None = None) -> None:
        """Bytes ``start``..``end`` (the end of the file when None) of ``path``."""
        with path.open("rb") as source:
            source.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                chunk = source.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    break
                self.write(chunk)
                if left is not None:
                    left -= len(chunk)


@dataclass(frozen=True)
class Layout:
    """Where a consultation's JSON file has each list's rows, and its participation total."""

    rows: dict[str, tuple[int, int]]  # list name -> (start, end) of its rows; empty: start == end
    total: dict[str, Any]  # its participation row of scope "consultation"


def _rows(content: bytes, name: str, start: int) -> tuple[int, int]:
    """Where the rows of list ``name`` are, searching from ``start``: a list is either
    ``"name": []`` or ``"name": [`` and a line per row up to a line ``]`` (a row is one line
    that begins with ``{``, so neither marker can occur inside one)."""
    opening = b"\n" + json.dumps(name).encode("utf-8") + b": ["
    found = content.find(opening, start)
    if found < 0:
        raise SiteFileError(name)
    first = found + len(opening)
    if content[first : first + 1] == b"]":
        return first, first
    end = content.find(b"\n]", first)
    if content[first : first + 1] != b"\n" or end < 0:
        raise SiteFileError(name)
    return first + 1, end


def layout(content: bytes, total: dict[str, Any]) -> Layout:
    """The layout of a consultation's JSON file (``content``, as to_json made it), found when
    it is made: the whole site's file then copies its rows without reading the rest."""
    rows, at = {}, 0
    for name in JSON_LISTS:
        rows[name] = _rows(content, name, at)
        at = rows[name][1]
    return Layout(rows, total)


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _list(sink: Sink, name: str, pieces: Iterable[tuple[Path, int, int] | bytes]) -> None:
    """``"name": [`` the pieces' rows, one per line ``]``, as to_json writes a list."""
    parts = [p for p in pieces if isinstance(p, bytes) or p[1] < p[2]]
    sink.write(_line(name) + b": ")
    if not parts:
        sink.write(b"[]")
        return
    sink.write(b"[\n")
    for number, part in enumerate(parts):
        if number:
            sink.write(b",\n")
        if isinstance(part, bytes):
            sink.write(part)
        else:
            sink.copy(*part)
    sink.write(b"\n]")


def write_json(
    sink: Sink,
    headers: list[dict[str, Any]],
    generated_at: str | None,
    files: list[tuple[Path, Layout]],
) -> None:
    """The site's JSON from the consultations' JSON files (in the site's order): byte for byte
    what to_json makes of their data put together (``consultations``, ``generated_at``, the
    lists, the site's total last)."""
    sink.write(b"{\n")
    _list(sink, "consultations", [_line(h) for h in headers])
    sink.write(b",\n" + _line("generated_at") + b": " + _line(generated_at) + b",\n")
    total = _line(site_total(layout.total for _, layout in files))
    for name in JSON_LISTS:
        rows = [(path, *layout.rows[name]) for path, layout in files]
        _list(sink, name, [*rows, *([total] if name == "participation" else [])])
        sink.write(b",\n" if name != JSON_LISTS[-1] else b"\n")
    sink.write(b"}\n")


def write_csv(sink: Sink, paths: list[Path]) -> None:
    """The site's CSV: the header once (with the BOM), then each consultation's rows."""
    sink.write(to_csv(EMPTY_SNAPSHOT))
    for path in paths:
        with path.open("rb") as file:
            start = len(file.readline())  # the BOM and the header, one line
        sink.copy(path, start)


def _as_published(row: Any) -> Any:
    """A row as only_added compares it: without its ``group``. A row's cells are strings,
    numbers or None, so its sorted items are hashable as they are (ten times faster than
    encoding each row of a 10,000-row file); anything else is compared as its JSON."""
    if isinstance(row, dict):
        cells = tuple(sorted((k, v) for k, v in row.items() if k not in REGROUPED))
        if all(isinstance(v, str | int | float | None) for _, v in cells):
            return cells
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


def only_added(previous: Path, data: dict[str, Any]) -> bool:
    """Whether a consultation's ``data`` only adds rows to its ``previous`` JSON file (every
    earlier comment and proposal still there, unchanged): then the whole site's files may wait
    for their day; a row hidden, withdrawn, shortened or answered anew may not wait. A row
    whose only change is its ``group`` waits too: nothing published is taken back, and during
    a campaign the grouping gives earlier rows a group at almost every publish (each would
    copy the whole site's files). No earlier file (a new consultation) only adds; an
    unreadable one is taken as changed."""
    try:
        before = json.loads(previous.read_bytes())
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    for name in ROW_LISTS:
        now = {_as_published(row) for row in data.get(name, [])}
        rows = before.get(name) if isinstance(before, dict) else None
        if not isinstance(rows, list):
            return False
        if any(_as_published(row) not in now for row in rows):
            return False
    return True
