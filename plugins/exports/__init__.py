"""Open data: JSON, CSV and XLSX files per consultation (OPENDATA_FILE_URL), JSON and CSV
for the whole site (OPENDATA_ALL_URL), the data package that describes them (DATAPACKAGE_URL)
and an index page (OPENDATA_URL), at the URLs pelicanconf.py defines.

data.py makes the public rows (an allowlist), text_files.py the JSON and the CSV, xlsx.py the
XLSX, site_files.py the whole site's files, datapackage.py the description. The same snapshot
gives the same bytes, and a file whose bytes did not change is not rewritten: the publish step
uploads only what changed.

The cost follows the change. A consultation's files depend on that consultation only (their
``generated_at`` is its newest approval or answer, not the snapshot's), so one whose entries,
texts' titles, settings and export code are those of the previous build keeps its files without
encoding them again (state.py). Its key hashes its own entries as marshal writes them: a few
times faster than JSON, and no public row is made to know that nothing changed. The whole
site's files are its consultations' files end to end, copied, never encoded (site_files.py);
the whole site has no XLSX, which could only be made again whole at every publish.

New rows reach the files once an Athens day (OPENDATA_DAILY), anything taken back at once:
the whole site's files wait when a consultation's only gained rows (``only_added``); a
consultation's own wait in a publish that only adds (ADDITIONS_ONLY, which the publish step
knows from the snapshot's delta), when they were made today. Either way the site is due again
at the next Athens midnight (``rebuild_due``), when everything waiting is made.
"""

import hashlib
import json
import logging
import marshal
import os
import posixpath
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pelican import Pelican, signals
from pelican.generators import Generator
from pelican.writers import Writer

import chalicelib.site_files  # not .site_files, this plugin's own module of that name
from chalicelib import clock
from chalicelib.clock import ATHENS
from chalicelib.sources import tree_digest
from chalicelib.spec import limits
from plugins.consultations import urls
from plugins.consultations.generator import build_now
from plugins.consultations.models import ContentError
from plugins.consultations.render_state import digest
from plugins.consultations.settled import SETTLED

from .data import LISTS, by_consultation, consultation_data, header, newest
from .datapackage import LICENCE_NOTE, DataFile, datapackage
from .site_files import Sink, layout, only_added, write_csv, write_json
from .state import EXPORTS_STATE, ExportsState, FileRecord, Made, file_sha256
from .text_files import to_csv, to_json
from .xlsx import to_xlsx

logger = logging.getLogger(__name__)

FORMATS = ("json", "csv", "xlsx")  # a consultation's
SITE_FORMATS = ("json", "csv")  # the whole site's: no XLSX (see above)
SITE_TITLE = "Όλες οι διαβουλεύσεις"
COUNTED = ("comments", "proposals")  # what the open-data page counts of each consultation
# Present from a build that found a published row gone or changed until the whole site's files
# are made again: they must not keep it a day (a dot file: never uploaded, kept by a cold start).
RETRACTED = ".opendata-retracted"


def write_if_changed(path: Path, data: bytes) -> bool:
    """Unchanged files keep their bytes and time: the publish step uploads only changes."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    chalicelib.site_files.wrote(path)
    return True


def size(n: int) -> str:
    """A file size for people, in Greek notation (1,5 KB)."""
    if n < 1024:
        return f"{n} B"
    unit, value = ("KB", n / 1024) if n < 1024 * 1024 else ("MB", n / 1024 / 1024)
    return f"{value:.1f} {unit}".replace(".", ",")


def listed(package: Path, save_as: str) -> set[str]:
    """The files a data package lists, relative to the output folder (none if unreadable)."""
    try:
        resources = json.loads(package.read_bytes())["resources"]
        paths = {r["path"] for r in resources if isinstance(r.get("path"), str)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()
    base = posixpath.dirname(save_as)
    found = {posixpath.normpath(posixpath.join(base, path)) for path in paths}
    return {
        name
        for name in found
        if not name.startswith(("../", "/")) and posixpath.splitext(name)[1][1:] in FORMATS
    }


def entries_digest(entries: dict[str, list]) -> str:
    """A hash of a consultation's own snapshot entries. marshal (format 2: no references, so
    the same values give the same bytes) writes them several times faster than json.dumps; a
    different Python may write other bytes, which costs one encoding, never a stale file."""
    return hashlib.sha256(marshal.dumps([entries[kind] for kind in LISTS], 2)).hexdigest()


class ExportsGenerator(Generator):
    """Runs after the submissions are attached (generate_output comes after every context)."""

    def _encoders(self, title: str) -> dict[str, Callable[[dict[str, Any]], bytes]]:
        author = self.settings.get("MUNICIPALITY") or self.settings.get("AUTHOR") or ""
        note = f"{title} — {self.settings.get('SITENAME', '')}. {LICENCE_NOTE}"
        return {
            "json": to_json,
            "csv": to_csv,
            "xlsx": lambda data: to_xlsx(data, title=title, author=author, licence=note),
        }

    def _base(self) -> str:
        """What every file depends on besides its data: the export code, the settings the
        XLSX carries, the labels of the codes (limits.json)."""
        settings = {key: self.settings.get(key) for key in ("MUNICIPALITY", "AUTHOR", "SITENAME")}
        return digest([tree_digest(Path(__file__).parent), settings, limits()])

    def _file_as(self, slug: str, ext: str) -> str:
        return urls.save_as(self.settings, "OPENDATA_FILE", slug=slug, ext=ext)

    def _kept(self, c: Any, key: str | None) -> Made | None:
        """A consultation's files as the previous build made them from ``key`` (None: a
        settled consultation's, whatever it was), if they are all still there."""
        names = [self._file_as(c.slug, ext) for ext in FORMATS]
        made = self.state.kept(c.slug, key, names)
        if made is not None:
            for name in names:
                self.state.files[name] = self.state.previous_files[name]
        return made

    def _consultation(self, c: Any, entries: dict[str, list]) -> Made:
        """A consultation's files: kept when made from the same data, else encoded."""
        texts = [(t.slug, t.title) for t in c.texts]
        key = digest([self.base, header(c), texts, entries_digest(entries)])
        made = self._kept(c, key) or self._waiting(c)
        if made is not None:
            return made
        names = {ext: self._file_as(c.slug, ext) for ext in FORMATS}
        data = consultation_data(c, entries)
        output = Path(self.output_path)
        if not only_added(output / names["json"], data):  # marked before the file changes
            (output / RETRACTED).touch()
        self.encoded.append(c.slug)
        encoded = {ext: encode(data) for ext, encode in self._encoders(c.title).items()}
        for ext, content in encoded.items():
            write_if_changed(Path(self.output_path) / names[ext], content)
            sha = hashlib.sha256(content).hexdigest()
            self.state.files[names[ext]] = FileRecord(key, len(content), sha)
        # where the whole site's JSON will find this one's rows and total
        shape = layout(encoded["json"], data["participation"][-1])
        counts = {kind: len(entries[kind]) for kind in COUNTED}
        return Made(key, data["generated_at"], shape, counts, self.today.date().isoformat())

    def _may_wait(self, c: Any) -> bool:
        """In a build that only adds (ADDITIONS_ONLY), a consultation's files made today may
        stay as they are until the next midnight: encoding them costs in proportion to the
        consultation (10,000 rows take about a second), not to the change."""
        previous = self.state.previous_made.get(c.slug)
        return (
            bool(self.settings.get("ADDITIONS_ONLY") and self.settings.get("OPENDATA_DAILY"))
            and previous is not None
            and previous.made_on == self.today.date().isoformat()
        )

    def _waiting(self, c: Any) -> Made | None:
        """A changed consultation's files kept as they are, when they may wait: marked
        ``behind``, so that a build where the consultation is settled still makes them."""
        made = self._kept(c, None) if self._may_wait(c) else None
        if made is None:
            return None
        self.waiting.append(c.slug)
        return replace(made, behind=True)

    def _settled(self, c: Any) -> Made | None:
        """A settled consultation's files as they are, unless they are missing or behind its
        entries and may not wait any more: then it is loaded and its files made."""
        made = self._kept(c, None)
        if made is not None and made.behind:
            if not self._may_wait(c):
                return None
            self.waiting.append(c.slug)
        return made

    def _midnight(self) -> str:
        """The next Athens midnight, as the publish step compares moments."""
        midnight = datetime.combine(self.today.date() + timedelta(days=1), time(), ATHENS)
        return clock.iso(midnight)

    def _assemble(self, save_as: str, key: str, write: Callable[[Sink], None]) -> FileRecord:
        """Write a site file through a dot file beside it; the file keeps its time when the
        bytes are the same."""
        path = Path(self.output_path) / save_as
        part = path.with_name(f".{path.name}.part")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with part.open("wb") as file:
                sink = Sink(file)
                write(sink)
            sha = sink.sha.hexdigest()
            same = path.is_file() and path.stat().st_size == sink.size
            if not (same and file_sha256(path) == sha):
                os.replace(part, path)
                chalicelib.site_files.wrote(path)
        finally:
            part.unlink(missing_ok=True)
        return FileRecord(key, sink.size, sha)

    def _site(self, consultations: list[Any], made: list[Made]) -> list[DataFile]:
        """The whole site's JSON and CSV, put together from the consultations' files: again
        when a consultation's changed, but with OPENDATA_DAILY new rows wait for the
        next Athens day (copying the files is work in proportion to the whole site, hundreds
        of MB at ten times it, not to the change; a consultation's own wait only in a publish
        that only adds: ``_may_wait``). A row hidden, withdrawn or changed never waits
        (``RETRACTED``, marked until the files are made), nor does a consultation gone from
        the site. Held back, they are due at midnight, and the publish step runs then
        (``rebuild_due``)."""
        key = digest([self.base, [m.key for m in made]])
        output = Path(self.output_path)
        headers = [header(c) for c in consultations]
        generated_at = newest(m.generated_at for m in made)
        pairs = list(zip(consultations, made, strict=True))
        jsons = [(output / self._file_as(c.slug, "json"), m.layout) for c, m in pairs]
        csvs = [output / self._file_as(c.slug, "csv") for c in consultations]
        writers: dict[str, Callable[[Sink], None]] = {
            "json": lambda sink: write_json(sink, headers, generated_at, jsons),
            "csv": lambda sink: write_csv(sink, csvs),
        }
        names = {ext: urls.save_as(self.settings, "OPENDATA_ALL", ext=ext) for ext in SITE_FORMATS}
        kept = {ext: self.state.kept_file(name, None) for ext, name in names.items()}
        previous, today = self.state.previous_site, self.today.date().isoformat()
        whole = all(kept.values()) and isinstance(previous.get("counts"), dict)
        records = {ext: record for ext, record in kept.items() if record is not None}
        slugs = [c.slug for c in consultations]
        gone = not set(previous.get("consultations", [None])) <= set(slugs)
        retracted = gone or (output / RETRACTED).exists()
        daily = self.settings.get("OPENDATA_DAILY") and not retracted
        if whole and previous.get("key") == key:
            self.state.site = {k: v for k, v in previous.items() if k != "due"}
        elif whole and daily and previous.get("made_on") == today:
            self.state.site = {**previous, "due": self._midnight()}
        else:
            records = {ext: self._assemble(name, key, writers[ext]) for ext, name in names.items()}
            counts = {kind: sum(m.counts[kind] for m in made) for kind in COUNTED}
            self.state.site = {"key": key, "made_on": today, "counts": counts}
            self.state.site["consultations"] = slugs
            (output / RETRACTED).unlink(missing_ok=True)
        files = []
        for ext, name in names.items():
            record = records[ext]
            self.state.files[name] = record
            files.append(DataFile(name, ext, SITE_TITLE, record.bytes, record.sha256))
        return files

    def _links(self, page: str, fields: dict[str, str], files: list[DataFile]) -> list:
        return [
            {
                "format": file.ext.upper(),
                "url": urls.url(self.settings, page, ext=file.ext, **fields),
                "size": size(file.bytes),
            }
            for file in files
        ]

    def _check_names(self, consultations: list[Any]) -> None:
        """A consultation's file may not take the place of the site's own open-data files."""
        taken = {urls.save_as(self.settings, "OPENDATA_ALL", ext=ext) for ext in SITE_FORMATS}
        taken |= {urls.save_as(self.settings, p) for p in ("DATAPACKAGE", "OPENDATA")}
        for c in consultations:
            for ext in FORMATS:
                if self._file_as(c.slug, ext) in taken:
                    raise ContentError(
                        c.source, "Slug", f"«{c.slug}»: δεσμευμένο όνομα των ανοικτών δεδομένων"
                    )

    def _remove_stale(self, package_as: str, files: list[DataFile]) -> None:
        """Files the previous data package listed and this build no longer makes (those of a
        consultation the site no longer has, an older build's whole-site XLSX) are deleted,
        as its pages are."""
        output = Path(self.output_path)
        for name in sorted(listed(output / package_as, package_as) - {f.save_as for f in files}):
            if (output / name).is_file():
                (output / name).unlink()
                chalicelib.site_files.removed(output / name)
                logger.info("Open data: removed %s", name)

    def _files_of(self, c: Any) -> list[DataFile]:
        """A consultation's files as this build has them (made or kept)."""
        found = []
        for ext in FORMATS:
            name = self._file_as(c.slug, ext)
            record = self.state.files[name]
            found.append(DataFile(name, ext, c.title, record.bytes, record.sha256))
        return found

    def generate_output(self, writer: Writer) -> None:
        consultations = self.context.get("consultations", [])
        self._check_names(consultations)
        self.state, self.base = ExportsState(Path(self.output_path)), self._base()
        self.today = build_now(self.settings)  # in Athens: the whole site's files' day
        self.encoded: list[str] = []  # the consultations encoded in this build
        self.waiting: list[str] = []  # those whose new rows wait for the day (_waiting)
        groups = by_consultation(self.context.get("snapshot"))
        entries, made, per_consultation = [], [], []
        settled = self.context.get(SETTLED)
        for part in settled.loaded.values() if settled is not None else ():
            groups.update(by_consultation(part))  # built after all: their entries too
        for c in consultations:
            kept = self._settled(c) if c.settled else None
            if kept is None:
                if c.settled and settled is not None:  # its files are missing or behind
                    groups.update(by_consultation(settled.load(c)))
                own = groups.get(c.slug) or {kind: [] for kind in LISTS}
                kept = self._consultation(c, own)
            made.append(kept)
            self.state.made[c.slug] = kept
            files = self._files_of(c)
            per_consultation += files
            entries.append(
                {
                    "consultation": c,
                    **{kind: kept.counts[kind] for kind in COUNTED},
                    "files": self._links("OPENDATA_FILE", {"slug": c.slug}, files),
                }
            )
        site_files = self._site(consultations, made)
        if self.waiting:
            self.state.site["due"] = self._midnight()
        package_as = urls.save_as(self.settings, "DATAPACKAGE")
        files = site_files + per_consultation
        generated_at = newest(m.generated_at for m in made)
        package = datapackage(self.settings, package_as, files, generated_at)
        self._remove_stale(package_as, files)
        write_if_changed(Path(self.output_path) / package_as, package)
        write_if_changed(Path(self.output_path) / EXPORTS_STATE, self.state.save())
        url = urls.url(self.settings, "OPENDATA")
        writer.write_file(
            urls.save_as(self.settings, "OPENDATA"),
            self.get_template("opendata"),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            url=url,
            page_url=url,
            template_name="opendata",
            exports=entries,
            site_export={
                **self.state.site["counts"],
                "made_on": date.fromisoformat(self.state.site["made_on"]),
                "daily": bool(self.settings.get("OPENDATA_DAILY")),
                "files": self._links("OPENDATA_ALL", {}, site_files),
            },
            datapackage={
                "url": urls.url(self.settings, "DATAPACKAGE"),
                "name": Path(package_as).name,
                "size": size(len(package)),
            },
        )
        logger.info(
            "Open data: %d of %d consultations encoded, %d waiting for the day",
            len(self.encoded),
            len(entries),
            len(self.waiting),
        )


def rebuild_due(output: Path) -> str | None:
    """When the files held back today (the whole site's, a consultation's) are due to be made
    (ISO), if they are: the publish step counts it among the moments the site must be built
    again."""
    due = ExportsState(Path(output)).previous_site.get("due")
    return due if isinstance(due, str) else None


def get_generators(pelican: Pelican) -> type[ExportsGenerator]:
    return ExportsGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)
