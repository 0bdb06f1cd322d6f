"""API tokens: shown once, stored as a digest, revocable, expiring."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from doum.accounts import actions as accounts
from doum.accounts.models import ApiToken, AuditLog
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput
from tests.personas import World


def test_a_token_is_shown_once_and_only_its_digest_is_stored(world: World) -> None:
    issued = accounts.do_create_api_token(world.agent, actor=world.agent, name="Zapier")
    secret = issued.secret
    assert secret.startswith("doum_")
    assert len(secret) > 40

    row = ApiToken.objects.get(pk=issued.token.pk)
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == secret[:11]
    stored = [str(v) for v in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert secret not in stored
    assert not any(secret[11:] in v for v in stored)  # not even the secret part
    log = AuditLog.objects.get(action="api_token.created")
    assert secret not in str(log.data)
    assert accounts.user_for_token(secret) == world.agent


def test_tokens_are_unique(world: World) -> None:
    secrets = {
        accounts.do_create_api_token(world.agent, actor=None, name="t").secret for _ in range(5)
    }
    assert len(secrets) == 5


def test_wrong_or_malformed_secrets_find_nobody(world: World) -> None:
    issued = accounts.do_create_api_token(world.agent, actor=world.agent, name="CLI")
    for bad in (
        "",
        issued.secret[:-1],
        issued.secret + "x",
        issued.secret.upper(),
        issued.secret[5:],  # without the prefix
        "doum_" + "a" * 300,
        "doum_\udcff",
        "doum_\x00",
        row_digest := ApiToken.objects.get(pk=issued.token.pk).digest,
        "doum_" + row_digest,
    ):
        assert accounts.user_for_token(bad) is None, bad


def test_revoking_a_token(world: World) -> None:
    issued = accounts.do_create_api_token(world.agent, actor=world.agent, name="CLI")
    accounts.do_revoke_api_token(issued.token, actor=world.agent)
    assert accounts.user_for_token(issued.secret) is None
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    # Revoking twice is one revocation.
    accounts.do_revoke_api_token(issued.token, actor=world.agent)
    assert AuditLog.objects.filter(action="api_token.revoked").count() == 1


def test_tokens_expire(world: World) -> None:
    start = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        issued = accounts.do_create_api_token(
            world.agent, actor=world.agent, name="Short", expires_at=start + timedelta(hours=1)
        )
        assert accounts.user_for_token(issued.secret) == world.agent
    with time_machine.travel(start + timedelta(minutes=59, seconds=59), tick=False):
        assert accounts.user_for_token(issued.secret) == world.agent
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert accounts.user_for_token(issued.secret) is None
    # The action clock is the same clock.
    with clock.at(start + timedelta(minutes=30)):
        assert accounts.user_for_token(issued.secret) == world.agent


def test_tokens_of_deactivated_people_stop_working(world: World) -> None:
    issued = accounts.do_create_api_token(world.tech_agent, actor=world.tech_agent, name="CLI")
    accounts.do_deactivate_user(world.tech_agent, actor=world.manager)
    assert accounts.user_for_token(issued.secret) is None
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_create_api_token(world.tech_agent, actor=world.admin, name="again")
    assert excinfo.value.field == "user"


def test_only_admins_manage_other_peoples_tokens(world: World) -> None:
    with pytest.raises(Forbidden):
        accounts.do_create_api_token(world.agent, actor=world.manager, name="for you")
    issued = accounts.do_create_api_token(world.agent, actor=world.admin, name="for you")
    with pytest.raises(Forbidden):
        accounts.do_revoke_api_token(issued.token, actor=world.lead)
    assert accounts.user_for_token(issued.secret) == world.agent
    accounts.do_revoke_api_token(issued.token, actor=world.admin)
    assert accounts.user_for_token(issued.secret) is None


def test_token_names_are_cleaned(world: World) -> None:
    issued = accounts.do_create_api_token(world.agent, actor=world.agent, name=" CI\r\nbot\x00 ")
    assert issued.token.name == "CI bot"
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_create_api_token(world.agent, actor=world.agent, name="  ")
    assert excinfo.value.field == "name"
