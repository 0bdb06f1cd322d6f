"""The feedback import pages: upload with its report, the mentions list, mention -> ticket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from doum.surveys.mentions import MentionInput, do_record_mentions
from doum.surveys.models import FeedbackImport, SocialMention, SurveyResponse
from doum.tickets.models import Ticket
from tests.pages import signed_in, text
from tests.personas import World

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
URL = "/surveys/import/"


@pytest.fixture
def w(world: World) -> Iterator[World]:
    with time_machine.travel(NOW, tick=False):
        yield world


def upload(client: Client, data: bytes, name: str = "answers.csv", **fields: object) -> str:
    form = {"kind": "responses", "source": "custom", "encoding": "auto", "csat_scale": "five"}
    form.update({k: str(v) for k, v in fields.items()})
    response = client.post(URL, {**form, "file": SimpleUploadedFile(name, data, "text/csv")})
    assert response.status_code in (200, 400)
    return text(response)


BAD = (
    "response_id,score,comment,date\n"
    "p1,9,<b>great</b>,2026-11-30\n"
    "p2,12,=HYPERLINK(1),2026-11-30\n"
    "p3,42,ok,2026-11-30\n"
)


def test_form_and_dry_run_report_with_every_rejection(w: World) -> None:
    client = signed_in(w.manager)
    page = client.get(URL)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in text(page)
    assert "csrfmiddlewaretoken" in text(page)
    html = upload(client, BAD.encode(), survey_kind="nps", dry_run="on")
    assert "Dry run: nothing was saved." in html
    assert 'data-testid="report-rejected">2<' in html
    assert "looks like a spreadsheet formula" in html
    assert "42 is out of range for NPS (0 to 10)" in html
    assert not SurveyResponse.objects.exists() and not FeedbackImport.objects.exists()


def test_real_upload_all_or_nothing_then_skip_invalid(w: World) -> None:
    client = signed_in(w.admin)
    html = upload(client, BAD.encode(), survey_kind="nps")
    assert "Nothing was imported because some rows were rejected" in html
    assert not SurveyResponse.objects.exists()
    html = upload(client, BAD.encode(), survey_kind="nps", skip_invalid="on")
    assert "Imported 1 row." in html
    assert SurveyResponse.objects.get().comment == "<b>great</b>"
    # The recent imports table lists both runs.
    assert html.count("answers.csv") == 2


def test_file_errors_are_shown_escaped(w: World) -> None:
    client = signed_in(w.manager)
    html = upload(client, b"<script>x</script>,comment\n1,2\n", survey_kind="nps")
    assert 'data-testid="file-error"' in html
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    html = upload(client, b"score,date\n\xff\xfe\xfa,2026\n", encoding="utf-8", survey_kind="nps")
    assert "cannot be read as UTF-8" in html
    response = client.post(URL, {"kind": "responses"})  # no file
    assert response.status_code == 400


def test_mentions_upload_with_korean_excel_file(w: World) -> None:
    client = signed_in(w.manager)
    data = "채널,작성자,내용,작성일\ntwitter,@kim,배송이 너무 늦어요,2026-11-30 09:00\n".encode(
        "cp949"
    )
    html = upload(client, data, kind="mentions")
    assert "Imported 1 row." in html and 'data-testid="report-encoding">cp949<' in html
    assert SocialMention.objects.get().text == "배송이 너무 늦어요"


def test_custom_mapping_from_the_form(w: World) -> None:
    client = signed_in(w.manager)
    data = b"Rating;When;Note\n8;2026-11-30;fine\n"
    html = upload(client, data, survey_kind="nps", mapping="Rating=score\nWhen=date\nNote=comment")
    assert "Imported 1 row." in html
    html = upload(client, data, survey_kind="nps", mapping="Rating=bogus")
    assert "is not a field" in html


def _mentions(w: World, count: int) -> list[int]:
    items = [
        MentionInput(
            "twitter",
            f"user{n}",
            f"<script>alert({n})</script> post {n}",
            f"https://x.com/user{n}/status/{n}",
            NOW - timedelta(hours=n + 1),
        )
        for n in range(count)
    ]
    return [r.id for r in do_record_mentions(items, actor=w.manager, source="webhook")]


def test_mentions_list_newest_first_paginated_and_escaped(w: World) -> None:
    ids = _mentions(w, 55)
    client = signed_in(w.lead)
    html = text(client.get("/surveys/mentions/"))
    assert html.index("post 0<") < html.index("post 1<")
    assert "<script>alert(0)</script>" not in html and "&lt;script&gt;alert(0)" in html
    assert html.count('data-testid="make-ticket"') == 50
    assert 'href="https://x.com/user0/status/0"' in html
    second = text(client.get("/surveys/mentions/?page=2"))
    assert second.count("data-mention-id=") == 5 and f'data-mention-id="{ids[-1]}"' in second
    # Directors read the list but get no ticket buttons.
    director = text(signed_in(w.director).get("/surveys/mentions/"))
    assert "data-mention-id=" in director and 'data-testid="make-ticket"' not in director


def test_create_ticket_button_once(w: World) -> None:
    (mention_id,) = _mentions(w, 1)
    client = signed_in(w.lead)
    url = f"/surveys/mentions/{mention_id}/ticket/"
    assert client.get(url).status_code == 405
    first = client.post(url)
    ticket = Ticket.objects.get(channel="social")
    assert first.status_code == 302 and first["Location"] == f"/tickets/{ticket.pk}/"
    again = client.post(url)
    assert again["Location"] == f"/tickets/{ticket.pk}/"
    assert Ticket.objects.filter(channel="social").count() == 1
    html = text(client.get("/surveys/mentions/"))
    assert f'href="/tickets/{ticket.pk}/"' in html and 'data-testid="make-ticket"' not in html
    # Without the CSRF token the button does nothing.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(w.manager)
    assert strict.post(url).status_code == 403
    assert signed_in(w.director).post(url).status_code == 403
    assert signed_in(w.agent).post(url).status_code == 403
    assert signed_in(w.lead).post("/surveys/mentions/999999/ticket/").status_code == 404
