"""The deployable template: what `make package` merges (Chalice's SAM template + lambdas/infra),
validated by cfn-lint and checked property by property, for both stages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from infra_support import (  # noqa: F401  (the *_fixture names provide the fixtures
    API_ORIGIN,
    FUNCTIONS,
    LAYERS,
    PUBLISH_FUNCTION,
    ROOT,
    packaged_fixture,
    resources,
    role_statements,
    sam_fixture,
    stage_fixture,
)

from chalicelib.spec import table_definition
from scripts import deploy, package, package_layer


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
    """Without the dependencies (the template only) there is no layer to build either."""
    assert sorted(p.name for p in packaged.iterdir()) == ["deployment.zip", "sam.json"]


# --- the grouping layer -------------------------------------------------------------------
def test_the_grouping_function_alone_has_the_layer(sam: dict[str, Any]) -> None:
    """numpy and scipy (datasketch) are in a layer only grouping has, for the runtime of the
    functions, packaged next to the zip like Chalice's CodeUri; the API's zip stays small."""
    layers = resources(sam, "AWS::Serverless::LayerVersion")
    assert set(layers) == set(LAYERS)
    functions = resources(sam, "AWS::Serverless::Function")
    runtimes = {f["Properties"]["Runtime"] for f in functions.values()}
    for layer, function in LAYERS.items():
        props = layers[layer]["Properties"]
        assert props["ContentUri"] == "./" + package_layer.LAYER_ZIP
        assert props["CompatibleRuntimes"] == sorted(runtimes) == ["python3.11"]
        assert props["LayerName"] == {"Fn::Sub": "${AWS::StackName}-grouping"}
        assert props["RetentionPolicy"] == "Delete"  # old versions go once replaced
        assert functions[function]["Properties"]["Layers"] == [{"Ref": layer}]
    for name, function in functions.items():
        if name not in LAYERS.values():
            assert "Layers" not in function["Properties"], name


class _Recorder:
    """An S3 client that only remembers what was put."""

    def __init__(self) -> None:
        self.puts: list[str] = []

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:
        self.puts.append(Key)


def test_the_deploy_uploads_the_layer_and_points_it_at_s3(
    packaged: Path, sam: dict[str, Any], tmp_path: Path
) -> None:
    """`make deploy` uploads the layer's zip like the functions' and rewrites its ContentUri;
    the template it deploys still passes cfn-lint."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "deployment.zip").write_bytes(b"PK functions")
    (out / package_layer.LAYER_ZIP).write_bytes(b"PK layer")
    recorder = _Recorder()
    template = json.loads(json.dumps(sam))
    key, deployed = deploy.upload_artifacts(recorder, "artifacts", "stack", out, template)
    code, layer = recorder.puts[:2]
    assert recorder.puts == [code, layer, key] and code != layer
    for name in FUNCTIONS:
        uri = deployed["Resources"][name]["Properties"]["CodeUri"]
        assert uri == {"Bucket": "artifacts", "Key": code}, name
    for name in LAYERS:
        uri = deployed["Resources"][name]["Properties"]["ContentUri"]
        assert uri == {"Bucket": "artifacts", "Key": layer}, name
    (tmp_path / "deployed.json").write_text(json.dumps(deployed), encoding="utf-8")
    assert errors(tmp_path / "deployed.json") == []
    (out / package_layer.LAYER_ZIP).unlink()  # a package made without its dependencies
    with pytest.raises(package.PackageError, match=package_layer.LAYER_ZIP):
        deploy.upload_artifacts(recorder, "artifacts", "stack", out, json.loads(json.dumps(sam)))


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
    # one publish at a time; one sender (the claims make two safe, but one never races); one
    # grouping run (two would regroup the same targets and lose their conditional writes)
    for name in ("PublishSite", "GroupSubmissions", "SendMail", "StaffDigest"):
        assert functions[name]["Properties"]["ReservedConcurrentExecutions"] == 1, name


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
    # links in forms, e-mails and the API's own pages (the private link, confirmations)
    for name in ("APIHandler", "PublishSite", "SendMail", "StaffDigest"):
        env = sam["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert env["API_URL"] == {"Fn::Sub": API_ORIGIN + "/api"}, name


def test_grouping_reads_what_publish_builds_and_may_ask_for_a_publish(sam: dict[str, Any]) -> None:
    """Grouping compares against the consultations' texts of the packaged site source, the one
    the publish builds (SITE_SOURCE: neither sets it, both read chalicelib/site), and asks for a
    publish at once, by name, as the API does (chalicelib.trigger)."""
    env = {n: sam["Resources"][n]["Properties"]["Environment"]["Variables"] for n in FUNCTIONS}
    assert env["GroupSubmissions"].get("SITE_SOURCE") == env["PublishSite"].get("SITE_SOURCE")
    for name, variables in env.items():
        starts_publish = name in {"APIHandler", "GroupSubmissions"}
        assert ("PUBLISH_FUNCTION" in variables) is starts_publish, name
        if starts_publish:
            assert variables["PUBLISH_FUNCTION"] == PUBLISH_FUNCTION, name
    # nothing of the site's bucket, the distribution or mail
    for variable in ("SITE_BUCKET", "DISTRIBUTION_ID", "MAIL_SENDER", "STAFF_DIGEST_TO"):
        assert variable not in env["GroupSubmissions"], variable


def test_every_function_logs_to_its_own_group(sam: dict[str, Any]) -> None:
    """One log group per function, created before it, and its role writes to that one only."""
    groups = resources(sam, "AWS::Logs::LogGroup")
    assert len(groups) == len(FUNCTIONS)
    for name, suffix in FUNCTIONS.items():
        function = sam["Resources"][name]
        group = function["DependsOn"]
        wanted = {"Fn::Sub": "/aws/lambda/${AWS::StackName}-" + suffix}
        assert groups[group]["Properties"]["LogGroupName"] == wanted, name
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        writes = [
            s["Resource"] for s in role_statements(sam, role) if "logs:PutLogEvents" in s["Action"]
        ]
        assert writes == [{"Fn::GetAtt": [group, "Arn"]}], name


def test_the_mail_functions_get_the_mail_settings(sam: dict[str, Any]) -> None:
    env = {n: sam["Resources"][n]["Properties"]["Environment"]["Variables"] for n in FUNCTIONS}
    assert env["SendMail"]["MAIL_SENDER"] == {"Fn::Sub": "${MailFromName} <noreply@${MailDomain}>"}
    assert env["SendMail"]["MAIL_CONFIGURATION_SET"] == {"Ref": "MailConfigurationSet"}
    assert env["StaffDigest"]["STAFF_DIGEST_TO"] == {"Ref": "StaffDigestTo"}
    for name, variables in env.items():  # nobody else could pick SES by accident
        assert ("MAIL_SENDER" in variables) is (name == "SendMail"), name
        assert ("STAFF_DIGEST_TO" in variables) is (name == "StaffDigest"), name
        assert "SMTP_PORT" not in variables, name


def test_mail_parameters(sam: dict[str, Any]) -> None:
    params = sam["Parameters"]
    assert "Default" not in params["MailDomain"]  # no stack without a verified identity
    domain = re.compile(params["MailDomain"]["AllowedPattern"])
    assert domain.fullmatch("neasmyrni.gr") and domain.fullmatch("xn--mxa.xn--qxam")
    assert not domain.fullmatch("noreply@neasmyrni.gr") and not domain.fullmatch("Neasmyrni.gr")
    name = re.compile(params["MailFromName"]["AllowedPattern"])
    assert name.fullmatch(params["MailFromName"]["Default"])
    assert not any(name.fullmatch(bad) for bad in ("a <b@c.gr>", "a\r\nBcc: x", 'a"b', ""))
    digest = re.compile(params["StaffDigestTo"]["AllowedPattern"])
    assert params["StaffDigestTo"]["Default"] == ""
    assert digest.fullmatch("") and digest.fullmatch("a@neasmyrni.gr,b.c@neasmyrni.gr")
    assert not digest.fullmatch("a@neasmyrni.gr;b@x.gr") and not digest.fullmatch("a, b@x.gr")


def test_configuration_set_keeps_the_account_suppression_list(sam: dict[str, Any]) -> None:
    (name,) = resources(sam, "AWS::SES::ConfigurationSet")
    assert name == "MailConfigurationSet"
    props = sam["Resources"][name]["Properties"]
    # an empty SuppressedReasons would switch the account-level list off for this set
    assert "SuppressionOptions" not in props
    assert props["ReputationOptions"] == {"ReputationMetricsEnabled": True}
    assert props["SendingOptions"] == {"SendingEnabled": True}
    assert "TrackingOptions" not in props  # no open or click tracking
    # the identity is verified by hand (DNS): the stack never creates or deletes it
    assert not resources(sam, "AWS::SES::EmailIdentity")


def test_outputs(sam: dict[str, Any]) -> None:
    assert {"SiteUrl", "ApiUrl", "TableName", "BucketName", "DistributionId"} <= set(sam["Outputs"])
    assert sam["Outputs"]["MailConfigurationSetName"]["Value"] == {"Ref": "MailConfigurationSet"}
    # scripts/deploy.py invokes it once after a deploy
    assert sam["Outputs"]["PublishFunctionName"]["Value"] == {"Ref": "PublishSite"}


# --- merge_template ----------------------------------------------------------------------
def test_merge_template_copies_nothing_from_the_spec_by_hand() -> None:
    """The YAML carries no table keys of its own that the spec defines."""
    import yaml

    raw = yaml.safe_load(package.RESOURCES.read_text(encoding="utf-8"))
    assert not set(raw["Resources"]["Table"]["Properties"]) & set(table_definition())
    merged = package.merge_template("prod")["Resources"]["Table"]["Properties"]
    assert merged["KeySchema"] == table_definition()["KeySchema"]


def test_a_dependency_chalice_leaves_out_fails_the_package() -> None:
    """Chalice only warns when a requirement has no wheel for the Lambda runtime (numpy and
    scipy, datasketch's, drop manylinux2014 in their newest versions) and goes on without it:
    `make package` refuses instead, with the names, from Chalice's own message."""
    from chalice.constants import MISSING_DEPENDENCIES_TEMPLATE

    said = "Creating deployment package.\n" + MISSING_DEPENDENCIES_TEMPLATE % (
        "numpy==2.4.6\nscipy==1.17.1"
    )
    assert package.missing_dependencies(said) == ["numpy==2.4.6", "scipy==1.17.1"]
    assert package.missing_dependencies("Creating deployment package.\n") == []


def test_no_secret_in_the_template(sam: dict[str, Any]) -> None:
    text = json.dumps(sam)
    assert "IP_HASH_KEY" in text
    assert not re.search(r'"IP_HASH_KEY": "[^{"]', text)
