"""Customer organizations and their mail domains."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, clean_name, require_role
from doum.accounts.models import Organization, OrganizationDomain, User
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.core.text import normalize


@transaction.atomic
def do_create_organization(
    *,
    actor: User | None,
    name: str,
    domains: Iterable[str] = (),
    notes: str = "",
    shared_tickets: bool = False,
    custom_fields: dict[str, Any] | None = None,
) -> Organization:
    require_role(actor, roles.EDITS_CUSTOMERS, _("Your role may not create organizations."))
    name = clean_name(name)
    if Organization.objects.filter(name__iexact=name).exists():
        raise InvalidInput(_("An organization with this name exists."), field="name")
    org = Organization.objects.create(
        name=name,
        notes=normalize(notes),
        shared_tickets=shared_tickets,
        custom_fields=custom_fields or {},
        created_at=clock.now(),
    )
    _set_domains(org, domains)
    audit(actor, "organization.created", org, name=name)
    return org


def _set_domains(org: Organization, domains: Iterable[str]) -> None:
    cleaned = []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@")
        bad = any(c.isspace() or c in "@/<>" or not c.isprintable() for c in domain)
        if not domain or "." not in domain or bad:
            raise InvalidInput(
                _("'%(domain)s' is not a mail domain.") % {"domain": raw}, field="domains"
            )
        cleaned.append(domain)
    clash = OrganizationDomain.objects.filter(domain__in=cleaned).exclude(organization=org).first()
    if clash is not None:
        raise InvalidInput(
            _("'%(domain)s' belongs to another organization.") % {"domain": clash.domain},
            field="domains",
        )
    OrganizationDomain.objects.filter(organization=org).exclude(domain__in=cleaned).delete()
    OrganizationDomain.objects.bulk_create(
        [OrganizationDomain(organization=org, domain=d) for d in dict.fromkeys(cleaned)],
        ignore_conflicts=True,
    )


ORG_EDITABLE = {"name", "notes", "shared_tickets", "custom_fields", "domains"}


@transaction.atomic
def do_update_organization(
    org: Organization, *, actor: User | None, changes: dict[str, Any]
) -> Organization:
    require_role(actor, roles.EDITS_CUSTOMERS, _("Your role may not edit organizations."))
    unknown = set(changes) - ORG_EDITABLE
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(_("Field '%(field)s' cannot be changed.") % {"field": key}, field=key)
    fields = []
    for key, value in changes.items():
        if key == "domains":
            _set_domains(org, value)
            continue
        if key == "name":
            value = clean_name(value)
            if Organization.objects.filter(name__iexact=value).exclude(pk=org.pk).exists():
                raise InvalidInput(_("An organization with this name exists."), field="name")
        elif key == "notes":
            value = normalize(value)
        setattr(org, key, value)
        fields.append(key)
    if fields:
        org.save(update_fields=fields)
    audit(actor, "organization.updated", org, fields=sorted(changes))
    return org
