"""Where webhooks may go: URL checks when a webhook is saved, and the address check made when
a delivery connects (the real guard: a name can resolve differently later).

At connect time the host is resolved here, every address it resolves to is vetted, and the
transport then connects to exactly one of the vetted addresses (never resolving again), so a
DNS answer that changes between the check and the connection (rebinding) cannot slip in.

An address is refused when it is loopback, private, link-local, shared (carrier-grade NAT,
100.64.0.0/10), reserved or otherwise not global, unless the URL's host is on the allow-list
(the DOUM_WEBHOOK_ALLOWED_HOSTS setting plus `AllowedHost` rows). Cloud metadata addresses,
the unspecified address (0.0.0.0 reaches the local machine) and multicast are refused
whatever the allow-list says. IPv6 forms that embed an IPv4 address (IPv4-mapped
::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo) are judged by the IPv4 address
they carry.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doum.core.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

URL_MAX = 2000
HOST_MAX = 253

# Instance metadata services: never a webhook's target, allow-listed or not.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server (a public address, reachable only inside Azure)
    )
)
SHARED = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

# Kinds of address the allow-list may open; the others stay refused.
ALLOWABLE = frozenset({"loopback", "private", "link_local", "shared", "reserved"})

KIND_LABELS = {
    "metadata": gettext_lazy("cloud metadata service"),
    "unspecified": gettext_lazy("unspecified address"),
    "multicast": gettext_lazy("multicast"),
    "loopback": gettext_lazy("loopback"),
    "link_local": gettext_lazy("link-local"),
    "shared": gettext_lazy("carrier-grade NAT"),
    "private": gettext_lazy("private network"),
    "reserved": gettext_lazy("reserved range"),
}

_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
# Legacy IPv4 spellings that resolvers accept: 127.1, 0x7f.1, 2130706433, 017700000001.
_LEGACY_IPV4 = re.compile(r"^[0-9a-fx.]+$")
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
_PATH_SAFE = "/:@!$&'()*+,;=%?~"


# --- addresses ------------------------------------------------------------------------------


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found: list[ipaddress.IPv4Address] = []
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def address_kind(ip: IPAddress) -> str | None:
    """Why `ip` is no place for a webhook ("loopback", "private", …), or None when it is a
    public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_kind(ip.ipv4_mapped)
        if ip in METADATA:
            return "metadata"
        inner = _embedded_ipv4(ip)
        for v4 in inner:
            kind = address_kind(v4)
            if kind is not None:
                return kind
        if ip in NAT64:  # a DNS64 synthesis of a public IPv4 address: judged by that address
            return None
    if ip in METADATA:
        return "metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in SHARED:
        return "shared"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


def connect_address(ip: IPAddress) -> IPAddress:
    """The address to connect to: an IPv4-mapped IPv6 address is its IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def literal_ip(host: str) -> IPAddress | None:
    """`host` as an IP address when it is one, in any spelling a resolver accepts."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host) and not host.endswith("."):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


# --- hosts and the allow-list ---------------------------------------------------------------


def normalize_host(value: str) -> str:
    """Lower-case ASCII (IDNA) host, without brackets or a trailing dot; IPs in their
    canonical spelling. InvalidInput when it is not a host name or an IP address."""
    host = value.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise InvalidInput(_("Enter a host name or an IP address."), field="host")
    ip = literal_ip(host)
    if ip is not None:
        return ip.compressed
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise InvalidInput(
            _("“%(host)s” is not a valid host name.") % {"host": host[:100]}, field="host"
        ) from error
    if len(ascii_host) > HOST_MAX or not _HOSTNAME.match(ascii_host):
        raise InvalidInput(
            _("“%(host)s” is not a valid host name.") % {"host": host[:100]}, field="host"
        )
    return ascii_host


def setting_hosts() -> frozenset[str]:
    """The hosts the DOUM_WEBHOOK_ALLOWED_HOSTS setting allows (unreadable entries skipped)."""
    found: set[str] = set()
    for value in getattr(settings, "DOUM_WEBHOOK_ALLOWED_HOSTS", []):
        try:
            found.add(normalize_host(str(value)))
        except InvalidInput:
            continue
    return frozenset(found)


def allowed_hosts() -> frozenset[str]:
    """Every allowed host: the setting's and the admins' (read fresh on each call)."""
    from doum.webhooks.models import AllowedHost

    return setting_hosts() | frozenset(AllowedHost.objects.values_list("host", flat=True))


def is_allowed(host: str, allowed: frozenset[str] | None = None) -> bool:
    try:
        host = normalize_host(host)
    except InvalidInput:
        return False
    return host in (allowed if allowed is not None else allowed_hosts())


# --- URLs, when a webhook is saved ----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a URL points: scheme, ASCII host, port, the request target and the Host header."""

    scheme: str
    host: str
    port: int
    path: str
    host_header: str


def parse_url(url: str) -> Target:
    """The parts of an http(s) URL a delivery needs; InvalidInput (field "url") for a URL
    that is malformed, has credentials or a fragment, or is not http(s)."""
    if not url:
        raise InvalidInput(_("Enter the URL that receives the events."), field="url")
    if len(url) > URL_MAX:
        raise InvalidInput(
            _("The URL is longer than %(max)s characters.") % {"max": URL_MAX}, field="url"
        )
    if _UNSAFE_URL_CHARS.search(url):
        raise InvalidInput(
            _("The URL may not contain spaces, backslashes or control characters."), field="url"
        )
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(_("This is not a valid URL."), field="url") from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidInput(_("The URL must start with https://."), field="url")
    if "@" in parts.netloc:
        raise InvalidInput(
            _("Leave the user name and password out of the URL: the signature shows the "
              "receiver that the event comes from Doum."),
            field="url",
        )  # fmt: skip
    if parts.fragment or url.endswith("#"):
        raise InvalidInput(_("Leave the #fragment out of the URL."), field="url")
    if not parts.hostname:
        raise InvalidInput(_("The URL has no host name."), field="url")
    try:
        host = normalize_host(parts.hostname)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="url") from error
    if port == 0:
        raise InvalidInput(_("A port is a number from 1 to 65535."), field="url")
    default_port = 443 if scheme == "https" else 80
    port = port or default_port
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == default_port else f"{shown}:{port}"
    # Non-ASCII in the path or query is sent percent-encoded (existing escapes are kept).
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        path = f"{path}?{quote(parts.query, safe=_PATH_SAFE)}"
    return Target(scheme, host, port, path, host_header)


def check_url(url: str, allowed: frozenset[str] | None = None) -> str:
    """The URL, stripped, when a webhook may be saved with it; InvalidInput with a sentence
    that says what is wrong otherwise.

    This catches the obvious: not http(s), credentials, plain http or a literal private
    address (or "localhost") without the host on the allow-list. A host name that resolves
    to a private address is refused when a delivery connects."""
    url = url.strip()
    target = parse_url(url)
    allowed = allowed if allowed is not None else allowed_hosts()
    listed = target.host in allowed
    ip = literal_ip(target.host)
    kind = address_kind(ip) if ip is not None else None
    if ip is None and (target.host == "localhost" or target.host.endswith(".localhost")):
        kind = "loopback"
    if kind is not None and (kind not in ALLOWABLE or not listed):
        raise InvalidInput(refusal(target.host, kind), field="url")
    if target.scheme == "http" and not listed:
        raise InvalidInput(
            _("Use https://. Plain http is only for hosts on the allowed list."), field="url"
        )
    return url


def refusal(address: str, kind: str) -> str:
    """The sentence that says why a webhook may not point at `address`."""
    params = {"address": address, "kind": KIND_LABELS.get(kind, kind)}
    if kind not in ALLOWABLE:
        return (
            _("%(address)s is not a public address (%(kind)s); Doum never sends webhooks there.")
            % params
        )
    return (
        _("%(address)s is not a public address (%(kind)s); Doum sends webhooks there only "
          "when an admin adds the host to the allowed hosts.")
        % params
    )  # fmt: skip


# --- connect time ---------------------------------------------------------------------------


class Refused(Exception):
    """The host resolves to an address a delivery may not reach."""


class ResolveFailed(Exception):
    """The host name did not resolve (in time)."""


def resolve(host: str, port: int, *, timeout: float) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order, without duplicates.

    getaddrinfo has no timeout of its own: it runs in a daemon thread that is given up on
    after `timeout` seconds (the thread ends when the resolver does)."""
    ip = literal_ip(host)
    if ip is not None:
        return [ip]
    result: list[list[IPAddress]] = []
    failure: list[BaseException] = []

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found: list[IPAddress] = []
            for _family, _type, _proto, _name, sockaddr in infos:
                # Scope ids ("fe80::1%eth0") are cut: the address itself is what is judged.
                address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
                if address not in found:
                    found.append(address)
            result.append(found)
        except (OSError, UnicodeError, ValueError) as error:
            failure.append(error)

    thread = threading.Thread(target=lookup, name="webhook-resolve", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise ResolveFailed(f"no answer from the resolver for {host} in {timeout:g} s")
    if failure:
        raise ResolveFailed(f"{host}: {failure[0]}")
    if not result or not result[0]:
        raise ResolveFailed(f"{host} has no address")
    return result[0]


def vetted_addresses(
    host: str, port: int, *, timeout: float, allowed: frozenset[str] | None = None
) -> list[IPAddress]:
    """The addresses a delivery to `host` may connect to (all of those it resolves to), or
    Refused naming the first one that may not be reached: one bad address refuses the host,
    so a name that answers with a public and a private address cannot be used to reach
    the private one."""
    allowed = allowed if allowed is not None else allowed_hosts()
    listed = host in allowed
    addresses = resolve(host, port, timeout=timeout)
    for ip in addresses:
        kind = address_kind(ip)
        if kind is not None and (kind not in ALLOWABLE or not listed):
            raise Refused(refusal_detail(host, ip, kind))
    connect_to: list[IPAddress] = []
    for ip in addresses:
        target = connect_address(ip)
        if target not in connect_to:
            connect_to.append(target)
    return connect_to


def refusal_detail(host: str, ip: IPAddress, kind: str) -> str:
    """The stored (English, technical) detail of a refusal; pages show the translated kind."""
    where = host if host == ip.compressed else f"{host} resolves to {ip.compressed}, which"
    return f"{where} is {kind.replace('_', '-')} address space"
