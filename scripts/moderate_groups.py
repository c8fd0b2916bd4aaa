"""The command line's campaign groups (scripts/moderate.py ``group`` and ``split``): show a
group, decide or answer all of it — the call repeated while members remain, since each works
for the API's time budget — and report the members that changed meanwhile, in Greek."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scripts.moderate import Api, ApiFailure, author, members, text_of, when, where

VERBS = {
    "approve": "Εγκρίθηκαν",
    "reject": "Απορρίφθηκαν",
    "hide": "Κρύφτηκαν",
    "answer": "Απαντήθηκαν",
}


def add_commands(sub: Any) -> None:
    """The ``group`` and ``split`` commands on moderate.py's subparsers."""
    grouped = sub.add_parser("group", help="a campaign group: show, decide or answer all of it")
    grouped.add_argument("id", help="the group's id")
    grouped.add_argument("action", nargs="?", choices=("approve", "reject", "hide", "answer"))
    grouped.add_argument("--reason", help="a key of moderation_reasons (reject, hide)")
    grouped.add_argument("--note", help="free text, kept in each member's audit trail")
    grouped.add_argument("--status", help="the members to show or act on (default: pending)")
    grouped.add_argument("--disposition", help="answer: a key of dispositions")
    group_text = grouped.add_mutually_exclusive_group()
    group_text.add_argument("--text", help="answer: the answer")
    group_text.add_argument("--file", help="answer: read the answer from this file")
    grouped.add_argument("--limit", type=int, default=25)
    grouped.add_argument("--all", action="store_true", help="show every member")
    split = sub.add_parser("split", help="take one item out of its group")
    split.add_argument("id")
    split.add_argument("--version", type=int, help="fail if the item changed since")


def group(api: Api, args: argparse.Namespace, console: Console) -> None:
    """Show a group, or decide or answer all of it (repeated until nothing remains)."""
    if args.action is None:
        show_group(api, args, console)
        return
    if args.action == "answer":
        if not args.disposition or not (args.text or args.file):
            raise ApiFailure("Η απάντηση χρειάζεται --disposition και --text (ή --file).")
        text = Path(args.file).read_text(encoding="utf-8") if args.file else args.text
        run_group(lambda: api.answer_group(args.id, args.disposition, text), "answer", api, console)
        return
    decision = {"action": args.action, "reason": args.reason, "note": args.note}
    decision["status"] = args.status
    run_group(lambda: api.decide_group(args.id, **decision), args.action, api, console)


def run_group(call: Callable[[], dict[str, Any]], action: str, api: Api, console: Console) -> None:
    """Call again while members remain (each call works for the API's time budget), printing
    the progress; members that changed meanwhile keep their first decision and are named."""
    done: list[str] = []
    conflicts: list[dict[str, Any]] = []
    labels: dict[str, str] | None = None
    while True:
        result = call()
        moved = result.get("decided", result.get("answered", []))
        done += moved
        remaining = int(result["remaining"])
        console.print(f"{VERBS[action]} {len(moved)} (σύνολο {len(done)}), απομένουν {remaining}.")
        if result["conflicts"]:
            labels = labels if labels is not None else api.summary().get("status_labels", {})
            named = ", ".join(
                f"{c['id']} ({labels.get(c['status'], c['status'])})" for c in result["conflicts"]
            )
            console.print(f"[yellow]Άλλαξαν στο μεταξύ και κρατούν την πρώτη απόφαση: {named}")
            conflicts += result["conflicts"]
        if not remaining:
            break
        if not moved:
            raise ApiFailure(
                f"Η ενέργεια δεν προχωρά: απομένουν {remaining} μέλη. Δοκιμάστε ξανά σε λίγο."
            )
    already = [i for i in result["already"] if i not in set(done)]
    if already:
        console.print(f"{members(len(already))} ήταν ήδη σε αυτή την κατάσταση.")
    if result.get("kept"):  # decided otherwise before this run: they keep that decision
        labels = labels if labels is not None else api.summary().get("status_labels", {})
        named = ", ".join(
            f"{c['id']} ({labels.get(c['status'], c['status'])})" for c in result["kept"]
        )
        console.print(f"Είχαν ήδη κριθεί αλλιώς και κρατούν την πρώτη απόφαση: {named}")
    if conflicts:
        raise ApiFailure(
            f"{members(len(conflicts))} άλλαξαν στο μεταξύ και δεν πήραν την ενέργεια."
        )


def show_group(api: Api, args: argparse.Namespace, console: Console) -> None:
    params = {"status": args.status, "limit": args.limit}
    page = api.group(args.id, **params)
    summary, items = page["group"], page["items"]
    while args.all and page.get("cursor"):
        page = api.group(args.id, cursor=page["cursor"], **params)
        items += page["items"]
    first = summary["representative"]
    statuses = ", ".join(f"{status} {n}" for status, n in summary["statuses"].items())
    console.print(
        f"Ομάδα {summary['id']}: {members(summary['count'])} ({statuses}), {where(first)}"
    )
    console.print(f"Αντιπροσωπευτικό κείμενο ({first['id']}):\n{text_of(first)}")
    table = Table(title=f"Μέλη: {args.status or 'pending'} ({len(items)})", show_lines=True)
    table.add_column("id", no_wrap=True, min_width=26)
    for column in ("Αναφορά", "Κατάσταση", "Υποβλήθηκε", "Από", "Προσθήκες"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(
            item["id"],
            item.get("reference", ""),
            item["status"],
            when(item.get("created_at")),
            author(item),
            "\n".join(item.get("added", [])) or "—",
        )
    console.print(table)
    if page.get("cursor") and not args.all:
        console.print("Υπάρχουν κι άλλα μέλη: --all για όλα.")
