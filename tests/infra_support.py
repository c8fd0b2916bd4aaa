"""Shared by the template's tests (tests/test_infra_template.py, test_infra_policies.py):
the packaged template of each stage (fixtures: import stage_fixture, packaged_fixture,
sam_fixture), and how to read its resources and roles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import package

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("prod", "dev")
API_ORIGIN = "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
FORBIDDEN_ACTIONS = {"dynamodb:Scan", "dynamodb:DeleteTable", "dynamodb:UpdateTable"}
FUNCTIONS = {
    "APIHandler": "api",
    "StaffToken": "authorizer",
    "PublishSite": "publish",
    "GroupSubmissions": "grouping",
    "SendMail": "mail",
    "StaffDigest": "digest",
}
ROLES = {
    "ApiHandlerRole",
    "StaffTokenRole",
    "PublishSiteRole",
    "GroupSubmissionsRole",
    "SendMailRole",
    "StaffDigestRole",
}
# The one layer (datasketch, numpy, scipy: scripts/package.py) and the one function it is for.
LAYERS = {"GroupingLayer": "GroupSubmissions"}
# The publish function, by name (the API and grouping may start it: chalicelib.trigger).
PUBLISH_FUNCTION = {"Fn::Sub": "${AWS::StackName}-publish"}
SES_ARN = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
SES_RESOURCES = [  # the verified domain identity and the stack's configuration set, nothing else
    {"Fn::Sub": SES_ARN + "identity/${MailDomain}"},
    {"Fn::Sub": SES_ARN + "configuration-set/${MailConfigurationSet}"},
]

pytestmark = pytest.mark.xdist_group("infra-template")


@pytest.fixture(name="stage", scope="module", params=STAGES)
def stage_fixture(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(name="packaged", scope="module")
def packaged_fixture(stage: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package` for one stage, without the dependencies (the template does not change)."""
    base = tmp_path_factory.mktemp(f"package-{stage}")
    manifest = ROOT / "tests" / "fixtures" / "consultations.json"
    return package.package(stage, base / "out", base / "work", manifest=manifest, with_deps=False)


@pytest.fixture(name="sam", scope="module")
def sam_fixture(packaged: Path) -> dict[str, Any]:
    return json.loads((packaged / "sam.json").read_text(encoding="utf-8"))


def resources(sam: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in sam["Resources"].items() if r["Type"] == kind}


# --- least privilege ----------------------------------------------------------------------
def role_statements(sam: dict[str, Any], role: str) -> list[dict[str, Any]]:
    props = sam["Resources"][role]["Properties"]
    assert "ManagedPolicyArns" not in props
    return [s for p in props["Policies"] for s in p["PolicyDocument"]["Statement"]]


def allowed_actions(sam: dict[str, Any], role: str) -> set[str]:
    found: set[str] = set()
    for statement in role_statements(sam, role):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found
