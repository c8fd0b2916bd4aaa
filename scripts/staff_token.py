"""Staff tokens for the moderation API: create (shown once), list, revoke.

Talks to DynamoDB directly. Which table: ``--endpoint``/``--table``, else the environment
(``DYNAMODB_ENDPOINT``, ``TABLE_NAME``), else the running dev stack's ``.local/dev.json``; with
``--stage prod`` (or another stage of lambdas/.chalice/config.json) the stage's table on AWS,
with the AWS credentials of the shell.

    python scripts/staff_token.py create --name "Μαρία Παπαδάκη" --days 90
    python scripts/staff_token.py list
    python scripts/staff_token.py revoke 3f2a9c01b4d7
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from chalicelib import auth
from scripts.dynamodb_local import DUMMY_ENV

ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)

DEV_JSON = ROOT / ".local" / "dev.json"
CHALICE_CONFIG = ROOT / "lambdas" / ".chalice" / "config.json"


class TargetError(RuntimeError):
    """No table to talk to could be determined."""


def resolve_target(args: argparse.Namespace) -> tuple[str | None, str]:
    """``(endpoint or None for AWS, table name)`` from the flags, the stage, the environment
    or .local/dev.json, in that order."""
    if args.stage:
        return None, stage_table(args.stage)
    dev = _dev_json()
    endpoint = args.endpoint or os.environ.get("DYNAMODB_ENDPOINT") or dev.get("dynamodb_endpoint")
    table = args.table or os.environ.get("TABLE_NAME") or dev.get("table")
    if not endpoint or not table:
        raise TargetError(
            "no DynamoDB: start `make dev`, or give --endpoint and --table, or --stage"
        )
    return endpoint, table


def stage_table(stage: str) -> str:
    """The TABLE_NAME the stage's Lambda sees (stage value over the top-level one)."""
    config = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))
    if stage not in config.get("stages", {}):
        raise TargetError(f"no stage {stage!r} in {CHALICE_CONFIG}")
    env = {
        **config.get("environment_variables", {}),
        **config["stages"][stage].get("environment_variables", {}),
    }
    if "TABLE_NAME" not in env:
        raise TargetError(f"stage {stage!r} sets no TABLE_NAME")
    return env["TABLE_NAME"]


def open_table(endpoint: str | None, name: str) -> Any:
    import boto3

    if endpoint is None:
        return boto3.resource("dynamodb").Table(name)
    return boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_DEFAULT_REGION", DUMMY_ENV["AWS_DEFAULT_REGION"]),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", DUMMY_ENV["AWS_ACCESS_KEY_ID"]),
        aws_secret_access_key=os.environ.get(
            "AWS_SECRET_ACCESS_KEY", DUMMY_ENV["AWS_SECRET_ACCESS_KEY"]
        ),
    ).Table(name)


def _dev_json() -> dict[str, Any]:
    try:
        return json.loads(DEV_JSON.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _print_tokens(console: Console, tokens: list[dict[str, Any]]) -> None:
    table = Table(title="Διακριτικά προσωπικού")
    for column in ("id", "Όνομα", "Δημιουργία", "Λήξη", "Κατάσταση"):
        table.add_column(column)
    for token in tokens:
        state = "ανακλήθηκε" if token["revoked"] else "ενεργό"
        table.add_row(
            token["id"], token["name"], token["created_at"], token["expires_at"] or "—", state
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", help="DynamoDB endpoint (DynamoDB Local)")
    parser.add_argument("--table", help="table name")
    parser.add_argument("--stage", help="a stage of lambdas/.chalice/config.json, on AWS")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a token (printed once)")
    create.add_argument("--name", required=True, help="the staff member's name")
    create.add_argument("--days", type=int, help="expire after this many days")
    sub.add_parser("list", help="list tokens (hash prefixes, never tokens)")
    revoke = sub.add_parser("revoke", help="revoke a token by the id `list` shows")
    revoke.add_argument("id")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    console = Console()
    try:
        table = open_table(*resolve_target(args))
        if args.command == "create":
            token, item = auth.create(table, args.name, args.days)
            console.print(f"Διακριτικό για {item['name']} (φυλάξτε το, δεν θα ξαναεμφανιστεί):")
            print(token)
        elif args.command == "list":
            _print_tokens(console, auth.list_tokens(table))
        else:
            revoked = auth.revoke(table, args.id)
            console.print(f"Ανακλήθηκε το διακριτικό {revoked['id']} ({revoked['name']}).")
    except (TargetError, ValueError, LookupError) as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    except (BotoCoreError, ClientError) as exc:
        console.print(f"[red]DynamoDB: {exc}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
