"""Support mailboxes: create, change and deactivate them (admins only).

Each writer validates every value (an error names its field), writes the row and one audit
row in one transaction, and forgets the cached set of Doum's own addresses after commit. The
IMAP password is never written to the audit log: only the fact that it changed.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, clean_name, require_role
from doum.accounts.identities import normalize_identity
from doum.accounts.models import Brand, Identity, Team, User
from doum.core import clock
from doum.core.errors import DoumError, InvalidInput
from doum.core.text import normalize
from doum.mail import addresses
from doum.mail.models import Mailbox

# Host names (RFC 1123 labels) and IPv4 addresses; IPv6 literals with or without brackets.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_IPV6 = re.compile(r"^\[?[0-9a-f:.]{2,45}\]?$")
_LINE_BREAKS = re.compile(r"[\r\n\x85\u2028\u2029]")
# Characters that would let a display name pose as another address in a From header.
_NAME_FORBIDDEN = set('<>"')

NAME_MAX = 100
FOLDER_MAX = 200
USERNAME_MAX = 254
PASSWORD_MAX = 500

# Fields whose change means the last polling error no longer describes the settings.
IMAP_FIELDS = frozenset(
    {"imap_host", "imap_port", "imap_security", "imap_username", "imap_password",
     "imap_folder", "imap_move_to"}
)  # fmt: skip
EDITABLE = frozenset({"name", "address", "brand_id", "team_id", "is_active"}) | IMAP_FIELDS


def _clean_mailbox_name(value: str) -> str:
    if _LINE_BREAKS.search(value):
        raise InvalidInput(_("The name must be one line."), field="name")
    name = clean_name(value, field="name", max_length=NAME_MAX)
    if _NAME_FORBIDDEN & set(name):
        raise InvalidInput(
            _('The name is shown as the sender of mail; it may not contain < > or ".'),
            field="name",
        )
    return name


def _clean_address(value: str, *, exclude_pk: int | None) -> str:
    try:
        address = normalize_identity(Identity.Kind.EMAIL, value)
    except DoumError as error:
        raise InvalidInput(error.message, field="address") from error
    if len(address) > 254:
        raise InvalidInput(_("This is not a valid e-mail address."), field="address")
    if "+" in address.partition("@")[0]:
        raise InvalidInput(
            _("Use the address without a +detail; Doum adds its own to reply addresses."),
            field="address",
        )
    taken = Mailbox.objects.filter(address=address)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise InvalidInput(_("Another mailbox has this address."), field="address")
    return address


def _clean_brand(brand_id: object) -> int:
    if not isinstance(brand_id, int) or not Brand.objects.filter(pk=brand_id).exists():
        raise InvalidInput(_("Choose a brand."), field="brand")
    return brand_id


def _clean_team(team_id: object) -> int | None:
    if team_id is None:
        return None
    if not isinstance(team_id, int) or not Team.objects.filter(pk=team_id).exists():
        raise InvalidInput(_("No such team."), field="team")
    return team_id


def _clean_host(value: str) -> str:
    host = value.strip().lower().rstrip(".")
    if not host:
        return ""
    if len(host) > 253 or not (_HOST.match(host) or (":" in host and _IPV6.match(host))):
        raise InvalidInput(
            _("Enter a host name such as imap.example.com, without a scheme, port or spaces."),
            field="imap_host",
        )
    return host


def _clean_port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise InvalidInput(_("A port is a number from 1 to 65535."), field="imap_port")
    return value


def _clean_security(value: str) -> str:
    if value not in Mailbox.Security.values:
        raise InvalidInput(_("Choose how to connect."), field="imap_security")
    return value


def _clean_line(value: str, *, field: str, max_length: int, blank: bool) -> str:
    """An IMAP user name or folder: one line (a line break would end the IMAP command)."""
    if _LINE_BREAKS.search(value) or "\x00" in value:
        raise InvalidInput(_("This must be one line."), field=field)
    cleaned = normalize(value).strip()
    if not cleaned and not blank:
        raise InvalidInput(_("This field may not be blank."), field=field)
    if len(cleaned) > max_length:
        raise InvalidInput(
            _("At most %(max_length)s characters.") % {"max_length": max_length}, field=field
        )
    return cleaned


def _clean_password(value: str) -> str:
    if _LINE_BREAKS.search(value) or "\x00" in value:
        raise InvalidInput(_("The password may not contain line breaks."), field="imap_password")
    if len(value) > PASSWORD_MAX:
        raise InvalidInput(
            _("At most %(max_length)s characters.") % {"max_length": PASSWORD_MAX},
            field="imap_password",
        )
    return value


def _check_imap(mailbox: Mailbox) -> None:
    """The IMAP settings as a whole: with a host, Doum needs a user name and a password."""
    if not mailbox.imap_host:
        return
    if not mailbox.imap_username:
        raise InvalidInput(_("Polling by IMAP needs a user name."), field="imap_username")
    if not mailbox.imap_password:
        raise InvalidInput(_("Polling by IMAP needs a password."), field="imap_password")
    if mailbox.imap_move_to and mailbox.imap_move_to == mailbox.imap_folder:
        raise InvalidInput(
            _("Mail cannot be moved to the folder it is fetched from."), field="imap_move_to"
        )


def _clean(field: str, value: Any, *, pk: int | None) -> Any:
    """One field's value, validated and normalised."""
    if field == "name":
        return _clean_mailbox_name(str(value))
    if field == "address":
        return _clean_address(str(value), exclude_pk=pk)
    if field == "brand_id":
        return _clean_brand(value)
    if field == "team_id":
        return _clean_team(value)
    if field == "is_active":
        return bool(value)
    if field == "imap_host":
        return _clean_host(str(value))
    if field == "imap_port":
        return _clean_port(value)
    if field == "imap_security":
        return _clean_security(str(value))
    if field == "imap_username":
        return _clean_line(str(value), field=field, max_length=USERNAME_MAX, blank=True)
    if field == "imap_password":
        return _clean_password(str(value))
    if field in ("imap_folder", "imap_move_to"):
        return _clean_line(
            str(value), field=field, max_length=FOLDER_MAX, blank=field == "imap_move_to"
        )
    raise InvalidInput(_("This field cannot be changed."), field=field)


def _audit_data(mailbox: Mailbox) -> dict[str, Any]:
    """What the audit log keeps of a mailbox: everything but the password."""
    return {
        "name": mailbox.name,
        "address": mailbox.address,
        "brand": mailbox.brand_id,
        "team": mailbox.team_id,
        "is_active": mailbox.is_active,
        "imap_host": mailbox.imap_host,
        "imap_username": mailbox.imap_username,
    }


def _save(mailbox: Mailbox, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            mailbox.save(**kwargs)
    except IntegrityError as exc:  # a concurrent create with the same address
        raise InvalidInput(_("Another mailbox has this address."), field="address") from exc
    transaction.on_commit(addresses.forget_own_addresses)


@transaction.atomic
def do_create_mailbox(
    *,
    actor: User | None,
    name: str,
    address: str,
    brand_id: int,
    team_id: int | None = None,
    is_active: bool = True,
    imap_host: str = "",
    imap_port: int = 993,
    imap_security: str = Mailbox.Security.SSL,
    imap_username: str = "",
    imap_password: str = "",
    imap_folder: str = "INBOX",
    imap_move_to: str = "",
) -> Mailbox:
    require_role(actor, roles.ADMINISTERS, _("Only admins may set up mailboxes."))
    values = {
        "name": name, "address": address, "brand_id": brand_id, "team_id": team_id,
        "is_active": is_active, "imap_host": imap_host, "imap_port": imap_port,
        "imap_security": imap_security, "imap_username": imap_username,
        "imap_password": imap_password, "imap_folder": imap_folder,
        "imap_move_to": imap_move_to,
    }  # fmt: skip
    cleaned = {field: _clean(field, value, pk=None) for field, value in values.items()}
    at = clock.now()
    mailbox = Mailbox(**cleaned, created_at=at, updated_at=at)
    _check_imap(mailbox)
    _save(mailbox, force_insert=True)
    audit(actor, "mailbox.created", mailbox, **_audit_data(mailbox))
    return mailbox


@transaction.atomic
def do_update_mailbox(mailbox: Mailbox, *, actor: User | None, **changes: Any) -> Mailbox:
    """Change the given fields (see EDITABLE). An empty ``imap_password`` keeps the stored
    one; a change to the IMAP settings clears the last polling error."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may change mailboxes."))
    current = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    if changes.get("imap_password") == "":
        del changes["imap_password"]
    changed: list[str] = []
    for field, value in changes.items():
        if field not in EDITABLE:
            raise InvalidInput(_("This field cannot be changed."), field=field)
        cleaned = _clean(field, value, pk=current.pk)
        if getattr(current, field) != cleaned:
            setattr(current, field, cleaned)
            changed.append(field)
    if not changed:
        return current
    _check_imap(current)
    if IMAP_FIELDS & set(changed):
        current.last_error = ""
        current.last_error_at = None
    current.updated_at = clock.now()
    _save(current)
    data = {k: v for k, v in _audit_data(current).items() if k in changed or k + "_id" in changed}
    action = "mailbox.updated"
    if changed == ["is_active"]:
        action = "mailbox.reactivated" if current.is_active else "mailbox.deactivated"
    audit(actor, action, current, changed=sorted(changed), **data)
    return current


def do_deactivate_mailbox(mailbox: Mailbox, *, actor: User | None) -> Mailbox:
    """Stop polling and stop treating mail for it as a support address's; the row stays."""
    return do_update_mailbox(mailbox, actor=actor, is_active=False)


def do_reactivate_mailbox(mailbox: Mailbox, *, actor: User | None) -> Mailbox:
    return do_update_mailbox(mailbox, actor=actor, is_active=True)
