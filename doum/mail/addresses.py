"""Doum's own mail identifiers: Message-IDs, the reply-to plus-address token, and the set of
addresses that are Doum's own (mail from them is never processed as a customer's)."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from email.utils import parseaddr

from django.conf import settings
from django.core.cache import cache

from doum.core.text import single_line

MID_MAX = 255
_TOKEN = re.compile(r"^t(\d{1,12})-([0-9a-f]{12})$")


def make_message_id() -> str:
    """A new Message-ID for a message Doum sends (without angle brackets)."""
    return f"doum.{uuid.uuid4().hex}@{settings.DOUM_MAIL_DOMAIN}"


def mid_key(message_id: str) -> str:
    """The form a Message-ID is stored and compared in: no brackets or spaces; ids too long
    for the column are replaced by their hash (both when stored and when looked up)."""
    value = single_line(message_id).strip().strip("<>").strip()
    if len(value) > MID_MAX:
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return value


def _mac(ticket_id: int) -> str:
    key = hashlib.sha256(("doum-mail-reply:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, str(ticket_id).encode(), hashlib.sha256).hexdigest()[:12]


def reply_token(ticket_id: int) -> str:
    """The token in `support+<token>@...`: the ticket number and a MAC over it, so that a
    guessed or altered token never matches."""
    return f"t{ticket_id}-{_mac(ticket_id)}"


def parse_reply_token(token: str) -> int | None:
    m = _TOKEN.match(token.strip().lower())
    if m is None:
        return None
    ticket_id = int(m.group(1))
    return ticket_id if hmac.compare_digest(m.group(2), _mac(ticket_id)) else None


def plus_address(address: str, ticket_id: int) -> str:
    """support@example.com -> support+t42-0123456789ab@example.com"""
    local, _at, domain = address.partition("@")
    local = local.split("+", 1)[0]
    return f"{local}+{reply_token(ticket_id)}@{domain}"


def ticket_from_address(address: str) -> int | None:
    """The ticket a plus-address points at, if its token is genuine."""
    local = address.partition("@")[0]
    if "+" not in local:
        return None
    return parse_reply_token(local.split("+", 1)[1])


def base_address(address: str) -> str:
    """The address without its +detail: support+t1-...@x -> support@x (lower-case)."""
    local, _at, domain = address.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if domain else local


def default_from_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()


OWN_CACHE_KEY = "doum:mail:own-addresses"


def own_addresses() -> frozenset[str]:
    """Every address that is Doum's: mailboxes, brands' support addresses, the default From.
    Cached for 30 s; `forget_own_addresses()` after a mailbox or brand changes."""
    cached = cache.get(OWN_CACHE_KEY)
    if cached is not None:
        return frozenset(cached)
    from doum.accounts.models import Brand
    from doum.mail.models import Mailbox

    found = {default_from_address()}
    found.update(a.lower() for a in Mailbox.objects.values_list("address", flat=True))
    for addresses in Brand.objects.values_list("support_addresses", flat=True):
        found.update(str(a).strip().lower() for a in addresses or ())
    found.discard("")
    cache.set(OWN_CACHE_KEY, sorted(found), 30)
    return frozenset(found)


def forget_own_addresses() -> None:
    cache.delete(OWN_CACHE_KEY)


def is_own_address(address: str) -> bool:
    return base_address(address) in own_addresses()
