"""lambdas/openapi.yaml cannot drift from the app: same public paths and methods as the Chalice
route table, the same fields as validation's allowlist, the same limits as limits.json."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    comment,
    proposal,
)

from chalicelib import validation
from chalicelib.errors import MESSAGES
from chalicelib.spec import limits

STAFF_PREFIX = "/v1/moderation/"  # documented elsewhere (staff only)


@pytest.fixture(scope="module")
def document(root) -> dict:
    return yaml.safe_load((root / "lambdas" / "openapi.yaml").read_text("utf-8"))


def _properties(document: dict, name: str) -> dict:
    schemas = document["components"]["schemas"]
    props = dict(schemas["Respondent"]["properties"])
    for part in schemas[name]["allOf"]:
        props.update(part.get("properties", {}))
    return props


def test_paths_and_methods_match_the_chalice_routes(document, api_env):
    from app import app

    routes = {
        (path, method.lower())
        for path, methods in app.routes.items()
        if not path.startswith(STAFF_PREFIX)
        for method in methods
    }
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete", "options", "head"}
    }
    assert document["openapi"].startswith("3.1")
    assert documented == routes


# The routes that answer browsers only (chalicelib.form_pages): their errors are pages too.
PAGES_ONLY = frozenset({"/v1/comments/new", "/v1/received/{reference}"})


def test_every_operation_documents_its_errors_with_the_error_schema(document):
    responses = document["components"]["responses"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":  # shared by the path's operations
                continue
            for status, answer in operation["responses"].items():
                body = responses[answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer
                if int(status) >= 400 and path in PAGES_ONLY:  # pages for people, no JSON
                    assert set(body["content"]) == {"text/html"}, (path, method, status)
                elif int(status) >= 400:
                    schema = body["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, status)
    codes = set(
        document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"][
            "enum"
        ]
    )
    public = set(MESSAGES) - {"unauthorized", "conflict"}  # staff-only codes
    assert codes == public


@pytest.mark.parametrize("kind", ["comment", "proposal"])
def test_fields_and_limits_match_validation_and_limits_json(document, kind):
    props = _properties(document, kind.capitalize())
    assert set(props) == validation.ACCEPTED_FIELDS[kind]
    for name, schema in props.items():
        spec = limits()["fields"].get(validation.limit_name(kind, name), {})
        assert schema.get("maxLength") == spec.get("max"), name
        assert schema.get("minLength") == spec.get("min"), name
    assert set(props["respondent_type"]["enum"]) == set(limits()["respondent_types"])
    assert set(props["organisation_type"]["enum"]) == set(limits()["organisation_types"])


def _validator(document: dict, name: str) -> Draft202012Validator:
    """The whole document as the root schema, pointing at one of its components."""
    return Draft202012Validator({**document, "$ref": f"#/components/schemas/{name}"})


def test_answers_and_payloads_fit_the_documented_schemas(document, api):
    payloads = {"comment": comment(), "proposal": proposal(location="Πλατεία")}
    for kind, payload in payloads.items():
        _validator(document, kind.capitalize()).validate(payload)
        answer = api.post(f"/v1/{kind}s", payload)
        assert answer.status_code == 202
        _validator(document, "Accepted").validate(json.loads(answer.body))
    with pytest.raises(ValidationError):
        _validator(document, "Comment").validate(comment(colour="red"))
    refused = api.post("/v1/comments", comment(body="short"))
    _validator(document, "Error").validate(json.loads(refused.body))
