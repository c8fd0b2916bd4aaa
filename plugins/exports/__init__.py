"""Open data: /anoikta-dedomena/ with a JSON and a CSV file per consultation."""

import logging
from pathlib import Path

from pelican import Pelican, signals
from pelican.generators import Generator
from pelican.writers import Writer

from .data import consultation_data, to_csv, to_json

logger = logging.getLogger(__name__)

FOLDER = "anoikta-dedomena"


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
        files = []
        for consultation in self.context.get("consultations", []):
            data = consultation_data(consultation, snapshot)
            base = Path(self.output_path) / FOLDER / consultation.slug
            write_if_changed(base.with_suffix(".json"), to_json(data))
            write_if_changed(base.with_suffix(".csv"), to_csv(data))
            files.append(
                {
                    "consultation": consultation,
                    "comments": len(data["comments"]),
                    "proposals": len(data["proposals"]),
                    "json": f"{FOLDER}/{consultation.slug}.json",
                    "csv": f"{FOLDER}/{consultation.slug}.csv",
                }
            )
        writer.write_file(
            f"{FOLDER}/index.html",
            self.get_template("opendata"),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            url=f"{FOLDER}/",
            page_url=f"{FOLDER}/",
            template_name="opendata",
            exports=files,
        )
        logger.info("Open data written for %d consultations", len(files))


def get_generators(pelican: Pelican) -> type[ExportsGenerator]:
    return ExportsGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)
