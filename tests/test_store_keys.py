"""The data-access package owns the table: key prefixes and index names are spelled in
chalicelib/store/keys.py and nowhere else in the source, and the statuses and transitions there
are the ones the API enforces and the moderation page is told."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from chalicelib.spec import table_definition
from chalicelib.store import keys
from chalicelib.store.keys import Action, Status

ROOT = Path(__file__).resolve().parent.parent
OWNER = ROOT / "lambdas" / "chalicelib" / "store" / "keys.py"
PREFIXES = ("SUB#", "AUDIT#", "STATUS#", "CONS#", "TARGET#", "IDEM#", "RATE#", "DUP#", "STAFF#")
PREFIXES += ("META#", "LOCK#", "SUPPORT#")
INDEXES = tuple(i["IndexName"] for i in table_definition()["GlobalSecondaryIndexes"])
SPELLED = re.compile("|".join(re.escape(p) for p in PREFIXES) + r"|^(" + "|".join(INDEXES) + ")$")


def source_files() -> list[Path]:
    return sorted(
        path
        for folder in ("lambdas", "scripts", "plugins")
        for path in (ROOT / folder).rglob("*.py")
        if "vendor" not in path.parts and "site" not in path.relative_to(ROOT).parts[2:3]
    )


def spelled_keys(path: Path) -> list[tuple[int, str]]:
    """String constants (f-string parts included) that spell a key prefix or an index name;
    docstrings are prose and may name them."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and SPELLED.search(node.value)
    )


def test_the_finder_sees_a_spelled_key(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        '"""A SUB# in prose is fine."""\nKEY = f"SUB#{1}"\nINDEX = "by_status"\n',
        encoding="utf-8",
    )
    assert [line for line, _ in spelled_keys(probe)] == [2, 3]


def test_no_key_is_spelled_outside_the_store() -> None:
    files = source_files()
    assert OWNER in files and len(files) > 30
    found = {
        str(path.relative_to(ROOT)): spelled
        for path in files
        if path != OWNER and (spelled := spelled_keys(path))
    }
    assert found == {}
    assert spelled_keys(OWNER)  # and the owner does spell them


def test_every_index_of_the_table_has_a_name_in_the_store() -> None:
    assert set(INDEXES) == {keys.BY_TARGET, keys.BY_STATUS, keys.BY_CONSULTATION}
    assert table_definition()["TimeToLiveSpecification"]["AttributeName"] == keys.TTL_ATTRIBUTE


@pytest.mark.parametrize(
    ("source", "target", "redacting", "allowed"),
    [
        ("pending", "approved", False, True),
        ("pending", "rejected", False, True),
        ("pending", "hidden", False, True),
        ("approved", "hidden", False, True),
        ("hidden", "approved", False, True),
        ("rejected", "approved", False, True),
        ("approved", "approved", True, True),
        ("approved", "approved", False, False),
        ("approved", "rejected", False, False),
        ("rejected", "hidden", False, False),
        ("hidden", "rejected", False, False),
        ("pending", "pending", True, False),
        ("hidden", "hidden", True, False),
    ],
)
def test_transitions(source: str, target: str, redacting: bool, allowed: bool) -> None:
    assert keys.allowed(source, target, redacting) is allowed


def test_actions_from_each_status_follow_the_transitions() -> None:
    assert keys.actions_from(Status.PENDING) == ["approve", "reject", "hide"]
    assert keys.actions_from(Status.APPROVED) == ["hide", "approve"]  # approve = redact
    assert keys.actions_from(Status.HIDDEN) == ["approve"]
    assert keys.actions_from(Status.REJECTED) == ["approve"]
    assert {a.target for a in Action} == {Status.APPROVED, Status.REJECTED, Status.HIDDEN}
    assert all(s.label for s in Status)


def test_key_shapes_are_those_of_the_contract() -> None:
    assert keys.submission("abc") == {"PK": "SUB#abc", "SK": "SUB"}
    assert keys.audit("abc", "2026-11-30T10:00:00.000Z", 2)["SK"].startswith("AUDIT#2026")
    assert keys.target_index({"consultation": "c", "text": None, "proposal": "p1"}, "t", "i") == {
        "GSI1PK": "TARGET#c#proposal#p1",
        "GSI1SK": "t#i",
    }
    assert keys.target_index({"consultation": "c", "title": "x"}, "t", "i") == {}
    assert keys.consultation_index("c", "pending", "t", "i")["GSI3SK"] == "pending#t#i"
    assert keys.status_after("t") > "t#0zzzzzzzzzzzzzzzzzzzzzzzzz"
