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
import json
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import sources
from chalicelib.config import MANIFEST_FILE
from chalicelib.errors import ApiError
from chalicelib.spec import table_definition
from scripts.package_layer import (
    LAMBDA_UNZIPPED_LIMIT,
    PackageError,
    build_layer,
    describe_sizes,
    sizes,
)

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
