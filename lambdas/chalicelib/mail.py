"""Sending mail (the submission receipt): one small interface, a file locally, SES v2 on AWS.

The recipient's address is personal data: it goes to the mail backend and nowhere else — never
into a log line (the logs carry the message id and the subject only).

Configuration, read once: ``MAIL_SENDER`` (a verified SES identity) selects SES; otherwise mail is
appended to ``MAIL_LOG`` (default ``.local/mail.log`` in the working directory) for the dev stack.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clock

logger = logging.getLogger(__name__)

DEFAULT_LOG = Path(".local") / "mail.log"


class MailError(RuntimeError):
    """The backend did not accept the message (the caller decides whether that matters)."""


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str  # plain text, UTF-8


class Mailer(ABC):
    """Where messages go."""

    @abstractmethod
    def send(self, message: Message) -> str:
        """Hand ``message`` over; returns the backend's message id."""


class LogMailer(Mailer):
    """Appends each message as one JSON line to a file: the dev stack's outbox."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, message: Message) -> str:
        message_id = uuid.uuid4().hex
        record = {
            "id": message_id,
            "at": clock.now_iso(),
            "to": message.to,
            "subject": message.subject,
            "body": message.body,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(line)
        except OSError as exc:
            raise MailError(f"cannot write to {self.path}: {exc.strerror}") from exc
        logger.info("mail %s written to the local outbox: %s", message_id, message.subject)
        return message_id


class SesMailer(Mailer):
    """Amazon SES (API v2) ``send_email`` with a simple UTF-8 text message."""

    def __init__(
        self, sender: str, client: Any = None, configuration_set: str | None = None
    ) -> None:
        self.sender = sender
        self.configuration_set = configuration_set
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sesv2")
        return self._client

    def send(self, message: Message) -> str:
        request: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [message.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
                }
            },
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            answer = self.client.send_email(**request)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "unknown")
            raise MailError(f"SES refused the message: {code}") from exc
        except BotoCoreError as exc:
            raise MailError(f"SES unreachable: {type(exc).__name__}") from exc
        message_id = str(answer["MessageId"])
        logger.info("mail %s sent through SES: %s", message_id, message.subject)
        return message_id


@cache
def get() -> Mailer:
    """The mailer of this environment (see the module docstring), built on first use."""
    sender = os.environ.get("MAIL_SENDER", "").strip()
    if sender:
        return SesMailer(sender, configuration_set=os.environ.get("MAIL_CONFIGURATION_SET") or None)
    return LogMailer(Path(os.environ.get("MAIL_LOG") or DEFAULT_LOG))
