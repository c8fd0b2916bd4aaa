"""``make dev``: the whole platform on this machine, with real parts (DESIGN.md, "Local stack").

DynamoDB Local (data kept in .local/dynamodb, demo submissions seeded on the first start), the
API under ``chalice local`` on 127.0.0.1:8010, the published site (.local/site) served on
127.0.0.1:8000, the publish timer (every 15 s, and a second or two after a decision asks for a
run: scripts/publisher.py; the same ``publish.run`` as production), a real SMTP server on
127.0.0.1:8025 that keeps every message as a file in .local/mail/ (read them at the dev site's
/dev-mail/ or with ``python -m scripts.mail``) and the mail timer (every 5 s, the same
``outbox.send_due`` as production's ``send_mail``). When everything answers, .local/dev.json
gets ``site_url``, ``api_url``, ``dynamodb_endpoint``, ``table``, a fresh ``staff_token``,
``smtp_port`` and ``mail_dir``, and the same is printed. Ctrl-C or SIGTERM stops it all.

Overrides (tests run a second stack beside the first): DIAVOULEFSI_SITE_PORT,
DIAVOULEFSI_API_PORT, DIAVOULEFSI_DYNAMODB_PORT, DIAVOULEFSI_SMTP_PORT (0: any free port),
DIAVOULEFSI_LOCAL_DIR, DIAVOULEFSI_PUBLISH_INTERVAL and DIAVOULEFSI_MAIL_INTERVAL (seconds),
DIAVOULEFSI_PROJECT_ROOT (the content to build).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from chalicelib import publish
from chalicelib.config import MANIFEST_FILE
from chalicelib.sitebuild import describe
from chalicelib.store import lock
from chalicelib.targets import CONTENT_TYPES, LocalDirTarget
from scripts import mail as dev_mail
from scripts import seed_demo
from scripts.dynamodb_local import DUMMY_ENV, DynamoDBLocal, create_table
from scripts.publish import dynamodb_table, local_dir, local_workdir
from scripts.publisher import Publisher
from scripts.smtp_local import LocalSmtp

ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger("dev")

TABLE = "diavoulefsi"
HOST = "127.0.0.1"
STAFF_NAME = "Προσωπικό δοκιμών (make dev)"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
MAIL_SENDER = "Διαβούλευση (make dev) <diavoulefsi@localhost>"
STAFF_DIGEST_TO = "prosopiko@localhost"
DEV_MAIL = "/dev-mail"


class DevError(RuntimeError):
    """The stack cannot start (a port is taken, a part did not answer)."""


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def ensure_free(port: int, what: str) -> None:
    """Fail early, in plain words, when a fixed port is taken (another ``make dev``?).

    SO_REUSEADDR, as the servers themselves bind: only a listener counts, not the TIME_WAIT
    connections a stopped or killed stack leaves on its ports for a minute."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            raise DevError(
                f"Η θύρα {port} ({what}) είναι ήδη σε χρήση: τρέχει ήδη άλλο `make dev`; "
                f"Σταματήστε το ή ελευθερώστε τη θύρα."
            ) from exc


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files of the published site: no directory listings, the site's 404 page, no
    access log (it would hold visitors' IPs). With ``mail_dir``, also /dev-mail/: the messages
    the local SMTP server received (read from ``mail_dir``, never part of the site)."""

    extensions_map = {  # noqa: RUF012 (the base class declares it on instances)
        **SimpleHTTPRequestHandler.extensions_map,
        **CONTENT_TYPES,
    }

    def __init__(self, *args: Any, mail_dir: Path | None = None, **kwargs: Any) -> None:
        self.mail_dir = mail_dir  # before the base class, which handles the request
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        if not self._dev_mail():
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._dev_mail():
            super().do_HEAD()

    def _dev_mail(self) -> bool:
        """Answer a /dev-mail/ request (True), or leave it to the static files (False)."""
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if self.mail_dir is None or not (path == DEV_MAIL or path.startswith(DEV_MAIL + "/")):
            return False
        page = dev_mail.dev_page(self.mail_dir, path[len(DEV_MAIL) :].lstrip("/"))
        if page is None:
            self.send_error(404)
            return True
        body = page.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        )
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return True

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(404)
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def serve_site(directory: Path, port: int, mail_dir: Path | None = None) -> ThreadingHTTPServer:
    directory.mkdir(parents=True, exist_ok=True)
    handler = partial(SiteHandler, directory=str(directory), mail_dir=mail_dir)
    server = ThreadingHTTPServer((HOST, port), handler)
    threading.Thread(target=server.serve_forever, name="site", daemon=True).start()
    return server


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise DevError(f"{url} did not answer within {timeout:.0f} s")


def ip_hash_key(base: Path) -> str:
    """The stack's HMAC key for IP prefixes, made once and kept (rate limits survive restarts)."""
    path = base / "ip_hash_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def staff_token(table: Any) -> str:
    from chalicelib import auth

    token, _ = auth.create(table, STAFF_NAME)
    return token


class MailTimer(threading.Thread):
    """Runs ``outbox.send_due`` every ``interval`` seconds until stopped: the dev stack's
    ``send_mail`` schedule; and, once a day (the first tick of each Athens day), the
    ``staff_digest`` schedule. A failed run is logged and the next one retries."""

    def __init__(self, interval: float, stop: threading.Event, table: Any) -> None:
        super().__init__(name="mail-timer")
        self.interval, self.stop, self.table = interval, stop, table
        self.digest_day: str | None = None

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                from chalicelib import clock, digest, outbox

                today = clock.now().astimezone(clock.ATHENS).date().isoformat()
                if today != self.digest_day:
                    digest.enqueue(self.table)  # idempotent per day: a restart sends no second
                    self.digest_day = today
                outbox.send_due(table=self.table)
            except Exception:
                logger.exception("sending mail failed; the next run retries")


class DevStack:
    """Every part of the stack, started in order and stopped in reverse."""

    def __init__(self) -> None:
        self.base = local_dir().resolve()
        self.project_root = Path(os.environ.get("DIAVOULEFSI_PROJECT_ROOT") or ROOT)
        self.site_port = _port("DIAVOULEFSI_SITE_PORT", 8000)
        self.api_port = _port("DIAVOULEFSI_API_PORT", 8010)
        self.smtp_port = _port("DIAVOULEFSI_SMTP_PORT", 8025)
        self.interval = float(os.environ.get("DIAVOULEFSI_PUBLISH_INTERVAL") or 15)
        self.mail_interval = float(os.environ.get("DIAVOULEFSI_MAIL_INTERVAL") or 5)
        self.mail_dir = self.base / "mail"
        self.site_url = f"http://{HOST}:{self.site_port}"
        self.api_url = f"http://{HOST}:{self.api_port}"
        self.stop = threading.Event()
        self.db: DynamoDBLocal | None = None
        self.site: ThreadingHTTPServer | None = None
        self.api: Any = None
        self.timer: Publisher | None = None
        self.smtp: LocalSmtp | None = None
        self.mail_timer: MailTimer | None = None

    def app_env(self) -> dict[str, str]:
        """The app's configuration (chalicelib.config, chalicelib.mail): the API's environment,
        and this process's, where the publish, its notices and the mail timer run."""
        assert self.db is not None and self.smtp is not None, "the database and SMTP start first"
        return {
            "STAGE": "dev",
            "TABLE_NAME": TABLE,
            "DYNAMODB_ENDPOINT": self.db.endpoint,
            "SITE_URL": self.site_url,
            "SITE_ORIGINS": self.site_url,
            "IP_HASH_KEY": ip_hash_key(self.base),
            "MANIFEST_PATH": str(self.base / "site" / MANIFEST_FILE),
            "API_URL": self.api_url,
            "SMTP_HOST": HOST,
            "SMTP_PORT": str(self.smtp.port),
            "MAIL_SENDER": MAIL_SENDER,
            "STAFF_DIGEST_TO": STAFF_DIGEST_TO,
        }

    def start(self) -> dict[str, Any]:
        ensure_free(self.site_port, "ιστότοπος")
        ensure_free(self.api_port, "API")
        if self.smtp_port:
            ensure_free(self.smtp_port, "SMTP")
        self.base.mkdir(parents=True, exist_ok=True)
        db_port = _port("DIAVOULEFSI_DYNAMODB_PORT", 0) or None
        self.db = DynamoDBLocal(db_port, self.base / "dynamodb").start()
        table = dynamodb_table(self.db.endpoint, TABLE)
        if create_table(self.db.client(), TABLE) and seed_demo.DEMO_SNAPSHOT.exists():
            seed_demo.seed(table)
        # This process owns the database: a lock left by a killed session is stale.
        lock.break_lock(table, force=True)
        try:
            self.smtp = LocalSmtp(self.mail_dir, self.smtp_port).start()
        except OSError as exc:  # taken since ensure_free looked
            raise DevError(
                f"ο διακομιστής SMTP δεν ξεκινά στη θύρα {self.smtp_port}: {exc}"
            ) from exc
        os.environ.update(self.app_env())
        from chalicelib import config, db, mail

        config.reset()
        db.reset()
        mail.get.cache_clear()
        publish_args = {
            "target": LocalDirTarget(self.base / "site"),
            "project_root": self.project_root,
            "workdir": local_workdir(),  # its snapshot/ is the one `make html` reads
            "api_url": self.api_url,
            "site_url": self.site_url,
            "table": table,
        }
        logger.info("first build of the site")
        first = publish.run(force=True, **publish_args)
        if first.status == publish.FAILED and first.error:
            raise DevError(f"ο ιστότοπος δεν χτίζεται: {describe(first.error)}")
        self.site = serve_site(self.base / "site", self.site_port, self.mail_dir)
        self.api = self._start_api()
        self.timer = Publisher(self.interval, self.stop, **publish_args)
        self.timer.start()
        self.mail_timer = MailTimer(self.mail_interval, self.stop, table)
        self.mail_timer.start()
        wait_for(f"{self.site_url}/")
        wait_for(f"{self.api_url}/v1/health")
        info = {
            "site_url": self.site_url,
            "api_url": self.api_url,
            "dynamodb_endpoint": self.db.endpoint,
            "table": TABLE,
            "staff_token": staff_token(table),
            "smtp_port": self.smtp.port,
            "mail_dir": str(self.mail_dir),
        }
        (self.base / "dev.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        return info

    def _start_api(self) -> Any:
        from scripts.api_local import start_api

        env = {**DUMMY_ENV, **self.app_env()}
        return start_api(self.api_port, env, log_path=self.base / "api.log")

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(FileNotFoundError):
            (self.base / "dev.json").unlink()
        if self.timer is not None:
            self.timer.join(timeout=120)  # let a running publish finish cleanly
        if self.mail_timer is not None:
            self.mail_timer.join(timeout=60)  # a run ends within outbox.BUDGET_SECONDS
        if self.site is not None:
            self.site.shutdown()
            self.site.server_close()
        if self.api is not None:
            from scripts.api_local import stop_api

            stop_api(self.api)
        if self.smtp is not None:  # after the API, which may be handing it a message
            self.smtp.stop()
        if self.db is not None:
            self.db.stop()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("pelican").setLevel(logging.WARNING)  # one line per written page otherwise
    stack = DevStack()
    running = threading.Event()

    def on_signal(*_: object) -> None:
        stack.stop.set()
        if not running.is_set():
            raise KeyboardInterrupt  # still starting: abandon the start, then clean up

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)
    try:
        info = stack.start()
        running.set()
        print(json.dumps(info, indent=2), flush=True)
        stack.stop.wait()
    except DevError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        # Ignore further signals while stopping, so a second Ctrl-C cannot leave orphans.
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
