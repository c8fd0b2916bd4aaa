"""``make dev``: the whole platform on this machine, with real parts (DESIGN.md, "Local stack").

DynamoDB Local (data kept in .local/dynamodb, demo submissions seeded on the first start), the
API under ``chalice local`` on 127.0.0.1:8010, the published site (.local/site) served on
127.0.0.1:8000, and the publish timer (every 15 s, the same ``publish.run`` as production).
When everything answers, .local/dev.json gets ``site_url``, ``api_url``, ``dynamodb_endpoint``,
``table`` and a fresh ``staff_token``, and the same is printed. Ctrl-C or SIGTERM stops it all.

Overrides (tests run a second stack beside the first): DIAVOULEFSI_SITE_PORT,
DIAVOULEFSI_API_PORT, DIAVOULEFSI_DYNAMODB_PORT, DIAVOULEFSI_LOCAL_DIR,
DIAVOULEFSI_PUBLISH_INTERVAL (seconds), DIAVOULEFSI_PROJECT_ROOT (the content to build).
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
from scripts import seed_demo
from scripts.dynamodb_local import DUMMY_ENV, DynamoDBLocal, create_table
from scripts.publish import dynamodb_table, local_dir, local_workdir

ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger("dev")

TABLE = "diavoulefsi"
HOST = "127.0.0.1"
STAFF_NAME = "Προσωπικό δοκιμών (make dev)"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
    access log (it would hold visitors' IPs)."""

    extensions_map = {  # noqa: RUF012 (the base class declares it on instances)
        **SimpleHTTPRequestHandler.extensions_map,
        **CONTENT_TYPES,
    }

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


def serve_site(directory: Path, port: int) -> ThreadingHTTPServer:
    directory.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((HOST, port), partial(SiteHandler, directory=str(directory)))
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


class PublishTimer(threading.Thread):
    """Runs ``publish.run`` every ``interval`` seconds until stopped. The run itself notices an
    edited text, theme or setting (chalicelib.sources) and the calendar; a site that does not
    build is reported once per distinct error, and a failed run is retried next time."""

    def __init__(self, interval: float, stop: threading.Event, **kwargs: Any) -> None:
        super().__init__(name="publish-timer")
        self.interval, self.stop, self.kwargs = interval, stop, kwargs
        self.error: dict[str, Any] | None = None

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                result = publish.run(**self.kwargs)
            except Exception:
                logger.exception("publish run failed; the next run retries")
                continue
            if result.status == publish.PUBLISHED:
                logger.info(
                    "published (%s): %s uploaded, %s deleted",
                    ", ".join(result.reasons),
                    result.uploaded,
                    result.deleted,
                )
            error = result.error if result.status == publish.FAILED else None
            if error and error != self.error:
                logger.error("the site does not build: %s", describe(error))
            self.error = error


class DevStack:
    """Every part of the stack, started in order and stopped in reverse."""

    def __init__(self) -> None:
        self.base = local_dir().resolve()
        self.project_root = Path(os.environ.get("DIAVOULEFSI_PROJECT_ROOT") or ROOT)
        self.site_port = _port("DIAVOULEFSI_SITE_PORT", 8000)
        self.api_port = _port("DIAVOULEFSI_API_PORT", 8010)
        self.interval = float(os.environ.get("DIAVOULEFSI_PUBLISH_INTERVAL") or 15)
        self.site_url = f"http://{HOST}:{self.site_port}"
        self.api_url = f"http://{HOST}:{self.api_port}"
        self.stop = threading.Event()
        self.db: DynamoDBLocal | None = None
        self.site: ThreadingHTTPServer | None = None
        self.api: Any = None
        self.timer: PublishTimer | None = None

    def start(self) -> dict[str, str]:
        ensure_free(self.site_port, "ιστότοπος")
        ensure_free(self.api_port, "API")
        self.base.mkdir(parents=True, exist_ok=True)
        db_port = _port("DIAVOULEFSI_DYNAMODB_PORT", 0) or None
        self.db = DynamoDBLocal(db_port, self.base / "dynamodb").start()
        table = dynamodb_table(self.db.endpoint, TABLE)
        if create_table(self.db.client(), TABLE) and seed_demo.DEMO_SNAPSHOT.exists():
            seed_demo.seed(table)
        # This process owns the database: a lock left by a killed session is stale.
        lock.break_lock(table, force=True)
        publish_args = {
            "target": LocalDirTarget(self.base / "site"),
            "project_root": self.project_root,
            "workdir": local_workdir(),  # its snapshot.json is the one `make html` reads
            "api_url": self.api_url,
            "site_url": self.site_url,
            "table": table,
        }
        logger.info("first build of the site")
        first = publish.run(force=True, **publish_args)
        if first.status == publish.FAILED and first.error:
            raise DevError(f"ο ιστότοπος δεν χτίζεται: {describe(first.error)}")
        self.site = serve_site(self.base / "site", self.site_port)
        self.api = self._start_api()
        self.timer = PublishTimer(self.interval, self.stop, **publish_args)
        self.timer.start()
        wait_for(f"{self.site_url}/")
        wait_for(f"{self.api_url}/v1/health")
        info = {
            "site_url": self.site_url,
            "api_url": self.api_url,
            "dynamodb_endpoint": self.db.endpoint,
            "table": TABLE,
            "staff_token": staff_token(table),
        }
        (self.base / "dev.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        return info

    def _start_api(self) -> Any:
        from scripts.api_local import start_api

        assert self.db is not None, "DynamoDB Local starts first"

        env = {
            **DUMMY_ENV,
            "STAGE": "dev",
            "TABLE_NAME": TABLE,
            "DYNAMODB_ENDPOINT": self.db.endpoint,
            "SITE_URL": self.site_url,
            "SITE_ORIGINS": self.site_url,
            "IP_HASH_KEY": ip_hash_key(self.base),
            "MANIFEST_PATH": str(self.base / "site" / MANIFEST_FILE),
        }
        return start_api(self.api_port, env, log_path=self.base / "api.log")

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(FileNotFoundError):
            (self.base / "dev.json").unlink()
        if self.timer is not None:
            self.timer.join(timeout=120)  # let a running publish finish cleanly
        if self.site is not None:
            self.site.shutdown()
            self.site.server_close()
        if self.api is not None:
            from scripts.api_local import stop_api

            stop_api(self.api)
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
