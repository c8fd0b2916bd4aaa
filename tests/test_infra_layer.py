"""The grouping layer's build (scripts/package_layer.py): what it keeps, a reproducible zip, and a
clear failure when pip has no wheel for the Lambda runtime. The real layer, run in a Lambda-like
interpreter, is tests/test_infra_lambda_zip.py's (slow)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from scripts import package_layer


def test_the_layer_leaves_out_what_lambda_never_runs() -> None:
    keeps = package_layer.layer_keeps
    assert keeps("python/numpy/__init__.py")
    assert keeps("python/numpy-2.2.6.dist-info/METADATA")
    assert keeps("python/scipy.libs/libscipy_openblas-1.so")
    assert keeps("python/numpy/testing/_private/utils.py")  # numpy.testing is not a test suite
    assert not keeps("python/scipy/integrate/tests/test_quadpack.py")
    assert not keeps("python/numpy/_core/tests/data/umath-validation-set-README.txt")
    assert not keeps("python/numpy/__pycache__/version.cpython-311.pyc")
    assert not keeps("python/bin/f2py")
    # numpy.testing imports it at run time (and scipy imports numpy.testing)
    assert keeps("python/numpy/_core/tests/_natype.py")


def _tree(root: Path, order: list[str], mtime: int) -> None:
    for name in order:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name, encoding="utf-8")
        os.utime(path, (mtime, mtime))
    (root / "python" / "pkg" / "run.sh").chmod(0o755)


def test_the_layer_zip_is_the_same_for_the_same_files(tmp_path: Path) -> None:
    """Sorted entries, fixed dates, modes 644/755 only: the same files give the same bytes,
    whenever and in whatever order they were written."""
    files = ["python/pkg/__init__.py", "python/pkg/run.sh", "python/a/tests/test_a.py"]
    _tree(tmp_path / "one", files, 1_700_000_000)
    _tree(tmp_path / "two", files[::-1], 1_800_000_000)
    for name in ("one", "two"):
        package_layer.write_zip(
            tmp_path / name, tmp_path / f"{name}.zip", keep=package_layer.layer_keeps
        )
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
    assert modes == {"python/pkg/__init__.py": 0o644, "python/pkg/run.sh": 0o755}


def test_a_requirement_without_a_wheel_for_the_runtime_fails_the_package(tmp_path: Path) -> None:
    """As numpy and scipy after 2.2 and 1.16 (manylinux_2_28 only; the runtime has glibc 2.26):
    pip finds nothing to install, and the package fails saying so (offline: a local index)."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "nowheel-1.0-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"")
    requirements = tmp_path / "grouping-requirements.txt"
    requirements.write_text("nowheel==1.0\n", encoding="utf-8")
    pip_args = ("--no-index", "--find-links", str(wheels))
    refused = pytest.raises(package_layer.PackageError, match="no wheel for the Lambda runtime")
    with refused as failed:
        package_layer.build_layer(tmp_path / "out", tmp_path / "cache", requirements, pip_args)
    assert "nowheel==1.0" in str(failed.value)
    assert not (tmp_path / "out" / package_layer.LAYER_ZIP).exists()
    assert not list((tmp_path / "cache").glob("*.zip"))  # nothing half-built is kept
