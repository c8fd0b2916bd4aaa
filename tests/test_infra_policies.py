"""Least privilege, checked against the code: each function's role allows exactly the DynamoDB
calls its code makes (walked from its handler in app.py), only the sender may send mail, and
no policy names anything but this stack's resources."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from typing import Any

import pytest
from infra_support import (  # noqa: F401  (the *_fixture names provide the fixtures)
    FORBIDDEN_ACTIONS,
    ROLES,
    ROOT,
    SES_RESOURCES,
    allowed_actions,
    packaged_fixture,
    resources,
    role_statements,
    sam_fixture,
    stage_fixture,
)


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
        "lambda:InvokeFunction",  # a decision asks for a publish at once (chalicelib.trigger)
    }
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"} <= api
    assert "dynamodb:DeleteItem" not in api  # nothing accepted is ever deleted by the API
    site_writes = {"s3:PutObject", "s3:DeleteObject", "cloudfront:CreateInvalidation"}
    assert site_writes <= publish
    mail = allowed_actions(sam, "SendMailRole")
    digest = allowed_actions(sam, "StaffDigestRole")
    grouping = allowed_actions(sam, "GroupSubmissionsRole")
    others = api | authorizer | mail | digest | grouping
    assert not any(a.startswith(("s3:", "cloudfront:")) for a in others)
    logs = {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert {a for a in mail if not a.startswith("dynamodb:")} == {"ses:SendEmail"} | logs
    assert {a for a in digest if not a.startswith("dynamodb:")} == logs  # it only enqueues
    # grouping writes a submission's group and asks for a publish when the site changes
    assert {a for a in grouping if not a.startswith("dynamodb:")} == logs | {
        "lambda:InvokeFunction"
    }
    assert grouping & {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem"} == set()


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
    # the API and grouping may start the publish function of their own stack, no other one
    starters = {"ApiHandlerRole", "GroupSubmissionsRole"}
    for role in starters:
        (function,) = resources_of(sam, role, "lambda:InvokeFunction")
        assert function["Fn::Sub"].endswith(":function:${AWS::StackName}-publish"), role
    for role in ROLES - starters:
        assert not resources_of(sam, role, "lambda:InvokeFunction"), role
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
    # grouping: what arrived (by_status), a text's or a proposal's members (by_target), a
    # consultation's proposals (by_consultation) — never the table itself
    grouping_queries = resources_of(sam, "GroupSubmissionsRole", "dynamodb:Query")
    assert sorted(map(json.dumps, grouping_queries)) == sorted(
        json.dumps(index(n)) for n in ("by_consultation", "by_status", "by_target")
    )
    (logs,) = resources_of(sam, "GroupSubmissionsRole", "logs:PutLogEvents")
    assert logs == {"Fn::GetAtt": ["GroupingLogGroup", "Arn"]}


def test_policy_files_exist_for_every_stage_and_function() -> None:
    config = json.loads((ROOT / "lambdas" / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    for name, stage in config["stages"].items():
        files = {stage["iam_policy_file"]} | {
            f["iam_policy_file"]
            for f in stage["lambda_functions"].values()
            if "iam_policy_file" in f
        }
        assert len(files) == 6, name  # api, authorizer, publish, grouping, mail, digest
        for file in files:
            assert file.startswith(f"policy-{name}-")
            json.loads((ROOT / "lambdas" / ".chalice" / file).read_text())


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
        *("store/submissions", "store/queries", "store/state", "store/counts", "trigger"),
        *("store/decisions", "store/group_decisions", "store/supports"),
        "store/outbox:message,put_action,is_suppressed,suppress",
        "store/subscriptions:get,should_send_confirmation,pending_item,put_pending_action,"
        "confirm,end",
    ),
    "StaffTokenRole": ("auth:authorize",),
    "PublishSiteRole": (
        *("publish", "snapshot", "snapshot_delta", "retention", "notices:run", "workstate"),
        "trigger:debounce,SOURCE",
        *("store/lock", "store/state", "store/queries", "store/purge"),
        "store/outbox:message,enqueue",
        "store/subscriptions:subscribers,end,announcements,mark_announced",
    ),
    # campaigns' ``lsh.query(...)`` is datasketch's, not DynamoDB's; the Query it reads as is
    # granted for the indexes anyway (store/groups, store/queries).
    "GroupSubmissionsRole": (
        *("grouping", "campaigns", "store/groups"),
        "store/queries:by_status_pages,pages",
        "trigger:soon",
        "store/state:request_publish",
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
    "group_submissions": "GroupSubmissionsRole",
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


def test_mail_digest_and_grouping_run_on_their_schedules(sam: dict[str, Any], stage: str) -> None:
    config = json.loads((ROOT / "lambdas" / ".chalice" / "config.json").read_text())
    functions = config["stages"][stage]["lambda_functions"]
    schedules = {
        "SendMail": "rate(1 minute)",
        "StaffDigest": "cron(0 5 * * ? *)",
        "GroupSubmissions": "rate(1 minute)",
    }
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
    # grouping imports numpy and scipy (datasketch) and may regroup a campaign of thousands
    grouping = sam["Resources"]["GroupSubmissions"]["Properties"]
    assert grouping["Timeout"] >= 120 and grouping["MemorySize"] >= 1024
