"""A real HTTP receiver on 127.0.0.1 for the webhook tests, and the helpers around it.

`receiver`: an `http.server` in a thread that keeps every request (headers and raw body),
checks its signature with the secret the test gives it, and answers with the statuses the
test queues (200 when none are left). `run_webhook_tasks()` runs the ready tasks of the
"webhooks" queue the way `db_worker --batch` does (see tests/mail/test_outbound.py).
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from doum.webhooks import actions, signing
from doum.webhooks.models import Webhook
from tests.personas import World
from tests.tasks import run_queue

ALL_TICKET_EVENTS = ["ticket.created", "ticket.updated", "comment.added", "ticket.solved"]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return self.headers.get("x-doum-event", "")


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0  # seconds before answering
    trickle: float = 0.0  # seconds between single bytes of the body (headers sent first)


@dataclass
class Receiver:
    host: str
    port: int
    secret: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook", host: str | None = None) -> str:
        shown = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"http://{shown}:{self.port}{path}"

    def answer(self, *answers: Answer) -> None:
        with self.lock:
            self.answers.extend(answers)

    def next_answer(self) -> Answer:
        with self.lock:
            return self.answers.pop(0) if self.answers else Answer()


def _handler(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok = bool(receiver.secret) and signing.verify(
                receiver.secret,
                timestamp=headers.get("x-doum-timestamp", ""),
                body=body,
                signature_header=headers.get("x-doum-signature", ""),
                now=time.time(),
            )
            with receiver.lock:
                receiver.received.append(Received("POST", self.path, headers, body, ok))
            answer = receiver.next_answer()
            if answer.delay:
                time.sleep(answer.delay)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                if answer.trickle:
                    for byte in answer.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.trickle)
                else:
                    self.wfile.write(answer.body)
            except OSError:
                pass  # the client hung up (the tests of timeouts)

        do_GET = do_POST

    return Handler


def start_receiver(host: str = "127.0.0.1") -> tuple[Receiver, http.server.ThreadingHTTPServer]:
    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True
        block_on_close = False  # a handler still sleeping (timeout tests) is not waited for

    receiver = Receiver(host, 0)
    server = Server((host, 0), _handler(receiver))
    receiver.port = int(server.server_address[1])
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return receiver, server


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.DOUM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.DOUM_WEBHOOK_TIMEOUT_S = 5
    found, server = start_receiver()
    yield found
    server.shutdown()
    server.server_close()


def make_webhook(world: World, receiver: Receiver, **kw: Any) -> Webhook:
    args: dict[str, Any] = {"name": "Receiver", "url": receiver.url(), "events": ALL_TICKET_EVENTS}
    args.update(kw)
    webhook = actions.do_create_webhook(actor=world.admin, **args)
    receiver.secret = webhook.secret
    return webhook


def run_webhook_tasks() -> list[DBTaskResult]:
    """Run the ready tasks of the "webhooks" queue, like `db_worker --queue-name webhooks
    --batch`, inside the test's transaction."""
    return run_queue("webhooks")
