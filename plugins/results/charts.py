"""The participation charts of a results page: standalone SVG files made at build time.

pygal draws them; this module then makes each file fit for a public, accessible site: no
JavaScript (pygal always writes its config script, and tooltips only JavaScript shows), a
``<title>`` and a ``<desc>`` first, ``role="img"`` with ``aria-labelledby``, Greek as UTF-8, a
system font stack and no external reference, and the same bytes for the same numbers (pygal's
random id and its dated comment go), so an unchanged page is not uploaded again. The page shows
each as ``<img alt="description">`` beside a table of the same numbers (plugins/results/stats.py).
"""

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pygal  # type: ignore[import-untyped]
from babel.numbers import format_decimal
from pygal.style import Style  # type: ignore[import-untyped]

from plugins.greek.dates import greek_date

from .stats import Participation

SVG = "http://www.w3.org/2000/svg"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BLUE, INK, SUBTLE, WHITE = "#003476", "#1b1b1b", "#595959", "#ffffff"  # ≥ 7:1 on white
GUIDE = "#c8c8c8"  # the value grid: light, so that printed values cross it legibly
STYLE = Style(
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif",
    background=WHITE,
    plot_background=WHITE,
    foreground=INK,
    foreground_strong=INK,
    foreground_subtle=SUBTLE,
    colors=(BLUE,),
    value_colors=(INK,),
    opacity="1",
    opacity_hover="1",
    transition="0s",
    title_font_size=20,
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=14,
    guide_stroke_color=GUIDE,
    major_guide_stroke_color=GUIDE,
)
COMMON: dict[str, Any] = {
    "style": STYLE,
    "js": [],
    "css": ["file://style.css", "file://graph.css"],
    "show_legend": False,
    "explicit_size": True,
    "disable_xml_declaration": True,
    "width": 800,
    "margin": 16,
}
ROW_HEIGHT, CHROME = 30, 110  # a horizontal chart's height: per bar, and for title and axis
LABEL_CHARACTERS = 40  # a longer bar label is cut with «…» (the table beside has it whole)
MAX_LISTED = 8  # a description names at most this many rows, else the largest three
UNANSWERED = "Χωρίς απάντηση ακόμη"


@dataclass(frozen=True)
class Chart:
    name: str  # ELOT 743 slug: the file is <name>.svg
    title: str
    description: str  # one Greek sentence of the numbers, for <desc> and the <img> alt
    svg: bytes


def charts(p: Participation) -> list[Chart]:
    """The charts that have something to show, in the page's order."""
    found = [_by_day(p), _by_text(p), _by_respondent(p), _by_organisation(p), _by_answer(p)]
    return [c for c in found if c is not None]


def _by_day(p: Participation) -> Chart | None:
    if not p.totals.submissions or not p.days:
        return None
    values = [d.submissions for d in p.days]
    busiest = max(p.days, key=lambda d: d.submissions)
    idle = values.count(0)
    description = (
        f"Υποβολές ανά ημέρα, από {greek_date(p.days[0].date)} έως "
        f"{greek_date(p.days[-1].date)}: {_count(sum(values), 'υποβολή', 'υποβολές')} σε "
        f"{_count(len(values), 'ημέρα', 'ημέρες')}"
        + (f" ({_n(idle)} χωρίς καμία)" if idle else "")
        + f"· οι περισσότερες, {_n(busiest.submissions)}, στις {greek_date(busiest.date)}."
    )
    title = "Υποβολές ανά ημέρα"
    chart = pygal.Bar(
        title=title,
        height=420,
        print_values=len(values) <= 16,
        print_values_position="top",
        x_label_rotation=-45 if len(values) > 10 else 0,
        show_minor_x_labels=False,
        x_labels_major_every=math.ceil(len(values) / 15),
        **_value_axis(max(values)),
        **COMMON,
    )
    chart.x_labels = [f"{d.date[8:10]}/{d.date[5:7]}" for d in p.days]
    chart.add("Υποβολές", values)
    return _chart(chart, "ana-imera", title, description)


def _by_text(p: Participation) -> Chart | None:
    rows = [(t.title, t.comments) for t in p.texts]
    return _bars("ana-keimeno", "Σχόλια ανά κείμενο", rows, ("σχόλιο", "σχόλια"), quote=True)


def _by_respondent(p: Participation) -> Chart | None:
    rows = [(r.label, r.submissions) for r in p.respondent_types]
    return _bars(
        "ana-katigoria", "Υποβολές ανά κατηγορία συμμετέχοντα", rows, ("υποβολή", "υποβολές")
    )


def _by_organisation(p: Participation) -> Chart | None:
    rows = [(r.label, r.submissions) for r in p.organisation_types]
    return _bars("ana-eidos-forea", "Υποβολές φορέων ανά είδος", rows, ("υποβολή", "υποβολές"))


def _by_answer(p: Participation) -> Chart | None:
    if not p.answers.answered:
        return None
    rows = [(d.label, d.count) for d in p.answers.dispositions]
    rows.append((UNANSWERED, p.answers.unanswered))
    return _bars("apantiseis", "Απαντήσεις του Δήμου", rows, ("υποβολή", "υποβολές"))


def _bars(
    name: str,
    title: str,
    rows: list[tuple[str, int]],
    noun: tuple[str, str],
    quote: bool = False,
) -> Chart | None:
    """A horizontal bar chart, first row on top; None when every value is zero."""
    total = sum(v for _, v in rows)
    if not total:
        return None
    named = [(f"«{label}»" if quote else label, value) for label, value in rows]
    shown = named if len(named) <= MAX_LISTED else sorted(named, key=lambda r: -r[1])[:3]
    listed = ", ".join(f"{label}: {_n(value)}" for label, value in shown)
    which = "" if shown is named else f"Οι τρεις μεγαλύτερες τιμές από {_n(len(named))}: "
    description = f"{title}, {_count(total, *noun)} συνολικά. {which}{listed}."
    chart = pygal.HorizontalBar(
        title=title,
        height=CHROME + ROW_HEIGHT * len(rows),
        print_values=True,
        print_values_position="top",
        **_value_axis(max(v for _, v in rows), headroom=1.15),
        **COMMON,
    )
    chart.x_labels = [_short(label) for label, _ in reversed(rows)]  # pygal draws bottom up
    chart.add(noun[1].capitalize(), [v for _, v in reversed(rows)])
    return _chart(chart, name, title, description)


def _value_axis(largest: int, headroom: float = 1.0) -> dict[str, Any]:
    """Whole-number ticks from zero, with room past the largest bar for its printed value."""
    step = _step(largest)
    top = max(step, math.ceil(largest * headroom / step) * step)
    return {
        "range": (0, top),
        "y_labels": list(range(0, top + 1, step)),
        "value_formatter": _n,
    }


def _step(largest: int) -> int:
    """1, 2 or 5 times a power of ten: about five ticks."""
    rough = max(1.0, largest / 5)
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _chart(chart: Any, name: str, title: str, description: str) -> Chart:
    chart.uuid = name  # pygal's ids and CSS selectors: #chart-<name>, not a random uuid
    return Chart(name, title, description, _finish(chart.render(), name, description))


def _finish(raw: str | bytes, name: str, description: str) -> bytes:
    """pygal's SVG made standalone, static and accessible; the parser drops its comments."""
    root = ET.fromstring(raw)
    for parent in list(root.iter()):
        for child in list(parent):
            if _unwanted(child, parent is root):
                parent.remove(child)
            elif "value" in child.get("class", "").split():
                child.set("text-anchor", "start")  # a printed value begins past its bar
    title = root.find(f"{{{SVG}}}title")
    if title is None:
        raise ValueError(f"pygal wrote no <title> for {name}")
    root.remove(title)
    desc = ET.Element(f"{{{SVG}}}desc", id=f"{name}-desc")
    desc.text = description
    title.set("id", f"{name}-title")
    title.tail = desc.tail = None
    root[0:0] = [title, desc]
    root.set("role", "img")
    root.set("aria-labelledby", f"{name}-title {name}-desc")
    root.set(XML_LANG, "el")
    for element in root.iter():  # SVG as the default namespace, as pygal writes it
        element.tag = element.tag.rpartition("}")[2]
    root.set("xmlns", SVG)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _unwanted(element: ET.Element, top_level: bool) -> bool:
    """What serves only pygal's JavaScript: its script, the tooltips and their data."""
    tag = element.tag.rpartition("}")[2]
    classes = element.get("class", "").split()
    return (
        tag == "script"
        or (tag in ("title", "desc") and not top_level)
        or "tooltip-overlay" in classes
    )


def _short(label: str) -> str:
    if len(label) <= LABEL_CHARACTERS:
        return label
    return label[: LABEL_CHARACTERS - 1].rstrip() + "…"


def _n(value: float) -> str:
    """A count the Greek way: 1.234."""
    return str(format_decimal(value, format="#,##0", locale="el"))


def _count(value: int, one: str, many: str) -> str:
    return f"{_n(value)} {one if value == 1 else many}"
