"""The deployable template: what `make package` merges (Chalice's SAM template + lambdas/infra),
validated by cfn-lint and checked property by property, for both stages."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from chalicelib.spec import table_definition
from scripts import package

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("prod", "dev")
API_ORIGIN = "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
FORBIDDEN_ACTIONS = {"dynamodb:Scan", "dynamodb:DeleteTable", "dynamodb:UpdateTable"}
FUNCTIONS = {
    "APIHandler": "api",
    "StaffToken": "authorizer",
    "PublishSite": "publish",
    "SendMail": "mail",
    "StaffDigest": "digest",
}
ROLES = {"ApiHandlerRole", "StaffTokenRole", "PublishSiteRole", "SendMailRole", "StaffDigestRole"}
SES_ARN = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
SES_RESOURCES = [  # the verified domain identity and the stack's configuration set, nothing else
    {"Fn::Sub": SES_ARN + "identity/${MailDomain}"},
    {"Fn::Sub": SES_ARN + "configuration-set/${MailConfigurationSet}"},
]

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
    # one publish at a time; one sender (the claims make two safe, but one never races)
    for name in ("PublishSite", "SendMail", "StaffDigest"):
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


def test_mail_and_digest_run_on_their_schedules(sam: dict[str, Any], stage: str) -> None:
    config = json.loads((ROOT / "lambdas" / ".chalice" / "config.json").read_text())
    functions = config["stages"][stage]["lambda_functions"]
    schedules = {"SendMail": "rate(1 minute)", "StaffDigest": "cron(0 5 * * ? *)"}
    for name, schedule in schedules.items():
        props = sam["Resources"][name]["Properties"]
        (event,) = props["Events"].values()
        assert (event["Type"], event["Properties"]["Schedule"]) == ("Schedule", schedule), name
        wanted = functions[re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()]
        assert props["Timeout"] == wanted["lambda_timeout"], name
        assert props["MemorySize"] == wanted["lambda_memory_size"], name
    # a run of the sender stops spending its budget well before Lambda stops it
    budget_of_a_run = units("outbox")["BUDGET_SECONDS"]
    assert isinstance(budget_of_a_run, ast.Assign)
    budget = ast.literal_eval(budget_of_a_run.value)
    assert sam["Resources"]["SendMail"]["Properties"]["Timeout"] >= budget + 10


def test_outputs(sam: dict[str, Any]) -> None:
    assert {"SiteUrl", "ApiUrl", "TableName", "BucketName", "DistributionId"} <= set(sam["Outputs"])
    assert sam["Outputs"]["MailConfigurationSetName"]["Value"] == {"Ref": "MailConfigurationSet"}
    # scripts/deploy.py invokes it once after a deploy
    assert sam["Outputs"]["PublishFunctionName"]["Value"] == {"Ref": "PublishSite"}


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


def test_no_wildcards_and_no_dangerous_actions(sam: dict[str, Any]) -> None:
    roles = resources(sam, "AWS::IAM::Role")
    assert set(roles) == ROLES
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
    mail = allowed_actions(sam, "SendMailRole")
    digest = allowed_actions(sam, "StaffDigestRole")
    assert not any(a.startswith(("s3:", "cloudfront:")) for a in api | authorizer | mail | digest)
    logs = {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert {a for a in mail if not a.startswith("dynamodb:")} == {"ses:SendEmail"} | logs
    assert {a for a in digest if not a.startswith("dynamodb:")} == logs  # it only enqueues


def test_only_the_sender_sends_and_only_from_the_domain(sam: dict[str, Any]) -> None:
    for role in ROLES - {"SendMailRole"}:
        assert not any(a.startswith("ses:") for a in allowed_actions(sam, role)), role
    (statement,) = [
        s for s in role_statements(sam, "SendMailRole") if "ses:SendEmail" in s["Action"]
    ]
    assert statement["Action"] == ["ses:SendEmail"]
    assert statement["Resource"] == SES_RESOURCES  # the identity and the configuration set
    condition = statement["Condition"]["StringEquals"]["ses:FromAddress"]
    assert condition == {"Fn::Sub": "noreply@${MailDomain}"}
    for role in ROLES:  # no statement names SES resources by wildcard either
        for other in role_statements(sam, role):
            assert ":ses:" not in json.dumps(other["Resource"]) or other is statement, role


def resources_of(sam: dict[str, Any], role: str, action: str) -> list[Any]:
    found = []
    for statement in role_statements(sam, role):
        if action in statement["Action"]:
            res = statement["Resource"]
            found += res if isinstance(res, list) else [res]
    return found


def index(name: str) -> dict[str, str]:
    return {"Fn::Sub": "${Table.Arn}/index/" + name}


def test_policies_name_this_stacks_resources(sam: dict[str, Any]) -> None:
    (bucket,) = resources_of(sam, "PublishSiteRole", "s3:PutObject")
    assert bucket == {"Fn::Sub": "${SiteBucket.Arn}/*"}
    (distribution,) = resources_of(sam, "PublishSiteRole", "cloudfront:CreateInvalidation")
    assert distribution["Fn::Sub"].endswith(":distribution/${SiteDistribution}")
    # export and decisions; e-mails of a consultation; its subscribers — never the table itself
    publish_queries = resources_of(sam, "PublishSiteRole", "dynamodb:Query")
    assert sorted(map(json.dumps, publish_queries)) == sorted(
        json.dumps(index(n)) for n in ("by_consultation", "by_status", "by_target")
    )
    # the sender and the digest read the outbox's and the moderation queue's index only
    for role in ("SendMailRole", "StaffDigestRole"):
        assert resources_of(sam, role, "dynamodb:Query") == [index("by_status")], role


def test_policy_files_exist_for_every_stage_and_function() -> None:
    config = json.loads((ROOT / "lambdas" / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    for name, stage in config["stages"].items():
        files = {stage["iam_policy_file"]} | {
            f["iam_policy_file"]
            for f in stage["lambda_functions"].values()
            if "iam_policy_file" in f
        }
        assert len(files) == 5, name
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
LAMBDAS = ROOT / "lambdas"
# Which code runs in which function: a module of chalicelib/, or "module:f,g" for only those
# functions of it (and what they call in their own module). auth's create/revoke/list are the
# staff CLI's, not Lambda's. test_code_table_accounts_for_every_call checks this table against
# the calls reachable from each function's handler in app.py.
CODE = {
    "ApiHandlerRole": (
        *("intake", "guards", "moderation", "moderation_queue", "answers"),
        *("follow", "subscriptions", "store/follow", "store/answers"),
        *("store/submissions", "store/queries", "store/state"),
        "store/outbox:message,put_action,is_suppressed,suppress",
        "store/subscriptions:get,should_send_confirmation,pending_item,put_pending_action,"
        "confirm,end",
    ),
    "StaffTokenRole": ("auth:authorize",),
    "PublishSiteRole": (
        *("publish", "snapshot", "snapshot_delta", "retention", "notices:run"),
        *("store/lock", "store/state", "store/queries", "store/purge"),
        "store/outbox:message,enqueue",
        "store/subscriptions:subscribers,end,announced,mark_announced",
    ),
    "SendMailRole": (
        "outbox",
        "store/outbox:due,claim,sent,drop,fail,retry,count,is_suppressed",
        "store/submissions:get,titles",
        "store/subscriptions:is_confirmed",
        "notices:describe",
    ),
    "StaffDigestRole": (
        "digest",
        "store/queries:by_status",
        "store/state:read",
        "store/outbox:message,enqueue,failed_since",
    ),
}
HANDLERS = {  # app.py's functions that are not the API's (all the rest of app.py is)
    "staff_token": "StaffTokenRole",
    "publish_site": "PublishSiteRole",
    "send_mail": "SendMailRole",
    "staff_digest": "StaffDigestRole",
}
Unit = tuple[str, str]  # (module, top-level name)


def source(module: str) -> str:
    path = LAMBDAS / "app.py" if module == "app" else LAMBDAS / "chalicelib" / f"{module}.py"
    return path.read_text(encoding="utf-8")


@cache
def units(module: str) -> dict[str, ast.AST]:
    """A module's top-level functions, classes and variables, by name."""
    found: dict[str, ast.AST] = {}
    for node in ast.parse(source(module)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.update({t.id: node for t in targets if isinstance(t, ast.Name)})
    return found


@cache
def imports(module: str) -> dict[str, Unit | tuple[str, None]]:
    """Local name -> (module, None) for an imported chalicelib module, (module, name) for a
    name imported from one (at the top or inside a function)."""
    found: dict[str, Unit | tuple[str, None]] = {}
    for node in ast.walk(ast.parse(source(module))):
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("chalicelib"):
            continue
        base = (node.module or "").removeprefix("chalicelib").lstrip(".").replace(".", "/")
        for alias in node.names:
            path = f"{base}/{alias.name}".lstrip("/")
            if (LAMBDAS / "chalicelib" / f"{path}.py").is_file():
                found[alias.asname or alias.name] = (path, None)
            elif base and (LAMBDAS / "chalicelib" / f"{base}.py").is_file():
                found[alias.asname or alias.name] = (base, alias.name)
    return found


def references(module: str, node: ast.AST) -> set[Unit]:
    """The top-level units of chalicelib (``module``'s own included) that ``node`` names."""
    own, imported, found = units(module), imports(module), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in own and own[sub.id] is not node:
            found.add((module, sub.id))
        elif isinstance(sub, ast.Name) and sub.id in imported:
            target, name = imported[sub.id]
            if name is not None and name in units(target):
                found.add((target, name))
        elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            target, name = imported.get(sub.value.id, ("", ""))
            if target and name is None and sub.attr in units(target):
                found.add((target, sub.attr))
    return found


def covered(role: str) -> tuple[set[str], set[Unit]]:
    """CODE[role] as (whole modules, units): a listed function with what it calls in its
    module, transitively."""
    whole, parts = set(), set()
    for entry in CODE[role]:
        module, _, names = entry.partition(":")
        if not names:
            whole.add(module)
            continue
        todo = names.split(",")
        while todo:
            name = todo.pop()
            assert name in units(module), f"CODE names {module}.{name}, which does not exist"
            if (module, name) not in parts:
                parts.add((module, name))
                todo += [n for m, n in references(module, units(module)[name]) if m == module]
    return whole, parts


def calls_in(text: str) -> set[str]:
    # a call, or a method handed on (db.conditionally(table.put_item, ...))
    found = {CALLS[m] for m in re.findall(r"\.(\w+)\s*[(,]", text) if m in CALLS}
    found |= {TRANSACT[m] for m in re.findall(r'"(\w+)":\s*\{', text) if m in TRANSACT}
    return {f"dynamodb:{action}" for action in found}


def unit_source(unit: Unit) -> str:
    return ast.get_source_segment(source(unit[0]), units(unit[0])[unit[1]]) or ""


def dynamodb_calls(role: str) -> set[str]:
    whole, parts = covered(role)
    return set().union(*map(calls_in, map(source, whole)), *map(calls_in, map(unit_source, parts)))


def reachable(role: str) -> set[Unit]:
    """Every top-level unit of app.py and chalicelib the function's handler can reach by
    name (the API: all of app.py but the other functions' handlers)."""
    app = units("app")
    mine = [n for n in app if HANDLERS.get(n, "ApiHandlerRole") == role]
    others = {("app", n) for n, r in HANDLERS.items() if r != role}
    todo, seen = [("app", n) for n in mine], set()
    while todo:
        unit = todo.pop()
        if unit not in seen and unit not in others:
            seen.add(unit)
            todo += references(unit[0], units(unit[0])[unit[1]])
    return seen


@pytest.mark.parametrize("role", sorted(CODE))
def test_dynamodb_grants_match_the_calls_in_the_code(sam: dict[str, Any], role: str) -> None:
    """Every call the function's code makes is allowed, and nothing else is."""
    granted = {a for a in allowed_actions(sam, role) if a.startswith("dynamodb:")}
    assert granted == dynamodb_calls(role)


@pytest.mark.parametrize("role", sorted(CODE))
def test_code_table_accounts_for_every_call(role: str) -> None:
    """CODE[role] against the code the handler reaches: no DynamoDB call outside it (a grant
    missing), and nothing in it the handler never reaches (a grant too many). Calls through
    objects or getattr are not followed; the modules listed whole cover those."""
    whole, parts = covered(role)
    reached = reachable(role)
    missing = sorted(
        f"{m}.{n}: {sorted(calls_in(unit_source((m, n))))}"
        for m, n in reached
        if m != "app" and m not in whole and (m, n) not in parts and calls_in(unit_source((m, n)))
    )
    assert missing == [], f"{role} reaches DynamoDB calls CODE does not list"
    assert whole <= {m for m, _ in reached}, f"{role}: modules it never reaches"
    listed = {(e.partition(":")[0], n) for e in CODE[role] for n in e.partition(":")[2].split(",")}
    assert {u for u in listed if u[1]} <= reached, f"{role}: functions it never reaches"


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
