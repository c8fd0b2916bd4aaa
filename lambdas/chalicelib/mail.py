"""Sending mail: one ``Mailer`` interface, SMTP locally and in tests, SES v2 on AWS, and the same
MIME bytes for both (``build_mime``), so what the local SMTP server stores is what SES sends.

The recipient's address is personal data: it goes to the mail backend and nowhere else — never
into a log line or an exception's message (they carry the message's id and the backend's id).
Headers are built here and only here, and refuse CR, LF and every other control character,
so no caller can inject a header or a recipient, whatever text it passes.

Configuration, read once (``get``): ``SMTP_PORT`` selects SMTP (``SMTP_HOST``, default
127.0.0.1); otherwise ``MAIL_SENDER`` (a verified SES identity, ``Name <address>`` allowed)
selects SES, with ``MAIL_CONFIGURATION_SET`` if set.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import cache
from typing import Any

from chalicelib import clock

logger = logging.getLogger(__name__)

DEV_SENDER = "Διαβούλευση <diavoulefsi@localhost>"
SMTP_TIMEOUT = 30.0

# Set by build_mime itself: a caller's extra header may not replace or add to them.
OWN_HEADERS = frozenset(
    {
        "from",
        "sender",
        "reply-to",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "auto-submitted",
        "return-path",
    }
)
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # printable ASCII but the colon (RFC 5322 ftext)
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")
_LOCAL_FORBIDDEN = re.compile(r'[\s"(),:;<>@\[\\\]]')
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class MailError(RuntimeError):
    """Not sent this time (the backend is away, busy or refused for now): retry later."""


class MailRejected(MailError):
    """Never sendable: this address (or this message to it) is refused for good."""


class MailConfigError(RuntimeError):
    """Neither SMTP nor SES is configured in this environment."""


class AddressError(ValueError):
    """The recipient's address cannot be written into a message at all."""


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    message_id: str | None = None  # the outbox item's id: a resend carries the same Message-ID


@dataclass(frozen=True)
class Recipient:
    """An address as it goes on the wire: the domain in punycode, the local part as given."""

    local: str
    domain: str

    @property
    def address(self) -> str:
        return f"{self.local}@{self.domain}"

    @property
    def needs_smtputf8(self) -> bool:
        return not self.local.isascii()


def check_text(value: str, what: str) -> str:
    """``value`` unless it holds a control character (CR and LF first of all)."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            raise ValueError(f"control character U+{ord(char):04X} in {what}")
    return value


def recipient(address: str) -> Recipient:
    """The wire form of ``address`` (one bare address, no display name), or AddressError."""
    check_text(address, "the address")
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise AddressError("not an e-mail address")
    local = unicodedata.normalize("NFC", local)
    if (
        _LOCAL_FORBIDDEN.search(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(local.encode()) > 64
    ):
        raise AddressError("the part before @ cannot be used")
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise AddressError("the domain is not a valid (international) domain name") from exc
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise AddressError("the domain is not a valid domain name")
    return Recipient(local, ascii_domain)


def _sender_parts(sender: str) -> tuple[str, str]:
    """(display name, address) of the configured sender."""
    check_text(sender, "the sender")
    name, address = parseaddr(sender)
    if "@" not in address or not address.isascii():
        raise ValueError("the sender needs an ASCII address: Name <user@domain>")
    return name, address


def _message_id(message_id: str, domain: str) -> str:
    """``<id@domain>``: the same for every send of one outbox item; characters that may not
    stand in a Message-ID are written as ``=XX`` (still one-to-one)."""
    check_text(message_id, "the message id")
    left = "".join(
        char if _ATEXT.fullmatch(char) else "".join(f"={b:02X}" for b in char.encode())
        for char in message_id
    ).strip(".")
    left = re.sub(r"\.{2,}", ".", left)
    if not left:
        raise ValueError("an empty message id")
    return f"<{left}@{domain}>"


def build_mime(message: Message, sender: str) -> bytes:
    """The message as it goes on the wire (CRLF, 7-bit bodies, quoted-printable UTF-8): text
    and, when given, HTML as multipart/alternative. Raises ValueError for a control character
    in any header, AddressError for an address that cannot be written."""
    to = recipient(message.to)
    name, from_address = _sender_parts(sender)
    check_text(message.subject, "the subject")
    extra = []
    for key, value in message.headers:
        if not _HEADER_NAME.fullmatch(key):
            raise ValueError(f"not a header name: {key!r}")
        if key.lower() in OWN_HEADERS or key.lower().startswith("content-"):
            raise ValueError(f"the header {key} is set by the mailer")
        extra.append((key, check_text(value, f"the header {key}")))
    domain = from_address.rpartition("@")[2]
    mime = EmailMessage(policy=policy.SMTPUTF8 if to.needs_smtputf8 else policy.SMTP)
    mime["From"] = formataddr((name, from_address)) if name else from_address
    mime["To"] = to.address
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(clock.now())
    mime["Message-ID"] = (
        _message_id(message.message_id, domain) if message.message_id else make_msgid(domain=domain)
    )
    mime["Auto-Submitted"] = "auto-generated"
    for key, value in extra:
        mime[key] = value
    mime.set_content(message.text, charset="utf-8", cte="quoted-printable")
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
        for part in mime.iter_parts():
            del part["MIME-Version"]  # once, at the top
    return mime.as_bytes()


def _ids(message: Message) -> str:
    return message.message_id or "(no id)"


class Mailer(ABC):
    """Where messages go."""

    @abstractmethod
    def send(self, message: Message) -> str:
        """Hand ``message`` over; returns the backend's message id. Raises MailError (try again
        later), MailRejected (never to this address) or ValueError (a caller's bug)."""


class SmtpMailer(Mailer):
    """A plain SMTP server (the local one of ``make dev`` and the tests): no TLS, no login."""

    def __init__(self, host: str, port: int, sender: str, timeout: float = SMTP_TIMEOUT) -> None:
        self.host, self.port, self.sender, self.timeout = host, int(port), sender, timeout

    def send(self, message: Message) -> str:
        import smtplib  # here: SES's functions never load it

        try:
            to = recipient(message.to)
        except AddressError as exc:
            raise MailRejected(str(exc)) from exc
        data = build_mime(message, self.sender)
        envelope_from = _sender_parts(self.sender)[1]
        options = ["SMTPUTF8"] if to.needs_smtputf8 else []
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.sendmail(envelope_from, [to.address], data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise MailRejected(f"the SMTP server refused the recipient ({codes})") from exc
            raise MailError(f"the SMTP server deferred the recipient ({codes})") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailRejected("the SMTP server cannot take an international address") from exc
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(f"the SMTP server refused the sender ({exc.smtp_code})") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise MailRejected(
                    f"the SMTP server refused the message ({exc.smtp_code})"
                ) from exc
            raise MailError(f"the SMTP server deferred the message ({exc.smtp_code})") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(
                f"SMTP {self.host}:{self.port} unreachable: {type(exc).__name__}"
            ) from exc
        backend_id = _header_id(data)
        logger.info("mail %s sent by SMTP as %s", _ids(message), backend_id)
        return backend_id


def _header_id(data: bytes) -> str:
    match = re.search(rb"^Message-ID: <([^>\r\n]+)>", data, re.M | re.I)
    return match.group(1).decode() if match else ""


# SES error codes that concern the recipient (or this message to it), not the account.
SES_REJECTED = frozenset({"MessageRejected"})


class SesMailer(Mailer):
    """Amazon SES (API v2) ``send_email`` with the raw MIME of ``build_mime``."""

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
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            to = recipient(message.to)
        except AddressError as exc:
            raise MailRejected(str(exc)) from exc
        if to.needs_smtputf8:  # SES takes no SMTPUTF8: such an address can never be sent to
            raise MailRejected("SES cannot send to a non-ASCII local part")
        name, address = _sender_parts(self.sender)
        request: dict[str, Any] = {
            # SES wants a non-ASCII display name as an RFC 2047 encoded word (formataddr's).
            "FromEmailAddress": formataddr((name, address)) if name else address,
            "Destination": {"ToAddresses": [to.address]},
            "Content": {"Raw": {"Data": build_mime(message, self.sender)}},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            answer = self.client.send_email(**request)
        except ClientError as exc:
            # Only the code: SES's own message may quote the address.
            error = exc.response.get("Error", {})
            code = error.get("Code", "unknown")
            if code in SES_REJECTED or (
                code == "BadRequestException" and "address" in str(error.get("Message", "")).lower()
            ):
                raise MailRejected(f"SES refused the recipient: {code}") from exc
            raise MailError(f"SES refused the message: {code}") from exc
        except BotoCoreError as exc:
            raise MailError(f"SES unreachable: {type(exc).__name__}") from exc
        backend_id = str(answer["MessageId"])
        logger.info("mail %s sent through SES as %s", _ids(message), backend_id)
        return backend_id


@cache
def get() -> Mailer:
    """The mailer of this environment (see the module docstring), built on first use."""
    sender = os.environ.get("MAIL_SENDER", "").strip()
    port = os.environ.get("SMTP_PORT", "").strip()
    if port:
        host = os.environ.get("SMTP_HOST", "").strip() or "127.0.0.1"
        return SmtpMailer(host, int(port), sender or DEV_SENDER)
    if sender:
        return SesMailer(sender, configuration_set=os.environ.get("MAIL_CONFIGURATION_SET") or None)
    raise MailConfigError(
        "no mail backend: set SMTP_PORT (and SMTP_HOST) for an SMTP server, "
        "or MAIL_SENDER for Amazon SES"
    )
