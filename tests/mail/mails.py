"""Building test mail as raw bytes, the way a mail client would send it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def mail(
    *,
    sender: str = "Pat Kim <pat@example.com>",
    to: str = "help@acme.test",
    cc: Sequence[str] = (),
    subject: str = "My card was declined",
    body: str = "Hello, my card was declined twice today.",
    html: str | None = None,
    message_id: str | None = "auto",
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 22, 6, 0, tzinfo=UTC))
    if message_id == "auto":
        msg["Message-ID"] = make_msgid(domain="example.com")
    elif message_id is not None:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def message_id_of(raw: bytes) -> str:
    for line in raw.split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise AssertionError("no Message-ID")
