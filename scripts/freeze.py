"""Freeze a consultation's texts as consulted: staff run it when the consultation closes, before
editing its texts, and commit both the texts and their copies.

The results page shows what changed in each text since its consultation ("what changed"). The
version consulted must therefore be kept, and kept where every build can read it (the publish
function has no git): a copy of each text goes to ``consulted/<same file name>`` in the
consultation's folder, and the text gets ``Consulted: consulted/<file>.md`` in its metadata.
A text already frozen is left alone, so running it again changes nothing.

    .venv/bin/python -m scripts.freeze <consultation folder or slug> [--content DIR]
    make freeze CONSULTATION=<slug>
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from plugins.consultations.reader import CONSULTED, INDEX_FILE, REPORT_FILE
from plugins.greek.elot743 import slugify

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "consulted"
META_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s*:")


class FreezeError(Exception):
    """What staff must put right, in Greek."""


def metadata_end(lines: list[str]) -> tuple[int, dict[str, str]]:
    """Where the metadata block ends (the index after its last line) and its fields (keys
    lower-cased, as Pelican reads them): the lines up to the first blank one."""
    fields: dict[str, str] = {}
    for n, line in enumerate(lines):
        if not line.strip():
            return n, fields
        match = META_LINE.match(line)
        if match:
            fields[match.group(1).lower()] = line[match.end() :].strip()
    return len(lines), fields


def _fields(path: Path) -> dict[str, str]:
    return metadata_end(path.read_text(encoding="utf-8").splitlines())[1]


def find_consultation(name: str, content: Path) -> Path:
    """The consultation folder named by a path, a folder name or a slug."""
    root = content / "consultations"
    for candidate in (Path(name), root / name):
        if (candidate / INDEX_FILE).is_file():
            return candidate
    for index in sorted(root.glob(f"*/{INDEX_FILE}")):
        fields = _fields(index)
        if name in (fields.get("slug"), slugify(fields.get("title", ""))):
            return index.parent
    raise FreezeError(f"Δεν βρέθηκε διαβούλευση «{name}» (φάκελος ή slug) στο {root}")


def freeze_text(path: Path) -> str:
    """Copy one text to consulted/ and name the copy in its metadata; say what was done."""
    raw = path.read_text(encoding="utf-8")
    lines = raw.splitlines(keepends=True)
    end, fields = metadata_end([line.rstrip("\r\n") for line in lines])
    if fields.get(CONSULTED.lower()):
        return f"ήδη παγωμένο: {path.name} ({CONSULTED}: {fields[CONSULTED.lower()]})"
    relative = f"{FOLDER}/{path.name}"
    copy = path.parent / relative
    if copy.exists() and copy.read_text(encoding="utf-8") != raw:
        raise FreezeError(
            f"{path.name}: υπάρχει ήδη το {relative} με άλλο περιεχόμενο· "
            f"ελέγξτε ποιο είναι το κείμενο όπως τέθηκε σε διαβούλευση"
        )
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, copy)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if end and not lines[end - 1].endswith(("\n", "\r")):
        lines[end - 1] += newline
    lines.insert(end, f"{CONSULTED}: {relative}{newline}")
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return f"παγώθηκε: {path.name} → {relative}"


def freeze(folder: Path) -> tuple[list[str], list[str]]:
    """Freeze every text of the consultation in ``folder``: what was done, what was not."""
    done: list[str] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.md")):  # not recursive: consulted/ holds no texts
        if path.name not in (INDEX_FILE, REPORT_FILE):
            try:
                done.append(freeze_text(path))
            except FreezeError as exc:
                problems.append(str(exc))
    return done, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("consultation", help="ο φάκελος της διαβούλευσης ή το slug της")
    parser.add_argument("--content", type=Path, default=ROOT / "content", help="ο φάκελος content")
    args = parser.parse_args(argv)
    try:
        folder = find_consultation(args.consultation, args.content)
    except FreezeError as exc:
        print(f"Σφάλμα: {exc}", file=sys.stderr)
        return 1
    done, problems = freeze(folder)
    print(f"Διαβούλευση: {folder}")
    for line in done or ([] if problems else ["δεν έχει κείμενα"]):
        print(f"  {line}")
    for problem in problems:
        print(f"Σφάλμα: {problem}", file=sys.stderr)
    if any(line.startswith("παγώθηκε") for line in done):
        print(f"Καταχωρίστε στο git (commit) τα κείμενα μαζί με τον φάκελο {FOLDER}/.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
