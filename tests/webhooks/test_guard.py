"""Where webhooks may go. The connect-time guard refuses loopback, private, link-local,
metadata and other non-public addresses (in every spelling, and behind host names) before
any connection is made, unless the allow-list names the host; it resolves once and connects
to the address it vetted. The save-time check refuses the obvious with a clear sentence."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import pytest

from doum.accounts.models import AuditLog
from doum.core.errors import Forbidden, InvalidInput
from doum.webhooks import actions, guard, transport
from doum.webhooks.models import AllowedHost, DeliveryError
from tests.personas import World
from tests.webhooks.conftest import Receiver, start_receiver

LIMITS = transport.Limits(connect_timeout=2, total_timeout=5, max_bytes=4096)


def post(url: str, allowed: set[str]) -> transport.Response:
    return transport.post(url, b"{}", {}, limits=LIMITS, allowed=frozenset(allowed))


def refused(url: str, allowed: set[str] = frozenset()) -> transport.SendFailed:  # type: ignore[assignment]
    with pytest.raises(transport.SendFailed) as caught:
        post(url, set(allowed))
    assert caught.value.kind == DeliveryError.BLOCKED, caught.value.detail
    assert caught.value.permanent
    return caught.value


def test_address_kinds() -> None:
    table = {
        "8.8.8.8": None, "2606:4700::1111": None, "::ffff:8.8.8.8": None,
        "64:ff9b::808:808": None,  # DNS64 synthesis of a public address
        "127.0.0.1": "loopback", "127.9.9.9": "loopback", "::1": "loopback",
        "::ffff:127.0.0.1": "loopback", "64:ff9b::7f00:1": "loopback",
        "2002:7f00:1::": "loopback",  # 6to4 around 127.0.0.1
        "10.1.2.3": "private", "172.16.0.1": "private", "192.168.1.1": "private",
        "fd12::1": "private", "::ffff:10.0.0.1": "private",
        "169.254.169.254": "metadata", "fd00:ec2::254": "metadata",
        "::ffff:169.254.169.254": "metadata", "100.100.100.200": "metadata",
        "169.254.1.1": "link_local", "fe80::1": "link_local",
        "100.64.0.1": "shared", "100.127.255.254": "shared",
        "0.0.0.0": "unspecified", "::": "unspecified",
        "224.0.0.1": "multicast", "ff02::1": "multicast",
        "240.0.0.1": "reserved", "192.0.2.10": "private", "198.18.0.1": "private",
    }  # fmt: skip
    for text, kind in table.items():
        assert guard.address_kind(ipaddress.ip_address(text)) == kind, text


def test_private_targets_are_refused_at_connect_time_before_any_connection(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    connects: list[Any] = []
    real_connect = socket.socket.connect

    def spy(self: socket.socket, address: Any) -> None:
        connects.append(address)
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    port = receiver.port
    for url in [
        f"http://127.0.0.1:{port}/hook", f"https://127.0.0.1:{port}/hook",
        f"http://[::1]:{port}/", "http://10.1.2.3/", "https://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
        f"http://[::ffff:127.0.0.1]:{port}/", f"http://localhost:{port}/",
        "http://100.64.0.1/", f"http://0.0.0.0:{port}/", f"http://2130706433:{port}/",
        f"http://127.1:{port}/", f"http://0x7f000001:{port}/", "http://[fe80::1]/",
    ]:  # fmt: skip
        refused(url)
    assert connects == [] and receiver.received == []
    detail = refused(f"http://localhost:{port}/").detail
    assert detail == "localhost resolves to 127.0.0.1, which is loopback address space"


def test_the_allow_list_opens_named_hosts_but_never_metadata(receiver: Receiver) -> None:
    port = receiver.port
    assert post(f"http://127.0.0.1:{port}/a", {"127.0.0.1"}).status == 200
    assert post(f"http://localhost:{port}/b", {"localhost"}).status == 200
    assert post(f"http://[::ffff:127.0.0.1]:{port}/c", {"::ffff:7f00:1"}).status == 200
    assert [r.path for r in receiver.received] == ["/a", "/b", "/c"]
    # The list names hosts: 127.0.0.1 on it does not open "localhost".
    refused(f"http://localhost:{port}/", {"127.0.0.1"})
    refused("http://169.254.169.254/", {"169.254.169.254"})
    refused(f"http://0.0.0.0:{port}/", {"0.0.0.0"})


def test_ipv6_loopback_through_the_allow_list() -> None:
    six, server = start_receiver("::1")
    try:
        refused(f"http://[::1]:{six.port}/")
        assert post(f"http://[::1]:{six.port}/six", {"::1"}).status == 200
        assert six.received[0].headers["host"] == f"[::1]:{six.port}"
    finally:
        server.shutdown()
        server.server_close()


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve the given names to the given addresses (others as usual); the names asked."""
    asked: list[str] = []
    real: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host in answers:
            asked.append(host)
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port) if ":" not in a else (a, port, 0, 0))
                for a in answers[host]
            ]  # fmt: skip
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_one_private_answer_refuses_a_name_that_also_has_public_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns(monkeypatch, {"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    error = refused("https://mixed.example/hook")
    assert "10.0.0.7" in error.detail and "private" in error.detail


def test_it_resolves_once_and_connects_to_the_address_it_vetted(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = fake_dns(monkeypatch, {"hooks.internal.test": ["127.0.0.1"]})
    refused(f"http://hooks.internal.test:{receiver.port}/x")  # not on the list
    response = post(f"http://hooks.internal.test:{receiver.port}/x", {"hooks.internal.test"})
    assert response.status == 200
    # One lookup per request: nothing resolves the name again between check and connect.
    assert asked == ["hooks.internal.test", "hooks.internal.test"]
    assert receiver.received[0].headers["host"] == f"hooks.internal.test:{receiver.port}"


def test_a_name_that_does_not_resolve_is_a_retryable_failure() -> None:
    with pytest.raises(transport.SendFailed) as caught:
        post("https://no-such-host.invalid/hook", set())
    assert caught.value.kind == DeliveryError.DNS and not caught.value.permanent


# --- when a webhook is saved --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "Enter the URL"),
        ("javascript:alert(1)", "must start with https://"),
        ("ftp://example.com/hook", "must start with https://"),
        ("https://user:pw@example.com/", "Leave the user name and password out"),
        ("https://example.com/hook#part", "#fragment"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/\r\nX-Injected: 1", "control characters"),
        ("https://example.com:0/", "1 to 65535"),
        ("https://example.com:99999/", "not a valid URL"),
        ("https://", "no host name"),
        ("https://exa$mple.com/", "not a valid host name"),
        ("http://example.com/hook", "Use https://"),
        ("https://127.0.0.1/hook", "(loopback); Doum sends webhooks there only when"),
        ("https://[::1]/", "(loopback)"),
        ("https://localhost:8000/", "(loopback)"),
        ("https://2130706433/", "(loopback)"),
        ("https://10.20.30.40/", "(private network)"),
        ("https://[::ffff:10.0.0.1]/", "(private network)"),
        ("https://169.254.169.254/latest", "(cloud metadata service); Doum never sends"),
        ("https://" + "a" * 2001 + ".com/", "longer than 2000"),
    ],
)
def test_saving_refuses_bad_urls_with_a_sentence(url: str, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        guard.check_url(url, allowed=frozenset())
    assert caught.value.field == "url"
    assert says in caught.value.message, caught.value.message


def test_saving_accepts_public_https_and_allowed_hosts() -> None:
    assert guard.check_url(" https://hooks.example.com/doum?x=1 ", frozenset()) == (
        "https://hooks.example.com/doum?x=1"
    )
    assert guard.check_url("http://127.0.0.1:8080/h", frozenset({"127.0.0.1"}))
    assert guard.check_url("https://LocalHost/h", frozenset({"localhost"}))
    target = guard.parse_url("https://Bücher.example:8443/경로?q=가")
    assert target.host == "xn--bcher-kva.example" and target.port == 8443
    assert target.host_header == "xn--bcher-kva.example:8443"
    assert target.path == "/%EA%B2%BD%EB%A1%9C?q=%EA%B0%80"


# --- the allowed hosts --------------------------------------------------------------------


def test_admins_allow_hosts_normalised_and_audited(world: World, settings: Any) -> None:
    settings.DOUM_WEBHOOK_ALLOWED_HOSTS = ["hooks.from-settings.test"]
    row = actions.do_add_allowed_host(actor=world.admin, host=" LocalHost. ", note="dev box")
    assert row.host == "localhost"
    assert actions.do_add_allowed_host(actor=world.admin, host="[::1]").host == "::1"
    assert guard.allowed_hosts() == {"localhost", "::1", "hooks.from-settings.test"}
    for bad, says in [
        ("169.254.169.254", "never"), ("0.0.0.0", "never"), ("not a host!", "not a valid"),
        ("", "Enter a host"), ("localhost", "already on the list"),
        ("hooks.from-settings.test", "setting"),
    ]:  # fmt: skip
        with pytest.raises(InvalidInput) as caught:
            actions.do_add_allowed_host(actor=world.admin, host=bad)
        assert says in caught.value.message and caught.value.field == "host", bad
    with pytest.raises(Forbidden):
        actions.do_add_allowed_host(actor=world.manager, host="evil.test")
    actions.do_remove_allowed_host(row.pk, actor=world.admin)
    assert set(AllowedHost.objects.values_list("host", flat=True)) == {"::1"}
    assert list(
        AuditLog.objects.filter(action__startswith="webhook.host").values_list("action", flat=True)
    ) == ["webhook.host_allowed", "webhook.host_allowed", "webhook.host_disallowed"]
