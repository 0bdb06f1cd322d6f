"""Real mail servers on 127.0.0.1 for the mail tests.

`smtp_sink`: an aiosmtpd server that keeps every message it receives (the outbound side);
Django's SMTP backend is pointed at it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

# aiosmtpd logs every session at INFO from its own thread, sometimes after pytest has closed
# the stream it captured; its warnings and errors still show.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SinkHandler:
    received: list[Received] = field(default_factory=list)
    # Answer the next N messages with a temporary failure (tests of retries).
    fail_next: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail_next > 0:
            self.fail_next -= 1
            return "451 4.3.0 try again later"
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 OK"


@dataclass
class SmtpSink:
    host: str
    port: int
    handler: SinkHandler

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield SmtpSink("127.0.0.1", port, handler)
    finally:
        controller.stop()
