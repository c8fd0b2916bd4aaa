"""The deployable template: what `make package` merges (Chalice's SAM template + lambdas/infra),
validated by cfn-lint and checked property by property, for both stages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.spec import table_definition
from scripts import package

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("prod", "dev")
API_ORIGIN = "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
FORBIDDEN_ACTIONS = {"dynamodb:Scan", "dynamodb:DeleteTable", "dynamodb:UpdateTable"}
FUNCTIONS = {"APIHandler": "api", "StaffToken": "authorizer", "PublishSite": "publish"}

pytestmark = pytest.mark.xdist_group("infra-template")


@pytest.fixture(scope="module", params=STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def packaged(stage: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package` for one stage, without the dependencies (the template does not change)."""
    base = tmp_path_factory.mktemp(f"package-{stage}")
    manifest = ROOT / "tests" / "fixtures" / "consultations.json"
    return package.package(stage, base / "out", base / "work", manifest=manifest, with_deps=False)


@pytest.fixture(scope="module")
def sam(packaged: Path) -> dict[str, Any]:
    return json.loads((packaged / "sam.json").read_text(encoding="utf-8"))


def resources(sam: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in sam["Resources"].items() if r["Type"] == kind}


def errors(path: Path) -> list[str]:
    """cfn-lint's errors (not warnings) for the template at ``path``, SAM transform included."""
    from cfnlint.api import lint_file

    return [f"{m.rule.id} {m.message}" for m in lint_file(path) if m.rule.id.startswith("E")]


# --- validation ---------------------------------------------------------------------------
def test_cfn_lint_finds_no_error(packaged: Path) -> None:
    assert errors(packaged / "sam.json") == []


def test_without_the_rewrite_the_template_has_a_dependency_cycle(
    sam: dict[str, Any], tmp_path: Path
) -> None:
    """The reason for naming the functions: the REST API pointing at ``${APIHandler.Arn}``
    makes a cycle (function -> site URL -> CSP -> API -> function) CloudFormation rejects."""
    broken = json.loads(json.dumps(sam))
    body = json.dumps(broken["Resources"]["RestAPI"]["Properties"]["DefinitionBody"])
    body = body.replace(package.FUNCTION_ARN + "${AWS::StackName}-api", "${APIHandler.Arn}")
    broken["Resources"]["RestAPI"]["Properties"]["DefinitionBody"] = json.loads(body)
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    found = errors(tmp_path / "broken.json")
    assert any(e.startswith("E3004") for e in found), found


def test_the_package_has_a_zip_and_one_template(packaged: Path) -> None:
    assert sorted(p.name for p in packaged.iterdir()) == ["deployment.zip", "sam.json"]


# --- the table ----------------------------------------------------------------------------
def test_table_properties_come_from_the_spec(sam: dict[str, Any]) -> None:
    props = sam["Resources"]["Table"]["Properties"]
    spec = {k: v for k, v in table_definition().items() if not k.startswith("$")}
    assert {k: props[k] for k in spec} == spec
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_table_is_named_as_the_stage_configures_it(sam: dict[str, Any], stage: str) -> None:
    """scripts/staff_token.py --stage finds the table through lambdas/.chalice/config.json."""
    config = json.loads((ROOT / "lambdas" / ".chalice" / "config.json").read_text())
    name = config["stages"][stage]["environment_variables"]["TABLE_NAME"]
    assert sam["Resources"]["Table"]["Properties"]["TableName"] == name


def test_table_has_point_in_time_recovery(sam: dict[str, Any]) -> None:
    props = sam["Resources"]["Table"]["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_prod_table_is_protected_and_retained(sam: dict[str, Any], stage: str) -> None:
    table = sam["Resources"]["Table"]
    protected = stage == "prod"
    assert table["Properties"]["DeletionProtectionEnabled"] is protected
    assert table["DeletionPolicy"] == ("Retain" if protected else "Delete")


# --- the site bucket and CloudFront -------------------------------------------------------
def test_bucket_is_private_encrypted_and_retained(sam: dict[str, Any]) -> None:
    bucket = sam["Resources"]["SiteBucket"]
    props = bucket["Properties"]
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert bucket["DeletionPolicy"] == "Retain"
    assert "WebsiteConfiguration" not in props


def test_bucket_is_readable_only_by_the_distribution(sam: dict[str, Any]) -> None:
    statements = sam["Resources"]["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    for statement in statements:
        if statement["Effect"] != "Allow":
            continue
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        source = statement["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
        assert source.endswith(":distribution/${SiteDistribution}")
    assert any(s["Effect"] == "Allow" and s["Action"] == "s3:GetObject" for s in statements)


def test_distribution_reaches_the_bucket_through_oac(sam: dict[str, Any]) -> None:
    config = sam["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = sam["Resources"]["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")


def behaviors(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    config = sam["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    found = {"default": config["DefaultCacheBehavior"]}
    found.update({b["PathPattern"]: b for b in config["CacheBehaviors"]})
    return found


def cache_policy(sam: dict[str, Any], behavior: dict[str, Any]) -> dict[str, Any]:
    name = behavior["CachePolicyId"]["Ref"]
    return sam["Resources"][name]["Properties"]["CachePolicyConfig"]


def test_every_behavior_compresses_redirects_to_https_and_sends_the_headers(
    sam: dict[str, Any],
) -> None:
    for pattern, behavior in behaviors(sam).items():
        assert behavior["Compress"] is True, pattern
        assert behavior["ViewerProtocolPolicy"] == "redirect-to-https", pattern
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}, pattern
        params = cache_policy(sam, behavior)["ParametersInCacheKeyAndForwardedToOrigin"]
        assert params["EnableAcceptEncodingGzip"] and params["EnableAcceptEncodingBrotli"]


def test_pages_cache_briefly_and_assets_long(sam: dict[str, Any]) -> None:
    found = behaviors(sam)
    html = cache_policy(sam, found["default"])
    assert html["DefaultTTL"] <= 300 and html["MinTTL"] == 0
    for pattern in ("/theme/*", "/pagefind/*"):
        assets = cache_policy(sam, found[pattern])
        assert assets["DefaultTTL"] >= 30 * 86400, pattern
        assert assets["MinTTL"] >= 86400, pattern


def test_directories_and_missing_pages(sam: dict[str, Any]) -> None:
    config = sam["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html"
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    code = sam["Resources"]["DirectoryIndexFunction"]["Properties"]["FunctionCode"]
    assert "'index.html'" in code and "301" in code
    pages = {
        (e["ErrorCode"], e["ResponseCode"], e["ResponsePagePath"])
        for e in config["CustomErrorResponses"]
    }
    assert (404, 404, "/404.html") in pages


def csp_directives(sam: dict[str, Any]) -> dict[str, list[str]]:
    config = sam["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert csp["Override"] is True
    text = csp["ContentSecurityPolicy"]["Fn::Sub"]
    directives = {}
    for part in text.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def test_csp_allows_only_self_and_the_api(sam: dict[str, Any]) -> None:
    csp = csp_directives(sam)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert sorted(csp["connect-src"]) == sorted(["'self'", API_ORIGIN])
    assert sorted(csp["form-action"]) == sorted(["'self'", API_ORIGIN])
    for name, sources in csp.items():
        for source in sources:
            assert source in {"'self'", "'none'", "data:", "'wasm-unsafe-eval'", API_ORIGIN}, (
                name,
                source,
            )
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]


def test_security_headers(sam: dict[str, Any]) -> None:
    config = sam["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    headers = config["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True  # X-Content-Type-Options: nosniff
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }


# --- the API and the functions ------------------------------------------------------------
def test_api_stage_is_throttled(sam: dict[str, Any]) -> None:
    settings = sam["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    (everything,) = [s for s in settings if (s["ResourcePath"], s["HttpMethod"]) == ("/*", "*")]
    assert everything["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert everything["ThrottlingBurstLimit"] == {"Ref": "ApiBurstLimit"}
    params = sam["Parameters"]
    assert 0 < params["ApiRateLimit"]["Default"] <= params["ApiBurstLimit"]["Default"]


def test_functions_have_reserved_concurrency_and_names(sam: dict[str, Any]) -> None:
    functions = resources(sam, "AWS::Serverless::Function")
    assert set(functions) == set(FUNCTIONS)
    for name, suffix in FUNCTIONS.items():
        props = functions[name]["Properties"]
        assert props["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-" + suffix}
    assert functions["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] >= 1
    assert functions["PublishSite"]["Properties"]["ReservedConcurrentExecutions"] == 1


def test_publish_runs_on_a_schedule_with_its_own_limits(sam: dict[str, Any], stage: str) -> None:
    config = json.loads((ROOT / "lambdas" / ".chalice" / "config.json").read_text())
    wanted = config["stages"][stage]["lambda_functions"]["publish_site"]
    props = sam["Resources"]["PublishSite"]["Properties"]
    (event,) = props["Events"].values()
    assert event["Type"] == "Schedule"
    assert re.fullmatch(r"rate\(\d+ minutes?\)", event["Properties"]["Schedule"])
    assert props["Timeout"] == wanted["lambda_timeout"] > 60
    assert props["MemorySize"] == wanted["lambda_memory_size"] >= 1024
    assert props["EphemeralStorage"]["Size"] >= 1024  # the build's workdir is /tmp


def test_functions_get_their_settings_from_the_stack(sam: dict[str, Any]) -> None:
    for name in FUNCTIONS:
        env = sam["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert env["TABLE_NAME"] == {"Ref": "Table"}, name
        assert "HasCustomDomain" in json.dumps(env["SITE_URL"]), name
        key = env["IP_HASH_KEY"]["Fn::Sub"]
        assert key == "{{resolve:secretsmanager:${IpHashKeySecret}:SecretString}}", name
    publish = sam["Resources"]["PublishSite"]["Properties"]["Environment"]["Variables"]
    assert publish["SITE_BUCKET"] == {"Ref": "SiteBucket"}
    assert publish["DISTRIBUTION_ID"] == {"Ref": "SiteDistribution"}
    assert publish["API_URL"] == {"Fn::Sub": API_ORIGIN + "/api"}


def test_outputs(sam: dict[str, Any]) -> None:
    assert {"SiteUrl", "ApiUrl", "TableName", "BucketName", "DistributionId"} <= set(sam["Outputs"])
    # scripts/deploy.py invokes it once after a deploy
    assert sam["Outputs"]["PublishFunctionName"]["Value"] == {"Ref": "PublishSite"}


# --- least privilege ----------------------------------------------------------------------
def role_statements(sam: dict[str, Any], role: str) -> list[dict[str, Any]]:
    props = sam["Resources"][role]["Properties"]
    assert "ManagedPolicyArns" not in props
    return [s for p in props["Policies"] for s in p["PolicyDocument"]["Statement"]]


def allowed_actions(sam: dict[str, Any], role: str) -> set[str]:
    found = set()
    for statement in role_statements(sam, role):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def test_no_wildcards_and_no_dangerous_actions(sam: dict[str, Any]) -> None:
    roles = resources(sam, "AWS::IAM::Role")
    assert set(roles) == {"ApiHandlerRole", "StaffTokenRole", "PublishSiteRole"}
    for role in roles:
        actions = allowed_actions(sam, role)
        assert not any("*" in action for action in actions), role
        assert not actions & FORBIDDEN_ACTIONS, role
        for statement in role_statements(sam, role):
            assert "*" not in json.dumps(statement["Resource"]).replace("/index/*", "").replace(
                "}/*", "}"
            ), (role, statement["Resource"])


def test_each_function_gets_only_what_its_code_does(sam: dict[str, Any]) -> None:
    api = allowed_actions(sam, "ApiHandlerRole")
    authorizer = allowed_actions(sam, "StaffTokenRole")
    publish = allowed_actions(sam, "PublishSiteRole")
    assert authorizer == {"dynamodb:GetItem", "logs:CreateLogStream", "logs:PutLogEvents"}
    assert {a for a in api if not a.startswith("dynamodb:")} == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"} <= api
    assert "dynamodb:DeleteItem" not in api  # nothing accepted is ever deleted by the API
    site_writes = {"s3:PutObject", "s3:DeleteObject", "cloudfront:CreateInvalidation"}
    assert site_writes <= publish
    assert not any(a.startswith(("s3:", "cloudfront:")) for a in api | authorizer)


def test_policies_name_this_stacks_resources(sam: dict[str, Any]) -> None:
    publish = role_statements(sam, "PublishSiteRole")
    by_action = {a: s["Resource"] for s in publish for a in s["Action"]}
    assert by_action["s3:PutObject"] == {"Fn::Sub": "${SiteBucket.Arn}/*"}
    assert by_action["cloudfront:CreateInvalidation"]["Fn::Sub"].endswith(
        ":distribution/${SiteDistribution}"
    )
    assert by_action["dynamodb:Query"] == {"Fn::Sub": "${Table.Arn}/index/by_status"}


def test_policy_files_exist_for_every_stage_and_function() -> None:
    config = json.loads((ROOT / "lambdas" / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    for name, stage in config["stages"].items():
        files = {stage["iam_policy_file"]} | {
            f["iam_policy_file"]
            for f in stage["lambda_functions"].values()
            if "iam_policy_file" in f
        }
        assert len(files) == 3, name
        for file in files:
            assert file.startswith(f"policy-{name}-")
            json.loads((ROOT / "lambdas" / ".chalice" / file).read_text())


# --- merge_template ----------------------------------------------------------------------
def test_merge_template_copies_nothing_from_the_spec_by_hand() -> None:
    """The YAML carries no table keys of its own that the spec defines."""
    import yaml

    raw = yaml.safe_load(package.RESOURCES.read_text(encoding="utf-8"))
    assert not set(raw["Resources"]["Table"]["Properties"]) & set(table_definition())
    merged = package.merge_template("prod")["Resources"]["Table"]["Properties"]
    assert merged["KeySchema"] == table_definition()["KeySchema"]


def test_no_secret_in_the_template(sam: dict[str, Any]) -> None:
    text = json.dumps(sam)
    assert "IP_HASH_KEY" in text
    assert not re.search(r'"IP_HASH_KEY": "[^{"]', text)


# --- policies against the code ------------------------------------------------------------
CALLS = {
    "get_item": "GetItem",
    "put_item": "PutItem",
    "update_item": "UpdateItem",
    "delete_item": "DeleteItem",
    "query": "Query",
    "scan": "Scan",
    "batch_get_item": "BatchGetItem",
    "batch_write_item": "BatchWriteItem",
}
TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
TRANSACT |= {"ConditionCheck": "ConditionCheckItem"}
# Which modules run in which function (auth's create/revoke/list are the staff CLI's, not Lambda's).
CODE = {
    "ApiHandlerRole": (
        *("intake", "guards", "moderation", "moderation_queue"),
        *("store/submissions", "store/queries", "store/state"),
    ),
    "PublishSiteRole": (
        *("publish", "snapshot", "snapshot_delta", "retention"),
        *("store/lock", "store/state", "store/queries", "store/purge"),
    ),
}


def dynamodb_calls(modules: tuple[str, ...]) -> set[str]:
    found = set()
    for module in modules:
        source = (ROOT / "lambdas" / "chalicelib" / f"{module}.py").read_text(encoding="utf-8")
        # a call, or a method handed on (db.conditionally(table.put_item, ...))
        found |= {CALLS[m] for m in re.findall(r"\.(\w+)\s*[(,]", source) if m in CALLS}
        found |= {TRANSACT[m] for m in re.findall(r'"(\w+)":\s*\{', source) if m in TRANSACT}
    return {f"dynamodb:{action}" for action in found}


@pytest.mark.parametrize("role", sorted(CODE))
def test_dynamodb_grants_match_the_calls_in_the_code(sam: dict[str, Any], role: str) -> None:
    """Every call the function's modules make is allowed, and nothing else is."""
    granted = {a for a in allowed_actions(sam, role) if a.startswith("dynamodb:")}
    assert granted == dynamodb_calls(CODE[role])


def test_gateway_own_refusals_use_the_error_shape(sam: dict[str, Any]) -> None:
    """No Authorization header, or API Gateway's own throttling: the same JSON error shape and
    Greek message as the app's own refusals."""
    from chalicelib.errors import MESSAGES

    responses = sam["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    for kind, code in (("UNAUTHORIZED", "unauthorized"), ("THROTTLED", "rate_limited")):
        status, message = MESSAGES[code]
        assert responses[kind]["StatusCode"] == str(status)
        body = json.loads(responses[kind]["ResponseTemplates"]["application/json"])
        assert body == {"error": {"code": code, "message": message, "fields": {}}}
