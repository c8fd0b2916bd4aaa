"""A real SMTP server on 127.0.0.1 that keeps every message it receives as an ``.eml`` file: the
mail of ``make dev`` (read at the dev site's /dev-mail/ or with ``python -m scripts.mail``) and
of the tests, which read what the server actually received rather than what a fake was handed.

    with LocalSmtp(tmp_path / "mail") as smtp:
        ...  # SMTP_HOST=127.0.0.1 SMTP_PORT=smtp.port
        smtp.wait_for(1)
        [message] = smtp.messages()

Standalone: ``python -m scripts.smtp_local --port 8025 --dir .local/mail``.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import itertools
import logging
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
SUFFIX = ".eml"


class _Store:
    """aiosmtpd's handler: one file per message, written whole or not at all."""

    def __init__(self, mail_dir: Path) -> None:
        self.mail_dir = mail_dir
        self._lock = threading.Lock()
        self._counter = itertools.count(1)

    def name(self) -> str:
        with self._lock:
            number = next(self._counter)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
        return f"{stamp}-{number:04d}{SUFFIX}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        # Where the server delivered it, as Postfix's X-Original-To says: the envelope, which a
        # test of international addresses needs (the To header can say anything).
        trace = "".join(f"X-Envelope-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        name = self.name()
        tmp = self.mail_dir / f".{name}.tmp"
        tmp.write_bytes(trace.encode("utf-8") + content)
        tmp.rename(self.mail_dir / name)
        logger.info("stored %s", name)
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's controller, able to listen on a port the system picks (port 0)."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class LocalSmtp:
    """The server; a context manager (``start``/``stop`` also work). ``port`` 0 picks a free
    one, readable as ``.port`` once started."""

    def __init__(self, mail_dir: Path, port: int = 0) -> None:
        self.mail_dir = Path(mail_dir)
        self._port = port
        self._controller: _Controller | None = None

    @property
    def port(self) -> int:
        return self._controller.port if self._controller is not None else self._port

    def start(self) -> LocalSmtp:
        # aiosmtpd logs every command at INFO, recipients included: addresses stay out of logs.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        controller = _Controller(
            _Store(self.mail_dir), hostname=HOST, port=self._port, enable_SMTPUTF8=True
        )
        controller.start()
        self._controller = controller
        logger.info("SMTP server on %s:%s storing into %s", HOST, self.port, self.mail_dir)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._port = self._controller.port
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> LocalSmtp:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def files(self) -> list[Path]:
        """The stored messages, in order of arrival."""
        return sorted(self.mail_dir.glob(f"*{SUFFIX}"))

    def messages(self) -> list[EmailMessage]:
        return [read(path) for path in self.files()]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """At least ``count`` messages, waiting up to ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        while len(self.files()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(self.files())} of {count} messages within {timeout:.0f} s"
                )
            time.sleep(0.05)
        return self.messages()

    def clear(self) -> None:
        for path in self.files():
            path.unlink(missing_ok=True)


def read(path: Path) -> EmailMessage:
    """A stored message, its lines ending in ``\n`` as Python's text does (CRLF on the wire)."""
    data = path.read_bytes().replace(b"\r\n", b"\n")
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local SMTP server that stores .eml files.")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path(".local") / "mail")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with LocalSmtp(args.dir, args.port) as smtp:
        print(f"SMTP 127.0.0.1:{smtp.port} → {args.dir}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
