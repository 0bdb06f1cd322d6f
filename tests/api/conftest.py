from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from doum.accounts.actions import do_create_api_token
from doum.accounts.models import User
from tests.personas import World

ClientFor = Callable[[User], Client]


@pytest.fixture
def client_for(world: World) -> ClientFor:
    """An API client authenticated with a fresh token of the given user."""

    def make(user: User) -> Client:
        secret = do_create_api_token(user, actor=user, name="tests").secret
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    return make
