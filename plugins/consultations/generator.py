"""The consultations generator: reads the consultations, then writes their pages (skipping those
whose fingerprint did not change), their feeds and the API's manifest."""

import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from blinker import signal
from pelican.generators import Generator
from pelican.writers import Writer

from chalicelib import site_files
from chalicelib.clock import ATHENS, now
from chalicelib.sources import tree_digest

from . import comment_pages, urls
from .models import Consultation
from .outputs import atom_feed, manifest, write_manifest
from .reader import read_consultations
from .render_state import RenderState, digest
from .settled import SETTLED, Settled

logger = logging.getLogger(__name__)

SHARED_SETTINGS = (
    "SITEURL",
    "SITENAME",
    "MUNICIPALITY",
    "MUNICIPALITY_GENITIVE",
    "MUNICIPALITY_EMBLEM",
    "MUNICIPALITY_EMAIL",
    "API_URL",
    "RELATIVE_URLS",
)

# Sent once per consultation while its pages are written, with ``consultation`` and ``pages``
# (a Pages): how another plugin (plugins/results) adds pages of its own to a consultation.
consultation_pages = signal("diavoulefsi.consultation_pages")


def build_now(settings: dict[str, Any]) -> datetime:
    """The build's "now" in Athens: CONSULTATION_NOW (ISO string or datetime) pins it for tests."""
    pinned = settings.get("CONSULTATION_NOW")
    if not pinned:
        return now().astimezone(ATHENS)  # the platform's one clock (chalicelib.clock)
    value = pinned if isinstance(pinned, datetime) else datetime.fromisoformat(pinned)
    return value.replace(tzinfo=ATHENS) if value.tzinfo is None else value.astimezone(ATHENS)


class ConsultationsGenerator(Generator):
    """Home, consultation, text, proposals and proposal pages; feeds; consultations.json."""

    def _root(self) -> Path:
        return Path(self.path) / self.settings.get("CONSULTATIONS_DIR", "consultations")

    def generate_context(self) -> None:
        self.now = build_now(self.settings)
        self.consultations: list[Consultation] = read_consultations(self.settings, self._root())
        for consultation in self.consultations:
            consultation.set_state(self.now)
        self.context["consultations"] = self.consultations
        self.context["build_now"] = self.now

    def _shared(self) -> str:
        """What every page shows besides its own data: theme, settings, the menu of pages."""
        pages = [(p.title, p.url) for p in self.context.get("pages", [])]
        settings = {key: self.settings.get(key) for key in SHARED_SETTINGS}
        settings |= urls.url_settings(self.settings)  # every page links with them
        return digest([tree_digest(self.theme), settings, pages])

    def _write(
        self,
        writer: Writer,
        state: RenderState,
        page: tuple[str, str],
        template: str,
        data: Any,
        **kwargs: Any,
    ) -> None:
        """Write ``page`` ((save_as, url), from _page) unless its data is unchanged."""
        save_as, url = page
        if not state.needs_render(save_as, template, data):
            return
        writer.write_file(
            save_as,
            self.get_template(template),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            url=url,
            page_url=url,
            template_name=template,
            **kwargs,
        )

    def _page(self, name: str, **fields: str) -> tuple[str, str]:
        return urls.save_as(self.settings, name, **fields), urls.url(self.settings, name, **fields)

    def generate_output(self, writer: Writer) -> None:
        state = RenderState(
            self.output_path, self.settings.get("RENDER_STATE_PATH"), self._shared()
        )
        index = (self.settings.get("INDEX_SAVE_AS") or "index.html", "")
        self._write(writer, state, index, "index", [c.overview() for c in self.consultations])
        settled: Settled | None = self.context.get(SETTLED)
        listed_max = int(self.settings.get("CATALOGUE_PROPOSALS", 0))
        for c in self.consultations:
            if settled is not None and c.settled:
                if state.keep(settled.pages(c.slug)):
                    continue
                settled.load(c)  # its pages are not all there: built after all
            before = set(state.current)
            self._consultation(writer, state, c)
            if settled is not None:
                settled.record(c, [p for p in state.current if p not in before], listed_max)
        api_manifest = manifest(
            self.consultations,
            self._root(),
            site_name=self.settings.get("SITENAME") or "",
            comment_anchor=self.settings.get("COMMENT_ANCHOR") or "",
            moderation_url=self.settings.get("MODERATION_URL") or "",
            identity={
                "municipality": self.settings.get("MUNICIPALITY") or "",
                "emblem": self.settings.get("MUNICIPALITY_EMBLEM") or "",
                "contact_email": self.settings.get("MUNICIPALITY_EMAIL") or "",
            },
        )
        write_manifest(self.output_path, api_manifest)
        stats = state.stats(state.finish())
        logger.info("Consultation pages: %(rendered)d rendered, %(skipped)d unchanged", stats)
        if stats_path := self.settings.get("BUILD_STATS_PATH"):
            os.makedirs(os.path.dirname(os.path.abspath(stats_path)), exist_ok=True)
            with open(stats_path, "w", encoding="utf-8") as fh:
                json.dump(stats, fh)

    def _comments(
        self, writer: Writer, state: RenderState, c: Consultation, pages: Iterable[Any]
    ) -> None:
        """A text's or a proposal's comment pages (comment_pages: page, data, arguments)."""
        for page, data, arguments in pages:
            self._write(writer, state, page, "comments", data, consultation=c, **arguments)

    def _consultation(self, writer: Writer, state: RenderState, c: Consultation) -> None:
        """A consultation's pages (texts, comments, proposals, and those other plugins add
        through ``consultation_pages``) and its feed."""
        header = c.header()
        self._write(
            writer,
            state,
            self._page("CONSULTATION", slug=c.slug),
            "consultation",
            c.overview(),
            consultation=c,
        )
        for text in c.texts:
            comment_pages.paginate_text(self.settings, c.slug, text)
            page = self._page("TEXT", consultation=c.slug, slug=text.slug)
            data = comment_pages.text_data(header, text)
            self._write(writer, state, page, "text", data, consultation=c, text=text)
            self._comments(writer, state, c, comment_pages.text_pages(c, text))
        comment_pages.place_proposal_groups(self.settings, c)  # the list's cards link them
        for page, data, arguments in comment_pages.proposal_list(self.settings, c, header):
            self._write(writer, state, page, "proposals", data, consultation=c, **arguments)
        # a withdrawn proposal keeps its page (its address, its comments), unlisted
        for proposal in c.proposals + c.withdrawn_proposals:
            comment_pages.paginate_proposal(self.settings, c.slug, proposal)
            page = self._page("PROPOSAL", consultation=c.slug, id=proposal.id)
            data = comment_pages.proposal_data(header, proposal)
            self._write(writer, state, page, "proposal", data, consultation=c, proposal=proposal)
            self._comments(writer, state, c, comment_pages.proposal_pages(c, proposal))
        consultation_pages.send(self, consultation=c, pages=Pages(self, writer, state))
        feed = urls.save_as(self.settings, "CONSULTATION_FEED", slug=c.slug)
        entries = [c.overview(), [p.summary() for p in c.proposals], c.results_updated]
        if state.needs_render(feed, "atom", entries):
            path = Path(self.output_path) / feed
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(atom_feed(c, self.settings.get("SITEURL", "")))
            site_files.wrote(path)


@dataclass
class Pages:
    """Pages and files another plugin adds: skipped, counted and deleted by the same render
    fingerprints as the consultation's own, so that a publish still re-renders only changes."""

    generator: ConsultationsGenerator
    writer: Writer
    state: RenderState

    def page(self, name: str, fields: dict[str, str], template: str, data: Any, **kw: Any) -> str:
        """Write the ``name`` page (a *_URL/*_SAVE_AS setting) unless unchanged; its URL."""
        page = self.generator._page(name, **fields)
        self.generator._write(self.writer, self.state, page, template, data, **kw)
        return page[1]

    def file(self, save_as: str, kind: str, data: Any, produce: Callable[[], bytes]) -> None:
        """Write the bytes ``produce()`` makes to ``save_as`` unless ``data`` is unchanged."""
        if self.state.needs_render(save_as, kind, data):
            path = Path(self.generator.output_path) / save_as
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(produce())
            site_files.wrote(path)
