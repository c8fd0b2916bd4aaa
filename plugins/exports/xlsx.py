"""The XLSX file: sheets for the comments, the proposals and the participation, Greek headers.

Every string is written with ``write_string`` and the workbook is made with XlsxWriter's
conversions off (no string becomes a formula, a number or a link): a comment that begins with =
stays the text the citizen wrote, so the XLSX needs no ' prefix (text_files.neutralise). The
file is the same bytes for the same data: its creation date is the data's ``generated_at`` (its
newest approval or answer), never the build's (XlsxWriter's zip entries carry a fixed date).
"""

import io
from datetime import UTC, datetime
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from .columns import COMMENT_COLUMNS, PROPOSAL_COLUMNS, Column, participation_columns

OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
FIXED_DATE = datetime(2026, 1, 1)  # the creation date of a file with nothing published
SHEETS = ("Σχόλια", "Προτάσεις", "Συμμετοχή")
WIDE = {"body", "answer_text", "title"}


def created(generated_at: str | None) -> datetime:
    """The workbook's creation date: its data's (naive UTC, as XlsxWriter wants it)."""
    if not generated_at:
        return FIXED_DATE
    moment = datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
    return moment.astimezone(UTC).replace(tzinfo=None)


def _sheet(workbook: Any, name: str, columns: tuple[Column, ...], rows: list[dict]) -> None:
    sheet = workbook.add_worksheet(name)
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    for col, column in enumerate(columns):
        sheet.write_string(0, col, column.title, header)
        sheet.set_column(col, col, 60 if column.name in WIDE else 18)
    for number, row in enumerate(rows, start=1):
        for col, column in enumerate(columns):
            value = row.get(column.name)
            if value is None:
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(number, col, value)
            else:
                sheet.write_string(number, col, str(value))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)


def to_xlsx(data: dict[str, Any], *, title: str, author: str, licence: str) -> bytes:
    """The workbook of a consultation's ``data`` (data.py)."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, OPTIONS)
    workbook.set_properties(
        {
            "title": title,
            "author": author,
            "company": author,
            "comments": licence,
            "created": created(data.get("generated_at")),
        }
    )
    comments, proposals, participation = SHEETS
    _sheet(workbook, comments, COMMENT_COLUMNS, data["comments"])
    _sheet(workbook, proposals, PROPOSAL_COLUMNS, data["proposals"])
    _sheet(workbook, participation, participation_columns(), data["participation"])
    workbook.close()
    return out.getvalue()
