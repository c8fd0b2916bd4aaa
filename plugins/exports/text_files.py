"""The JSON and CSV files, byte for byte the same for the same snapshot."""

import csv
import io
import json
from typing import Any

from .columns import CSV_COLUMNS
from .data import csv_rows

# What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A string cell a spreadsheet would run as a formula, made text: a ' goes before it.

    =cmd|' /C calc'!A0 or +HYPERLINK(...) in a comment must open as the words the citizen
    wrote, not run. OWASP's advice: prefix such a cell with a single quote, which spreadsheets
    read as "this is text" (and most do not show). The CSV uses this for every cell; the XLSX
    does not need it, because its cells are written with ``write_string`` (never as formulas)
    and the workbook is made with ``strings_to_formulas`` off (xlsx.py).
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_json(data: dict[str, Any]) -> bytes:
    """One key per line and one row per line: readable in an editor, and each row made by the
    json module's C encoder (``indent`` switches to its Python one: 0.75 s instead of 0.58 s for
    every file of the large site)."""
    lines = []
    for key, value in data.items():
        name = json.dumps(key)
        if isinstance(value, list) and value:
            rows = ",\n".join(json.dumps(row, ensure_ascii=False) for row in value)
            lines.append(f"{name}: [\n{rows}\n]")
        else:
            lines.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8")


def to_csv(data: dict[str, Any]) -> bytes:
    """One row per proposal or comment, UTF-8 with a BOM (so that Excel reads the Greek), every
    cell that would start a formula neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.name for column in CSV_COLUMNS])
    for row in csv_rows(data):
        writer.writerow(
            ["" if row[c.name] is None else neutralise(row[c.name]) for c in CSV_COLUMNS]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
