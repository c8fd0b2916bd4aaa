"""The platform's contracts as data, each in one file: field limits and labels, the DynamoDB
table, the snapshot schema and the manifest schema. Everything that needs one reads it from here
(the API, the site plugins, the dev scripts, the infrastructure template)."""

import json
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).resolve().parent


@cache
def load(name: str) -> dict[str, Any]:
    """Load ``<name>.json`` from this folder (cached: the files never change at run time)."""
    with open(SPEC_DIR / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def limits() -> dict[str, Any]:
    return load("limits")


def table_definition() -> dict[str, Any]:
    return load("table")


def snapshot_schema() -> dict[str, Any]:
    return load("snapshot.schema")


def manifest_schema() -> dict[str, Any]:
    return load("manifest.schema")
