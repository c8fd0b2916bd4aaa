"""Export the approved submissions into the snapshot file the site build reads
(spec/snapshot.schema.json).

Only an allowlist of public fields leaves the database: names only when the author chose to
publish them, never an email, an IP hash, a submission key or a moderation note (an entry's
``participant``, a keyed hash of the e-mail, only lets the build count people). The output is
deterministic (sorted items, sorted keys, ``generated_at`` taken from the data), so an unchanged
database gives a byte-identical file and the build can skip unchanged pages.

An item its author withdrew (chalicelib.store.follow) after it was published leaves only its
place (``withdrawn``: where it was, never its text or its author): the site shows «Αποσύρθηκε από
τον συντάκτη» there, so the replies to it stay readable and its address keeps working. One
withdrawn before publication (no ``approved_at``) leaves nothing.

A full export reads every approved and every withdrawn item; the publish step usually needs only
what changed since its previous snapshot (chalicelib.snapshot_delta), and both give the same
bytes.

One bad item never stops a publish: every entry's text goes through the one cleaner
(chalicelib.text) and the entry is checked against its part of the schema; an item that fails
(a lone surrogate or a noncharacter written by some other road than the API, a missing field) is
left out, logged by id and reported to staff (the moderation summary), and everything else is
published.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from chalicelib import spec, text
from chalicelib.spec import snapshot_schema
from chalicelib.store.keys import Status

logger = logging.getLogger(__name__)

EMPTY_GENERATED_AT = "1970-01-01T00:00:00Z"
SCHEMA_VERSION = 1

# progress(done) after every page of the query: the command line shows it with rich.
Progress = Callable[[int], None]
# The public text of an entry and the cleaner's rule for each (chalicelib.text.FIELDS).
PUBLIC_TEXT = ("body", "title", "location")
ANSWER_TEXT = "answer_text"  # the answer's text, cleaned by the same rules
OPTIONAL_TEXT = ("location",)  # empty once cleaned: absent (null), as intake stores it
AUTHOR_TEXT = ("display_name", "organisation_name")


def _author(item: dict[str, Any]) -> dict[str, Any]:
    """An organisation is published by its name only: the person who wrote for it (its
    ``display_name``) never leaves, whatever they chose; a citizen's name only if they chose."""
    named = item.get("publish_name") is True
    kind = item.get("respondent_type", "citizen")
    return {
        "respondent_type": kind,
        "display_name": item.get("display_name") if named and kind != "organisation" else None,
        "organisation_name": item.get("organisation_name") if named else None,
        "organisation_type": item.get("organisation_type"),
    }


def _answer(item: dict[str, Any]) -> dict[str, Any] | None:
    """The municipality's answer as published: disposition, text and date, never who."""
    answer = item.get("answer")
    if not isinstance(answer, dict):
        return None
    return {
        "disposition": answer["disposition"],
        "text": answer["text"],
        "answered_at": answer["answered_at"],
    }


def _approved_at(item: dict[str, Any]) -> str:
    return item.get("approved_at") or item.get("decided_at") or item["updated_at"]


def stamp(item: dict[str, Any]) -> str:
    """The item's last change as the snapshot's ``generated_at`` counts it."""
    return item.get("updated_at") or _approved_at(item)


def public_comment(item: dict[str, Any]) -> dict[str, Any]:
    """The public face of a comment item: exactly the fields of the schema, nothing else."""
    return {
        "id": item["id"],
        "reference": item["reference"],
        "consultation": item["consultation"],
        "text": item.get("text"),
        "proposal": item.get("proposal"),
        "paragraph": item.get("paragraph"),
        "parent": item.get("parent"),
        "author": _author(item),
        "body": item["body"],
        "created_at": item["created_at"],
        "approved_at": _approved_at(item),
        "answer": _answer(item),
        "participant": item.get("participant"),
        **_redacted(item),
        **_group(item),
        **_supports(item),
    }


def _redacted(item: dict[str, Any]) -> dict[str, bool]:
    """The public mark of a text staff shortened before publishing it (absent otherwise)."""
    return {"redacted": True} if item.get("redacted") else {}


def public_proposal(item: dict[str, Any]) -> dict[str, Any]:
    """The public face of a proposal item."""
    return {
        "id": item["id"],
        "reference": item["reference"],
        "consultation": item["consultation"],
        "title": item["title"],
        "body": item["body"],
        "location": item.get("location"),
        "author": _author(item),
        "created_at": item["created_at"],
        "approved_at": _approved_at(item),
        "answer": _answer(item),
        "participant": item.get("participant"),
        **_redacted(item),
        **_group(item),
        **_supports(item),
    }


def _group(item: dict[str, Any]) -> dict[str, str]:
    """The group of near-identical submissions it belongs to (absent: none; chalicelib.grouping)."""
    return {"group": item["group"]} if item.get("group") else {}


def _supports(item: dict[str, Any]) -> dict[str, int]:
    """How many addresses confirmed their support (absent: none; chalicelib.supports)."""
    count = int(item.get("supports") or 0)
    return {"supports": count} if count > 0 else {}


PUBLIC = {"comment": ("comments", public_comment), "proposal": ("proposals", public_proposal)}
WITHDRAWN = "withdrawn"  # the placeholders' list, and their kind of entry in ``Entries``
LISTS = {**{kind: plural for kind, (plural, _) in PUBLIC.items()}, WITHDRAWN: WITHDRAWN}


def placeholder(item: dict[str, Any]) -> dict[str, Any]:
    """The place a withdrawn comment or proposal held: where it was, nothing of what it said
    or who said it (the withdrawal erased both anyway)."""
    comment = item["kind"] == "comment"
    return {
        "id": item["id"],
        "kind": item["kind"],
        "consultation": item["consultation"],
        **{
            name: item.get(name) if comment else None
            for name in ("text", "proposal", "paragraph", "parent")
        },
        "created_at": item["created_at"],
    }


def was_published(item: dict[str, Any]) -> bool:
    """A withdrawn item leaves a placeholder only if it was ever approved."""
    return bool(item.get("approved_at"))


def approved_items(
    table: Any, progress: Progress | None = None, page_size: int | None = None
) -> list[dict[str, Any]]:
    """Every approved submission."""
    from chalicelib.store import queries  # here: the site build imports validate() only

    return queries.by_status(table, Status.APPROVED, progress=progress, page_size=page_size)


def published_items(
    table: Any, progress: Progress | None = None, page_size: int | None = None
) -> list[dict[str, Any]]:
    """What a full export reads: every approved submission, then every withdrawn one (those
    that were published become placeholders)."""
    from chalicelib.store import queries

    approved = approved_items(table, progress, page_size)
    counted = (lambda done: progress(len(approved) + done)) if progress else None
    withdrawn = queries.by_status(table, Status.WITHDRAWN, progress=counted, page_size=page_size)
    return approved + withdrawn


def assemble(entries: Iterable[tuple[str, dict[str, Any]]], stamps: Iterable[str]) -> dict:
    """The snapshot of public ``(kind, entry)`` pairs: sorted, ``generated_at`` the newest
    stamp. The one place that decides the order, so every way of exporting gives one file."""
    lists: dict[str, list[dict[str, Any]]] = {plural: [] for plural in LISTS.values()}
    for kind, entry in entries:
        lists[LISTS[kind]].append(entry)
    for entries_of_kind in lists.values():
        entries_of_kind.sort(key=lambda e: (e["consultation"], e["created_at"], e["id"]))
    if not lists[WITHDRAWN]:
        del lists[WITHDRAWN]  # optional: a snapshot without any is the one older builds wrote
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": max(stamps, default=EMPTY_GENERATED_AT),
        **lists,
    }


Entries = dict[str, tuple[str, dict[str, Any], str]]


def public_entries(items: list[dict[str, Any]], left_out: dict[str, str] | None = None) -> Entries:
    """id -> (kind, public entry, stamp) of approved submission items and of withdrawn ones
    (kind ``withdrawn``: a placeholder, only for those once published; other kinds dropped).
    An item that cannot be published goes into ``left_out`` (id -> why) instead."""
    entries: Entries = {}
    for item in items:
        kind = item.get("kind")
        if kind not in PUBLIC:
            continue
        withdrawn = item.get("status") == Status.WITHDRAWN
        if withdrawn and not was_published(item):
            continue
        try:
            if withdrawn:
                entry = placeholder(item)
                _entry_validators()[WITHDRAWN](entry)
                entries[item["id"]] = (WITHDRAWN, entry, stamp(item))
            else:
                entry = publishable(kind, PUBLIC[kind][1](item))
                entries[item["id"]] = (kind, entry, stamp(item))
        except (KeyError, TypeError, ValueError, fastjsonschema.JsonSchemaException) as exc:
            problem = _problem(exc)
            logger.warning("snapshot: item %s left out: %s", item.get("id", "?"), problem)
            if left_out is not None and isinstance(item.get("id"), str):
                left_out[item["id"]] = problem
    return entries


def publishable(kind: str, entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` with its text cleaned as intake cleans it and checked against its part of the
    schema; raises (``TextError``, ``JsonSchemaException``) when it cannot be published."""
    for name in PUBLIC_TEXT:
        if isinstance(entry.get(name), str):
            cleaned = text.clean_field(name, entry[name])
            # a required text left empty fails the schema (minLength): the item is left out
            entry[name] = cleaned if cleaned or name not in OPTIONAL_TEXT else None
    answer = entry.get("answer")
    if answer is not None:
        answer["text"] = text.clean_field(ANSWER_TEXT, answer["text"])
    author = entry["author"]
    for name in AUTHOR_TEXT:
        if isinstance(author.get(name), str):
            author[name] = text.clean_field(name, author[name]) or None
    _entry_validators()[kind](entry)
    return entry


def _problem(exc: Exception) -> str:
    """Why an item was left out, in words staff can act on (no text of the item itself)."""
    if isinstance(exc, text.TextError):
        return f"Μη δημοσιεύσιμο κείμενο: {exc.reason}"
    if isinstance(exc, KeyError):
        return f"Λείπει το πεδίο {exc.args[0]}."
    if isinstance(exc, fastjsonschema.JsonSchemaException):
        return f"Δεν ταιριάζει στο σχήμα: {getattr(exc, 'name', '') or 'εγγραφή'}."
    return f"Μη έγκυρη εγγραφή ({type(exc).__name__})."


@cache
def _entry_validators() -> dict[str, Callable[[Any], Any]]:
    """One compiled validator per kind of entry: the schema's own definitions."""
    schema = snapshot_schema()
    return {
        kind: fastjsonschema.compile({"$defs": schema["$defs"], "$ref": f"#/$defs/{kind}"})
        for kind in LISTS
    }


def build(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The snapshot of ``items`` (approved and withdrawn submission items); ``write``
    validates it."""
    found = public_entries(items).values()
    return assemble(((kind, entry) for kind, entry, _ in found), (s for *_, s in found))


def validate(snapshot: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``snapshot`` matches the schema."""
    spec.check("snapshot.schema", snapshot)


def export(table: Any, progress: Progress | None = None) -> dict[str, Any]:
    """Query and filter: the snapshot of the database as it is now (full export)."""
    snapshot = build(published_items(table, progress))
    logger.info(
        "snapshot exported: %s comments, %s proposals, %s withdrawn",
        len(snapshot["comments"]),
        len(snapshot["proposals"]),
        len(snapshot.get(WITHDRAWN, ())),
    )
    return snapshot


_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
# entry id -> (the entry as read from a snapshot file, its line there): see ``written_lines``
Known = dict[str, tuple[dict[str, Any], bytes]]


def _encoded(value: Any) -> bytes:
    return _ENCODE(value).encode("utf-8")


def dumps(snapshot: dict[str, Any], known: Known | None = None) -> bytes:
    """The canonical serialisation: the same snapshot always gives the same bytes. Its keys
    sorted, one entry per line (a diff of two snapshots shows the entries that changed), each
    line made by json's C encoder: ``indent`` would take the pure-Python one, several times
    slower on a consultation's 10,000 comments. An entry that is the very object ``known``
    holds for its id keeps its line as read (a publish after 20 approvals encodes 20 entries,
    not the consultation's 10,000)."""
    known = known or {}

    def line(entry: Any) -> bytes:
        found = known.get(str(entry.get("id"))) if isinstance(entry, dict) else None
        return found[1] if found is not None and found[0] is entry else _encoded(entry)

    parts = []
    for key in sorted(snapshot):
        value = snapshot[key]
        if isinstance(value, list) and value:
            value_bytes = b"[\n" + b",\n".join(map(line, value)) + b"\n]"
        else:
            value_bytes = _encoded(value)
        parts.append(_encoded(key) + b": " + value_bytes)
    return b"{\n" + b",\n".join(parts) + b"\n}\n"


def written_lines(raw: bytes, data: dict[str, Any]) -> Known:
    """The lines of the entries of ``data``, the snapshot that ``raw`` (as ``dumps`` wrote it)
    holds, for ``dumps`` to reuse; none when ``raw`` is not laid out so."""
    lines = [line.rstrip(b",") for line in raw.split(b"\n") if line[:2] == b'{"']
    entries = [e for key in sorted(data) if isinstance(data[key], list) for e in data[key]]
    if len(lines) != len(entries):
        return {}
    found: Known = {}
    for entry, line in zip(entries, lines, strict=True):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry_id, str) or b'"id": ' + _encoded(entry_id) not in line:
            return {}
        found[entry_id] = (entry, line)
    return found


def write(snapshot: dict[str, Any], path: Path) -> bool:
    """Validate and write atomically; False (file untouched) when the bytes are the same."""
    validate(snapshot)
    return write_bytes(dumps(snapshot), path)


def write_bytes(data: bytes, path: Path) -> bool:
    """Replace ``path`` atomically with ``data``; False (untouched) when already equal."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return True
