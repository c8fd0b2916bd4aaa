"""Read the mail the local SMTP server received (``make dev``, scripts/smtp_local.py): what a
citizen or a member of staff would find in their inbox, for staff and testers.

    python -m scripts.mail list            # number, date (Athens), To, Subject
    python -m scripts.mail show 3          # the headers that matter and the text part
    python -m scripts.mail show 3 --html   # the HTML part

The folder: ``--dir``, else ``mail_dir`` of the running stack's .local/dev.json, else
.local/mail (``DIAVOULEFSI_LOCAL_DIR`` moves .local, as for ``make dev``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html import escape
from pathlib import Path
from urllib.parse import quote

from chalicelib import clock
from scripts.publish import local_dir
from scripts.smtp_local import SUFFIX, read

# The headers a reader checks, in this order (show and the dev site's /dev-mail/).
HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


@dataclass(frozen=True)
class Stored:
    """One received message and its file."""

    path: Path
    message: EmailMessage

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def when(self) -> datetime:
        """The Date header (else the file's time), in Athens."""
        try:
            moment = parsedate_to_datetime(str(self.message["Date"]))
        except (TypeError, ValueError):
            moment = datetime.fromtimestamp(self.path.stat().st_mtime, UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(clock.ATHENS)

    def header(self, name: str) -> str:
        value = self.message.get(name)
        return "" if value is None else str(value)

    def part(self, subtype: str) -> str | None:
        """The text of the ``plain`` or ``html`` part, or None."""
        body = self.message.get_body((subtype,))
        if body is None or body.get_content_subtype() != subtype:
            return None
        content = body.get_content()
        return content if isinstance(content, str) else None


def default_dir() -> Path:
    base = local_dir()
    try:
        info = json.loads((base / "dev.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    if isinstance(info, dict) and info.get("mail_dir"):
        return Path(info["mail_dir"])
    return base / "mail"


def stored(mail_dir: Path) -> list[Stored]:
    """Every message of ``mail_dir``, in order of arrival (the file names sort so)."""
    return [Stored(path, read(path)) for path in sorted(mail_dir.glob(f"*{SUFFIX}"))]


def listing(messages: list[Stored]) -> str:
    if not messages:
        return "Δεν έχει φτάσει κανένα μήνυμα.\n"
    lines = []
    for number, item in enumerate(messages, 1):
        when = item.when.strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{number:>4}  {when}  {item.header('To')}  {item.header('Subject')}")
    return "\n".join(lines) + "\n"


def showing(item: Stored, html: bool = False) -> str:
    lines = [f"{name}: {item.header(name)}" for name in HEADERS if item.header(name)]
    lines.append(f"Αρχείο: {item.path}")
    body = item.part("html" if html else "plain")
    missing = "(χωρίς μέρος HTML)" if html else "(χωρίς μέρος απλού κειμένου)"
    return "\n".join(lines) + "\n\n" + (body if body is not None else missing + "\n")


# --- the dev site's /dev-mail/ pages (scripts/dev.py; development only, never published) ---------

PAGE = """<!DOCTYPE html>
<html lang="el">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Αλληλογραφία ανάπτυξης</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem auto; max-width: 60rem; padding: 0 1rem;
  line-height: 1.5; color: #1a1a1a; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ccc;
  vertical-align: top; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }}
dt {{ font-weight: bold; }}
dd {{ margin: 0; overflow-wrap: anywhere; }}
pre {{ white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f4f4; padding: 1rem; }}
iframe {{ width: 100%; height: 40rem; border: 1px solid #ccc; }}
</style>
</head>
<body>
<header><p>Μόνο για την ανάπτυξη (make dev): ό,τι έλαβε ο τοπικός διακομιστής SMTP.</p></header>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""

_URL = re.compile(r"https?://[^\s<>\"]+")


def _linked(text: str) -> str:
    """``text`` escaped, its web addresses as links (a tester follows a private link)."""
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0)
        out += [escape(text[last : match.start()]), f'<a href="{escape(url)}">{escape(url)}</a>']
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def index_page(messages: list[Stored]) -> str:
    """The list of received messages, newest first."""
    if not messages:
        body = "<p>Δεν έχει φτάσει κανένα μήνυμα ακόμη.</p>"
    else:
        rows = "".join(
            "<tr>"
            f'<td><time datetime="{item.when.isoformat()}">'
            f"{item.when.strftime('%Y-%m-%d %H:%M:%S')}</time></td>"
            f"<td>{escape(item.header('To'))}</td>"
            f'<td><a href="/dev-mail/{quote(item.name)}">'
            f"{escape(item.header('Subject') or '(χωρίς θέμα)')}</a></td>"
            "</tr>\n"
            for item in reversed(messages)
        )
        body = (
            f"<p>{len(messages)} μηνύματα, τα νεότερα πρώτα.</p>\n<table>\n"
            "<thead><tr><th>Ημερομηνία</th><th>Προς</th><th>Θέμα</th></tr></thead>\n"
            f"<tbody>\n{rows}</tbody>\n</table>"
        )
    return PAGE.format(title="Όλα τα μηνύματα", body=body)


def message_page(item: Stored) -> str:
    """One message: its main headers, the text part, the HTML part in a sandboxed frame (no
    script, no form, links open in a new tab as in a mail program)."""
    fields = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(item.header(name))}</dd>\n"
        for name in HEADERS
        if item.header(name)
    )
    parts = [f"<dl>\n{fields}</dl>", '<p><a href="/dev-mail/">Όλα τα μηνύματα</a></p>']
    text = item.part("plain")
    if text is not None:
        parts.append(f"<h2>Απλό κείμενο</h2>\n<pre>{_linked(text)}</pre>")
    html = item.part("html")
    if html is not None:
        document = re.sub(r"(<head[^>]*>)", r'\1<base target="_blank">', html, count=1, flags=re.I)
        if document == html:
            document = '<base target="_blank">' + html
        parts.append(
            "<h2>HTML</h2>\n"
            '<iframe title="Το μέρος HTML του μηνύματος" '
            'sandbox="allow-popups allow-popups-to-escape-sandbox" '
            f'srcdoc="{escape(document, quote=True)}"></iframe>'
        )
    return PAGE.format(
        title=escape(item.header("Subject") or "(χωρίς θέμα)"), body="\n".join(parts)
    )


def dev_page(mail_dir: Path, name: str) -> str | None:
    """The /dev-mail/ page for ``name`` ("" for the list), or None (404): only a plain .eml
    file of ``mail_dir`` itself is shown, nothing else on the disk."""
    if not name:
        return index_page(stored(mail_dir) if mail_dir.is_dir() else [])
    file = mail_dir / name
    if (
        not name.endswith(SUFFIX)
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or "\0" in name
        or not file.is_file()
        or file.is_symlink()
        or file.resolve().parent != mail_dir.resolve()
    ):
        return None
    return message_page(Stored(file, read(file)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Η αλληλογραφία του τοπικού διακομιστή SMTP.")
    parser.add_argument("--dir", type=Path, help="ο φάκελος των .eml (προεπιλογή: .local/mail)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="όλα τα μηνύματα, με σειρά άφιξης")
    show = commands.add_parser("show", help="ένα μήνυμα")
    show.add_argument("number", type=int, help="ο αριθμός του στη λίστα")
    show.add_argument("--html", action="store_true", help="το μέρος HTML αντί για το κείμενο")
    args = parser.parse_args(argv)
    mail_dir = args.dir or default_dir()
    messages = stored(mail_dir) if mail_dir.is_dir() else []
    if args.command == "list":
        sys.stdout.write(listing(messages))
        return 0
    if not 1 <= args.number <= len(messages):
        print(f"Δεν υπάρχει μήνυμα αριθμός {args.number} στο {mail_dir}.", file=sys.stderr)
        return 1
    sys.stdout.write(showing(messages[args.number - 1], args.html))
    return 0


if __name__ == "__main__":
    sys.exit(main())
