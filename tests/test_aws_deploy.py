"""`make deploy` (scripts/package.py --deploy, scripts/deploy.py): the boto3 calls, against
botocore's Stubber."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from chalice.app import CloudWatchEvent

from scripts import deploy as aws
from scripts import package

BUCKET = "diavoulefsi-artifacts-123456789012-eu-central-1"
STACK = "diavoulefsi-prod"
REGION = "eu-central-1"
OUTPUTS = {"SiteUrl": "https://d1.cloudfront.net", "ApiUrl": "https://x.execute-api/api"}
PUBLISH = f"{STACK}-publish"


class Session:
    """The clients deploy() and trigger_publish() ask a boto3 Session for, each under a
    Stubber."""

    region_name = REGION

    def __init__(self) -> None:
        kwargs = {"region_name": REGION, "aws_access_key_id": "x", "aws_secret_access_key": "x"}
        names = ("s3", "cloudformation", "lambda")
        self.clients = {name: boto3.client(name, **kwargs) for name in names}
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}

    def client(self, name: str) -> Any:
        return self.clients[name]


@pytest.fixture
def session() -> Iterator[Session]:
    session = Session()
    for stub in session.stubs.values():
        stub.activate()
    yield session
    for stub in session.stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


@pytest.fixture
def packaged(tmp_path: Path) -> Path:
    (tmp_path / "deployment.zip").write_bytes(b"PK zip bytes")
    sam = {
        "Resources": {
            "APIHandler": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "./deployment.zip"},
            },
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        }
    }
    (tmp_path / "sam.json").write_text(json.dumps(sam), encoding="utf-8")
    return tmp_path


def stack(status: str) -> dict[str, Any]:
    outputs = [{"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS.items()]
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "CreationTime": "2026-11-26T10:00:00Z",
                "StackStatus": status,
                "Outputs": outputs,
            }
        ]
    }


def expect_uploads(session: Session, packaged: Path) -> str:
    s3 = session.stubs["s3"]
    zip_key = f"{STACK}/{hashlib.sha256(b'PK zip bytes').hexdigest()}.zip"
    s3.add_response("put_object", {}, {"Bucket": BUCKET, "Key": zip_key, "Body": b"PK zip bytes"})
    s3.add_response("put_object", {}, {"Bucket": BUCKET, "Key": ANY, "Body": ANY})
    return zip_key


def test_first_deploy_creates_the_stack(session: Session, packaged: Path) -> None:
    zip_key = expect_uploads(session, packaged)
    cfn = session.stubs["cloudformation"]
    cfn.add_client_error(
        "describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist"
    )
    cfn.add_response(
        "create_change_set",
        {"Id": "cs-1", "StackId": "s-1"},
        {
            "StackName": STACK,
            "ChangeSetName": ANY,
            "ChangeSetType": "CREATE",
            "TemplateURL": ANY,
            "Parameters": [{"ParameterKey": "DomainName", "ParameterValue": "d.example.gr"}],
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        },
    )
    cfn.add_response(
        "describe_change_set",
        {"Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE"},
        {"StackName": STACK, "ChangeSetName": ANY},
    )
    cfn.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE"), {"StackName": STACK})
    cfn.add_response("describe_stacks", stack("CREATE_COMPLETE"), {"StackName": STACK})

    result = aws.deploy(session, STACK, BUCKET, {"DomainName": "d.example.gr"}, packaged, poll=0.01)
    assert result == OUTPUTS
    # The packaged template stays as built; the uploaded copy points at the zip in S3.
    on_disk = json.loads((packaged / "sam.json").read_text())
    assert on_disk["Resources"]["APIHandler"]["Properties"]["CodeUri"] == "./deployment.zip"
    recorder = _Recorder()
    key, rewritten = aws.upload_artifacts(recorder, BUCKET, STACK, packaged, on_disk)
    assert rewritten["Resources"]["APIHandler"]["Properties"]["CodeUri"] == {
        "Bucket": BUCKET,
        "Key": zip_key,
    }
    assert recorder.puts == [zip_key, key] and key.endswith(".template.json")


def test_unchanged_stack_is_not_an_error(session: Session, packaged: Path) -> None:
    expect_uploads(session, packaged)
    cfn = session.stubs["cloudformation"]
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    cfn.add_response("create_change_set", {"Id": "cs-2"}, None)
    reason = "The submitted information didn't contain changes."
    failed = {"Status": "FAILED", "StatusReason": reason}
    cfn.add_response("describe_change_set", failed, None)  # the waiter
    cfn.add_response("describe_change_set", failed, None)  # deploy() reads the reason
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    assert aws.deploy(session, STACK, BUCKET, {}, packaged, poll=0.01) == OUTPUTS


def test_failed_change_set_is_reported(session: Session, packaged: Path) -> None:
    expect_uploads(session, packaged)
    cfn = session.stubs["cloudformation"]
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    cfn.add_response("create_change_set", {"Id": "cs-3"}, None)
    failed = {"Status": "FAILED", "StatusReason": "Circular dependency between resources"}
    cfn.add_response("describe_change_set", failed, None)
    cfn.add_response("describe_change_set", failed, None)
    with pytest.raises(package.PackageError, match="Circular dependency"):
        aws.deploy(session, STACK, BUCKET, {}, packaged, poll=0.01)


class _Recorder:
    """An S3 client that only remembers what was put (for the template rewrite)."""

    def __init__(self) -> None:
        self.puts: list[str] = []

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:
        self.puts.append(Key)


def test_parameters_parse_key_value_pairs() -> None:
    assert package._parameters(["DomainName=a.gr", "X=1=2"]) == {"DomainName": "a.gr", "X": "1=2"}
    with pytest.raises(SystemExit):
        package._parameters(["novalue"])


# --- the publish run after a deploy -----------------------------------------------------------
def expect_invoke(session: Session, status: int = 202) -> list[Any]:
    """Stub one asynchronous invoke of the publish function; returns where its payload lands."""
    payloads: list[Any] = []

    class Payload:
        """Matches any payload, and keeps it for the test to read."""

        def __eq__(self, other: object) -> bool:
            payloads.append(other)
            return True

    session.stubs["lambda"].add_response(
        "invoke",
        {"StatusCode": status},
        {"FunctionName": PUBLISH, "InvocationType": "Event", "Payload": Payload()},
    )
    return payloads


def test_deploy_starts_one_asynchronous_publish_run(session: Session) -> None:
    payloads = expect_invoke(session)
    outputs = {**OUTPUTS, "PublishFunctionName": PUBLISH}
    assert aws.trigger_publish(session, outputs) == PUBLISH
    # The schedule's handler gets the payload wrapped by Chalice: it must read it as its own.
    (payload,) = payloads
    event = CloudWatchEvent(json.loads(payload), None)
    assert (event.source, event.detail_type, event.detail) == ("diavoulefsi.deploy", "Deploy", {})
    assert event.region == REGION and event.resources == []
    assert event.time.endswith("Z") and event.event_id


def test_an_older_stack_without_the_output_only_warns(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    assert aws.trigger_publish(session, OUTPUTS) is None  # no invoke stubbed: none made
    assert "PublishFunctionName" in caplog.text


def test_a_refused_invoke_does_not_fail_the_deploy(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    session.stubs["lambda"].add_client_error(
        "invoke", "TooManyRequestsException", "Rate exceeded", http_status_code=429
    )
    outputs = {**OUTPUTS, "PublishFunctionName": PUBLISH}
    assert aws.trigger_publish(session, outputs) is None
    assert "Rate exceeded" in caplog.text


def test_an_invoke_lambda_did_not_queue_is_reported(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    expect_invoke(session, status=200)
    outputs = {**OUTPUTS, "PublishFunctionName": PUBLISH}
    assert aws.trigger_publish(session, outputs) is None
    assert "not queued" in caplog.text


def test_main_starts_the_publish_run_after_the_deploy(
    session: Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {**OUTPUTS, "PublishFunctionName": PUBLISH}
    deployed: list[str] = []

    def deploy(session: Any, stack: str, bucket: str, *args: Any) -> dict[str, str]:
        deployed.append(stack)
        return outputs

    monkeypatch.setattr(boto3, "Session", lambda region_name: session)
    monkeypatch.setattr(aws, "deploy", deploy)
    expect_invoke(session)
    assert package.main(["--deploy", "--artifacts-bucket", BUCKET]) == 0
    assert deployed == [STACK]
    assert f"started a publish run of {PUBLISH}" in capsys.readouterr().out
