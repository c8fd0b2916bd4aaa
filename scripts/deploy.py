"""Deploy the packaged stack (``make deploy``, through ``scripts/package.py --deploy``).

Uploads the zip, the grouping layer's zip and the template (each named by its sha256) to the
account's artifacts bucket, creates and executes a CloudFormation change set with boto3 (the AWS
CLI is not needed), and then starts one run of the publish function, so what was deployed is
live within a minute.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from chalicelib import trigger
from scripts.package import DEFAULT_OUT, PackageError

logger = logging.getLogger(__name__)

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


def upload_artifacts(
    s3: Any, bucket: str, stack: str, out: Path, template: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Upload the zip (named by its sha256) and point every function of ``template`` at it, and
    likewise each layer's zip (its ``ContentUri``, a file of ``out``: the grouping layer);
    returns the key of the uploaded template and the rewritten template."""
    zip_key = _upload(s3, bucket, stack, out / "deployment.zip")
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": zip_key}
        elif resource.get("Type") == "AWS::Serverless::LayerVersion":
            props = resource["Properties"]
            if isinstance(props["ContentUri"], str):  # a local path, as `make package` wrote it
                layer = out / Path(props["ContentUri"]).name
                if not layer.is_file():
                    raise PackageError(f"no {layer.name} in {out}: run `make package` first")
                props["ContentUri"] = {"Bucket": bucket, "Key": _upload(s3, bucket, stack, layer)}
    body = json.dumps(template, ensure_ascii=False).encode("utf-8")
    template_key = f"{stack}/{hashlib.sha256(body).hexdigest()}.template.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body)
    return template_key, template


def _upload(s3: Any, bucket: str, stack: str, path: Path) -> str:
    body = path.read_bytes()
    key = f"{stack}/{hashlib.sha256(body).hexdigest()}.zip"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return key


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
    # publish_site is an @app.schedule handler: send the shape of a scheduled event.
    event = trigger.scheduled_event("Deploy", "diavoulefsi.deploy", session.region_name or "")
    try:
        queued = trigger.invoke(function, event, session.client("lambda"))
    except (ClientError, BotoCoreError) as exc:
        logger.warning("could not start a publish run (the schedule will publish): %s", exc)
        return None
    if not queued:  # Lambda answers 202 when it has queued an asynchronous invoke
        logger.warning("publish run of %s not queued", function)
        return None
    return function


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
