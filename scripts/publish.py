"""``make publish``: one publish run, the same code path as the schedule and the dev timer.

Local (default): against the dev stack of ``make dev`` (its .local/dev.json); when the stack is
not running, DynamoDB Local is started on its data in .local/dynamodb for the run. The site goes
to .local/site. ``--stage prod``: the AWS stage, configured by the environment or, for what is
missing there, the CloudFormation stack's outputs (TableName, BucketName, DistributionId,
SiteUrl, ApiUrl of the stack ``diavoulefsi-<stage>`` or ``$STACK_NAME``).

    python scripts/publish.py [--force] [--stage local|prod] [--export snapshot.json]
    python scripts/publish.py --break-lock [--force] [--stage local|prod]

``--break-lock`` removes the publish lock of a run that died; it refuses while the holder is still
renewing its lease (a live run), unless ``--force``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from chalicelib import grouping, publish, snapshot
from chalicelib.sitebuild import describe
from chalicelib.store import lock
from chalicelib.targets import LocalDirTarget, S3Target, Target
from scripts.dynamodb_local import DUMMY_ENV, DynamoDBLocal, client_for

ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)

STEPS = {"export": "Εξαγωγή εγκεκριμένων", "build": "Κατασκευή ιστότοπου", "upload": "Αποστολή"}
STACK_OUTPUTS = {
    "TABLE_NAME": "TableName",
    "SITE_BUCKET": "BucketName",
    "DISTRIBUTION_ID": "DistributionId",
    "SITE_URL": "SiteUrl",
    "API_URL": "ApiUrl",
}


def local_dir() -> Path:
    return Path(os.environ.get("DIAVOULEFSI_LOCAL_DIR") or ROOT / ".local")


def local_workdir() -> Path:
    """The local publish's folder, pelicanconf's LOCAL_PUBLISH_DIR: the snapshot/ the publish
    exports there is the one `make html` (SNAPSHOT_PATH) builds from."""
    from scripts.build import site_settings

    return Path(site_settings()["LOCAL_PUBLISH_DIR"])


def dynamodb_table(endpoint: str | None, name: str) -> Any:
    """A boto3 Table; dummy credentials when ``endpoint`` is DynamoDB Local."""
    import boto3

    if endpoint is None:
        return boto3.resource("dynamodb").Table(name)
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=DUMMY_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    return resource.Table(name)


def _answers(endpoint: str) -> bool:
    try:
        client_for(endpoint).list_tables(Limit=1)
    except Exception:  # any failure means: not running
        return False
    return True


@contextlib.contextmanager
def local_stage() -> Iterator[dict[str, Any]]:
    """The dev stack's settings; starts DynamoDB Local on its data if the stack is down."""
    base = local_dir()
    try:
        dev = json.loads((base / "dev.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        dev = {
            "site_url": "http://127.0.0.1:8000",
            "api_url": "http://127.0.0.1:8010",
            "dynamodb_endpoint": None,
            "table": "diavoulefsi",
        }
    settings = {
        "target": LocalDirTarget(base / "site"),
        "workdir": local_workdir(),
        "site_url": dev["site_url"],
        "api_url": dev["api_url"],
    }
    if dev["dynamodb_endpoint"] and _answers(dev["dynamodb_endpoint"]):
        yield {**settings, "table": dynamodb_table(dev["dynamodb_endpoint"], dev["table"])}
        return
    if not (base / "dynamodb").is_dir():
        raise SystemExit("Δεν βρέθηκε τοπική βάση: εκτελέστε πρώτα `make dev`.")
    with DynamoDBLocal(data_dir=base / "dynamodb") as db:
        yield {**settings, "table": dynamodb_table(db.endpoint, dev["table"])}


def aws_stage(stage: str) -> dict[str, Any]:
    """The stage's settings from the environment, completed by the stack's outputs."""
    values = {name: os.environ.get(name, "").strip() for name in STACK_OUTPUTS}
    if not all(values[name] for name in ("TABLE_NAME", "SITE_BUCKET", "SITE_URL", "API_URL")):
        import boto3

        stack = os.environ.get("STACK_NAME") or f"diavoulefsi-{stage}"
        described = boto3.client("cloudformation").describe_stacks(StackName=stack)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0]["Outputs"]}
        for name, key in STACK_OUTPUTS.items():
            values[name] = values[name] or outputs.get(key, "")
    return {
        "target": S3Target(values["SITE_BUCKET"], values["DISTRIBUTION_ID"] or None),
        "workdir": ROOT / "build" / "publish" / stage,
        "site_url": values["SITE_URL"],
        "api_url": values["API_URL"],
        "table": dynamodb_table(None, values["TABLE_NAME"]),
    }


def run_with_progress(settings: dict[str, Any], force: bool, console: Console) -> dict[str, Any]:
    target: Target = settings["target"]
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(STEPS.get(step, step), total=total)
            bar.update(tasks[step], completed=done, total=total)

        # What production's group_submissions schedule does, first: groups reach the site now.
        grouped = grouping.run(settings["table"], content=ROOT / "content")
        if grouped.changed:
            console.print(f"Ομαδοποίηση: {grouped.changed} υποβολές άλλαξαν ομάδα.")
        result = publish.run(
            force=force,
            target=target,
            project_root=ROOT,
            workdir=settings["workdir"],
            api_url=settings["api_url"],
            site_url=settings["site_url"],
            progress=progress,
            table=settings["table"],
        )
    return result.as_dict()


def export_only(table: Any, path: Path, console: Console) -> int:
    """Write the snapshot of the approved items (for `make html` with real data)."""
    columns = (TextColumn("{task.description}"), TextColumn("{task.completed}"))
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(STEPS["export"])
        data = snapshot.export(table, lambda done: bar.update(task, completed=done))
    snapshot.write(data, path)
    console.print(f"{len(data['comments'])} σχόλια, {len(data['proposals'])} προτάσεις → {path}")
    return 0


def break_lock(table: Any, force: bool, console: Console) -> int:
    """Staff's way out of a lock left behind; 0 when the lock is free afterwards."""
    try:
        broken = lock.break_lock(table, force=force)
    except lock.LockHeld as exc:
        console.print(
            f"Η δημοσίευση τρέχει ακόμη και ανανεώνει το κλείδωμα ({exc}). "
            "Περιμένετε να τελειώσει, ή χρησιμοποιήστε --force αν είστε βέβαιοι "
            "ότι έχει σταματήσει."
        )
        return 2
    if broken is None:
        console.print("Το κλείδωμα της δημοσίευσης είναι ήδη ελεύθερο.")
    else:
        console.print(f"Το κλείδωμα του {broken.get('owner')} αφαιρέθηκε.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="local", help="local (default) or an AWS stage")
    parser.add_argument("--force", action="store_true", help="publish even if nothing changed")
    parser.add_argument("--export", type=Path, help="only write the snapshot to this file")
    parser.add_argument(
        "--break-lock",
        action="store_true",
        help="remove the lock of a publish run that died (with --force: even a live one)",
    )
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    logging.basicConfig(
        level=logging.INFO, format="%(message)s", handlers=[RichHandler(console=console)]
    )
    logging.getLogger("pelican").setLevel(logging.WARNING)  # one line per written page otherwise
    if args.break_lock and args.stage == "local":
        with local_stage() as settings:
            return break_lock(settings["table"], args.force, console)
    if args.break_lock:
        return break_lock(aws_stage(args.stage)["table"], args.force, console)
    if args.export and args.stage == "local":
        with local_stage() as settings:
            return export_only(settings["table"], args.export, console)
    if args.export:
        return export_only(aws_stage(args.stage)["table"], args.export, console)
    if args.stage == "local":
        with local_stage() as settings:
            result = run_with_progress(settings, args.force, console)
    else:
        result = run_with_progress(aws_stage(args.stage), args.force, console)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if result["status"] == publish.FAILED and result["error"]:
        console.print(
            "Ο ιστότοπος δεν χτίζεται, ο δημοσιευμένος έμεινε όπως ήταν. Διορθώστε: "
            + describe(result["error"])
        )
        return 1
    # A run that found the lock taken, or lost it midway, published nothing: say so to a script.
    return 2 if result["status"] in (publish.LOCKED, publish.LOST) else 0


if __name__ == "__main__":
    sys.exit(main())
