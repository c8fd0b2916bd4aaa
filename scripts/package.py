"""Package the platform for AWS (``make package``) and deploy it (``make deploy``).

Packaging never touches the source tree: it stages a copy of ``lambdas/`` under
``build/package-work/<stage>/`` (where Chalice also keeps its cache of downloaded wheels, keyed
by requirements.txt), adds what the publish function needs to build the site in Lambda
(content/, theme/ and the Pelican settings as ``chalicelib/site/``; the Pelican plugins through
Chalice's ``vendor/``, as the top-level package ``plugins``) and the built ``consultations.json``
manifest (as ``chalicelib/data/``), writes the merge template (lambdas/infra/resources.yaml + the
table from spec/table.json), and runs ``chalice package --merge-template``. Then it builds the
grouping function's layer (datasketch, numpy, scipy from lambdas/grouping-requirements.txt: too
big for the zip every function carries) with pip. Output:
``build/package/{sam.json,deployment.zip,grouping-layer.zip}``.

In Lambda only the zip root is on the path: ``app``, ``chalicelib`` and ``plugins`` import from
there by name, as they do from the editable install (`make install`) everywhere else; nothing
edits sys.path. The layer's ``python/`` becomes ``/opt/python``, which Lambda's Python puts on the
path after the zip root, for the grouping function only.

Deploying (``--deploy``, scripts/deploy.py) uploads them to an artifacts bucket and
creates/executes a CloudFormation change set with boto3 (the AWS CLI is not needed), then starts
one run of the publish function at once.

    python scripts/package.py --stage prod
    python scripts/package.py --stage prod --deploy --parameter DomainName=...
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import sources
from chalicelib.config import MANIFEST_FILE
from chalicelib.errors import ApiError
from chalicelib.spec import table_definition

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = ROOT / "lambdas"

logger = logging.getLogger(__name__)

RESOURCES = LAMBDAS / "infra" / "resources.yaml"
DEFAULT_OUT = ROOT / "build" / "package"
DEFAULT_WORK = ROOT / "build" / "package-work"
ROOT_PACKAGES = ("plugins",)  # at the zip root (vendor/), next to app.py and chalicelib/
PROTECTED_STAGES = frozenset({"prod"})
FUNCTION_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
# Files of wheels that must stay executable in Lambda (zipfile extraction drops the mode bits).
EXECUTABLES = ("pagefind_bin/pagefind",)
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
# What Chalice says when a requirement has no wheel for the Lambda runtime (python3.11: glibc
# 2.26, i.e. manylinux_2_17 to 2_26) and no pure-Python build; it then goes on without it.
MISSING_DEPENDENCIES = "Could not install dependencies:"

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


# --- the template ---------------------------------------------------------------------------
def merge_template(stage: str) -> dict[str, Any]:
    """lambdas/infra/resources.yaml with the table's properties from spec/table.json, its name
    from the stage and the stage's deletion protection (prod keeps its table, stack or not)."""
    template = yaml.safe_load(RESOURCES.read_text(encoding="utf-8"))
    table = template["Resources"]["Table"]
    spec = {k: v for k, v in table_definition().items() if not k.startswith("$")}
    table["Properties"] = {**spec, **table["Properties"]}
    table["Properties"]["TableName"] = stage_environment(stage)["TABLE_NAME"]
    protected = stage in PROTECTED_STAGES
    table["Properties"]["DeletionProtectionEnabled"] = protected
    table["DeletionPolicy"] = table["UpdateReplacePolicy"] = "Retain" if protected else "Delete"
    api = template["Resources"]["RestAPI"]["Properties"]
    api["GatewayResponses"] = gateway_responses()
    return template


# What API Gateway answers by itself (no Authorization header; its own throttling) gets the
# API's error shape and Greek message too, from the same table as every other error.
GATEWAY_ERRORS = {"UNAUTHORIZED": "unauthorized", "THROTTLED": "rate_limited"}


def gateway_responses() -> dict[str, Any]:
    responses = {}
    for kind, code in GATEWAY_ERRORS.items():
        error = ApiError(code)
        responses[kind] = {
            "StatusCode": str(error.status),
            "ResponseTemplates": {
                "application/json": json.dumps(error.body(), ensure_ascii=False),
            },
        }
    return responses


def stage_environment(stage: str) -> dict[str, str]:
    """The environment lambdas/.chalice/config.json gives the stage's functions. Its TABLE_NAME
    names the table, so the staff tools (``--stage``) find the same table the stack creates."""
    config = json.loads((LAMBDAS / ".chalice" / "config.json").read_text(encoding="utf-8"))
    if stage not in config["stages"]:
        raise PackageError(f"no stage {stage!r} in lambdas/.chalice/config.json")
    return {
        **config.get("environment_variables", {}),
        **config["stages"][stage].get("environment_variables", {}),
    }


def finish_template(sam: dict[str, Any]) -> dict[str, Any]:
    """Point the REST API at its functions (handler, authorizer) by name instead of by ``Arn``
    (see resources.yaml: it breaks the function -> site URL -> CSP -> API dependency cycle)."""
    resources = sam["Resources"]
    api = resources["RestAPI"]["Properties"]
    text = json.dumps(api["DefinitionBody"])
    for name, resource in resources.items():
        ref = "${" + name + ".Arn}"
        if resource.get("Type") != "AWS::Serverless::Function" or ref not in text:
            continue
        function_name = resource["Properties"].get("FunctionName", {}).get("Fn::Sub")
        if not function_name:
            raise PackageError(f"{name} is called by the REST API but has no FunctionName")
        text = text.replace(ref, FUNCTION_ARN + function_name)
    if ".Arn}" in text:
        raise PackageError("the REST API still references a resource's Arn")
    api["DefinitionBody"] = json.loads(text)
    return sam


# --- staging --------------------------------------------------------------------------------
def build_manifest(workdir: Path) -> Path:
    """Build the site once (no snapshot needed) for the consultations.json the API bundles."""
    output = workdir / "manifest-site"
    shutil.rmtree(output, ignore_errors=True)
    env = {**os.environ, "DIAVOULEFSI_SNAPSHOT": str(workdir / "no-snapshot.json")}
    cmd = [sys.executable, "-m", "pelican", "content", "-o", str(output), "-s", "pelicanconf.py"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    manifest = output / MANIFEST_FILE
    if proc.returncode != 0 or not manifest.is_file():
        raise PackageError(f"site build for the manifest failed:\n{proc.stdout}{proc.stderr}")
    return manifest


def stage_project(project: Path, manifest: Path, with_deps: bool) -> None:
    """A copy of lambdas/ with the site sources and the manifest; keeps Chalice's cache."""
    project.mkdir(parents=True, exist_ok=True)
    for child in project.iterdir():
        if child.name != ".chalice":
            _remove(child)
    chalice_dir = project / ".chalice"
    chalice_dir.mkdir(exist_ok=True)
    for child in chalice_dir.iterdir():
        if child.name != "deployments":
            _remove(child)
    for config in (LAMBDAS / ".chalice").glob("*.json"):
        shutil.copy2(config, chalice_dir / config.name)
    shutil.copy2(LAMBDAS / "app.py", project / "app.py")
    lib = project / "chalicelib"
    shutil.copytree(
        LAMBDAS / "chalicelib", lib, ignore=shutil.ignore_patterns("__pycache__", "site", "data")
    )
    if (LAMBDAS / "vendor").is_dir():
        shutil.copytree(LAMBDAS / "vendor", project / "vendor", ignore=IGNORE)
    for name in ROOT_PACKAGES:  # Chalice puts vendor/'s contents at the root of the zip
        shutil.copytree(ROOT / name, project / "vendor" / name, ignore=IGNORE)
    requirements = (LAMBDAS / "requirements.txt").read_text(encoding="utf-8") if with_deps else ""
    (project / "requirements.txt").write_text(requirements, encoding="utf-8")

    (lib / "data").mkdir()
    shutil.copy2(manifest, lib / "data" / MANIFEST_FILE)
    site = lib / "site"
    site.mkdir()
    for name in sources.SITE:  # as chalicelib/site/
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, site / name, ignore=IGNORE)
        else:
            shutil.copy2(source, site / name)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def make_executable(zip_path: Path) -> None:
    """Restore the executable bit of the binaries Lambda runs (Lambda honours zip modes), and
    leave out the bytecode a wheel ships (numpy's ``distutils/__pycache__``): Lambda's code is
    read-only, the zip carries sources only."""
    with zipfile.ZipFile(zip_path) as src:
        infos = src.infolist()
        if not any(_needs_fixing(i) for i in infos):
            return
        fixed = zip_path.with_suffix(".tmp")
        with zipfile.ZipFile(fixed, "w") as dst:
            for info in infos:
                if "__pycache__/" in info.filename:
                    continue
                if info.filename in EXECUTABLES:
                    info.external_attr = (0o100755 << 16) | (info.external_attr & 0xFFFF)
                dst.writestr(info, src.read(info), compress_type=info.compress_type)
    fixed.replace(zip_path)


def _needs_fixing(info: zipfile.ZipInfo) -> bool:
    return "__pycache__/" in info.filename or (
        info.filename in EXECUTABLES and not _is_executable(info)
    )


def _is_executable(info: zipfile.ZipInfo) -> bool:
    return bool((info.external_attr >> 16) & 0o111)


# --- the grouping layer -----------------------------------------------------------------
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


def package(
    stage: str,
    out: Path = DEFAULT_OUT,
    work: Path = DEFAULT_WORK,
    manifest: Path | None = None,
    with_deps: bool = True,
) -> Path:
    """Write ``sam.json`` and ``deployment.zip`` for ``stage`` into ``out``; returns ``out``.
    One run at a time per work directory: Chalice rewrites its cached zip in place."""
    stage_dir = work / stage
    stage_dir.mkdir(parents=True, exist_ok=True)
    with open(stage_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _package(stage, out, stage_dir, manifest, with_deps)


def _package(
    stage: str, out: Path, stage_dir: Path, manifest: Path | None, with_deps: bool
) -> Path:
    manifest = manifest or build_manifest(stage_dir)
    project = stage_dir / "project"
    stage_project(project, manifest, with_deps)
    merge_path = stage_dir / "resources.json"
    merge_path.write_text(json.dumps(merge_template(stage), indent=2), encoding="utf-8")

    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ}
    env.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "eu-central-1"))
    # @app.schedule's rate is read when Chalice imports the app, i.e. now, not at run time.
    rate = stage_environment(stage).get("PUBLISH_RATE_MINUTES")
    if rate:
        env["PUBLISH_RATE_MINUTES"] = rate
    chalice = Path(sys.executable).with_name("chalice")
    cmd = [str(chalice), "package", "--stage", stage, "--merge-template", str(merge_path), str(out)]
    logger.info("chalice package --stage %s (first run downloads the wheels)", stage)
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PackageError(f"chalice package failed:\n{proc.stdout}{proc.stderr}")
    missing = missing_dependencies(proc.stdout + proc.stderr)
    if missing:
        # Chalice wrote (and cached) a zip without them: a function importing one would fail
        # in Lambda only. Drop the cache so the next run tries again.
        for cached in (project / ".chalice" / "deployments").glob("*.zip"):
            cached.unlink()
        raise PackageError(
            "chalice package left out dependencies with no wheel for the Lambda runtime "
            f"(python3.11, manylinux_2_17 to 2_26): {', '.join(missing)}; pin versions that "
            "have one in lambdas/requirements.txt"
        )

    sam_path = out / "sam.json"
    sam = finish_template(json.loads(sam_path.read_text(encoding="utf-8")))
    sam_path.write_text(json.dumps(sam, indent=2, ensure_ascii=False), encoding="utf-8")
    make_executable(out / "deployment.zip")
    if with_deps:
        build_layer(out, stage_dir.parent / "layers")
        found = sizes(out)
        total = sum(unpacked for _, unpacked in found.values())
        if total >= LAMBDA_UNZIPPED_LIMIT:
            raise PackageError(
                "the grouping function's code would not fit in Lambda: "
                + "; ".join(describe_sizes(found))
            )
    return out


def missing_dependencies(output: str) -> list[str]:
    """The requirements Chalice's output says it could not install (its warning, not an
    error: it goes on without them)."""
    _, found, rest = output.partition(MISSING_DEPENDENCIES)
    if not found:
        return []
    names = []
    for line in rest.strip().splitlines():
        if not line.strip() or " " in line.strip():  # the list ends at the advice that follows
            break
        names.append(line.strip())
    return names or ["(unnamed)"]


def _parameters(values: list[str]) -> dict[str, str]:
    parameters = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise SystemExit(f"--parameter needs KEY=VALUE, got {value!r}")
        parameters[key] = val
    return parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--manifest", type=Path, help="use this consultations.json (no build)")
    parser.add_argument("--no-deps", action="store_true", help="skip requirements (template only)")
    parser.add_argument("--deploy", action="store_true", help="deploy the existing package")
    parser.add_argument("--stack-name", help="default: diavoulefsi-<stage>")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"))
    parser.add_argument("--artifacts-bucket", help="default: diavoulefsi-artifacts-<acct>-<region>")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if not args.deploy:
            out = package(args.stage, args.out, args.work, args.manifest, not args.no_deps)
            print(f"packaged stage {args.stage} into {out}")
            for line in describe_sizes(sizes(out)):
                print(f"  {line}")
            return 0
        import boto3

        from scripts import deploy as aws

        session = boto3.Session(region_name=args.region)
        if not session.region_name:
            raise PackageError("no AWS region: set AWS_REGION or pass --region")
        bucket = args.artifacts_bucket or aws.ensure_artifacts_bucket(session)
        stack = args.stack_name or f"diavoulefsi-{args.stage}"
        result = aws.deploy(session, stack, bucket, _parameters(args.parameter), args.out)
    except (PackageError, BotoCoreError, ClientError) as exc:  # e.g. no credentials
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    function = aws.trigger_publish(session, result)
    if function:
        print(f"started a publish run of {function}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
