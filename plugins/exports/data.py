"""Open data from the snapshot: the public rows of each consultation (the whole site's files
are the consultations' files put end to end: site_files.py).

The rows hold the columns of columns.py and nothing else (an allowlist): never an e-mail, a
participant hash, a submission key or a moderation note, whatever the snapshot carries. An
organisation is published by its name only: the name of the person who wrote for it never
leaves, even if a snapshot still carried it.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from chalicelib.spec import limits

from .columns import COMMENT_COLUMNS, CSV_COLUMNS, KINDS, PROPOSAL_COLUMNS, Column
from .participation import participation

EMPTY_SNAPSHOT: dict[str, Any] = {"comments": [], "proposals": [], "generated_at": None}
LISTS = ("comments", "proposals")


def _label(labels: dict[str, str], code: str | None) -> str | None:
    return labels.get(code) if code else None


def _author(author: dict[str, Any]) -> dict[str, Any]:
    """The author's public fields, with the Greek labels of their codes."""
    spec = limits()
    kind = author.get("respondent_type")
    organisation = kind == "organisation"
    org_type = author.get("organisation_type") if organisation else None
    return {
        "respondent_type": kind,
        "respondent_type_label": _label(spec["respondent_types"], kind),
        # an organisation is published by its name only, never its representative's
        "display_name": None if organisation else author.get("display_name"),
        "organisation_name": author.get("organisation_name") if organisation else None,
        "organisation_type": org_type,
        "organisation_type_label": _label(spec["organisation_types"], org_type),
    }


def _answer(answer: dict[str, Any] | None) -> dict[str, Any]:
    answer = answer or {}
    code = answer.get("disposition")
    return {
        "disposition": code,
        "disposition_label": _label(limits()["dispositions"]["labels"], code),
        "answer_text": answer.get("text"),
        "answered_at": answer.get("answered_at"),
    }


def public_row(
    item: dict[str, Any], kind: str, columns: tuple[Column, ...], titles: dict[Any, Any]
) -> dict[str, Any]:
    """One comment or proposal as a row of ``columns`` (None where it has no value).

    ``titles``: ``consultation`` → its title and ``(consultation, text)`` → the text's title.
    """
    values = {
        **{key: item.get(key) for key in ("id", "reference", "consultation", "text")},
        **{key: item.get(key) for key in ("paragraph", "proposal", "parent", "title")},
        **{key: item.get(key) for key in ("body", "location", "created_at", "approved_at")},
        "group": item.get("group") or None,  # absent from the snapshot: in no group
        "supports": int(item.get("supports") or 0),  # confirmed «Υποστηρίζω»
        "kind": kind,
        "kind_label": KINDS[kind],
        "consultation_title": titles.get(item.get("consultation")),
        "text_title": titles.get((item.get("consultation"), item.get("text"))),
        **_author(item.get("author") or {}),
        **_answer(item.get("answer")),
    }
    return {column.name: values.get(column.name) for column in columns}


def _order(item: dict[str, Any]) -> tuple[str, str]:
    return (item["created_at"], item["id"])


def _titles(consultation: Any) -> dict[Any, Any]:
    titles: dict[Any, Any] = {consultation.slug: consultation.title}
    titles.update({(consultation.slug, t.slug): t.title for t in consultation.texts})
    return titles


def header(consultation: Any) -> dict[str, Any]:
    """What the files say of the consultation itself (its JSON's ``consultation``)."""
    return {
        "slug": consultation.slug,
        "title": consultation.title,
        "theme": consultation.theme,
        "opens": consultation.opens.isoformat(),
        "closes": consultation.closes.isoformat(),
    }


def by_consultation(snapshot: dict[str, Any] | None) -> dict[str, dict[str, list]]:
    """Each consultation's own comments and proposals, in one pass over the snapshot (the
    exports of one consultation then never look at another's entries)."""
    groups: dict[str, dict[str, list]] = defaultdict(lambda: {kind: [] for kind in LISTS})
    for kind in LISTS:
        for item in (snapshot or EMPTY_SNAPSHOT)[kind]:
            groups[item.get("consultation")][kind].append(item)
    return dict(groups)


def _moment(stamp: str) -> tuple[str, str]:
    """A UTC stamp in time order: 10:00:00Z before 10:00:00.5Z (not so as plain strings)."""
    return (stamp[:19], stamp[19:-1])


def newest(stamps: Iterable[str | None]) -> str | None:
    """The latest of some UTC stamps (None when there is none)."""
    return max((stamp for stamp in stamps if stamp), key=_moment, default=None)


def newest_change(entries: dict[str, list]) -> str | None:
    """The newest approval or answer among ``entries`` (a consultation's own): its files'
    ``generated_at``, so that they change only when it does (None: nothing published yet)."""
    return newest(
        stamp
        for kind in LISTS
        for item in entries[kind]
        for stamp in (item.get("approved_at"), (item.get("answer") or {}).get("answered_at"))
    )


def consultation_data(consultation: Any, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """Everything public about one consultation's submissions (the JSON file's content).

    ``snapshot``: the snapshot, or only this consultation's entries (by_consultation)."""
    snapshot = snapshot or EMPTY_SNAPSHOT
    slug = consultation.slug
    titles = _titles(consultation)
    mine = {
        kind: sorted((i for i in snapshot[kind] if i.get("consultation") == slug), key=_order)
        for kind in LISTS
    }
    comments = [public_row(c, "comment", COMMENT_COLUMNS, titles) for c in mine["comments"]]
    proposals = [public_row(p, "proposal", PROPOSAL_COLUMNS, titles) for p in mine["proposals"]]
    return {
        "consultation": header(consultation),
        "generated_at": newest_change(mine),
        "comments": comments,
        "proposals": proposals,
        "participation": participation(consultation, comments, proposals),
    }


def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A consultation's CSV rows: its proposals, then its comments, each with its kind."""
    rows = []
    for kind, key in (("proposal", "proposals"), ("comment", "comments")):
        for row in data[key]:
            full = {"kind": kind, "kind_label": KINDS[kind], **row}
            rows.append({column.name: full.get(column.name) for column in CSV_COLUMNS})
    return rows
