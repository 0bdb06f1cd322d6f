"""An agent's day in a real browser: find a ticket, reply, note, solve, with the keyboard."""

from __future__ import annotations

from typing import Any

from doum.tickets.models import Comment, Status, Ticket
from tests.browser.conftest import PageProblems, shot, sign_in
from tests.personas import World


def test_an_agent_finds_replies_notes_and_solves(page: Any, live_server: Any, world: World) -> None:
    base = live_server.url
    sign_in(page, base, world.agent.email or "")

    # Search from the top bar, in Korean: the ticket's subject is "환불 요청 — refund please".
    page.goto(base + "/tickets/")
    shot(page, "agent-ticket-list")
    page.fill("#global-search", "환불")
    page.press("#global-search", "Enter")
    row = page.locator(f"tr[data-ticket='{world.ticket.pk}']")
    row.wait_for()
    shot(page, "agent-search-results")
    row.get_by_role("link", name=world.ticket.subject).click()
    page.wait_for_url(f"**/tickets/{world.ticket.pk}/**")
    assert page.locator("#ticket-subject").inner_text().strip().endswith(world.ticket.subject)
    # The internal note that the persona wrote is there, and set apart from public replies.
    note = page.locator(".comment.internal", has_text="SECRET internal")
    assert note.count() == 1
    shot(page, "agent-ticket-page")

    # r: public reply, typed and sent without leaving the page.
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply-body"
    page.keyboard.type("환불을 진행했습니다. 3영업일 안에 입금됩니다.")
    page.click("#reply-submit")
    page.locator(".comment", has_text="3영업일").wait_for()

    # n: an internal note.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    page.keyboard.type("Refund approved by finance (ref 4411).")
    page.click("#reply-submit")
    page.locator(".comment.internal", has_text="ref 4411").wait_for()

    # s: solve.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("s")
    page.locator("#ticket-status", has_text="Solved").wait_for()
    shot(page, "agent-ticket-solved")

    ticket = Ticket.objects.get(pk=world.ticket.pk)
    assert ticket.status == Status.SOLVED
    reply = Comment.objects.get(ticket=ticket, body_text__contains="3영업일")
    note_row = Comment.objects.get(ticket=ticket, body_text__contains="ref 4411")
    assert reply.is_public and not note_row.is_public
    assert reply.author_id == note_row.author_id == world.agent.pk


def test_shortcuts_are_listed_and_j_moves_to_the_next_ticket_in_the_view(
    page: Any, live_server: Any, world: World
) -> None:
    from doum.tickets import actions
    from doum.tickets.models import Via

    older = actions.do_create_ticket(
        actor=world.agent, via=Via.WEB, subject="Invoice copy", body="Please resend",
        requester_id=world.customer.pk, team_id=world.billing.pk,
    )  # fmt: skip
    # Touch the persona's ticket so it is the newest in "All tickets" (sorted by update).
    actions.do_update_ticket(
        Ticket.objects.get(pk=world.ticket.pk), actor=world.agent, via=Via.WEB,
        changes={"priority": "high"},
    )  # fmt: skip
    sign_in(page, live_server.url, world.agent.email or "")
    page.goto(f"{live_server.url}/tickets/{world.ticket.pk}/?view=all")
    page.keyboard.press("?")
    dialog = page.locator("#shortcut-help")
    dialog.wait_for(state="visible")
    text = dialog.inner_text()
    for label in ("Reply", "Internal note", "Assign to me", "Solve", "Next ticket"):
        assert label in text
    shot(page, "shortcut-help")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    page.keyboard.press("j")
    page.wait_for_url(f"**/tickets/{older.pk}/?*view=all*")
    assert "Invoice copy" in page.locator("#ticket-subject").inner_text()
    page.keyboard.press("k")
    page.wait_for_url(f"**/tickets/{world.ticket.pk}/?*view=all*")


def test_a_stale_reply_keeps_the_text_and_says_what_changed(
    page: Any, live_server: Any, world: World, problems: PageProblems
) -> None:
    from doum.tickets import actions
    from doum.tickets.models import Via

    problems.expected_statuses.add(409)
    sign_in(page, live_server.url, world.agent.email or "")
    page.goto(f"{live_server.url}/tickets/{world.ticket.pk}/")
    page.fill("#reply-body", "A reply typed while the lead changed the ticket")
    # Meanwhile, the lead raises the priority.
    actions.do_update_ticket(
        Ticket.objects.get(pk=world.ticket.pk), actor=world.lead, via=Via.WEB,
        changes={"priority": "high"},
    )  # fmt: skip
    page.click("#reply-submit")
    warning = page.get_by_test_id("reply-conflict")
    warning.wait_for()
    assert "Lee Lead" in warning.inner_text()
    assert page.input_value("#reply-body") == "A reply typed while the lead changed the ticket"
    shot(page, "agent-reply-conflict")
    page.click("#reply-submit")  # "Send anyway"
    page.locator(".comment", has_text="while the lead changed").wait_for()
