"""Social mentions from CSV, and a mention turned into a ticket (doum.surveys.mentions)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from doum.accounts.models import Identity, User
from doum.core.errors import Forbidden, NotFound
from doum.surveys import mentions
from doum.surveys.importing import ImportFileError, ImportReport
from doum.surveys.mentions import MentionInput, MentionOptions
from doum.surveys.models import FeedbackImport, SocialMention
from doum.tickets.models import Comment, Ticket, TicketEvent
from tests.personas import World

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def w(world: World) -> Iterator[World]:
    with time_machine.travel(NOW, tick=False):
        yield world


def run(w: World, data: bytes, **options: object) -> ImportReport:
    return mentions.do_import_mentions(
        data,
        MentionOptions(**options),  # type: ignore[arg-type]
        actor=w.manager,
    )


CSV = (
    "channel,author,text,url,time\n"
    "twitter,@KimMinji,@acme_help 환불이 아직 안 됐어요,https://x.com/kimminji/status/1,"
    "2026-11-30 10:00\n"
    "instagram,lee.style,Love the new app!,,2026-11-30T01:00:00Z\n"
)


def test_csv_import_records_and_analyses_mentions(w: World) -> None:
    report = run(w, CSV.encode())
    assert (report.rows, report.imported, report.rejected_rows) == (2, 2, 0)
    tweet = SocialMention.objects.get(channel="twitter")
    assert tweet.author_handle == "kimminji"  # the identity's normal form
    assert (
        tweet.text == "@acme_help 환불이 아직 안 됐어요"
    )  # a reply starting with @ is not a formula
    assert tweet.posted_at == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
    assert tweet.source == "csv" and tweet.feedback_import_id == report.import_id
    assert tweet.sentiment in ("positive", "neutral", "negative")
    assert tweet.sentiment_score is not None
    assert len(tweet.external_key) == 64
    record = FeedbackImport.objects.get(id=report.import_id or 0)
    assert (record.kind, record.accepted, record.rows) == ("mentions", 2, 2)


def test_csv_import_is_idempotent(w: World) -> None:
    run(w, CSV.encode())
    again = run(w, CSV.encode())
    assert (again.imported, again.skipped) == (0, 2)
    assert SocialMention.objects.count() == 2


def test_bad_rows_all_or_nothing_and_dry_run(w: World) -> None:
    data = (
        b"channel,handle,text,url,time\n"
        b"twitter,ok_one,fine,,2026-11-30 09:00\n"
        b"myspace,tom,hello,,2026-11-30 09:00\n"
        b"twitter,eve,click,javascript:alert(1),2026-11-30 09:00\n"
        b"twitter,eve,=cmd|' /C calc'!A0,,2026-11-30 09:00\n"
        b"twitter,eve,@SUM(A1:A9),,2026-11-30 09:00\n"
        b"twitter,has space,hello,,2026-11-30 09:00\n"
        b"twitter,eve,   ,,2026-11-30 09:00\n"
        b"twitter,eve,later,,2026-12-25 09:00\n"
        b"twitter,ok_one,fine,,2026-11-30 09:00\n"
    )
    dry = run(w, data, dry_run=True)
    assert not SocialMention.objects.exists() and not FeedbackImport.objects.exists()
    assert [(r.row, r.column) for r in dry.rejections] == [
        (3, "channel"),
        (4, "url"),
        (5, "text"),
        (6, "text"),
        (7, "handle"),
        (8, "text"),
        (9, "time"),
        (10, ""),
    ]
    assert "http:// or https://" in dry.rejections[1].reason
    assert "spreadsheet formula" in dry.rejections[2].reason
    assert "first at row 2" in dry.rejections[7].reason
    real = run(w, data)
    assert (real.saved, real.imported) == (False, 0) and not SocialMention.objects.exists()
    assert FeedbackImport.objects.get(id=real.import_id or 0).rejected == 8
    skipping = run(w, data, skip_invalid=True)
    assert skipping.imported == 1
    assert SocialMention.objects.get().author_handle == "ok_one"


def test_channel_for_the_whole_file_and_korean_excel(w: World) -> None:
    data = "작성자,내용,작성일\n김민지,배송이 너무 늦어요,2026-11-30 09:00\n".encode("cp949")
    with pytest.raises(ImportFileError, match="channel"):
        run(w, data)
    report = run(w, data, channel="카카오톡")
    assert (report.encoding, report.imported) == ("cp949", 1)
    saved = SocialMention.objects.get()
    assert (saved.channel, saved.author_handle, saved.text) == (
        "kakao",
        "김민지",
        "배송이 너무 늦어요",
    )


def test_mention_becomes_one_ticket(w: World) -> None:
    run(w, CSV.encode())
    tweet = SocialMention.objects.get(channel="twitter")
    ticket = mentions.do_create_ticket_from_mention(tweet.pk, actor=w.lead)
    assert (ticket.channel, ticket.subject) == ("social", "@acme_help 환불이 아직 안 됐어요")
    created = TicketEvent.objects.get(ticket=ticket, kind="created")
    assert created.via == "social"
    body = Comment.objects.filter(ticket=ticket).order_by("id").first()
    assert body is not None and "https://x.com/kimminji/status/1" in body.body_text
    assert body.metadata["mention"]["id"] == tweet.pk
    # The author is a new customer recognised by their Twitter identity from now on.
    author = ticket.requester
    assert author.role == "customer"
    assert Identity.objects.filter(user=author, kind="twitter", value="kimminji").exists()
    tweet.refresh_from_db()
    assert tweet.ticket == ticket
    again = mentions.do_create_ticket_from_mention(tweet.pk, actor=w.manager)
    assert again.pk == ticket.pk
    assert Ticket.objects.filter(channel="social").count() == 1


def test_mention_by_a_known_customer_uses_their_account(w: World) -> None:
    from doum.accounts.actions import do_add_identity

    do_add_identity(w.customer, actor=w.agent, kind="instagram", value="lee.style")
    run(w, CSV.encode())
    post = SocialMention.objects.get(channel="instagram")
    users = User.objects.count()
    ticket = mentions.do_create_ticket_from_mention(post.pk, actor=w.manager)
    assert ticket.requester == w.customer and User.objects.count() == users


def test_who_may_turn_mentions_into_tickets(w: World) -> None:
    run(w, CSV.encode())
    post = SocialMention.objects.first()
    assert post is not None
    with pytest.raises(Forbidden):
        mentions.do_create_ticket_from_mention(post.pk, actor=w.director)
    for user in (w.agent, w.qa, w.customer):
        with pytest.raises(NotFound):
            mentions.do_create_ticket_from_mention(post.pk, actor=user)
    with pytest.raises(NotFound):
        mentions.do_create_ticket_from_mention(999999, actor=w.admin)
    assert not Ticket.objects.filter(channel="social").exists()


def test_external_key_uses_the_url_else_the_post(w: World) -> None:
    at = datetime(2026, 11, 30, tzinfo=UTC)
    a = MentionInput("twitter", "kim", "hi", "https://x.com/a/1", at)
    b = MentionInput("twitter", "lee", "other text", "https://x.com/a/1", at)
    c = MentionInput("twitter", "kim", "hi", "", at)
    d = MentionInput("twitter", "kim", "hi!", "", at)
    assert a.external_key == b.external_key
    assert len({a.external_key, c.external_key, d.external_key}) == 3
