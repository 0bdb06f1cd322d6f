"""Searching tickets in Korean and English, by number, within what the viewer may see."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via
from doum.tickets.selectors import TicketFilters, filter_tickets
from tests.personas import World


def search(viewer: object, q: str) -> list[Ticket]:
    return list(filter_tickets(viewer, TicketFilters(q=q)).order_by("id"))  # type: ignore[arg-type]


def technical_ticket(world: World, subject: str, body: str = "Body") -> Ticket:
    return tickets.do_create_ticket(
        actor=world.admin,
        via=Via.WEB,
        subject=subject,
        body=body,
        requester_id=world.outsider.pk,
        team_id=world.technical.pk,
    )


def test_korean_with_particles_and_endings_finds_the_noun(
    world: World, subtests: pytest.Subtests
) -> None:
    # world.ticket's subject is "환불 요청 — refund please".
    for query in ("환불", "환불을", "환불이요", "환불은", "요청", "환불 요청"):
        with subtests.test(query):
            assert search(world.agent, query) == [world.ticket]
            assert search(world.customer, query) == [world.ticket]


def test_korean_query_words_match_run_together_text(world: World) -> None:
    ticket = technical_ticket(world, "환불요청이 처리되지 않았어요")
    assert search(world.admin, "환불 요청") == [world.ticket, ticket]
    assert search(world.admin, "처리") == [ticket]


def test_korean_that_is_not_there_is_not_found(world: World) -> None:
    assert search(world.agent, "배송") == []
    assert search(world.agent, "환불 배송") == []  # every word must match


def test_english_words_are_case_insensitive(world: World, subtests: pytest.Subtests) -> None:
    for query in ("refund", "REFUND", "Refund Please", "please refund", "rEfUnD"):
        with subtests.test(query):
            assert search(world.agent, query) == [world.ticket]
    assert search(world.agent, "refunds") == []  # whole words, no stemming


def test_body_text_is_searched(world: World) -> None:
    assert search(world.agent, "주문을") == [world.ticket]
    assert search(world.agent, "looking") == [world.ticket]


def test_a_ticket_number_finds_the_ticket(world: World) -> None:
    other = technical_ticket(world, "Unrelated")
    for query in (f"#{world.ticket.pk}", f"{world.ticket.pk}", f"  #{world.ticket.pk} "):
        assert search(world.admin, query) == [world.ticket]
    assert search(world.admin, f"#{other.pk}") == [other]
    # The number does not reveal a ticket the viewer may not see.
    assert search(world.tech_agent, f"#{world.ticket.pk}") == []
    assert search(world.outsider, f"#{world.ticket.pk}") == []


def test_internal_notes_are_found_by_agents_but_never_by_the_customer(world: World) -> None:
    # world.ticket has the internal note "SECRET internal: card fraud check".
    for who in ("agent", "lead", "qa", "admin"):
        assert search(getattr(world, who), "fraud") == [world.ticket]
    assert search(world.customer, "fraud") == []
    assert search(world.customer, "SECRET fraud") == []


def test_other_teams_tickets_are_not_found_by_a_team_restricted_agent(world: World) -> None:
    technical = technical_ticket(world, "Refund button crashes the app")
    assert search(world.agent, "refund") == [world.ticket]
    assert search(world.tech_agent, "refund") == [technical]
    assert search(world.manager, "refund") == [world.ticket, technical]
    assert search(world.outsider, "refund") == [technical]  # they asked it
    assert search(world.outsider, "crashes") == [technical]


def test_a_changed_subject_is_searched_by_its_new_words(world: World) -> None:
    tickets.do_update_ticket(
        world.ticket, actor=world.agent, via=Via.WEB, changes={"subject": "Chargeback dispute"}
    )
    assert search(world.agent, "chargeback") == [world.ticket]
    assert search(world.agent, "please") == []


def test_deleted_tickets_are_not_found(world: World) -> None:
    tickets.do_delete_ticket(world.ticket, actor=world.manager, via=Via.WEB)
    assert search(world.manager, "refund") == []
    assert search(world.manager, f"#{world.ticket.pk}") == []


FTS_SYNTAX = [
    '"refund',
    '"refund please"',
    "refund*",
    "*",
    "NEAR(refund please)",
    "refund NEAR please",
    "refund AND OR please",
    "AND",
    "OR OR OR",
    "NOT refund",
    "(refund",
    "refund)",
    "((()))",
    "'; DROP TABLE tickets_ticket; --",
    "refund'; DROP TABLE tickets_searchentry; --",
    "document:refund",
    "{refund please}",
    "^refund",
    "refund + please",
    "refund & please | !x",
    "refund:*",
    "\\",
    "%",
    "_",
    "#",
    "##1",
    "#-1",
    "#²",
    "#١٢٣",
    "9" * 40,
    "",
    "   ",
    "\x00",
    "refund\x00please",
    "\udcff",
    "😀",
    "𞤀𞤁",
    "a" * 5000,
    " ".join(["환불"] * 100),
]


def test_search_syntax_in_the_query_never_errors(world: World, subtests: pytest.Subtests) -> None:
    for query in FTS_SYNTAX:
        with subtests.test(query=query[:40]):
            for viewer in (world.agent, world.customer):
                found = search(viewer, query)
                assert set(found) <= {world.ticket}
    # Quotes and stars are punctuation: the words inside still find the ticket...
    for query in ('"refund please"', "refund*", "(refund)", "refund:*"):
        assert search(world.agent, query) == [world.ticket]
    # ...and operators are plain words that must match like any other.
    for query in ("NEAR(refund please)", "refund AND OR please", "NOT refund"):
        assert search(world.agent, query) == []


def test_search_tables_survive_injection_attempts(world: World) -> None:
    search(world.agent, "'; DROP TABLE tickets_searchentry; --")
    assert search(world.agent, "refund") == [world.ticket]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.lists(
        st.one_of(
            st.characters(),
            st.sampled_from(["\udcff", "\ud83d", "\x00", '"', "*", "#", "(", "'", "환", "불", " "]),
        ),
        max_size=40,
    ).map("".join)
)
def test_any_query_text_is_safe(world: World, query: str) -> None:
    found = search(world.agent, query)
    assert set(found) <= {world.ticket}
