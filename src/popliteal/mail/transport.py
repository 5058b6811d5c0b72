"""Deliver one built message: to an SMTP server (POPLITEAL_SMTP_URL) or, without one, as an
.eml file under var/outbox/ so a laptop demo works offline and shows what would be sent.

Errors come back as two kinds: TemporaryFailure (server down, 4xx: try again later) and
PermanentFailure (5xx, a refused address: trying again cannot help).
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from popliteal.mail.models import OutboxMessage

SMTP_TIMEOUT_SECONDS = 20


class TemporaryFailure(Exception):
    """The message may go through later."""


class PermanentFailure(Exception):
    """The server refused this message for good."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool  # smtps://: TLS from the first byte
    starttls: bool


def parse_smtp_url(url: str) -> SmtpConfig:
    """smtp://user:pass@host:port[?starttls=true] or smtps://user:pass@host:port."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"POPLITEAL_SMTP_URL must start with smtp:// or smtps://, got {url!r}")
    if not parts.hostname:
        raise ValueError("POPLITEAL_SMTP_URL has no host name")
    query = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
    tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if tls else 587)
    except ValueError:
        raise ValueError("POPLITEAL_SMTP_URL has a port that is not a number") from None
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
        starttls=not tls and query.get("starttls", "false") in {"1", "true", "yes", "on"},
    )


def message_id(row: OutboxMessage, domain: str) -> str:
    """The same Message-ID on every attempt: a server that got it twice can tell."""
    created = row.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<outbox-{row.id}-{created}@{domain}>"


def build_message(row: OutboxMessage, *, mail_from: str) -> EmailMessage:
    """The MIME message for an outbox row: plain text, an HTML alternative, attachments."""
    _, sender = parseaddr(mail_from)
    domain = sender.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = Address(addr_spec=row.to_address)
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = message_id(row, domain) if row.id else make_msgid(domain=domain)
    message.set_content(row.text_body)
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
    for item in row.attachments:
        maintype, _, rest = item["content_type"].partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        extra = dict(p.split("=", 1) for p in params if "=" in p)
        message.add_attachment(
            base64.b64decode(item["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=item["filename"],
            params=extra,
        )
    return message


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def send(self, message: EmailMessage) -> None:
        """One connection per message: simple, and a dropped connection loses nothing."""
        c = self.config
        try:
            if c.tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host,
                    c.port,
                    timeout=SMTP_TIMEOUT_SECONDS,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(c.host, c.port, timeout=SMTP_TIMEOUT_SECONDS)
            with client:
                if c.starttls:
                    client.starttls(context=ssl.create_default_context())
                if c.username:
                    client.login(c.username, c.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentFailure(f"address refused: {exc.recipients}") from None
            raise TemporaryFailure(f"address refused for now: {exc.recipients}") from None
        except smtplib.SMTPResponseException as exc:
            text = f"{exc.smtp_code} {exc.smtp_error!r}"
            if 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError):
                raise PermanentFailure(text) from None
            raise TemporaryFailure(text) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from None


class FolderTransport:
    """Each message as an .eml file in a folder only its owner can read (0700)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        name = str(message["Message-ID"]).strip("<>").partition("@")[0] or "message"
        path = self.folder / f"{name}.eml"
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(bytes(message))


def transport_for(smtp_url: str | None, var_dir: Path) -> Transport:
    """SMTP when a URL is set, otherwise the var/outbox/ folder."""
    if smtp_url:
        return SmtpTransport(parse_smtp_url(smtp_url))
    return FolderTransport(var_dir / "outbox")
