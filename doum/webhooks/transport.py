"""One HTTP POST to a webhook, with the connect step in our hands.

Built on the standard library's `http.client` rather than a client with its own resolver,
connection pool and proxy settings: here the host is resolved and vetted by `guard`, the
TCP connection goes to exactly one vetted address, TLS is started with the URL's host name
(SNI and certificate check), and the Host header names the URL's host. Nothing is resolved
twice and no proxy from the environment is used, so what was checked is what is reached.

Limits: connecting takes at most DOUM_WEBHOOK_CONNECT_TIMEOUT_S, the whole request at most
DOUM_WEBHOOK_TIMEOUT_S (a watchdog shuts the socket down when it runs out, so a receiver
that trickles its answer cannot hold a worker), and at most DOUM_WEBHOOK_RESPONSE_MAX_BYTES
of the answer are read. Redirects are never followed: the caller treats a 3xx as a failure.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from doum.webhooks import guard
from doum.webhooks.models import DeliveryError

USER_AGENT = "Doum-Webhooks/1"


@dataclass(frozen=True)
class Limits:
    connect_timeout: float
    total_timeout: float
    max_bytes: int


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes  # at most Limits.max_bytes
    location: str  # the Location header of a redirect ("" otherwise)
    duration_ms: int


class SendFailed(Exception):
    """The request did not get an HTTP answer; `kind` is a DeliveryError value."""

    def __init__(self, kind: str, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.permanent = permanent


def _abort(current: list[socket.socket]) -> None:
    """Shut the connection down under a blocked read or write (the watchdog)."""
    sock = current[-1]
    # socket.socket's own shutdown, also for an SSLSocket: it cuts the TCP connection, which
    # wakes the thread blocked in it, without touching the TLS object in use.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _connect(
    addresses: list[guard.IPAddress], port: int, timeout: float, deadline: float
) -> socket.socket:
    last: OSError | None = None
    for ip in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(min(timeout, remaining))
        try:
            sock.connect((ip.compressed, port))
        except OSError as error:
            sock.close()
            last = error
            continue
        return sock
    if isinstance(last, TimeoutError):
        raise SendFailed(DeliveryError.TIMEOUT, f"connecting timed out ({last})")
    raise SendFailed(DeliveryError.CONNECT, f"could not connect: {last or 'no time left'}")


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    limits: Limits,
    allowed: frozenset[str] | None = None,
) -> Response:
    """POST `body` to `url`; the answer (any status), or SendFailed."""
    started = time.monotonic()
    deadline = started + limits.total_timeout
    try:
        target = guard.parse_url(url)
    except Exception as error:  # a URL saved before the rules changed
        raise SendFailed(DeliveryError.BLOCKED, f"invalid URL: {error}", permanent=True) from error
    allowed = allowed if allowed is not None else guard.allowed_hosts()
    try:
        addresses = guard.vetted_addresses(
            target.host,
            target.port,
            timeout=min(limits.connect_timeout, limits.total_timeout),
            allowed=allowed,
        )
    except guard.Refused as error:
        raise SendFailed(DeliveryError.BLOCKED, str(error), permanent=True) from error
    except guard.ResolveFailed as error:
        raise SendFailed(DeliveryError.DNS, str(error)) from error
    if target.scheme == "http" and target.host not in allowed:
        raise SendFailed(
            DeliveryError.INSECURE,
            f"plain http to {target.host}, which is not on the allowed hosts",
            permanent=True,
        )

    sock = _connect(addresses, target.port, limits.connect_timeout, deadline)
    # The socket the watchdog cuts: the TLS one once it exists (wrapping detaches the TCP one).
    current = [sock]
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0.0), _abort, args=(current,))
    watchdog.daemon = True
    watchdog.start()
    conn: http.client.HTTPConnection | None = None
    try:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        if target.scheme == "https":
            context = ssl.create_default_context()
            sock = context.wrap_socket(
                sock, server_hostname=target.host, do_handshake_on_connect=False
            )
            current.append(sock)
            sock.do_handshake()
        conn = http.client.HTTPConnection(target.host, target.port)
        conn.sock = sock  # already connected (to the vetted address): never connects again
        request_headers = {
            "Host": target.host_header,
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Connection": "close",
            **headers,
        }
        conn.request("POST", target.path, body=body, headers=request_headers)
        answer = conn.getresponse()
        data = answer.read(limits.max_bytes)
        if time.monotonic() >= deadline:  # the watchdog cut the answer short
            raise SendFailed(DeliveryError.TIMEOUT, "the answer took longer than allowed")
        location = answer.getheader("Location", "") or ""
        status = answer.status
    except (ssl.SSLError, ssl.CertificateError) as error:
        raise _failure(DeliveryError.TLS, error, deadline) from error
    except TimeoutError as error:
        raise SendFailed(
            DeliveryError.TIMEOUT, f"no answer in {limits.total_timeout:g} s"
        ) from error
    except (http.client.HTTPException, ValueError) as error:
        raise _failure(DeliveryError.PROTOCOL, error, deadline) from error
    except OSError as error:
        raise _failure(DeliveryError.CONNECT, error, deadline) from error
    finally:
        watchdog.cancel()
        if conn is not None:
            conn.close()
        sock.close()
    duration_ms = int((time.monotonic() - started) * 1000)
    return Response(status, data, location[:500], duration_ms)


def _failure(kind: str, error: BaseException, deadline: float) -> SendFailed:
    """What went wrong; anything that broke once the deadline passed is the watchdog's cut."""
    if time.monotonic() >= deadline:
        return SendFailed(DeliveryError.TIMEOUT, "the request took longer than allowed")
    text = f"{type(error).__name__}: {error}".strip()
    return SendFailed(kind, text)
