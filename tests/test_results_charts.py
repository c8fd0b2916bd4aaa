"""The participation charts (plugins/results/charts.py): standalone SVG files that a public page
shows as images, so they must parse, run no script, fetch nothing, say what they show (title and
description, for the image's alt), read in Greek, and be the same bytes for the same numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from test_results_stats import bare, fixture_consultation

from plugins.results import charts as module
from plugins.results.campaigns import Tally
from plugins.results.charts import Chart, charts
from plugins.results.stats import DayRow, Participation, TextRow, participation

NS = {"svg": "http://www.w3.org/2000/svg"}
NAMESPACES = {b"http://www.w3.org/2000/svg", b"http://www.w3.org/1999/xlink"}
ALL = ["ana-imera", "ana-keimeno", "ana-katigoria", "ana-eidos-forea", "apantiseis"]


@pytest.fixture(scope="module")
def fixture() -> Participation:
    return participation(fixture_consultation())


@pytest.fixture(scope="module")
def made(fixture: Participation) -> dict[str, Chart]:
    return {c.name: c for c in charts(fixture)}


def large(p: Participation) -> Participation:
    """Thirty texts with long titles and two months of days: the size a real one reaches."""
    texts = tuple(
        TextRow(
            f"keimeno-{i}",
            f"Ένα κείμενο με αρκετά μεγάλο τίτλο, το υπ' αριθμόν {i}",
            i * 37,
            (),
            Tally(i * 37, i * 37, 0, 0),
        )
        for i in range(30)
    )
    days = tuple(DayRow(f"2026-{10 + d // 31}-{d % 31 + 1:02d}", d * 7 % 23) for d in range(61))
    return replace(p, texts=texts, days=days)


def text_of(svg: bytes) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iterfind(".//svg:text", NS)]


def test_every_chart_of_the_fixture_in_the_page_order(made: dict[str, Chart]) -> None:
    assert list(made) == ALL


def test_each_parses_as_svg_with_no_script(made: dict[str, Chart]) -> None:
    for chart in made.values():
        root = ET.fromstring(chart.svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", chart.name
        assert root.find(".//svg:script", NS) is None, chart.name
        assert b"<script" not in chart.svg and b"javascript" not in chart.svg.lower()
        assert not any(name.startswith("on") for e in root.iter() for name in e.attrib)
        assert b"tooltip-overlay" not in chart.svg, chart.name  # only pygal's script shows it


def test_no_external_reference(made: dict[str, Chart]) -> None:
    for chart in made.values():
        found = set(re.findall(rb"https?://[^\s\"'<>)]*", chart.svg))
        assert found <= NAMESPACES, (chart.name, found)
        assert b"href" not in chart.svg and b"url(" not in chart.svg, chart.name
        assert b"@import" not in chart.svg and b"@font-face" not in chart.svg, chart.name
        assert b"<?xml-stylesheet" not in chart.svg, chart.name


def test_title_and_description_first_and_named_by_the_root(made: dict[str, Chart]) -> None:
    for chart in made.values():
        root = ET.fromstring(chart.svg)
        title, desc = root[0], root[1]
        assert title.tag.endswith("}title") and title.text == chart.title, chart.name
        assert desc.tag.endswith("}desc") and desc.text == chart.description, chart.name
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), chart.name
        # pygal's tooltip titles and data would be read as more "titles": gone
        assert len(root.findall(".//svg:title", NS)) == 1, chart.name
        assert len(root.findall(".//svg:desc", NS)) == 1, chart.name


def test_the_descriptions_say_the_numbers(made: dict[str, Chart]) -> None:
    assert made["ana-keimeno"].description == (
        "Σχόλια ανά κείμενο, 5 σχόλια συνολικά. «Ανάπλαση πλατείας»: 5, «Δράση για τα ποδήλατα»: 0."
    )
    assert made["ana-katigoria"].description.endswith("Πολίτης: 6, Συλλογικός φορέας: 2.")
    assert made["ana-eidos-forea"].description.endswith("Σύλλογος: 1, Σωματείο: 1.")
    assert "Προβλέπεται ήδη: 1" in made["apantiseis"].description
    assert "Χωρίς απάντηση ακόμη: 6" in made["apantiseis"].description
    assert made["ana-imera"].description == (
        "Υποβολές ανά ημέρα, από 20 Νοεμβρίου 2026 έως 24 Νοεμβρίου 2026: 8 υποβολές σε "
        "5 ημέρες· οι περισσότερες, 3, στις 24 Νοεμβρίου 2026."
    )


def test_greek_labels_and_values_are_drawn_first_row_on_top(made: dict[str, Chart]) -> None:
    root = ET.fromstring(made["ana-katigoria"].svg)
    labels = {t.text: float(t.get("y", "0")) for t in root.iterfind(".//svg:text", NS)}
    assert labels["Πολίτης"] < labels["Συλλογικός φορέας"]  # in the table's order, top down
    values = [t.text for t in root.iterfind(".//svg:text[@class='value']", NS)]
    assert sorted(values) == ["2", "6"]
    assert "Ανάπλαση πλατείας" in text_of(made["ana-keimeno"].svg)
    assert made["ana-keimeno"].svg.startswith(b"<?xml version='1.0' encoding='utf-8'?>")


def test_the_same_numbers_give_the_same_bytes(fixture: Participation) -> None:
    first, second = charts(fixture), charts(fixture)
    assert [c.svg for c in first] == [c.svg for c in second]
    for chart in first:
        assert ET.fromstring(chart.svg).get("id") == f"chart-{chart.name}"
        assert not re.search(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}", chart.svg), chart.name


def test_a_system_font_and_dark_text(made: dict[str, Chart]) -> None:
    style = ET.fromstring(made["ana-keimeno"].svg).find(".//svg:style", NS)
    assert style is not None and style.text
    assert "font-family:system-ui" in style.text and "sans-serif" in style.text
    colours = set(re.findall(r"#[0-9a-fA-F]{6}\b", style.text))
    assert colours >= {module.INK, module.BLUE}
    for colour in colours - {module.STYLE.background, module.GUIDE}:
        assert contrast(colour, "#ffffff") >= 4.5, colour
    assert "fill-opacity:.7" not in style.text  # bars in their full colour


def test_thirty_bars_stay_small(fixture: Participation) -> None:
    made = {c.name: c for c in charts(large(fixture))}
    assert len(ET.fromstring(made["ana-keimeno"].svg).findall(".//svg:rect", NS)) >= 30
    for chart in made.values():
        assert len(chart.svg) < 30_000, (chart.name, len(chart.svg))
    description = made["ana-keimeno"].description  # thirty rows: the three largest named
    assert "Οι τρεις μεγαλύτερες τιμές από 30" in description
    assert "«Ένα κείμενο με αρκετά μεγάλο τίτλο, το υπ' αριθμόν 29»: 1.073" in description
    long_labels = [t for t in text_of(made["ana-keimeno"].svg) if t.startswith("Ένα κείμενο")]
    assert long_labels and all(len(t) <= module.LABEL_CHARACTERS for t in long_labels)


def test_a_chart_without_data_is_skipped(fixture: Participation) -> None:
    no_answers = replace(
        fixture,
        answers=replace(
            fixture.answers,
            dispositions=tuple(replace(d, count=0) for d in fixture.answers.dispositions),
            answered=0,
            unanswered=fixture.totals.submissions,
        ),
        organisation_types=(),
        texts=tuple(replace(t, comments=0, paragraphs=()) for t in fixture.texts),
    )
    assert [c.name for c in charts(no_answers)] == ["ana-imera", "ana-katigoria"]


def test_an_empty_consultation_has_no_chart() -> None:
    assert charts(participation(bare())) == []


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
