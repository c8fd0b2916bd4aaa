"""One source per concept: the clock and its time zone, the 503, the text cleaner's character
sets. Each is defined once; these tests fail when a copy creeps back into the source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHALICELIB = ROOT / "lambdas" / "chalicelib"


def sources(*folders: str) -> list[Path]:
    return sorted(
        path
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        if "vendor" not in path.parts and path.relative_to(ROOT).parts[2:3] != ("site",)
    )


def offenders(pattern: str, allowed: set[Path], *folders: str) -> list[str]:
    regex = re.compile(pattern)
    return [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sources(*folders)
        if path not in allowed
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if regex.search(line)
    ]


def test_the_finder_sees_what_it_looks_for() -> None:
    found = offenders(r"def now\(", set(), "lambdas")
    assert [place.split(":")[0] for place in found] == ["lambdas/chalicelib/clock.py"]


@pytest.mark.parametrize(
    ("what", "pattern", "owner"),
    [
        ("the time zone", r"Europe/Athens", "clock.py"),
        ("reading the clock", r"datetime\.now\(|time\.time\(\)", "clock.py"),
        ("the stamp format", r"%H:%M:%S\.%f", "clock.py"),
        ("the 503", r"ApiError\(\s*\"unavailable\"", "errors.py"),
        ("invisible characters", r"0x200B|0xE0000|0x3164", "text.py"),
    ],
)
def test_defined_once_in_the_app(what: str, pattern: str, owner: str) -> None:
    owner_path = CHALICELIB / owner
    assert re.search(pattern, owner_path.read_text(encoding="utf-8")), f"{what} not in {owner}"
    assert offenders(pattern, {owner_path}, "lambdas", "plugins") == [], what


def test_the_snapshot_schema_enums_are_limits_json_codes() -> None:
    """The schema's copies of limits.json's codes (a JSON Schema cannot read another file)."""
    from chalicelib.spec import limits, snapshot_schema

    defs = snapshot_schema()["$defs"]
    assert defs["answer"]["properties"]["disposition"]["enum"] == list(
        limits()["dispositions"]["labels"]
    )
    assert set(limits()["dispositions"]["changes_text"]) <= set(limits()["dispositions"]["labels"])
    author = defs["author"]["properties"]
    assert author["respondent_type"]["enum"] == list(limits()["respondent_types"])
    assert [c for c in author["organisation_type"]["enum"] if c] == list(
        limits()["organisation_types"]
    )
