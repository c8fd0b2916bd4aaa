"""Package the platform for AWS (``make package``) and deploy it (``make deploy``).

Packaging never touches the source tree: it stages a copy of ``lambdas/`` under
``build/package-work/<stage>/`` (where Chalice also keeps its cache of downloaded wheels, keyed
by requirements.txt), adds what the publish function needs to build the site in Lambda
(content/, theme/ and the Pelican settings as ``chalicelib/site/``; the Pelican plugins through
Chalice's ``vendor/``, as the top-level package ``plugins``) and the built ``consultations.json``
manifest (as ``chalicelib/data/``), writes the merge template (lambdas/infra/resources.yaml + the
table from spec/table.json), and runs ``chalice package --merge-template``. Output:
``build/package/{sam.json,deployment.zip}``.

In Lambda only the zip root is on the path: ``app``, ``chalicelib`` and ``plugins`` import from
there by name, as they do from the editable install (`make install`) everywhere else; nothing
edits sys.path.

Deploying uploads both to an artifacts bucket and creates/executes a CloudFormation change set
with boto3 (the AWS CLI is not needed), then starts one run of the publish function at once.

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
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

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
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


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
    """Restore the executable bit of the binaries Lambda runs (Lambda honours zip modes)."""
    with zipfile.ZipFile(zip_path) as src:
        infos = src.infolist()
        if not any(i.filename in EXECUTABLES and not _is_executable(i) for i in infos):
            return
        fixed = zip_path.with_suffix(".tmp")
        with zipfile.ZipFile(fixed, "w") as dst:
            for info in infos:
                if info.filename in EXECUTABLES:
                    info.external_attr = (0o100755 << 16) | (info.external_attr & 0xFFFF)
                dst.writestr(info, src.read(info), compress_type=info.compress_type)
    fixed.replace(zip_path)


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

    sam_path = out / "sam.json"
    sam = finish_template(json.loads(sam_path.read_text(encoding="utf-8")))
    sam_path.write_text(json.dumps(sam, indent=2, ensure_ascii=False), encoding="utf-8")
    make_executable(out / "deployment.zip")
    return out


# --- deploying ------------------------------------------------------------------------------
def upload_artifacts(
    s3: Any, bucket: str, stack: str, out: Path, template: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Upload the zip (named by its sha256) and point every function of ``template`` at it;
    returns the key of the uploaded template and the rewritten template."""
    zip_bytes = (out / "deployment.zip").read_bytes()
    zip_key = f"{stack}/{hashlib.sha256(zip_bytes).hexdigest()}.zip"
    s3.put_object(Bucket=bucket, Key=zip_key, Body=zip_bytes)
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": zip_key}
    body = json.dumps(template, ensure_ascii=False).encode("utf-8")
    template_key = f"{stack}/{hashlib.sha256(body).hexdigest()}.template.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body)
    return template_key, template


def stack_exists(cloudformation: Any, stack: str) -> bool:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return False
        raise
    return bool(stacks) and stacks[0]["StackStatus"] != "REVIEW_IN_PROGRESS"


def deploy(
    session: Any,
    stack: str,
    bucket: str,
    parameters: dict[str, str],
    out: Path = DEFAULT_OUT,
    poll: float = 10.0,
) -> dict[str, str]:
    """Deploy the packaged stack with a change set; returns the stack's outputs."""
    s3 = session.client("s3")
    cloudformation = session.client("cloudformation")
    template = json.loads((out / "sam.json").read_text(encoding="utf-8"))
    key, _ = upload_artifacts(s3, bucket, stack, out, template)
    region = session.region_name
    kind = "UPDATE" if stack_exists(cloudformation, stack) else "CREATE"
    name = f"deploy-{int(time.time())}"
    cloudformation.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType=kind,
        TemplateURL=f"https://{bucket}.s3.{region}.amazonaws.com/{key}",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=CAPABILITIES,
    )
    waiter_config = {"Delay": poll, "MaxAttempts": 360}
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=stack, ChangeSetName=name, WaiterConfig=waiter_config
        )
    except WaiterError as exc:  # the change set failed, or has nothing to do
        change_set = cloudformation.describe_change_set(StackName=stack, ChangeSetName=name)
        reason = change_set.get("StatusReason", "")
        if "didn't contain changes" in reason or "No updates" in reason:
            logger.info("stack %s is up to date", stack)
            return outputs(cloudformation, stack)
        raise PackageError(f"change set {name} failed: {reason}") from exc
    cloudformation.execute_change_set(StackName=stack, ChangeSetName=name)
    waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    cloudformation.get_waiter(waiter).wait(StackName=stack, WaiterConfig=waiter_config)
    return outputs(cloudformation, stack)


def outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    stack_info = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack_info.get("Outputs", [])}


def trigger_publish(session: Any, outputs: dict[str, str]) -> str | None:
    """Start one run of the publish function now (asynchronously), so what was deployed reaches
    the site without waiting for the schedule's next tick; returns the function's name.

    Best effort: without the ``PublishFunctionName`` output (a stack deployed before it existed)
    or when Lambda refuses the invoke, log a warning and return None; the schedule publishes
    anyway within its interval, so the deploy never fails for this."""
    function = outputs.get("PublishFunctionName")
    if not function:
        logger.warning("no PublishFunctionName output: the schedule will publish")
        return None
    # publish_site is an @app.schedule handler: Chalice wraps the event in its CloudWatchEvent,
    # which reads exactly these keys (and nothing checks their values), so send the shape of a
    # scheduled event. "account" stays empty: nothing reads it, and finding it costs an STS call.
    event: dict[str, Any] = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Deploy",
        "source": "diavoulefsi.deploy",
        "account": "",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": session.region_name or "",
        "resources": [],
        "detail": {},
    }
    try:
        response = session.client("lambda").invoke(
            FunctionName=function,
            InvocationType="Event",
            Payload=json.dumps(event).encode("utf-8"),
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning("could not start a publish run (the schedule will publish): %s", exc)
        return None
    status = response.get("StatusCode")
    if status != 202:  # what Lambda answers when it has queued an asynchronous invoke
        logger.warning("publish run of %s not queued (status %s)", function, status)
        return None
    return function


def _parameters(values: list[str]) -> dict[str, str]:
    parameters = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise SystemExit(f"--parameter needs KEY=VALUE, got {value!r}")
        parameters[key] = val
    return parameters


def ensure_artifacts_bucket(session: Any) -> str:
    """The account's private artifacts bucket for this tool, created on first use."""
    account = session.client("sts").get_caller_identity()["Account"]
    region = session.region_name
    bucket = f"diavoulefsi-artifacts-{account}-{region}"
    s3 = session.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
        return bucket
    except ClientError:
        logger.info("creating artifacts bucket %s", bucket)
    create: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return bucket


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
            return 0
        import boto3

        session = boto3.Session(region_name=args.region)
        if not session.region_name:
            raise PackageError("no AWS region: set AWS_REGION or pass --region")
        bucket = args.artifacts_bucket or ensure_artifacts_bucket(session)
        stack = args.stack_name or f"diavoulefsi-{args.stage}"
        result = deploy(session, stack, bucket, _parameters(args.parameter), args.out)
    except (PackageError, BotoCoreError, ClientError) as exc:  # e.g. no credentials
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    function = trigger_publish(session, result)
    if function:
        print(f"started a publish run of {function}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
