"""The project's code is importable by name, without anyone editing the import path.

`make install` installs the project in editable mode (pyproject.toml: ``chalicelib`` and the
module ``app`` from lambdas/, ``plugins``, ``scripts``); in Lambda the same names sit at the
root of the zip (scripts/package.py, tests/test_infra_lambda_zip.py). So no file edits the path
by hand, and the names import from any working directory.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# An edit of the module search path: a call that changes the list, an assignment to it or to a
# slice of it, an import of the list itself (to edit it under another name), site.addsitedir.
PATH_EDIT = re.compile(
    r"\bsys\s*\.\s*path\s*(?:\.\s*(?:insert|append|extend|remove|pop|clear)\s*\("
    r"|\[[^\]]*\]\s*=(?!=)|\+?=(?!=))"
    r"|\bfrom\s+sys\s+import\s+[^#\n]*\bpath\b"
    r"|\baddsitedir\s*\("
)
PACKAGES = {
    "chalicelib.spec": "lambdas/chalicelib/spec/__init__.py",
    "app": "lambdas/app.py",
    "plugins.greek": "plugins/greek/__init__.py",
    "scripts.dynamodb_local": "scripts/dynamodb_local.py",
}


def python_files() -> list[Path]:
    """The project's Python files: tracked, or new and not ignored (so drift shows up before the
    commit that would add it)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    cmd = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.py"]
    listed = subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True).stdout
    files = [ROOT / name for name in listed.decode().split("\0") if name]
    return [path for path in files if path.is_file()]  # a deletion not yet committed: gone


def test_the_pattern_sees_path_edits() -> None:
    edits = [
        "sys.path.insert(0, str(ROOT))",
        "sys.path.append('lambdas')",
        "sys.path[:0] = [a, b]",
        "sys.path = [a]",
        "sys.path += [a]",
        "from sys import path",
        "from sys import argv, path",
        "site.addsitedir(x)",
        "'sys.path[:0] = [sys.argv[1]]\\n'",  # inside the code a test hands to a subprocess
    ]
    reads = [
        "print(sys.path)",
        "if sys.path == x: pass",
        "any(p in sys.path for p in x)",
        "from sys import path_hooks",
    ]
    assert [e for e in edits if not PATH_EDIT.search(e)] == []
    assert [r for r in reads if PATH_EDIT.search(r)] == []


def test_no_file_edits_the_import_path() -> None:
    """Not the settings, not the scripts, not the tests, not the code tests run in a subprocess:
    an import that needs a path edit means the packaging (pyproject.toml, package.py) is wrong."""
    offenders = []
    for path in python_files():
        if path == Path(__file__).resolve():
            continue  # its examples of what the pattern must see
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if PATH_EDIT.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def neutral_python(tmp_path: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``code`` in the venv's interpreter, isolated (-I: no PYTHONPATH, no working directory or
    script folder on the path), from an empty directory."""
    return subprocess.run(
        [sys.executable, "-I", "-c", code, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_packages_import_from_anywhere(tmp_path: Path) -> None:
    code = (
        "import importlib, json\n"
        f"names = {list(PACKAGES)!r}\n"
        "files = {n: importlib.import_module(n).__file__ for n in names}\n"
        "from chalicelib.spec import limits\n"
        "files['limits.json'] = bool(limits())\n"
        "print(json.dumps(files))\n"
    )
    proc = neutral_python(tmp_path, code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = json.loads(proc.stdout.strip().splitlines()[-1])
    assert files.pop("limits.json") is True  # the spec's data files come with it
    assert files == {name: str(ROOT / path) for name, path in PACKAGES.items()}


def test_the_pelican_settings_load_from_anywhere(tmp_path: Path) -> None:
    """publishconf reads pelicanconf from its own folder; pelicanconf imports chalicelib.spec; the
    plugins it names import by name."""
    code = (
        "import importlib, json, sys\n"
        "from pelican.settings import read_settings\n"
        "s = read_settings(sys.argv[1])\n"
        "for name in s['PLUGINS']:\n"
        "    importlib.import_module(name)\n"
        "keys = ('RELATIVE_URLS', 'PLUGINS', 'THEME')\n"
        "print(json.dumps({**{k: s[k] for k in keys}, 'limits': bool(s['LIMITS'])}))\n"
    )
    proc = neutral_python(tmp_path, code, str(ROOT / "publishconf.py"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    settings = json.loads(proc.stdout.strip().splitlines()[-1])
    assert settings["RELATIVE_URLS"] is False  # publishconf's own, over pelicanconf's
    assert settings["limits"] is True
    assert "plugins.consultations" in settings["PLUGINS"]
    assert settings["THEME"] == str(ROOT / "theme")


@pytest.mark.parametrize("script", ["build", "package", "dynamodb_local", "staff_token"])
def test_the_scripts_run_as_files(tmp_path: Path, script: str) -> None:
    """What the Makefile does (`.venv/bin/python scripts/<name>.py`), from elsewhere."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / f"{script}.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "usage:" in proc.stdout
