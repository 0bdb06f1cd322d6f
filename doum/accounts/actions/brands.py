"""Brands, and the default brand (cached briefly)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, clean_name, require_role
from doum.accounts.identities import normalize_identity
from doum.accounts.models import Brand, Identity, User
from doum.core import clock
from doum.core.errors import InvalidInput, NotFound


@transaction.atomic
def do_create_brand(
    *,
    actor: User | None,
    name: str,
    slug: str,
    support_addresses: Iterable[str] = (),
    is_default: bool = False,
    **look: str,
) -> Brand:
    require_role(actor, roles.ADMINISTERS, _("Your role may not create brands."))
    addresses = [normalize_identity(Identity.Kind.EMAIL, a) for a in support_addresses]
    if is_default:
        Brand.objects.filter(is_default=True).update(is_default=False)
    elif not Brand.objects.exists():
        is_default = True
    try:
        with transaction.atomic():
            brand = Brand.objects.create(
                name=clean_name(name, max_length=100),
                slug=slug,
                support_addresses=addresses,
                is_default=is_default,
                created_at=clock.now(),
                **look,
            )
    except IntegrityError as exc:
        raise InvalidInput(_("A brand with this name or slug exists."), field="name") from exc
    transaction.on_commit(lambda: cache.delete(DEFAULT_BRAND_CACHE_KEY))
    cache.delete(DEFAULT_BRAND_CACHE_KEY)
    audit(actor, "brand.created", brand, name=brand.name)
    return brand


DEFAULT_BRAND_CACHE_KEY = "doum:default-brand"


DEFAULT_BRAND_CACHE_S = 30


def default_brand() -> Brand:
    """The brand new tickets get when none is named. Kept in the cache for half a minute (it
    changes only when an admin adds or changes brands, which clears it in this process)."""
    cached = cache.get(DEFAULT_BRAND_CACHE_KEY)
    if isinstance(cached, Brand):
        return cached
    brand = next(iter(Brand.objects.order_by("-is_default", "id")[:1]), None)
    if brand is None:
        raise NotFound(_("No brand is set up yet; run `doum demo` or create one."), field="brand")
    cache.set(DEFAULT_BRAND_CACHE_KEY, brand, DEFAULT_BRAND_CACHE_S)
    return brand
