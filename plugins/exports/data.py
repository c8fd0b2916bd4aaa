"""Open data from the snapshot: per consultation JSON and CSV, public fields only.

The fields are an allowlist: whatever the snapshot grows, only these columns leave the building.
"""

import csv
import io
import json
from typing import Any

from chalicelib.spec import limits

COMMENT_FIELDS = (
    "id",
    "reference",
    "consultation",
    "text",
    "proposal",
    "paragraph",
    "parent",
    "body",
    "created_at",
    "approved_at",
)
PROPOSAL_FIELDS = (
    "id",
    "reference",
    "consultation",
    "title",
    "body",
    "location",
    "created_at",
    "approved_at",
)
AUTHOR_FIELDS = ("respondent_type", "display_name", "organisation_name", "organisation_type")
CSV_COLUMNS = (
    "kind",
    "id",
    "reference",
    "consultation",
    "text",
    "paragraph",
    "proposal",
    "parent",
    "title",
    "body",
    "location",
    *AUTHOR_FIELDS,
    "organisation_type_label",
    "created_at",
    "approved_at",
)


def _public(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    row = {name: item.get(name) for name in fields}
    row.update({name: item["author"].get(name) for name in AUTHOR_FIELDS})
    return row


def consultation_data(consultation: Any, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """Everything public about one consultation's submissions."""
    snapshot = snapshot or {"comments": [], "proposals": [], "generated_at": None}
    slug = consultation.slug
    return {
        "consultation": {
            "slug": slug,
            "title": consultation.title,
            "theme": consultation.theme,
            "opens": consultation.opens.isoformat(),
            "closes": consultation.closes.isoformat(),
        },
        "generated_at": snapshot["generated_at"],
        "comments": [
            _public(c, COMMENT_FIELDS) for c in snapshot["comments"] if c["consultation"] == slug
        ],
        "proposals": [
            _public(p, PROPOSAL_FIELDS) for p in snapshot["proposals"] if p["consultation"] == slug
        ],
    }


def to_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def to_csv(data: dict[str, Any]) -> bytes:
    """One row per comment or proposal, UTF-8 with a BOM so that Excel reads the Greek."""
    labels = limits()["organisation_types"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for kind in ("proposals", "comments"):
        for row in data[kind]:
            label = labels.get(row.get("organisation_type") or "", "")
            writer.writerow({"kind": kind[:-1], **row, "organisation_type_label": label})
    return ("\ufeff" + out.getvalue()).encode("utf-8")
