"""The HTTP step of a delivery: a receiver that is slow, or trickles its answer, is cut off at
the total time limit; a huge answer is read only up to the cap; and HTTPS goes to the vetted
address with the URL's host name for SNI, the certificate check and the Host header."""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from doum.webhooks import actions, delivery, transport
from doum.webhooks.models import DeliveryError, DeliveryStatus, WebhookDelivery
from tests.personas import World
from tests.webhooks.conftest import Answer, Receiver, _handler, make_webhook
from tests.webhooks.test_guard import fake_dns

QUICK = transport.Limits(connect_timeout=1, total_timeout=0.6, max_bytes=4096)
LOCAL = frozenset({"127.0.0.1"})


def test_a_slow_receiver_times_out(receiver: Receiver) -> None:
    receiver.answer(Answer(delay=3))
    with pytest.raises(transport.SendFailed) as caught:
        transport.post(receiver.url(), b"{}", {}, limits=QUICK, allowed=LOCAL)
    assert caught.value.kind == DeliveryError.TIMEOUT and not caught.value.permanent


def test_a_trickling_answer_is_cut_off_at_the_total_limit(receiver: Receiver) -> None:
    # One byte every 0.1 s keeps every single read under any per-read timeout; only the
    # whole-request limit stops it.
    receiver.answer(Answer(body=b"x" * 100, trickle=0.1))
    with pytest.raises(transport.SendFailed) as caught:
        transport.post(receiver.url(), b"{}", {}, limits=QUICK, allowed=LOCAL)
    assert caught.value.kind == DeliveryError.TIMEOUT


def test_a_huge_answer_is_read_up_to_the_cap_and_excerpted(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.DOUM_WEBHOOK_RESPONSE_MAX_BYTES = 8192
    webhook = make_webhook(world, receiver, events=["trigger"])
    receiver.answer(Answer(body=b"<html>" + b"A" * 2_000_000))
    pk = actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
    assert pk is not None and delivery.send_delivery(pk) == DeliveryStatus.SUCCEEDED
    row = WebhookDelivery.objects.get(pk=pk)
    assert row.response_excerpt.startswith("<html>AAA")
    assert len(row.response_excerpt) == delivery.EXCERPT_MAX


def test_nothing_listening_is_a_retryable_connect_failure(receiver: Receiver) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    with pytest.raises(transport.SendFailed) as caught:
        transport.post(f"http://127.0.0.1:{port}/", b"{}", {}, limits=QUICK, allowed=LOCAL)
    assert caught.value.kind == DeliveryError.CONNECT and not caught.value.permanent


# --- HTTPS ----------------------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.example.test",
         "-addext", "subjectAltName=DNS:hooks.example.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_receiver(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Receiver, list[str]]]:
    cert, key = certificate
    server_names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: server_names.append(str(name)) or None

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        block_on_close = False

    found = Receiver("127.0.0.1", 0)
    server = Server(("127.0.0.1", 0), _handler(found))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    found.port = int(server.server_address[1])
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()

    # Doum trusts this test's certificate (and the system's CAs are not needed here).
    real = ssl.create_default_context

    def trusting_context() -> ssl.SSLContext:
        return real(cafile=str(cert))

    monkeypatch.setattr(transport.ssl, "create_default_context", trusting_context)
    fake_dns(
        monkeypatch, {"hooks.example.test": ["127.0.0.1"], "other.example.test": ["127.0.0.1"]}
    )
    yield found, server_names
    server.shutdown()
    server.server_close()


def test_https_goes_to_the_vetted_address_with_the_hosts_name(
    tls_receiver: tuple[Receiver, list[str]],
) -> None:
    found, server_names = tls_receiver
    allowed = frozenset({"hooks.example.test", "other.example.test"})
    url = f"https://hooks.example.test:{found.port}/tls"
    response = transport.post(url, b"{}", {}, limits=QUICK, allowed=allowed)
    assert response.status == 200
    assert server_names == ["hooks.example.test"]
    assert found.received[0].headers["host"] == f"hooks.example.test:{found.port}"
    # The same address under another name: the certificate does not match, nothing is sent.
    with pytest.raises(transport.SendFailed) as caught:
        transport.post(
            f"https://other.example.test:{found.port}/tls", b"{}", {}, limits=QUICK,
            allowed=allowed,
        )  # fmt: skip
    assert caught.value.kind == DeliveryError.TLS
    assert len(found.received) == 1
