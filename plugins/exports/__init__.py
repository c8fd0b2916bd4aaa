"""Open data: an index page (OPENDATA_URL) and a JSON and a CSV file per consultation
(OPENDATA_FILE_URL), at the URLs pelicanconf.py defines."""

import logging
from pathlib import Path

from pelican import Pelican, signals
from pelican.generators import Generator
from pelican.writers import Writer

from plugins.consultations import urls

from .data import consultation_data, to_csv, to_json

logger = logging.getLogger(__name__)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Unchanged files keep their bytes and time: the publish step uploads only changes."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


class ExportsGenerator(Generator):
    """Runs after the submissions are attached (generate_output comes after every context)."""

    def generate_output(self, writer: Writer) -> None:
        snapshot = self.context.get("snapshot")
        output = Path(self.output_path)
        files = []
        for consultation in self.context.get("consultations", []):
            data = consultation_data(consultation, snapshot)
            entry = {
                "consultation": consultation,
                "comments": len(data["comments"]),
                "proposals": len(data["proposals"]),
            }
            for ext, encode in (("json", to_json), ("csv", to_csv)):
                name = urls.save_as(self.settings, "OPENDATA_FILE", slug=consultation.slug, ext=ext)
                write_if_changed(output / name, encode(data))
                entry[ext] = urls.url(
                    self.settings, "OPENDATA_FILE", slug=consultation.slug, ext=ext
                )
            files.append(entry)
        url = urls.url(self.settings, "OPENDATA")
        writer.write_file(
            urls.save_as(self.settings, "OPENDATA"),
            self.get_template("opendata"),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            url=url,
            page_url=url,
            template_name="opendata",
            exports=files,
        )
        logger.info("Open data written for %d consultations", len(files))


def get_generators(pelican: Pelican) -> type[ExportsGenerator]:
    return ExportsGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)
