"""A customer asks in the portal, an agent answers in the workspace, the customer reads it."""

from __future__ import annotations

from typing import Any

from doum.tickets.models import Attachment, Channel, Ticket
from tests.browser.conftest import PageProblems, new_page, shot, sign_in
from tests.personas import World


def test_a_request_with_an_attachment_and_its_public_answer(
    page: Any, browser: Any, problems: PageProblems, live_server: Any, world: World
) -> None:
    base = live_server.url
    sign_in(page, base, world.customer.email or "", path="/portal/login")
    assert "/portal" in page.url
    shot(page, "portal-home")

    page.goto(base + "/portal/new")
    page.fill("input[name=subject]", "배송이 아직 안 왔어요 (order 7781)")
    page.fill(
        "textarea[name=description]", "주문한 지 일주일이 지났습니다. Tracking shows nothing."
    )
    page.set_input_files(
        "input[name=attachments]",
        files=[{"name": "영수증.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 test"}],
    )
    shot(page, "portal-new-request")
    page.click("#new-request-submit")
    page.wait_for_url("**/portal/requests/*")
    ticket = Ticket.objects.get(subject="배송이 아직 안 왔어요 (order 7781)")
    assert ticket.requester_id == world.customer.pk and ticket.channel == Channel.PORTAL
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.filename == "영수증.pdf" and attachment.size == len(b"%PDF-1.4 test")

    # The agent answers in public and leaves an internal note.
    agent_page = new_page(browser, problems)
    try:
        sign_in(agent_page, base, world.agent.email or "")
        agent_page.goto(f"{base}/tickets/{ticket.pk}/")
        agent_page.fill("#reply-body", "택배사에 확인했습니다. 내일 도착 예정입니다.")
        agent_page.click("#reply-submit")
        agent_page.locator(".comment", has_text="내일 도착").wait_for()
        agent_page.check("input[name=mode][value=note]")
        agent_page.fill("#reply-body", "Courier blamed the warehouse; watch this one.")
        agent_page.click("#reply-submit")
        agent_page.locator(".comment.internal", has_text="watch this one").wait_for()
    finally:
        agent_page.context.close()

    page.goto(f"{base}/portal/requests/{ticket.pk}")
    conversation = page.locator("#conversation").inner_text()
    assert "내일 도착 예정입니다" in conversation
    assert "watch this one" not in page.content()
    assert "영수증.pdf" in conversation
    shot(page, "portal-request-answered")

    # The attachment link is a download, never shown inline.
    with page.expect_download() as download:
        page.get_by_role("link", name="영수증.pdf").click()
    assert download.value.suggested_filename == "영수증.pdf"


def test_a_visitor_submits_without_an_account_and_is_not_signed_in(
    page: Any, live_server: Any, world: World
) -> None:
    base = live_server.url
    page.goto(base + "/portal/new")
    page.fill("input[name=name]", "Grace Visitor")
    page.fill("input[name=email]", "grace@visitor.example")
    page.fill("input[name=subject]", "Question about pricing")
    page.fill("textarea[name=description]", "Do you have a yearly plan?")
    page.click("#new-request-submit")
    page.wait_for_load_state("networkidle")
    assert Ticket.objects.filter(subject="Question about pricing").exists()
    page.goto(base + "/portal/requests")
    assert "/portal/login" in page.url  # submitting did not sign the visitor in
