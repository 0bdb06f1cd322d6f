"""A manager imports survey answers from another tool in a real browser: the CSV is the one
Korean Excel saves (CP949 / EUC-KR, CRLF, Hangul headers and a Korean date), the page asks
for the score column, which the manager maps; the dry run lists the rejected rows (a score
out of range, a formula in a comment) and saves nothing; the real run imports the good row
with its Korean comment and its ticket."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from doum.core import clock
from doum.surveys.models import FeedbackImport, ResponseSource, SurveyResponse
from tests.browser.conftest import PageProblems, shot, sign_in
from tests.personas import World

SEOUL = ZoneInfo("Asia/Seoul")
COMMENT = "친절하게 답변해 주셔서 감사합니다. 빠른 해결, 좋았어요!"
FORMULA = '=HYPERLINK("http://evil.example/","환불 받기")'
FILENAME = "고객설문_11월.csv"


def _excel_csv(ticket_id: int, day: datetime) -> bytes:
    """What Korean Excel writes for "CSV (쉼표로 분리)": CP949, CRLF, no byte-order mark."""
    when = f"{day.year}. {day.month}. {day.day}. 오후 2:30"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["응답 ID", "티켓 번호", "만족도", "의견", "응답일"])
    writer.writerow(["K-1", ticket_id, "4", COMMENT, when])
    writer.writerow(["K-2", ticket_id, "9", "점수를 잘못 눌렀어요", when])
    writer.writerow(["K-3", ticket_id, "1", FORMULA, when])
    return out.getvalue().encode("euc-kr")


def _choose_file(page: Any, data: bytes) -> None:
    # A browser never keeps a chosen file across a page load: choose it again every time.
    page.get_by_label("CSV file").set_input_files(
        {"name": FILENAME, "mimeType": "text/csv", "buffer": data}
    )


def _upload(page: Any) -> None:
    page.click("#import-submit")
    page.wait_for_load_state("networkidle")


def test_a_manager_imports_a_korean_excel_csv_after_a_dry_run(
    page: Any, live_server: Any, world: World, problems: PageProblems
) -> None:
    day = (clock.now() - timedelta(days=2)).astimezone(SEOUL)
    data = _excel_csv(world.ticket.pk, day)
    assert b"\xef\xbb\xbf" not in data and COMMENT.encode("utf-8") not in data  # not UTF-8
    before = SurveyResponse.objects.count()
    # The first upload is refused on purpose (a column is missing): the browser logs its 400.
    problems.expected_statuses.add(400)

    sign_in(page, live_server.url, world.manager.email or "")
    page.goto(live_server.url + "/surveys/import/")
    assert page.locator("h1").inner_text() == "Import feedback"
    # Every field has its label (the test finds the fields by them).
    page.get_by_label("The file holds").select_option("responses")
    page.get_by_label("Kind of every response").select_option("csat")
    page.get_by_label("CSAT numbers are").select_option("five")
    page.get_by_label("Time zone of times without one").fill("Asia/Seoul")
    assert page.get_by_label("Encoding").input_value() == "auto"
    assert page.get_by_label("Dry run: check only, save nothing").is_checked()
    # The check boxes sit inside their labels, next to the words (not below them).
    for name in ("dry_run", "skip_invalid", "create_customers"):
        assert page.locator(f"#import-form label:has(input[type=checkbox][name={name}])").count()
    shot(page, "feedback-import-form")

    # 1. "만족도" is no column name the importer knows: the page says so, and saves nothing.
    _choose_file(page, data)
    _upload(page)
    error = page.locator("[data-testid=file-error]")
    assert "a column for score (map one with COLUMN=score)" in error.inner_text()
    assert "만족도" in error.inner_text()  # the header as the file has it, decoded
    # The choices made stay on the page.
    assert page.get_by_label("Kind of every response").input_value() == "csat"
    assert page.get_by_label("Time zone of times without one").input_value() == "Asia/Seoul"

    # 2. Map the column and check the file: a dry run.
    page.get_by_label("Column mapping").fill("만족도=score")
    _choose_file(page, data)
    assert page.get_by_label("Dry run: check only, save nothing").is_checked()
    _upload(page)
    report = page.locator("[data-testid=import-report]")
    assert page.locator("[data-testid=report-outcome]").inner_text() == (
        "Dry run: nothing was saved."
    )
    assert page.locator("[data-testid=report-encoding]").inner_text() == "cp949"
    assert page.locator("[data-testid=report-rows]").inner_text() == "3"
    assert page.locator("[data-testid=report-valid]").inner_text() == "1"
    assert page.locator("[data-testid=report-rejected]").inner_text() == "2"
    rejected = [
        [cell.strip() for cell in row]
        for row in report.locator("[data-testid=rejections] tbody tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells, c => c.innerText))"
        )
    ]
    assert rejected == [
        ["3", "만족도", "9 is out of range for CSAT (1 to 5)"],
        ["4", "의견", "looks like a spreadsheet formula (starts with '=H'); not imported"],
    ]
    # Each figure of the report is on the line of its label.
    for label in report.locator("dl dt").all():
        figure = label.locator("xpath=following-sibling::dd[1]")
        assert label.bounding_box()["y"] == figure.bounding_box()["y"], label.inner_text()
    assert SurveyResponse.objects.count() == before
    assert not FeedbackImport.objects.exists()
    shot(page, "feedback-import-dry-run")

    # 3. Import for real, the valid rows only.
    page.get_by_label("Dry run: check only, save nothing").uncheck()
    page.get_by_label("Import the valid rows even when some are rejected").check()
    assert page.get_by_label("Column mapping").input_value() == "만족도=score"
    _choose_file(page, data)
    _upload(page)
    assert page.locator("[data-testid=report-outcome]").inner_text() == "Imported 1 row."
    assert page.locator("[data-testid=report-rejected]").inner_text() == "2"
    assert report.locator("[data-testid=rejections] tbody tr").count() == 2
    recent = page.locator("[data-testid=recent-imports] tbody tr")
    assert recent.count() == 1
    recent_cells = [c.strip() for c in recent.locator("td").all_inner_texts()]
    assert recent_cells[2:] == [FILENAME, world.manager.name, "3", "1", "2"]
    shot(page, "feedback-import-done")

    assert SurveyResponse.objects.count() == before + 1
    saved = SurveyResponse.objects.select_related("ticket").get(external_id="K-1")
    assert (saved.kind, saved.score, saved.csat_scale) == ("csat", 4, "five")
    assert saved.comment == COMMENT  # the Hangul came through CP949 intact
    assert saved.ticket_id == world.ticket.pk and saved.customer_id == world.ticket.requester_id
    assert saved.team_id == world.ticket.team_id and saved.assignee_id == world.ticket.assignee_id
    assert saved.source == ResponseSource.IMPORT and saved.external_source == "custom"
    assert saved.answered_at == datetime(day.year, day.month, day.day, 14, 30, tzinfo=SEOUL)
    assert not SurveyResponse.objects.filter(external_id__in=["K-2", "K-3"]).exists()
    run = FeedbackImport.objects.get()
    assert (run.filename, run.rows, run.accepted, run.rejected) == (FILENAME, 3, 1, 2)
    assert run.encoding == "cp949" and run.mapping == {"score": "만족도"}

    # The answer is listed with the other survey responses, linked to its ticket.
    page.goto(live_server.url + "/surveys/")
    row = page.locator(f'#responses-table tr[data-response="{saved.pk}"]')
    assert COMMENT in row.locator("td.comment").inner_text()
    link = row.get_by_role("link", name=f"#{world.ticket.pk}")
    assert link.get_attribute("href") == reverse("tickets:ticket", args=[world.ticket.pk])
    shot(page, "feedback-import-responses")

    # The social mentions page, one link away from the import page, opens cleanly too.
    page.goto(live_server.url + "/surveys/import/")
    page.get_by_role("link", name="Social mentions").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/surveys/mentions/")
    shot(page, "feedback-mentions")
