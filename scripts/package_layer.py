"""The grouping function's Lambda layer (datasketch, numpy, scipy: 155 MB that the API and the
other functions never import, so not in the zip they all share): pip's wheels for the runtime,
stripped of what Lambda never runs, zipped reproducibly; and the sizes Lambda's limit counts.
Used by scripts/package.py (``make package``)."""

from __future__ import annotations

import hashlib
import logging
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = ROOT / "lambdas"

logger = logging.getLogger(__name__)

# The grouping function's layer: its own requirements, installed by pip as wheels for the Lambda
# runtime into the layer's python/ (Lambda unpacks it into /opt; /opt/python is on the path).
LAYER_REQUIREMENTS = LAMBDAS / "grouping-requirements.txt"
LAYER_ZIP = "grouping-layer.zip"  # what resources.yaml's GroupingLayer names (ContentUri)
LAYER_DIR = "python"
# pip's view of the python3.11 runtime: manylinux2014 (glibc 2.17) wheels, CPython 3.11.
LAYER_PIP = (
    "--platform", "manylinux2014_x86_64",
    "--implementation", "cp",
    "--python-version", "3.11",
    "--only-binary=:all:",
    "--no-compile",
)  # fmt: skip
# What Lambda never runs: the packages' test suites, bytecode (the code is read-only; the
# runtime compiles in memory), the console scripts pip writes to bin/ (f2py, numpy-config).
LAYER_STRIP_DIRS = frozenset({"tests", "__pycache__"})
LAYER_STRIP_TOP = frozenset({"bin"})
# ...except a test suite's module the package itself imports: numpy.testing (which scipy's
# array_api_compat pulls in at import, so datasketch does too) imports numpy._core.tests._natype.
LAYER_KEEP = frozenset({"numpy/_core/tests/_natype.py"})
# Bump when the layer's build changes: the cached zip is keyed by it and the requirements.
LAYER_BUILD = "1"
# Fixed zip entries: 1980-01-01 (the zip format's epoch), sorted names, modes 644/755.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Lambda's limit on a function's unpacked code, its layers included: 250 MiB, in bytes.
LAMBDA_UNZIPPED_LIMIT = 262_144_000


class PackageError(RuntimeError):
    """Packaging or deploying failed; the message says which step."""


# --- building it -----------------------------------------------------------------
def build_layer(
    out: Path,
    cache: Path,
    requirements: Path = LAYER_REQUIREMENTS,
    pip_args: Sequence[str] = (),
) -> Path:
    """``out/grouping-layer.zip``: ``requirements`` installed by pip as wheels for the Lambda
    runtime into the layer's ``python/``, without what Lambda never runs, zipped the same way
    every time. Built once per requirements (kept in ``cache``, keyed by their text and the
    build), copied afterwards."""
    text = requirements.read_text(encoding="utf-8")
    key = hashlib.sha256("\n".join([LAYER_BUILD, *LAYER_PIP, *pip_args, text]).encode())
    cached = cache / f"grouping-layer-{key.hexdigest()[:16]}.zip"
    if not cached.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix="layer-") as tmp:
            root = Path(tmp) / "layer"
            pip_install(requirements, root / LAYER_DIR, pip_args)
            partial = Path(tmp) / LAYER_ZIP
            write_zip(root, partial, keep=layer_keeps)
            partial.replace(cached)  # whole or not at all: another stage may be reading it
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, out / LAYER_ZIP)
    return out / LAYER_ZIP


def pip_install(requirements: Path, target: Path, pip_args: Sequence[str] = ()) -> None:
    """pip's wheels for the Lambda runtime into ``target``; a requirement without one fails
    the package (unlike Chalice, pip never leaves one out)."""
    cmd = [sys.executable, "-m", "pip", "install", *LAYER_PIP, *pip_args]
    cmd += ["--target", str(target), "-r", str(requirements)]
    logger.info("pip install --target %s -r %s", target.name, requirements.name)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        said = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
        raise PackageError(
            f"the grouping layer: pip found no wheel for the Lambda runtime (python3.11, "
            f"manylinux2014_x86_64) of a requirement in {requirements.name} (or no index): pin "
            "versions that have one.\n" + "\n".join(said or proc.stderr.splitlines()[-20:])
        )


def layer_keeps(name: str) -> bool:
    """Whether the layer keeps the file ``name`` (relative to the layer's root)."""
    parts = name.split("/")
    if len(parts) > 1 and parts[1] in LAYER_STRIP_TOP:  # python/bin/...
        return False
    if "/".join(parts[1:]) in LAYER_KEEP:
        return True
    return not (LAYER_STRIP_DIRS & set(parts[:-1]) or name.endswith(".pyc"))


def write_zip(root: Path, dest: Path, keep: Callable[[str], bool] = lambda name: True) -> None:
    """The files under ``root`` that ``keep`` accepts, as a reproducible zip: entries sorted by
    name, every one dated ZIP_EPOCH, mode 755 if executable and 644 otherwise."""
    files = sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file())
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in files:
            if not keep(name):
                continue
            info = zipfile.ZipInfo(name, ZIP_EPOCH)
            info.create_system = 3  # unix: Lambda reads the modes below
            executable = path.stat().st_mode & 0o111
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as src, archive.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def sizes(out: Path) -> dict[str, tuple[int, int]]:
    """Each zip in ``out``: its size, and the size of its files once unpacked (what Lambda's
    limit counts), in bytes."""
    found = {}
    for name in ("deployment.zip", LAYER_ZIP):
        path = out / name
        if path.is_file():
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(i.file_size for i in archive.infolist())
            found[name] = (path.stat().st_size, unpacked)
    return found


def describe_sizes(found: dict[str, tuple[int, int]]) -> list[str]:
    lines = [
        f"{name}: {zipped / 1e6:.1f} MB, {unpacked / 1e6:.1f} MB unpacked"
        for name, (zipped, unpacked) in found.items()
    ]
    total = sum(unpacked for _, unpacked in found.values())
    whose = "the grouping function (zip + layer)" if LAYER_ZIP in found else "a function"
    lines.append(
        f"{whose}: {total / 1e6:.1f} MB unpacked of Lambda's {LAMBDA_UNZIPPED_LIMIT / 1e6:.1f} MB"
        " (250 MiB)"
    )
    return lines
