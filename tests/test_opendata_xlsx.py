"""The open data's XLSX writer (plugins.exports.xlsx) on its own: well-formed parts, every value
read back as written (strings as strings, the one number as a number), OOXML's escapes, Excel's
cell limit, the same bytes for the same data."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest
import python_calamine

from plugins.exports.columns import COMMENT_COLUMNS, PROPOSAL_COLUMNS, participation_columns
from plugins.exports.xlsx import CELL_MAX, SHEETS, column_name, text, to_xlsx

HOSTILE = [
    "=1+2",
    "<b>&amp; «Πλατεία» & 'ναι'</b>",
    "γραμμή\nδεύτερη\tστήλη",
    "  κενά γύρω  ",
    "\U0001f333 δέντρο",
]


def data(bodies: list[str]) -> dict:
    comments = [
        {c.name: None for c in COMMENT_COLUMNS}
        | {"id": f"c{n}", "body": body, "supports": n, "kind": "comment"}
        for n, body in enumerate(bodies)
    ]
    return {
        "generated_at": "2026-11-25T10:00:00.5Z",
        "comments": comments,
        "proposals": [],
        "participation": [
            {c.name: None for c in participation_columns()}
            | {participation_columns()[0].name: "Σύνολο"}
        ],
    }


def workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def encode(bodies: list[str]) -> bytes:
    return to_xlsx(data(bodies), title="Τίτλος & «δοκιμή»", author="Δήμος", licence="CC BY 4.0")


def test_every_part_is_well_formed_xml() -> None:
    with zipfile.ZipFile(io.BytesIO(encode([*HOSTILE, "\x01\x1f\r"]))) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))  # raises on a bad escape


def test_values_come_back_as_written_with_their_types() -> None:
    book = workbook(encode(HOSTILE))
    assert book.sheetnames == list(SHEETS)
    header, *rows = book[SHEETS[0]].iter_rows()
    assert [c.value for c in header] == [c.title for c in COMMENT_COLUMNS]
    column = {c.name: n for n, c in enumerate(COMMENT_COLUMNS)}
    bodies = [row[column["body"]] for row in rows]
    assert [c.value for c in bodies] == HOSTILE
    assert {c.data_type for c in bodies} == {"s"}  # "=1+2" is text, not a formula
    supports = [row[column["supports"]] for row in rows]
    assert [c.value for c in supports] == list(range(len(HOSTILE)))
    assert {c.data_type for c in supports} == {"n"}
    assert rows[0][column["answer_text"]].value is None  # None: no cell at all
    sheet = book[SHEETS[0]]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{column_name(len(COMMENT_COLUMNS) - 1)}{len(HOSTILE) + 1}"
    assert header[column["body"]].font.b and header[column["body"]].alignment.wrap_text
    assert book.properties.title == "Τίτλος & «δοκιμή»" and book.properties.creator == "Δήμος"
    assert book.properties.created.isoformat() == "2026-11-25T10:00:00"
    assert [len(list(book[s].iter_rows())) for s in SHEETS[1:]] == [1, 2]
    assert [c.value for c in next(book[SHEETS[1]].iter_rows())] == [
        c.title for c in PROPOSAL_COLUMNS
    ]


def test_a_second_reader_reads_the_same_workbook() -> None:
    """Rust's calamine (pandas' engine), not openpyxl: the same sheets, headers and values."""
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(encode(HOSTILE)))
    assert book.sheet_names == list(SHEETS)
    header, *rows = book.get_sheet_by_name(SHEETS[0]).to_python()
    assert header == [c.title for c in COMMENT_COLUMNS]
    column = {c.name: n for n, c in enumerate(COMMENT_COLUMNS)}
    assert [row[column["body"]] for row in rows] == HOSTILE
    assert [row[column["supports"]] for row in rows] == list(range(len(HOSTILE)))
    assert [row[column["id"]] for row in rows] == [f"c{n}" for n in range(len(HOSTILE))]


@pytest.mark.parametrize(
    ("value", "spelled"),
    [
        ("a\rb", "a_x000D_b"),
        ("\x00\x1f", "_x0000__x001F_"),
        ("_x000D_", "_x005F_x000D_"),  # a literal escape stays literal
        ("\ufffe", "_xFFFE_"),
        ("a & <b>", "a &amp; &lt;b&gt;"),
        ("Πλατεία\n\t", "Πλατεία\n\t"),
    ],
)
def test_ooxml_escapes(value: str, spelled: str) -> None:
    assert text(value) == spelled


def test_a_cell_holds_what_excel_holds() -> None:
    assert len(text("α" * (CELL_MAX + 10))) == CELL_MAX
    emoji = text("\U0001f333" * CELL_MAX)  # two UTF-16 units each
    assert len(emoji.encode("utf-16-le")) <= 2 * CELL_MAX and emoji


def test_the_same_data_make_the_same_bytes() -> None:
    assert encode(HOSTILE) == encode(HOSTILE)
    assert encode(HOSTILE) != encode(HOSTILE[:-1])


def test_column_names() -> None:
    assert [column_name(n) for n in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip
