"""Open data: JSON, CSV and XLSX files per consultation (OPENDATA_FILE_URL) and for the whole
site (OPENDATA_ALL_URL), the data package that describes them (DATAPACKAGE_URL) and an index
page (OPENDATA_URL), at the URLs pelicanconf.py defines.

data.py makes the public rows (an allowlist), text_files.py the JSON and the CSV, xlsx.py the
XLSX, datapackage.py the description. The same snapshot gives the same bytes, and a file whose
bytes did not change is not rewritten: the publish step uploads only what changed. Making the
files costs seconds on a large site (the XLSX most), so a consultation whose data, settings and
export code are those of the previous build keeps its files without encoding them again
(``EXPORTS_STATE``, beside the pages, never uploaded: a dot file).
"""

import json
import logging
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pelican import Pelican, signals
from pelican.generators import Generator
from pelican.writers import Writer

from chalicelib.sources import tree_digest
from plugins.consultations import urls
from plugins.consultations.models import ContentError
from plugins.consultations.render_state import digest

from .data import consultation_data, site_data
from .datapackage import LICENCE_NOTE, DataFile, datapackage
from .text_files import to_csv, to_json
from .xlsx import to_xlsx

logger = logging.getLogger(__name__)

FORMATS = ("json", "csv", "xlsx")
EXPORTS_STATE = ".exports-state.json"  # save_as → the digest its file was made from
SITE_TITLE = "Όλες οι διαβουλεύσεις"


def write_if_changed(path: Path, data: bytes) -> bool:
    """Unchanged files keep their bytes and time: the publish step uploads only changes."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
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

    def _write(self, page: str, fields: dict[str, str], title: str, data: dict[str, Any]) -> list:
        """Write ``data`` in every format unless made from the same before; the files, as the
        data package lists them."""
        written = []
        encoders = self._encoders(title)
        key = digest([self.code, title, sorted(self.identity.items()), data])
        for ext, encode in encoders.items():
            save_as = urls.save_as(self.settings, page, ext=ext, **fields)
            path = Path(self.output_path) / save_as
            if self.previous.get(save_as) == key and path.is_file():
                content = path.read_bytes()
            else:
                content = encode(data)
                write_if_changed(path, content)
            self.current[save_as] = key
            written.append(DataFile(save_as, ext, title, content))
        return written

    @property
    def identity(self) -> dict[str, Any]:
        """The settings the files carry (the XLSX's author and note)."""
        return {key: self.settings.get(key) for key in ("MUNICIPALITY", "AUTHOR", "SITENAME")}

    def _load_state(self) -> None:
        self.code = tree_digest(Path(__file__).parent)
        self.current: dict[str, str] = {}
        try:
            loaded = json.loads((Path(self.output_path) / EXPORTS_STATE).read_bytes())
        except (OSError, ValueError):
            loaded = {}
        self.previous: dict[str, str] = loaded if isinstance(loaded, dict) else {}

    def _links(self, page: str, fields: dict[str, str], files: list[DataFile]) -> list:
        return [
            {
                "format": file.ext.upper(),
                "url": urls.url(self.settings, page, ext=file.ext, **fields),
                "size": size(len(file.content)),
            }
            for file in files
        ]

    def _check_names(self, consultations: list[Any]) -> None:
        """A consultation's file may not take the place of the site's own open-data files."""
        taken = {urls.save_as(self.settings, "OPENDATA_ALL", ext=ext) for ext in FORMATS}
        taken |= {urls.save_as(self.settings, p) for p in ("DATAPACKAGE", "OPENDATA")}
        for c in consultations:
            for ext in FORMATS:
                if urls.save_as(self.settings, "OPENDATA_FILE", slug=c.slug, ext=ext) in taken:
                    raise ContentError(
                        c.source, "Slug", f"«{c.slug}»: δεσμευμένο όνομα των ανοικτών δεδομένων"
                    )

    def _remove_stale(self, package_as: str, files: list[DataFile]) -> None:
        """Files the previous data package listed and this build no longer makes (those of a
        consultation the site no longer has) are deleted, as its pages are."""
        output = Path(self.output_path)
        for name in sorted(listed(output / package_as, package_as) - {f.save_as for f in files}):
            if (output / name).is_file():
                (output / name).unlink()
                logger.info("Open data: removed %s", name)

    def generate_output(self, writer: Writer) -> None:
        snapshot = self.context.get("snapshot")
        generated_at = snapshot.get("generated_at") if snapshot else None
        consultations = self.context.get("consultations", [])
        self._check_names(consultations)
        self._load_state()
        parts, entries, per_consultation = [], [], []
        for c in consultations:
            data = consultation_data(c, snapshot)
            files = self._write("OPENDATA_FILE", {"slug": c.slug}, c.title, data)
            parts.append(data)
            per_consultation += files
            entries.append(
                {
                    "consultation": c,
                    "comments": len(data["comments"]),
                    "proposals": len(data["proposals"]),
                    "files": self._links("OPENDATA_FILE", {"slug": c.slug}, files),
                }
            )
        whole = site_data(parts, generated_at)
        site_files = self._write("OPENDATA_ALL", {}, SITE_TITLE, whole)
        package_as = urls.save_as(self.settings, "DATAPACKAGE")
        files = site_files + per_consultation
        package = datapackage(self.settings, package_as, files, generated_at)
        self._remove_stale(package_as, files)
        write_if_changed(Path(self.output_path) / package_as, package)
        state = json.dumps(self.current, sort_keys=True).encode("utf-8")
        write_if_changed(Path(self.output_path) / EXPORTS_STATE, state)
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
                "comments": len(whole["comments"]),
                "proposals": len(whole["proposals"]),
                "files": self._links("OPENDATA_ALL", {}, site_files),
            },
            datapackage={
                "url": urls.url(self.settings, "DATAPACKAGE"),
                "name": Path(package_as).name,
                "size": size(len(package)),
            },
        )
        logger.info("Open data written for %d consultations", len(entries))


def get_generators(pelican: Pelican) -> type[ExportsGenerator]:
    return ExportsGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)
