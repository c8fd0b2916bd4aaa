"""Moderate from the terminal, through the same HTTP API as the moderation page.

The API is ``--api``, else ``DIAVOULEFSI_API_URL``, else the dev stack's .local/dev.json; the
staff token ``--token``, else ``DIAVOULEFSI_STAFF_TOKEN``, else .local/dev.json.

    python scripts/moderate.py list --status pending --consultation anoichti
    python scripts/moderate.py show <id>
    python scripts/moderate.py approve <id> [--note ...]
    python scripts/moderate.py reject <id> --reason spam [--note ...]
    python scripts/moderate.py hide <id> --reason personal_data
    python scripts/moderate.py redact <id> --body "Κείμενο χωρίς το τηλέφωνο" (approve, redacted)
    python scripts/moderate.py summary | unpublished
    python scripts/moderate.py answer <id> [<id> ...] --disposition adopted --text "..."
    python scripts/moderate.py answer --paragraph anoichti/proto-keimeno/eisagogi \
        --disposition not_adopted --file apantisi.txt  (every approved comment of §)

Campaign groups (near-identical copies) are one row of ``list``; act on a whole group:

    python scripts/moderate.py group <group id> [--status approved] [--all]   (show it)
    python scripts/moderate.py group <group id> approve | reject --reason spam | hide --reason …
    python scripts/moderate.py group <group id> answer --disposition adopted --text "..."
    python scripts/moderate.py split <id> [--version N]   (take one item out of its group)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from babel.dates import format_datetime
from rich.console import Console
from rich.table import Table

from chalicelib import clock

ROOT = Path(__file__).resolve().parent.parent
DEV_JSON = ROOT / ".local" / "dev.json"
TIMEOUT_S = 15
GROUP_TIMEOUT_S = 60  # a group's call works for up to the API's budget before it answers
EXCERPT = 300  # characters of a group's representative text in the queue
SHOWN_DIFFERENCES = 5  # members' additions in a group's row


class ApiFailure(Exception):
    """The API answered with an error (its Greek message) or could not be reached."""


class Api:
    """The moderation routes, JSON with the bearer token."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )

    def call(
        self, method: str, path: str, timeout: float = TIMEOUT_S, **kwargs: Any
    ) -> dict[str, Any]:
        try:
            answer = self.session.request(method, f"{self.base}{path}", timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            raise ApiFailure(f"Το API δεν απαντά ({self.base}): {exc}") from exc
        try:
            data = answer.json()
        except ValueError as exc:
            raise ApiFailure(f"HTTP {answer.status_code}: {answer.text[:200]}") from exc
        if answer.status_code >= 400:
            error = data.get("error") or {"message": data.get("message") or data}
            fields = "; ".join(f"{k}: {v}" for k, v in (error.get("fields") or {}).items())
            raise ApiFailure(f"HTTP {answer.status_code}: {error['message']} {fields}".strip())
        return data

    def items(self, **params: Any) -> dict[str, Any]:
        return self.call("GET", "/v1/moderation/items", params=_clean(params))

    def item(self, item_id: str) -> dict[str, Any]:
        return self.call("GET", f"/v1/moderation/items/{item_id}")

    def decide(self, item_id: str, **decision: Any) -> dict[str, Any]:
        return self.call("POST", f"/v1/moderation/items/{item_id}", json=_clean(decision))

    def answer_many(self, ids: list[str], disposition: str, text: str) -> dict[str, Any]:
        body = {"ids": ids, "disposition": disposition, "text": text}
        return self.call("POST", "/v1/moderation/answers", json=body)

    def paragraph_items(self, consultation: str, text: str, paragraph: str) -> list[str]:
        """The ids of every approved comment on one paragraph (all pages)."""
        params = {
            "consultation": consultation,
            "text": text,
            "paragraph": paragraph,
            "status": "approved",
            "limit": 100,
        }
        ids: list[str] = []
        while True:
            page = self.items(**params)
            ids += [item["id"] for item in page["items"]]
            if not page.get("cursor"):
                return ids
            params["cursor"] = page["cursor"]

    def summary(self) -> dict[str, Any]:
        return self.call("GET", "/v1/moderation/summary")

    def group(self, group_id: str, **params: Any) -> dict[str, Any]:
        return self.call("GET", f"/v1/moderation/groups/{group_id}", params=_clean(params))

    def decide_group(self, group_id: str, **decision: Any) -> dict[str, Any]:
        path = f"/v1/moderation/groups/{group_id}"
        return self.call("POST", path, timeout=GROUP_TIMEOUT_S, json=_clean(decision))

    def answer_group(self, group_id: str, disposition: str, text: str) -> dict[str, Any]:
        path = f"/v1/moderation/groups/{group_id}/answer"
        body = {"disposition": disposition, "text": text}
        return self.call("POST", path, timeout=GROUP_TIMEOUT_S, json=body)

    def split(self, item_id: str, version: int | None) -> dict[str, Any]:
        body = _clean({"version": version})
        return self.call("POST", f"/v1/moderation/items/{item_id}/split", json=body)

    def unpublished(self, limit: int) -> dict[str, Any]:
        return self.call("GET", "/v1/moderation/decided-unpublished", params={"limit": limit})


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def when(stamp: str | None) -> str:
    """'26 Νοεμβρίου 2026, 12:00' in Athens time (Babel), or a dash."""
    if not stamp:
        return "—"
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return format_datetime(moment, "d MMMM y, HH:mm", tzinfo=clock.ATHENS, locale="el")


def author(item: dict[str, Any]) -> str:
    name = item.get("display_name") or "—"
    if item.get("organisation_name"):
        name = f"{name} ({item['organisation_name']})"
    return name if item.get("publish_name") else f"{name} [ανώνυμα]"


def where(item: dict[str, Any]) -> str:
    context = item.get("context", {})
    parts = [context.get("consultation_title") or item.get("consultation", "")]
    parts.append(context.get("text_title") or context.get("proposal_title") or "")
    if item.get("paragraph"):
        parts.append(f"¶ {item['paragraph']}")
    return " › ".join(p for p in parts if p)


def text_of(item: dict[str, Any]) -> str:
    return (f"{item['title']}\n" if item.get("title") else "") + item.get("body", "")


def items_table(
    title: str, items: list[dict[str, Any]], groups: dict[str, Any] | None = None
) -> Table:
    """The items, one row each; the members of a group of ``groups`` (the queue's) folded into
    one row: its count, its representative's text and what members added."""
    table = Table(title=title, show_lines=True)
    # The id is what staff copy to act on: never folded, whatever the terminal's width.
    table.add_column("id", no_wrap=True, min_width=26)
    for column in ("Αναφορά", "Κατάσταση", "Υποβλήθηκε", "Πού", "Από", "Κείμενο"):
        table.add_column(column, overflow="fold")
    folded: set[str] = set()
    for item in items:
        group = (groups or {}).get(item.get("group") or "")
        if group is not None:
            if group["id"] not in folded:
                folded.add(group["id"])
                table.add_row(*group_row(group))
            continue
        table.add_row(
            item["id"],
            item.get("reference", ""),
            item["status"],
            when(item.get("created_at")),
            where(item),
            author(item),
            text_of(item),
        )
    return table


def members(count: int) -> str:
    return f"{count} μέλος" if count == 1 else f"{count} μέλη"


def group_row(group: dict[str, Any]) -> tuple[str, ...]:
    """A group's one row in the queue (``items_table``)."""
    first = group["representative"]
    body = text_of(first)
    if len(body) > EXCERPT:
        body = body[:EXCERPT].rstrip() + "…"
    differences = group.get("differences", [])
    if differences:
        body += "\nΠροσθήκες μελών:"
        for difference in differences[:SHOWN_DIFFERENCES]:
            body += f"\n• {difference['id']}: {' '.join(difference['added'])}"
        if len(differences) > SHOWN_DIFFERENCES:
            body += f"\n… και {len(differences) - SHOWN_DIFFERENCES} ακόμη"
    statuses = ", ".join(f"{status} {n}" for status, n in group["statuses"].items() if n)
    return (
        f"ομάδα {group['id']}",
        members(group["count"]),
        statuses,
        when(first.get("created_at")),
        where(first),
        author(first) + " κ.ά.",
        body,
    )


def show(console: Console, data: dict[str, Any], labels: dict[str, str]) -> None:
    item = data["item"]
    console.print(items_table(f"Υποβολή {item.get('reference', item['id'])}", [item]))
    if item.get("context", {}).get("url"):
        console.print(f"Στον ιστότοπο: {item['context']['url']}")
    given = item.get("answer")
    if given:
        label = labels.get(given["disposition"], given["disposition"])
        console.print(
            f"Απάντηση του Δήμου ({when(given['answered_at'])}, {given['answered_by']}): "
            f"{label} — {given['text']}"
        )
    trail = Table(title="Ιστορικό αποφάσεων")
    for column in ("Πότε", "Ποιος", "Ενέργεια", "Από → σε", "Λόγος", "Σημείωση"):
        trail.add_column(column, overflow="fold")
    for entry in data.get("audit", []):
        trail.add_row(
            when(entry["at"]),
            entry["by"],
            entry["action"]
            + (" (με απαλοιφή)" if entry.get("redacted") else "")
            + (f": {entry['disposition']}" if entry.get("disposition") else ""),
            f"{entry['from_status']} → {entry['to_status']}",
            entry.get("reason", ""),
            entry.get("note", ""),
        )
    console.print(trail)


def run(api: Api, args: argparse.Namespace, console: Console) -> None:
    from scripts import moderate_groups  # it builds on this module's helpers

    if args.command == "list":
        params = {"status": args.status, "consultation": args.consultation, "order": args.order}
        page = api.items(limit=args.limit, **params)
        items, groups = page["items"], dict(page.get("groups") or {})
        while args.all and page.get("cursor"):
            page = api.items(limit=args.limit, cursor=page["cursor"], **params)
            items += page["items"]
            groups.update(page.get("groups") or {})
        page["groups"] = groups
        groups = page.get("groups") or {}
        title = f"Υποβολές: {args.status} ({len(items)})"
        console.print(items_table(title, items, groups))
        if page.get("cursor") and not args.all:
            console.print("Υπάρχουν κι άλλες: --all για όλες.")
    elif args.command == "show":
        show(console, api.item(args.id), api.summary()["dispositions"])
    elif args.command == "summary":
        data = api.summary()
        table = Table(title="Υποβολές ανά κατάσταση")
        table.add_column("Κατάσταση")
        table.add_column("Πλήθος", justify="right")
        for status, count in data["counts"].items():
            table.add_row(data["status_labels"].get(status, status), str(count))
        console.print(table)
    elif args.command == "answer":
        answer(api, args, console)
    elif args.command == "group":
        moderate_groups.group(api, args, console)
    elif args.command == "split":
        item = api.split(args.id, args.version)["item"]
        console.print(
            f"{item.get('reference', item['id'])}: εκτός ομάδας (έκδοση {item['version']})"
        )
    elif args.command == "unpublished":
        data = api.unpublished(args.limit)
        title = f"Αποφασισμένα, δεν έχουν δημοσιευτεί ακόμη ({data['count']})"
        console.print(items_table(title, data["items"]))
    else:
        action = {"approve": "approve", "redact": "approve"}.get(args.command, args.command)
        redacted = None
        if args.command == "redact":
            redacted = Path(args.file).read_text(encoding="utf-8") if args.file else args.body
        result = api.decide(
            args.id,
            action=action,
            reason=getattr(args, "reason", None),
            note=args.note,
            redacted_body=redacted,
            version=args.version,
        )
        item = result["item"]
        console.print(
            f"{item.get('reference', item['id'])}: {item['status']} (έκδοση {item['version']})"
        )


def answer(api: Api, args: argparse.Namespace, console: Console) -> None:
    """One answer on the ids given, or on every approved comment of ``--paragraph``."""
    ids = list(args.ids)
    if args.paragraph:
        parts = args.paragraph.split("/")
        if len(parts) != 3:
            raise ApiFailure("--paragraph: διαβούλευση/κείμενο/παράγραφος")
        ids += api.paragraph_items(*parts)
    if not ids:
        raise ApiFailure("Καμία υποβολή για απάντηση.")
    text = Path(args.file).read_text(encoding="utf-8") if args.file else args.text
    result = api.answer_many(ids, args.disposition, text)
    console.print(f"Απαντήθηκαν {len(result['answered'])} υποβολές.")
    for failed in result["failed"]:
        console.print(f"[red]{failed['id']}: {failed['message']}[/red]")
    if result["failed"]:
        raise ApiFailure(f"{len(result['failed'])} υποβολές δεν απαντήθηκαν.")


def parser() -> argparse.ArgumentParser:
    from scripts import moderate_groups

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--api", help="API base URL (default: DIAVOULEFSI_API_URL or .local/dev.json)")
    p.add_argument("--token", help="staff token (default: DIAVOULEFSI_STAFF_TOKEN or dev.json)")
    sub = p.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the queue")
    listing.add_argument("--status", default="pending")
    listing.add_argument("--consultation")
    listing.add_argument("--order", choices=("newest", "oldest"), default="oldest")
    listing.add_argument("--limit", type=int, default=25)
    listing.add_argument("--all", action="store_true", help="follow the cursor to the end")
    sub.add_parser("show", help="one item and its audit trail").add_argument("id")
    sub.add_parser("summary", help="counts per status")
    sub.add_parser("unpublished", help="decided, not yet published").add_argument(
        "--limit", type=int, default=50
    )
    answering = sub.add_parser("answer", help="the municipality's answer on approved items")
    answering.add_argument("ids", nargs="*", help="the items (or --paragraph)")
    answering.add_argument("--paragraph", help="consultation/text/paragraph: all its approved")
    answering.add_argument("--disposition", required=True, help="a key of dispositions")
    answer_text = answering.add_mutually_exclusive_group(required=True)
    answer_text.add_argument("--text", help="the answer")
    answer_text.add_argument("--file", help="read the answer from this file")
    moderate_groups.add_commands(sub)
    for name in ("approve", "reject", "hide", "redact"):
        decision = sub.add_parser(name, help=f"{name} one item")
        decision.add_argument("id")
        decision.add_argument("--note", help="free text, kept in the audit trail")
        decision.add_argument("--version", type=int, help="fail if the item changed since")
        if name in ("reject", "hide"):
            decision.add_argument("--reason", required=True, help="a key of moderation_reasons")
        if name == "redact":
            body = decision.add_mutually_exclusive_group(required=True)
            body.add_argument("--body", help="the text to publish instead")
            body.add_argument("--file", help="read the text to publish from this file")
    return p


def settings(args: argparse.Namespace) -> tuple[str, str]:
    dev: dict[str, Any] = {}
    if DEV_JSON.exists():
        dev = json.loads(DEV_JSON.read_text(encoding="utf-8"))
    api = args.api or os.environ.get("DIAVOULEFSI_API_URL") or dev.get("api_url")
    token = args.token or os.environ.get("DIAVOULEFSI_STAFF_TOKEN") or dev.get("staff_token")
    if not api or not token:
        raise ApiFailure("Χρειάζονται --api και --token (ή `make dev` σε λειτουργία).")
    return api, token


def utf8_arguments(argv: list[str]) -> list[str]:
    """The arguments as UTF-8, whatever the terminal's locale: Python decodes ``sys.argv`` with
    the locale's encoding and keeps undecodable bytes as lone surrogates, which must never be
    sent as a redacted body or a note. ``ApiFailure`` names the argument that is not UTF-8."""
    decoded = []
    for position, arg in enumerate(argv, 1):
        try:
            decoded.append(os.fsencode(arg).decode("utf-8"))
        except UnicodeError as exc:
            raise ApiFailure(
                f"Το όρισμα {position} δεν είναι έγκυρο κείμενο UTF-8. Ρυθμίστε το τερματικό σε "
                "UTF-8 (π.χ. LANG=el_GR.UTF-8) και δοκιμάστε ξανά."
            ) from exc
    return decoded


def main(argv: list[str] | None = None) -> int:
    console = Console()
    try:
        arguments = utf8_arguments(sys.argv[1:] if argv is None else argv)
    except ApiFailure as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    args = parser().parse_args(arguments)
    try:
        run(Api(*settings(args)), args, console)
    except ApiFailure as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
