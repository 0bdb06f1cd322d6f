"""Recognising the same person on every channel: normalised, unique identities."""

from __future__ import annotations

import pytest

from doum.accounts import actions as accounts
from doum.accounts.identities import normalize_identity
from doum.accounts.models import Identity, User
from doum.core.errors import Forbidden, InvalidInput
from tests.personas import World

NORMALISED = [
    ("email", "  Kim@ACME.Example ", "kim@acme.example"),
    ("email", "first.last+tag@sub.example.co.kr", "first.last+tag@sub.example.co.kr"),
    ("email", "홍길동@例え.jp", "홍길동@例え.jp"),
    ("phone", "+82 10-1234-5678", "+821012345678"),
    ("phone", "0082 (10) 1234 5678", "+821012345678"),
    ("phone", "010.1234.5678", "01012345678"),
    ("phone", "＋８２ １０ １２３４ ５６７８", "+821012345678"),  # full-width, from a CJK keyboard
    ("phone", "+1 (555) 010-9999 ext", "+15550109999"),
    ("twitter", "@KimSupport", "kimsupport"),
    ("kakao", "KimKakao", "kimkakao"),
    ("other", "Case-Kept", "Case-Kept"),
]

INVALID = [
    ("email", "kim"),
    ("email", "kim@"),
    ("email", "@acme.example"),
    ("email", "kim@localhost"),
    ("email", "kim@@acme.example"),
    ("email", "kim @acme.example"),
    ("email", "<kim@acme.example>"),
    ("email", "kim\x00@acme.example"),
    ("email", "kim\udcff@acme.example"),
    ("email", "kim\u202e@acme.example"),
    ("email", "kim\u200b@acme.example"),
    ("email", "a" * 65 + "@acme.example"),
    ("phone", "123"),
    ("phone", "call me"),
    ("phone", "+82+10 1234"),
    ("phone", "١٢٣٤٥٦٧٨"),  # Arabic-Indic digits are not a dialable number here
    ("twitter", ""),
    ("twitter", "two words"),
    ("twitter", "nul\x00"),
    ("twitter", "x" * 255),
]


def test_identities_are_normalised(subtests: pytest.Subtests) -> None:
    for kind, raw, expected in NORMALISED:
        with subtests.test(kind=kind, raw=raw):
            assert normalize_identity(kind, raw) == expected


def test_invalid_identities_are_rejected(subtests: pytest.Subtests) -> None:
    for kind, raw in INVALID:
        with subtests.test(kind=kind, raw=raw):
            with pytest.raises(InvalidInput) as excinfo:
                normalize_identity(kind, raw)
            assert excinfo.value.field == {"email": "email", "phone": "phone"}.get(kind, "value")


def test_find_user_by_identity_ignores_case_and_formatting(world: World) -> None:
    for email in ("kim@acme.example", "KIM@Acme.Example", "  kim@acme.EXAMPLE  "):
        assert accounts.find_user_by_identity("email", email) == world.customer
    accounts.do_add_identity(world.customer, actor=world.agent, kind="phone", value="010-1234-5678")
    for phone in ("01012345678", "010 1234 5678", "(010) 1234-5678"):
        assert accounts.find_user_by_identity("phone", phone) == world.customer
    assert accounts.find_user_by_identity("email", "nobody@acme.example") is None
    assert accounts.find_user_by_identity("email", "not an address") is None
    assert accounts.find_user_by_identity("phone", "+821012345678") is None  # a different form


def test_adding_identities(world: World) -> None:
    handle = accounts.do_add_identity(
        world.customer, actor=world.agent, kind="kakao", value="Kim_K"
    )
    assert (handle.value, handle.is_primary, handle.verified) == ("kim_k", False, False)
    # Adding it again is the same identity.
    again = accounts.do_add_identity(world.customer, actor=world.agent, kind="kakao", value="KIM_K")
    assert again.pk == handle.pk
    assert world.customer.identities.filter(kind="kakao").count() == 1
    # Someone else's identity cannot be taken.
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_add_identity(world.colleague, actor=world.agent, kind="kakao", value="kim_k")
    assert excinfo.value.field == "value"
    with pytest.raises(InvalidInput):
        accounts.do_add_identity(
            world.colleague, actor=world.agent, kind="email", value="KIM@acme.example"
        )
    with pytest.raises(InvalidInput) as excinfo:
        accounts.do_add_identity(world.colleague, actor=world.agent, kind="fax", value="123")
    assert excinfo.value.field == "kind"


def test_an_email_identity_becomes_the_address_of_someone_without_one(world: World) -> None:
    phone_only = accounts.do_create_user(actor=world.agent, name="Pat", phone="010-7777-8888")
    accounts.do_add_identity(phone_only, actor=world.agent, kind="email", value="Pat@Else.Example")
    assert User.objects.get(pk=phone_only.pk).email == "pat@else.example"
    assert accounts.find_user_by_identity("email", "PAT@else.example") == phone_only


def test_who_may_edit_identities(world: World) -> None:
    for who in ("qa", "director", "customer"):
        with pytest.raises(Forbidden):
            accounts.do_add_identity(
                world.customer, actor=getattr(world, who), kind="line", value="kimline"
            )
    assert not Identity.objects.filter(kind="line").exists()
