from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from doum.accounts.models import User
from tests.personas import World
from tests.portal.helpers import PortalClient

ClientFor = Callable[[User], Client]


@pytest.fixture
def signed_in(world: World) -> ClientFor:
    """A browser session signed in as the given user."""

    def make(user: User) -> Client:
        client: Client = PortalClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _locmem_mail(settings: pytest.FixtureRequest) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
