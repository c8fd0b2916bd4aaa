"""The results pages of a closed consultation, written with the consultation's own pages
(plugins/consultations ``consultation_pages``), so the same render fingerprints skip them when
nothing they show changed.

A small consultation gets one page (RESULTS_URL) that prints as one document; a large one gets
the same main page with a page per text and one for the proposals (RESULTS_TEXT_URL), each cut
into parts (RESULTS_PART_URL) so that no results page is heavy. Charts are SVG files beside it
(RESULTS_CHART_URL).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, time
from typing import Any

from chalicelib import timeline
from chalicelib.clock import ATHENS
from plugins.consultations import urls
from plugins.consultations.generator import ConsultationsGenerator, Pages
from plugins.consultations.models import Consultation

from . import charts, sections, stats
from .report import Report, read_report

logger = logging.getLogger(__name__)

REPORTS = "results_reports"  # the context key of the reports read at context time


def read_reports(generators: list[Any]) -> None:
    """Every consultation's report, read before any page is written: a mistake in one stops
    the build early, with the file and the field named."""
    context = generators[0].context
    settings = generators[0].settings
    reports = context[REPORTS] = {}
    for consultation in context.get("consultations", []):
        report = reports[consultation.slug] = read_report(settings, consultation)
        if consultation.state == timeline.CLOSED:
            when = consultation.closes
            if report and report.date:  # the report's day, at midnight in Athens
                when = max(when, datetime.combine(report.date, time(), ATHENS))
            consultation.results_updated = when.isoformat()
            if report:  # the manifest tells the API (its announcement to the subscribers)
                consultation.report_date = when.date().isoformat()


def write_results(
    generator: ConsultationsGenerator, *, consultation: Consultation, pages: Pages
) -> None:
    """The results pages of ``consultation`` once it has closed (none before)."""
    if consultation.state != timeline.CLOSED:
        return
    settings = generator.settings
    slug = consultation.slug
    report: Report | None = generator.context.get(REPORTS, {}).get(slug)
    budget = int(settings["RESULTS_PAGE_BYTES"])
    texts = [sections.text_results(t) for t in consultation.texts]
    proposals = sections.ProposalResults(
        consultation.proposals, sections.count_dispositions(consultation.proposals)
    )
    size = sum(sections.text_bytes(t) for t in texts) + sum(
        sections.proposal_bytes(p) for p in consultation.proposals
    )
    inline = size <= budget
    main = urls.url(settings, "RESULTS", consultation=slug)
    proposals_slug = urls.url(settings, "PROPOSALS", consultation=slug).rstrip("/").split("/")[-1]
    for results in texts:
        results.parts = [results.blocks] if inline else sections.cut(results.blocks, budget)
        results.urls = _part_urls(settings, slug, results.slug, len(results.parts), main, inline)
    proposals.parts = (
        [proposals.proposals] if inline else sections.cut_proposals(proposals.proposals, budget)
    )
    proposals.urls = _part_urls(settings, slug, proposals_slug, len(proposals.parts), main, inline)
    where = _comment_urls(texts)
    participation = stats.participation(consultation)
    figures = charts.charts(participation)
    chart_urls = {}
    for chart in figures:
        fields = {"consultation": slug, "name": chart.name}
        pages.file(
            urls.save_as(settings, "RESULTS_CHART", **fields),
            "chart",
            [chart.name, hashlib.sha256(chart.svg).hexdigest()],  # deterministic bytes
            _bytes(chart.svg),
        )
        chart_urls[chart.name] = urls.url(settings, "RESULTS_CHART", **fields)
    header = consultation.header()
    common: dict[str, Any] = {
        "consultation": consultation,
        "report": report,
        "texts": texts,
        "proposal_results": proposals,
        "comment_urls": where,
    }
    data = [
        header,
        report.fingerprint() if report else None,
        asdict(participation),
        [(c.name, c.title, c.description) for c in figures],
        [_summary(t) for t in texts],
        # inline, the page shows every comment and proposal: a redaction must re-render it
        [_text_fingerprint(t) for t in texts] if inline else None,
        [_proposal_fingerprint(p) if inline else p.summary() for p in consultation.proposals],
    ]
    pages.page(
        "RESULTS",
        {"consultation": slug},
        "results",
        data,
        participation=participation,
        charts={c.name: (c, chart_urls[c.name]) for c in figures},
        inline=inline,
        **common,
    )
    if inline:
        return
    for results in texts:
        for number, part in enumerate(results.parts, start=1):
            pages.page(
                *_part_page(slug, results.slug, number),
                "results_text",
                [header, _summary(results), number, len(results.parts), _blocks(part), where],
                results=results,
                part=part,
                number=number,
                **common,
            )
    for number, chunk in enumerate(proposals.parts, start=1):
        pages.page(
            *_part_page(slug, proposals_slug, number),
            "results_proposals",
            [header, number, len(proposals.parts), [_proposal_fingerprint(p) for p in chunk]],
            chunk=chunk,
            number=number,
            **common,
        )


def _part_page(consultation: str, slug: str, number: int) -> tuple[str, dict[str, str]]:
    if number == 1:
        return "RESULTS_TEXT", {"consultation": consultation, "slug": slug}
    return "RESULTS_PART", {"consultation": consultation, "slug": slug, "part": str(number)}


def _part_urls(
    settings: dict[str, Any], consultation: str, slug: str, count: int, main: str, inline: bool
) -> list[str]:
    """Where each part of a section lives: the main page (an anchor) when it is all there."""
    if inline:
        return [f"{main}#{slug}"]
    found = []
    for number in range(1, count + 1):
        name, fields = _part_page(consultation, slug, number)
        found.append(urls.url(settings, name, **fields))
    return found


def _comment_urls(texts: list[sections.TextResults]) -> dict[str, str]:
    """comment id → the results page (part) it is shown on, without the anchor: for the
    comments whose answers motivated a change (the "what changed" section links them)."""
    wanted = {c.id for t in texts for found in t.motivating.values() for c in found}
    where = {}
    for results in texts:
        for url, part in zip(results.urls, results.parts, strict=False):
            for block in part:
                for comment in sections.flatten(block.threads):
                    if comment.id in wanted:
                        where[comment.id] = url.split("#")[0]
    return where


def _summary(results: sections.TextResults) -> dict[str, Any]:
    return {
        "text": results.text.summary(),
        "dispositions": results.dispositions,
        "campaigns": asdict(results.campaigns),
        "revised": [(c.kind, c.number) for c in results.revised],
        "urls": results.urls,
    }


def _blocks(blocks: list[sections.Block]) -> list[Any]:
    return [b.fingerprint() for b in blocks]


def _text_fingerprint(results: sections.TextResults) -> list[Any]:
    return [[c.tokens for c in results.revised], _blocks(results.blocks)]


def _proposal_fingerprint(proposal: Any) -> list[Any]:
    return [proposal.summary(), [c.fingerprint() for c in proposal.comments]]


def _bytes(data: bytes) -> Callable[[], bytes]:
    return lambda: data
