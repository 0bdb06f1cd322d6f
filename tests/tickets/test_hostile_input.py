"""Hostile and odd input is stored faithfully where it is harmless and made safe where not.

Runs on SQLite and PostgreSQL alike (PostgreSQL refuses NUL bytes, and no database can store
a lone UTF-16 surrogate, so both must be dealt with before the database).
"""

from __future__ import annotations

import html
import unicodedata

import pytest

from doum.accounts import actions as accounts
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.tickets import actions as tickets
from doum.tickets.models import Comment, CustomField, EventKind, Ticket, TicketEvent, Via
from doum.tickets.selectors import TicketFilters, filter_tickets
from tests.personas import World

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '"><script>alert(document.cookie)</script>',
    '<a href="javascript:alert(1)">click</a>',
    "{{ 7*7 }} {% debug %} ${7*7}",
    "'; DROP TABLE tickets_ticket; --",
]
RLO = "invoice_\u202egpj.exe"
KOREAN_NFD = unicodedata.normalize("NFD", "환불 요청")
KOREAN_NFC = "환불 요청"


def open_ticket(world: World, subject: str, body: str = "Body", **kw: object) -> Ticket:
    ticket = tickets.do_create_ticket(
        actor=world.customer,
        via=Via.PORTAL,
        subject=subject,
        body=body,
        **kw,  # type: ignore[arg-type]
    )
    return Ticket.objects.get(pk=ticket.pk)


def first_comment(ticket: Ticket) -> Comment:
    return Comment.objects.filter(ticket=ticket).order_by("id").first()  # type: ignore[return-value]


def test_subjects_are_stored_exactly_as_typed(world: World, subtests: pytest.Subtests) -> None:
    for payload in [*XSS, RLO, "ünïcödé ✓ 😀 𝔘"]:
        with subtests.test(payload=payload):
            ticket = open_ticket(world, payload)
            assert ticket.subject == payload
            assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CREATED).exists()


def test_plain_text_bodies_are_stored_as_text_and_escaped_as_html(
    world: World, subtests: pytest.Subtests
) -> None:
    for payload in [*XSS, RLO]:
        with subtests.test(payload=payload):
            comment = first_comment(open_ticket(world, "Subject", payload))
            assert comment.body_text == payload
            assert comment.body_html == f"<p>{html.escape(payload)}</p>"
            for tag in ("<script", "<img", "<svg", "<a "):
                assert tag not in comment.body_html


HTML_BODIES: list[tuple[str, str]] = [
    ("<p>hi</p><script>alert(1)</script>", "<p>hi</p>"),
    ("<p>x<img src=x onerror=alert(1)></p>", '<p>x<img src="x"></p>'),
    ("<svg onload=alert(1)>inside</svg>", "inside"),
    (
        '<a href="javascript:alert(1)">click</a>',
        '<a rel="noopener noreferrer nofollow">click</a>',
    ),
    (
        '<a href="JaVaScRiPt&#x3a;alert(1)">click</a>',
        '<a rel="noopener noreferrer nofollow">click</a>',
    ),
    (
        '<a href="https://example.com/" onclick="steal()">ok</a>',
        '<a href="https://example.com/" rel="noopener noreferrer nofollow">ok</a>',
    ),
    ('<p style="background:url(x)" onmouseover="x()">styled</p>', "<p>styled</p>"),
    ("<iframe src=https://evil.example></iframe><p>after</p>", "<p>after</p>"),
    ("<p>esc&#x1b;ape</p>", "<p>escape</p>"),
]


def test_html_bodies_are_sanitised(world: World, subtests: pytest.Subtests) -> None:
    for body, expected_html in HTML_BODIES:
        with subtests.test(body=body):
            comment = first_comment(open_ticket(world, "Subject", body, body_is_html=True))
            assert comment.body_html == expected_html
            lowered = comment.body_html.lower()
            for bad in ("script", "onerror", "onload", "javascript", "onclick", "style=", "iframe"):
                assert bad not in lowered
            assert "\x1b" not in comment.body_text


def test_an_html_body_that_is_only_a_script_is_empty(world: World) -> None:
    before = Ticket.objects.count()
    with pytest.raises(InvalidInput) as excinfo:
        open_ticket(world, "Subject", "<script>alert(1)</script>", body_is_html=True)
    assert excinfo.value.field == "body"
    assert Ticket.objects.count() == before


LINE_BREAKS: list[tuple[str, str]] = [
    ("Hello\r\nBcc: victim@example.com", "Hello Bcc: victim@example.com"),
    ("line one\nline two\rline three", "line one line two line three"),
    ("para\u2028sep\u2029end", "para sep end"),
    ("next\x85line", "next line"),
    ("\r\n  padded  \r\n", "padded"),
]


def test_line_breaks_in_subjects_are_folded_into_one_line(
    world: World, subtests: pytest.Subtests
) -> None:
    for raw, stored in LINE_BREAKS:
        with subtests.test(raw=raw):
            ticket = open_ticket(world, raw)
            assert ticket.subject == stored
            assert len(ticket.subject.splitlines()) == 1


def test_nul_and_control_characters_are_removed_everywhere(world: World) -> None:
    nasty = "a\x00b\x01c\x08d\x0be\x0cf\x1bg\x7fh"
    ticket = open_ticket(world, nasty, body=f"body {nasty}\ttab\nnewline")
    assert ticket.subject == "abcdefgh"
    comment = first_comment(ticket)
    assert comment.body_text == "body abcdefgh\ttab\nnewline"
    assert "\x00" not in comment.body_html
    tickets.do_update_ticket(ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": [nasty]})
    assert list(ticket.tags.values_list("name", flat=True)) == ["abcdefgh"]
    user = accounts.do_create_user(actor=world.agent, name=f"Nul{nasty}Name", email="nul@x.example")
    assert user.name == "NulabcdefghName"


def test_a_20000_character_subject_is_stored_exactly(world: World) -> None:
    subject = ("환불" * 5_000) + ("x" * 10_000)
    assert len(subject) == 20_000
    ticket = open_ticket(world, subject)
    assert ticket.subject == subject


def test_a_20001_character_subject_is_rejected_clearly(world: World) -> None:
    before = Ticket.objects.count()
    with pytest.raises(InvalidInput) as excinfo:
        open_ticket(world, "y" * 20_001)
    assert excinfo.value.field == "subject"
    assert "20000" in excinfo.value.message
    assert Ticket.objects.count() == before
    with pytest.raises(InvalidInput) as excinfo:
        tickets.do_update_ticket(
            world.ticket, actor=world.agent, via=Via.WEB, changes={"subject": "y" * 20_001}
        )
    assert excinfo.value.field == "subject"


def test_lone_surrogates_are_replaced_not_a_crash(world: World) -> None:
    # A str can hold a lone UTF-16 surrogate (e.g. from surrogateescape decoding); UTF-8 cannot.
    # Doum replaces it with U+FFFD so the rest of the message survives.
    ticket = open_ticket(world, "bad \udcff byte", body="body \udcff\ud800 end")
    assert ticket.subject == "bad \ufffd byte"
    assert first_comment(ticket).body_text == "body \ufffd\ufffd end"
    tickets.do_update_ticket(
        ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["tag\udcff"]}
    )
    assert list(ticket.tags.values_list("name", flat=True)) == ["tag\ufffd"]
    user = accounts.do_create_user(actor=world.agent, name="Sur\udcffrogate")
    assert user.name == "Sur\ufffdrogate"


def test_surrogate_pairs_are_joined_into_the_character_they_spell(world: World) -> None:
    ticket = open_ticket(world, "smile \ud83d\ude00")
    assert ticket.subject == "smile 😀"


def test_an_email_address_with_a_surrogate_or_nul_is_invalid(world: World) -> None:
    for email in ("kim\udcff@acme.example", "kim\x00@acme.example", "kim\u202e@acme.example"):
        with pytest.raises(InvalidInput) as excinfo:
            accounts.do_create_user(actor=world.agent, name="Kim", email=email)
        assert excinfo.value.field == "email"
        assert accounts.find_user_by_identity("email", email) is None


def test_right_to_left_override_is_stored_faithfully(world: World) -> None:
    ticket = open_ticket(world, RLO, body=RLO)
    assert ticket.subject == RLO
    assert first_comment(ticket).body_text == RLO
    user = accounts.do_create_user(actor=world.agent, name=f"Eve {RLO}", email="eve@x.example")
    assert user.name == f"Eve {RLO}"


def test_korean_nfd_input_is_stored_nfc(world: World) -> None:
    assert KOREAN_NFD != KOREAN_NFC
    assert len(KOREAN_NFD) == 12  # conjoining jamo
    ticket = open_ticket(world, KOREAN_NFD, body=KOREAN_NFD)
    assert ticket.subject == KOREAN_NFC
    assert first_comment(ticket).body_text == KOREAN_NFC
    assert first_comment(ticket).body_html == f"<p>{KOREAN_NFC}</p>"
    tickets.do_update_ticket(
        ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": [KOREAN_NFD]}
    )
    assert list(ticket.tags.values_list("name", flat=True)) == ["환불_요청"]
    user = accounts.do_create_user(actor=world.agent, name=KOREAN_NFD, email="nfd@x.example")
    assert user.name == KOREAN_NFC
    team = accounts.do_create_team(actor=world.admin, name=unicodedata.normalize("NFD", "결제팀"))
    assert team.name == "결제팀"
    # And NFC queries find NFD-typed text (and the other way round).
    for query in (KOREAN_NFC, KOREAN_NFD):
        assert ticket in filter_tickets(world.customer, TicketFilters(q=query))


def test_hostile_text_in_names_is_stored_as_text(world: World) -> None:
    for i, payload in enumerate(XSS):
        user = accounts.do_create_user(
            actor=world.agent, name=payload, email=f"x{i}@hostile.example"
        )
        assert user.name == payload
    org = accounts.do_create_organization(actor=world.agent, name=XSS[1])
    assert org.name == XSS[1]
    with pytest.raises(InvalidInput):
        accounts.do_create_organization(actor=world.agent, name="Bad", domains=["evil\x00.example"])


def test_hostile_tags_are_refused_rather_than_stored(world: World) -> None:
    for payload in ("<script>alert(1)</script>", "<img src=x>", '"quoted"'):
        with pytest.raises(InvalidInput) as excinfo:
            tickets.do_update_ticket(
                world.ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": [payload]}
            )
        assert excinfo.value.field == "add_tags"
    # Harmless punctuation is kept.
    tickets.do_update_ticket(
        world.ticket, actor=world.agent, via=Via.WEB, changes={"add_tags": ["alert(1);x=y"]}
    )
    assert list(world.ticket.tags.values_list("name", flat=True)) == ["alert(1);x=y"]


def test_hostile_custom_text_values_are_stored_faithfully(world: World) -> None:
    CustomField.objects.create(
        key="notes_for_billing",
        label="Notes",
        field_type=CustomField.FieldType.TEXT,
        max_length=5000,
        created_at=clock.now(),
    )
    payload = " | ".join(XSS) + f" {RLO} {KOREAN_NFD} a\x00b \udcff"
    tickets.do_update_ticket(
        world.ticket,
        actor=world.agent,
        via=Via.WEB,
        changes={"custom_fields": {"notes_for_billing": payload}},
    )
    value = Ticket.objects.get(pk=world.ticket.pk).custom_fields["notes_for_billing"]
    assert value == " | ".join(XSS) + f" {RLO} {KOREAN_NFC} ab \ufffd"


def test_attachment_names_cannot_escape_or_inject(world: World) -> None:
    ticket = tickets.do_create_ticket(
        actor=world.customer,
        via=Via.PORTAL,
        subject="Screenshot",
        body="Attached",
        attachments=[
            tickets.NewAttachment(
                filename="../../etc/<script>passwd\r\n.png\x00",
                content_type="image/png\r\nX-Injected: 1",
                data=b"\x89PNG",
            )
        ],
    )
    attachment = ticket.attachments.get()
    assert attachment.filename == "scriptpasswd .png"
    assert attachment.content_type == "image/png X-Injected: 1"
    assert ".." not in attachment.storage_key
    assert attachment.storage_key.startswith("attachments/")
