"""The data package: a Frictionless Data Package that describes every open-data file.

So that the files can go to data.gov.gr or any CKAN portal as they are: each CSV is a tabular
resource with its Table Schema (field names, types, Greek titles and descriptions), each JSON
and XLSX a file resource with its format, size and hash; the licence is CC BY 4.0, the licence
of Greek public-sector open data (law 4727/2020).
"""

import json
import posixpath
from dataclasses import dataclass
from typing import Any

from plugins.consultations import urls
from plugins.greek.elot743 import slugify

from .columns import COMMENT_COLUMNS, CSV_COLUMNS, PROPOSAL_COLUMNS, participation_columns
from .text_files import FORMULA_STARTS
from .xlsx import SHEETS

LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/deed.el",
    "title": "Creative Commons Αναφορά Δημιουργού 4.0 Διεθνές (CC BY 4.0)",
}
LICENCE_NOTE = (
    "Άδεια CC BY 4.0, η άδεια των ανοικτών δεδομένων του δημόσιου τομέα (ν. 4727/2020): "
    "ελεύθερη επαναχρησιμοποίηση με αναφορά της πηγής."
)
MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
STARTS = " ".join(s for s in FORMULA_STARTS if s.isprintable())
CSV_NOTE = (
    "Μία γραμμή ανά πρόταση ή σχόλιο, UTF-8 με BOM: ανά διαβούλευση, με τη σειρά του "
    "ιστότοπου, πρώτα οι προτάσεις της και μετά τα σχόλιά της. Για να ανοίγει με "
    f"ασφάλεια σε λογιστικό φύλλο, κάθε κελί που αρχίζει με {STARTS}, tab ή carriage return "
    "έχει πρόθεμα ' (απόστροφο)."
)
JSON_NOTE = (
    "Αντικείμενο με τα πεδία consultation (ή consultations), generated_at, comments, proposals "
    "και participation· οι εγγραφές τους έχουν τα ονόματα πεδίων του CSV και του φύλλου "
    "«Συμμετοχή» του XLSX. generated_at: η νεότερη έγκριση ή απάντηση μεταξύ των εγγραφών "
    "του αρχείου (null αν δεν έχει καμία)."
)
GROUP_NOTE = (
    "Οι ίδιες ή σχεδόν ίδιες υποβολές (π.χ. μιας εκστρατείας) δημοσιεύονται όλες, η καθεμία "
    "σε δική της γραμμή με το αναγνωριστικό της ομάδας της (πεδίο group)."
)
SITE_NOTE = (
    "Για όλες τις διαβουλεύσεις μαζί υπάρχουν JSON και CSV: τα αρχεία των διαβουλεύσεων το "
    "ένα μετά το άλλο, με τη σειρά του ιστότοπου. XLSX υπάρχει μόνο ανά διαβούλευση."
)
XLSX_NOTE = (
    f"Φύλλα «{SHEETS[0]}», «{SHEETS[1]}» και «{SHEETS[2]}» με ελληνικές επικεφαλίδες και την "
    "ελληνική ετικέτα δίπλα σε κάθε κωδικό· τα κείμενα είναι γραμμένα ως κείμενο, ποτέ ως τύποι."
)


@dataclass(frozen=True)
class DataFile:
    """One written open-data file: where it is, what it holds, its size and hash (known
    without reading it again: a kept file's are in the exports state)."""

    save_as: str  # relative to the output folder
    ext: str
    title: str  # what it covers, in Greek (a consultation's title, or the whole site)
    bytes: int  # its size
    sha256: str  # its hash, hex


def _fields(columns: Any) -> list[dict[str, object]]:
    return [column.field() for column in columns]


def _titles(columns: Any) -> list[dict[str, str]]:
    return [{"name": column.name, "title": column.title} for column in columns]


def _resource(file: DataFile, base: str) -> dict[str, Any]:
    path = posixpath.relpath(file.save_as, base or ".")
    resource: dict[str, Any] = {
        "name": slugify(posixpath.basename(path)),
        "path": path,
        "title": f"{file.title} ({file.ext.upper()})",
        "format": file.ext,
        "mediatype": MEDIA_TYPES[file.ext],
        "bytes": file.bytes,
        "hash": "sha256:" + file.sha256,
    }
    if file.ext == "csv":
        resource |= {
            "description": CSV_NOTE,
            "profile": "tabular-data-resource",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True},
            "schema": {
                "fields": _fields(CSV_COLUMNS),
                "primaryKey": ["id"],
                "missingValues": [""],
            },
        }
    elif file.ext == "json":
        resource |= {"description": JSON_NOTE, "encoding": "utf-8"}
    else:
        resource |= {
            "description": XLSX_NOTE,
            "type": "file",  # not one table: frictionless checks its size and hash only
            # the comments' and the proposals' columns are the CSV's fields (described in its
            # schema) under their Greek titles; the participation's are described here
            "sheets": [
                {"name": SHEETS[0], "fields": _titles(COMMENT_COLUMNS)},
                {"name": SHEETS[1], "fields": _titles(PROPOSAL_COLUMNS)},
                {"name": SHEETS[2], "fields": _fields(participation_columns())},
            ],
        }
    return resource


def datapackage(
    settings: dict[str, Any], save_as: str, files: list[DataFile], generated_at: str | None
) -> bytes:
    """The data package (saved at ``save_as``) of ``files``, as JSON bytes."""
    municipality = settings.get("MUNICIPALITY") or settings.get("AUTHOR") or ""
    site = settings.get("SITENAME") or municipality
    base = posixpath.dirname(save_as)
    descriptor: dict[str, Any] = {
        "profile": "data-package",
        "name": slugify(site) or "open-data",
        "title": f"Δημόσιες διαβουλεύσεις — {municipality}".rstrip(" —"),
        "description": (
            f"Τα δημοσιευμένα σχόλια και οι προτάσεις των διαβουλεύσεων του ιστότοπου «{site}», "
            "με τις απαντήσεις του Δήμου και τη συμμετοχή ανά κείμενο, ανά διαβούλευση και "
            "συνολικά. Μόνο ό,τι δημοσιεύεται και στον ιστότοπο: ποτέ διεύθυνση ηλεκτρονικού "
            "ταχυδρομείου ή άλλο στοιχείο επικοινωνίας· ένας φορέας δημοσιεύεται μόνο με την "
            f"επωνυμία του. {GROUP_NOTE} {SITE_NOTE} {LICENCE_NOTE}"
        ),
        "keywords": ["διαβούλευση", "σχόλια", "προτάσεις", "συμμετοχή", municipality],
        "licenses": [LICENCE],
        "contributors": [{"title": municipality, "role": "publisher"}],
    }
    siteurl = settings.get("SITEURL") or ""
    if siteurl.startswith(("http://", "https://")):
        descriptor["homepage"] = f"{siteurl}/{urls.url(settings, 'OPENDATA')}"
        descriptor["sources"] = [{"title": site, "path": f"{siteurl}/"}]
    if generated_at:
        descriptor["created"] = generated_at
    descriptor["resources"] = [_resource(file, base) for file in files]
    return json.dumps(descriptor, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
