"""Participation in numbers: per text, for the proposals, per consultation and for the site.

Counted from the public rows (data.py): comments (replies included), proposals, how many came
from citizens and from organisations, and how many the municipality answered, by disposition.
Every count adds up, so the site's row is the sum of the consultations' rows (site_total).
"""

from collections.abc import Iterable
from typing import Any

from chalicelib.spec import limits

from .columns import SCOPES, participation_columns


def _count(
    scope: str,
    where: dict[str, Any],
    comments: list[dict[str, Any]],
    proposals: list[dict[str, Any]],
) -> dict[str, Any]:
    items = [*comments, *proposals]
    by_type = [i["respondent_type"] for i in items]
    answered = [i["disposition"] for i in items if i.get("disposition")]
    values = {
        "scope": scope,
        "scope_label": SCOPES[scope],
        **where,
        "comments": len(comments),
        "proposals": len(proposals),
        "by_citizens": by_type.count("citizen"),
        "by_organisations": by_type.count("organisation"),
        "answered": len(answered),
        **{f"answered_{code}": answered.count(code) for code in limits()["dispositions"]["labels"]},
    }
    return {column.name: values.get(column.name) for column in participation_columns()}


def participation(
    consultation: Any, comments: list[dict[str, Any]], proposals: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows of one consultation: its texts, its proposals, its total (last)."""
    site = {"consultation": consultation.slug, "consultation_title": consultation.title}
    texts = [(t.slug, t.title) for t in consultation.texts]
    known = {slug for slug, _ in texts}
    # a comment on a text the site no longer has is still counted, on a row of its own
    texts += [(slug, None) for slug in sorted({c["text"] for c in comments} - known - {None})]
    rows = [
        _count(
            "text",
            site | {"text": slug, "text_title": title},
            [c for c in comments if c["text"] == slug],
            [],
        )
        for slug, title in texts
    ]
    on_proposals = [c for c in comments if not c["text"]]
    rows.append(_count("proposals", site, on_proposals, proposals))
    rows.append(_count("consultation", site, comments, proposals))
    return rows


def site_total(totals: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The whole site's row: the sum of the consultations' own total rows (their ``scope``
    ``consultation``), so the site's file needs no row of any consultation in memory."""
    columns = participation_columns()
    counts = [column.name for column in columns if column.type == "integer"]
    summed = dict.fromkeys(counts, 0)
    for row in totals:
        for name in counts:
            summed[name] += row[name]
    values = {"scope": "site", "scope_label": SCOPES["site"], **summed}
    return {column.name: values.get(column.name) for column in columns}
