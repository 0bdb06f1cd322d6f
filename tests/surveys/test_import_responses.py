"""Importing survey responses from other tools' CSV exports (doum.surveys.importing)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from doum.accounts.models import User
from doum.core.errors import Forbidden
from doum.surveys import importing
from doum.surveys.importing import ImportFileError, ImportReport, ResponseOptions
from doum.surveys.models import FeedbackImport, FollowUp, SocialMention, SurveyResponse
from doum.tickets import actions
from doum.tickets.models import Via
from tests.personas import World

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def w(world: World) -> Iterator[World]:
    with time_machine.travel(NOW, tick=False):
        yield world


def run(w: World, data: bytes, **options: object) -> ImportReport:
    return importing.do_import_responses(
        data,
        ResponseOptions(**options),  # type: ignore[arg-type]
        actor=w.manager,
    )


def counts() -> tuple[int, int, int, int]:
    return (
        SurveyResponse.objects.count(),
        FeedbackImport.objects.count(),
        FollowUp.objects.count(),
        User.objects.count(),
    )


def external_ids() -> list[str]:
    return sorted(str(i) for i in SurveyResponse.objects.values_list("external_id", flat=True))


def reasons(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(r.row, r.column, r.reason) for r in report.rejections]


# --- each tool's export ----------------------------------------------------------------------


def test_typeform_export_with_its_column_names(w: World) -> None:
    data = (
        "#,How likely are you to recommend us to a friend or colleague?,"
        "Anything else you would like to tell us?,email,ticket,Start Date (UTC),"
        "Submit Date (UTC),Network ID\n"
        f"tf1,9,Quick and kind,kim@acme.example,{w.ticket.pk},2026-11-29 04:58:00,"
        "2026-11-29 05:00:00,ab12\n"
        "tf2,10,,park@acme.example,,2026-11-29 06:00:00,2026-11-29 06:01:00,cd34\n"
    ).encode()
    report = run(w, data, source="typeform", kind="nps")
    assert (report.rows, report.imported, report.rejected_rows, report.saved) == (2, 2, 0, True)
    first = SurveyResponse.objects.get(external_source="typeform", external_id="tf1")
    # Typeform writes its submit times in UTC, whatever the importer's zone.
    assert first.answered_at == datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    assert (first.kind, first.score, first.comment) == ("nps", 9, "Quick and kind")
    assert first.customer == w.customer
    # The ticket's team, assignee, organization and channel are copied.
    assert (first.ticket_id, first.team, first.assignee) == (w.ticket.pk, w.billing, w.agent)
    assert (first.organization, first.channel) == (w.acme, w.ticket.channel)
    assert first.source == "import" and first.feedback_import_id == report.import_id
    second = SurveyResponse.objects.get(external_id="tf2")
    # No ticket: the customer's organization.
    assert (second.ticket, second.customer, second.organization) == (None, w.colleague, w.acme)
    record = FeedbackImport.objects.get(id=report.import_id or 0)
    assert (record.kind, record.source_name, record.rows, record.accepted, record.rejected) == (
        "responses",
        "typeform",
        2,
        2,
        0,
    )
    assert record.actor == w.manager and record.encoding == "utf-8"


def test_surveymonkey_export_skips_its_second_header_row(w: World) -> None:
    data = (
        b"Respondent ID,Collector ID,Start Date,End Date,Email Address,"
        b'"Overall, how satisfied or dissatisfied are you with our support?",Open-Ended Response\n'
        b",,,,,Response,Open-Ended Response\n"
        b"1001,77,11/29/2026 02:10:00 PM,11/29/2026 02:15:33 PM,kim@acme.example,4,Fine\n"
        b"1002,77,11/29/2026 03:10:00 PM,11/29/2026 03:15:00 PM,kim@acme.example,9,Too high\n"
    )
    report = run(w, data, source="surveymonkey", kind="csat")
    # The spreadsheet's row 4 (header 1, SurveyMonkey's sub-header 2) is the bad one.
    assert reasons(report) == [
        (
            4,
            "Overall, how satisfied or dissatisfied are you with our support?",
            "9 is out of range for CSAT (1 to 5)",
        )
    ]
    assert report.rows == 2 and not report.saved
    assert not SurveyResponse.objects.exists()
    report = run(w, data, source="surveymonkey", kind="csat", skip_invalid=True)
    saved = SurveyResponse.objects.get()
    # SurveyMonkey times are in the account's zone: the importer's (Asia/Seoul) by default.
    assert saved.answered_at == datetime(2026, 11, 29, 5, 15, 33, tzinfo=UTC)
    assert (saved.score, saved.csat_scale, saved.external_id) == (4, "five", "1001")


def test_qualtrics_export_skips_question_and_import_id_rows(w: World) -> None:
    data = (
        "StartDate,EndDate,RecordedDate,ResponseId,RecipientEmail,Q1,Q2,TicketID\n"
        "Start Date,End Date,Recorded Date,Response ID,Recipient Email,"
        "How likely are you to recommend us?,Why?,TicketID\n"
        '"{""ImportId"":""startDate""}","{""ImportId"":""endDate""}",'
        '"{""ImportId"":""recordedDate""}","{""ImportId"":""_recordId""}",'
        '"{""ImportId"":""recipientEmail""}","{""ImportId"":""QID1""}",'
        '"{""ImportId"":""QID2_TEXT""}","{""ImportId"":""TicketID""}"\n'
        "2026-11-28 10:00:00,2026-11-28 10:02:00,2026-11-28 10:02:01,R_abc,"
        f"kim@acme.example,3,너무 느려요,{w.ticket.pk}\n"
    ).encode()
    report = run(w, data, source="qualtrics", kind="nps", time_zone="UTC")
    assert (report.rows, report.imported, report.follow_ups) == (1, 1, 1)
    saved = SurveyResponse.objects.get(external_id="R_abc")
    assert (saved.score, saved.comment, saved.ticket_id) == (3, "너무 느려요", w.ticket.pk)
    # A recent NPS detractor opens a follow-up owned by the team's lead.
    follow_up = FollowUp.objects.get(response=saved)
    assert (follow_up.team, follow_up.owner, follow_up.ticket_id) == (
        w.billing,
        w.lead,
        w.ticket.pk,
    )


def test_medallia_export_with_semicolons_and_ticket_external_ids(w: World) -> None:
    other = actions.do_create_ticket(
        actor=w.agent, via=Via.WEB, subject="Old system ticket", body="b",
        requester_id=w.outsider.pk, external_id="zd-77",
    )  # fmt: skip
    data = (
        "Survey ID;Response Date;Email;Ticket ID;Likelihood to Recommend;Comments\n"
        "m-1;2026-11-30T09:00:00+09:00;;zd-77;8;Ok\n"
        f"m-2;2026-11-30T10:00:00Z;;#{w.ticket.pk};10;Great\n"
    ).encode()
    report = run(w, data, source="medallia", kind="nps")
    assert report.delimiter == ";" and report.imported == 2
    first = SurveyResponse.objects.get(external_id="m-1")
    # No e-mail address: the ticket's requester answered.
    assert (first.ticket, first.customer) == (other, w.outsider)
    assert first.answered_at == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert SurveyResponse.objects.get(external_id="m-2").customer == w.customer


def test_custom_mapping_and_kind_column(w: World) -> None:
    mapping = importing.parse_mapping(
        ["ID=response_id", "Mail=email", "Rating=score", "Note=comment", "When=date",
         "Survey=kind", "Why=reason"],
        importing.RESPONSE_FIELDS,
    )  # fmt: skip
    data = (
        "ID,Mail,Rating,Note,When,Survey,Why\n"
        "c1,kim@acme.example,5,좋아요,2026-11-30,ces,\n"
        "c2,kim@acme.example,만족,,2026-11-30 12:00,csat,\n"
        "c3,kim@acme.example,불만족,너무 늦어요,2026. 11. 30. 오후 2:15:00,CSAT,slow\n"
    ).encode()
    report = run(w, data, mapping=mapping)
    assert report.imported == 3, reasons(report)
    c1, c2, c3 = (SurveyResponse.objects.get(external_id=i) for i in ("c1", "c2", "c3"))
    assert (c1.kind, c1.score, c1.csat_scale) == ("ces", 5, "")
    assert (c2.kind, c2.score, c2.csat_scale) == ("csat", 1, "good_bad")
    assert (c3.score, c3.csat_scale, c3.reason) == (0, "good_bad", "slow")
    assert c3.answered_at == datetime(2026, 11, 30, 5, 15, tzinfo=UTC)  # 14:15 in Seoul
    assert all(r.external_source == "custom" for r in (c1, c2, c3))


def test_csat_good_bad_numbers_when_the_scale_says_so(w: World) -> None:
    data = b"response_id,score,date\na,1,2026-11-30\nb,0,2026-11-30\nc,2,2026-11-30\n"
    report = run(w, data, kind="csat", csat_scale="good_bad", skip_invalid=True)
    assert reasons(report) == [(4, "score", "2 is out of range for CSAT (0 to 1)")]
    assert sorted(SurveyResponse.objects.values_list("score", "csat_scale")) == [
        (0, "good_bad"),
        (1, "good_bad"),
    ]


# --- encodings and delimiters ----------------------------------------------------------------


def test_euc_kr_file_from_korean_excel(w: World) -> None:
    text = "응답 ID,이메일,점수,의견,응답일\nk1,kim@acme.example,2,상담원이 불친절했어요,2026-11-30 09:00\n"
    report = run(w, text.encode("euc-kr"), kind="csat")
    assert report.encoding == "cp949" and report.imported == 1
    saved = SurveyResponse.objects.get(external_id="k1")
    assert saved.comment == "상담원이 불친절했어요"
    assert FollowUp.objects.filter(response=saved).exists()  # CSAT 2 of 5 is bad


def test_utf16_tab_separated_unicode_text(w: World) -> None:
    text = "response_id\tscore\tcomment\tdate\nu1\t7\t쉬웠어요 👍\t2026-11-30 09:00\n"
    report = run(w, text.encode("utf-16"), kind="ces")
    assert (report.encoding, report.delimiter, report.imported) == ("utf-16", "\t", 1)
    assert SurveyResponse.objects.get(external_id="u1").comment == "쉬웠어요 👍"


def test_utf8_with_bom_header_is_recognised(w: World) -> None:
    data = "\ufeffresponse_id,score,date\nb1,10,2026-11-30\n".encode()
    report = run(w, data, kind="nps")
    assert (report.encoding, report.imported) == ("utf-8-sig", 1)


def test_undecodable_bytes_are_a_clear_error(w: World) -> None:
    data = b"response_id,score,date\nx1,10,2026-11-30\nx2,\xff\xfe\xfa\x80\x00,2026\n"
    before = counts()
    with pytest.raises(ImportFileError) as caught:
        run(w, data, kind="nps")
    message = str(caught.value)
    assert "byte 43" in message and "line 3" in message
    assert counts() == before


def test_nul_bytes_are_refused(w: World) -> None:
    # UTF-16 without a byte-order mark decodes as "UTF-8" full of NULs.
    data = "response_id,score,date\n".encode("utf-16-le")
    with pytest.raises(ImportFileError, match="NUL"):
        run(w, data, kind="nps")


def test_explicit_encoding_errors_name_the_line(w: World) -> None:
    data = "id,score,date\n1,5,2026-11-30\n2,5,한국\n".encode("cp949")
    with pytest.raises(ImportFileError, match="line 3"):
        run(w, data, kind="nps", encoding="utf-8")


def test_missing_columns_are_listed(w: World) -> None:
    data = b"response_id,comment\nr1,hello\n"
    with pytest.raises(ImportFileError) as caught:
        run(w, data, kind="nps", mapping={"email": "Customer"})
    message = str(caught.value)
    assert "'Customer' (mapped to email)" in message
    assert "a column for score" in message and "a column for date" in message


def test_no_kind_anywhere_is_a_file_error(w: World) -> None:
    with pytest.raises(ImportFileError, match="kind"):
        run(w, b"score,date\n5,2026-11-30\n")


def test_empty_file_and_size_and_row_caps(w: World, settings: object) -> None:
    with pytest.raises(ImportFileError, match="header"):
        run(w, b"", kind="nps")
    settings.DOUM_FEEDBACK_IMPORT_MAX_ROWS = 2  # type: ignore[attr-defined]
    data = b"score,date\n5,2026-11-30\n6,2026-11-30\n7,2026-11-30\n"
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        run(w, data, kind="nps")
    settings.DOUM_FEEDBACK_IMPORT_MAX_BYTES = 10  # type: ignore[attr-defined]
    import io

    with pytest.raises(ImportFileError, match="larger than"):
        importing.read_capped(io.BytesIO(data), chunk=4)
    assert not SurveyResponse.objects.exists()


# --- bad rows --------------------------------------------------------------------------------


def test_formula_cells_are_rejected(w: World) -> None:
    data = (
        b"response_id,email,score,comment,date\n"
        b'f1,kim@acme.example,9,"=HYPERLINK(""http://evil.example"",""click"")",2026-11-30\n'
        b"f2,kim@acme.example,9,@SUM(A1:A2),2026-11-30\n"
        b"f3,kim@acme.example,9,+cmd|' /C calc'!A0,2026-11-30\n"
        b"f4,kim@acme.example,9,\tleading tab,2026-11-30\n"
        b"=1+1,kim@acme.example,9,ok,2026-11-30\n"
        b"f6,kim@acme.example,9,- fine really,2026-11-30\n"
        b"f7,kim@acme.example,9,-1 point for speed,2026-11-30\n"
    )
    report = run(w, data, kind="nps", skip_invalid=True)
    rejected = reasons(report)
    assert [(row, column) for row, column, _ in rejected] == [
        (2, "comment"),
        (3, "comment"),
        (4, "comment"),
        (5, "comment"),
        (6, "response_id"),
    ]
    assert all("looks like a spreadsheet formula" in reason for _, _, reason in rejected)
    # A dash followed by a space or a digit is ordinary text.
    assert external_ids() == ["f6", "f7"]


def test_out_of_range_and_unreadable_scores(w: World) -> None:
    data = (
        b"response_id,kind,score,date\n"
        b"a,nps,11,2026-11-30\n"
        b"b,ces,0,2026-11-30\n"
        b"c,csat,6,2026-11-30\n"
        b"d,nps,abc,2026-11-30\n"
        b"e,ces,7.5,2026-11-30\n"
        b"f,nps,,2026-11-30\n"
        b"g,xps,5,2026-11-30\n"
        b"h,nps,10 - Extremely likely,2026-11-30\n"
        b"i,ces,7.0,2026-11-30\n"
    )
    report = run(w, data, skip_invalid=True)
    assert reasons(report) == [
        (2, "score", "11 is out of range for NPS (0 to 10)"),
        (3, "score", "0 is out of range for CES (1 to 7)"),
        (4, "score", "6 is out of range for CSAT (1 to 5)"),
        (5, "score", "'abc' is not a whole number"),
        (6, "score", "'7.5' is not a whole number"),
        (7, "score", "no score"),
        (8, "kind", "'xps' is not csat, nps or ces"),
    ]
    assert sorted(SurveyResponse.objects.values_list("external_id", "score")) == [
        ("h", 10),
        ("i", 7),
    ]


def test_unknown_ticket_unknown_customer_future_and_bad_dates(w: World) -> None:
    data = (
        b"response_id,email,ticket,score,date\n"
        b"a,kim@acme.example,999999,5,2026-11-30\n"
        b"b,nobody@nowhere.example,,5,2026-11-30\n"
        b"c,kim@acme.example,,5,2026-12-02 00:00\n"
        b"d,kim@acme.example,,5,yesterday\n"
        b"e,not-an-address,,5,2026-11-30\n"
    )
    before = counts()
    report = run(w, data, kind="nps")
    assert reasons(report) == [
        (2, "ticket", "no ticket #999999 in Doum"),
        (
            3,
            "email",
            "no customer has the address nobody@nowhere.example (allow creating customers "
            "to add them)",
        ),
        (4, "date", "2026-12-02 00:00 is in the future"),
        (5, "date", "'yesterday' is not a date (use ISO 8601, e.g. 2026-03-02 14:30)"),
        (6, "email", "'not-an-address' is not an e-mail address"),
    ]
    # All or nothing: only the run's record is written.
    assert counts() == (before[0], before[1] + 1, before[2], before[3])


def test_unknown_customers_created_when_allowed(w: World) -> None:
    data = (
        b"response_id,email,score,date\n"
        b"n1,new.person@newco.example,9,2026-11-30\n"
        b"n2,NEW.person@newco.example,10,2026-11-30\n"
    )
    dry = run(w, data, kind="nps", create_customers=True, dry_run=True)
    assert (dry.customers_created, dry.valid) == (1, 2)
    assert not User.objects.filter(email="new.person@newco.example").exists()
    report = run(w, data, kind="nps", create_customers=True)
    person = User.objects.get(email="new.person@newco.example")
    assert (report.customers_created, person.role) == (1, "customer")
    assert set(SurveyResponse.objects.values_list("customer", flat=True)) == {person.pk}


def test_html_in_comments_is_kept_as_text(w: World) -> None:
    data = b'response_id,score,comment,date\nh1,5,"<script>alert(1)</script><b>hi</b>",2026-11-30\n'
    run(w, data, kind="csat")
    assert SurveyResponse.objects.get().comment == "<script>alert(1)</script><b>hi</b>"


# --- idempotency, all or nothing, dry run ----------------------------------------------------


def test_duplicates_in_the_file_and_across_runs(w: World) -> None:
    data = b"response_id,score,date\nd1,9,2026-11-30\nd2,8,2026-11-30\nd1,9,2026-11-30\n"
    report = run(w, data, kind="nps", skip_invalid=True)
    assert reasons(report) == [
        (4, "response_id", "the same response appears again (first at row 2)")
    ]
    assert report.imported == 2
    again = run(w, data, kind="nps", skip_invalid=True)
    assert (again.imported, again.skipped, again.valid) == (0, 2, 2)
    assert SurveyResponse.objects.count() == 2


def test_rows_without_response_ids_are_still_idempotent(w: World) -> None:
    data = b"email,score,comment,date\nkim@acme.example,9,good,2026-11-30 10:00\n"
    assert run(w, data, kind="nps").imported == 1
    assert run(w, data, kind="nps").skipped == 1
    assert str(SurveyResponse.objects.get().external_id).startswith("row:")


def test_all_or_nothing_then_skip_invalid(w: World) -> None:
    data = b"response_id,score,date\nok1,9,2026-11-30\nbad,99,2026-11-30\nok2,3,2026-11-30\n"
    report = run(w, data, kind="nps")
    assert (report.saved, report.imported, report.valid, report.rejected_rows) == (False, 0, 2, 1)
    assert not SurveyResponse.objects.exists()
    record = FeedbackImport.objects.get(id=report.import_id or 0)
    assert (record.accepted, record.rejected) == (0, 1)
    assert record.rejections == [
        {"row": 3, "column": "score", "reason": "99 is out of range for NPS (0 to 10)"}
    ]
    report = run(w, data, kind="nps", skip_invalid=True)
    assert (report.saved, report.imported) == (True, 2)
    assert FeedbackImport.objects.get(id=report.import_id or 0).accepted == 2
    assert external_ids() == ["ok1", "ok2"]


def test_dry_run_writes_nothing(w: World) -> None:
    data = (
        b"response_id,email,score,comment,date\n"
        b"dr1,kim@acme.example,2,bad,2026-11-30\n"
        b"dr2,new@newco.example,10,good,2026-11-30\n"
        b"dr3,kim@acme.example,42,,2026-11-30\n"
    )
    before = counts()
    report = run(w, data, kind="nps", dry_run=True, create_customers=True)
    assert counts() == before
    assert (report.dry_run, report.saved, report.import_id) == (True, False, None)
    assert (report.rows, report.valid, report.rejected_rows) == (3, 2, 1)


def test_old_detractors_open_no_follow_up(w: World) -> None:
    data = b"response_id,score,date\nold,1,2026-11-01\nnew,1,2026-11-29\nfan,10,2026-11-29\n"
    report = run(w, data, kind="nps")
    assert (report.imported, report.follow_ups) == (3, 1)
    assert FollowUp.objects.get().response.external_id == "new"


def test_only_managers_and_admins_import(w: World) -> None:
    data = b"score,date\n5,2026-11-30\n"
    for user in (w.agent, w.lead, w.director):
        with pytest.raises(Forbidden):
            importing.do_import_responses(data, ResponseOptions(kind="nps"), actor=user)
    report = importing.do_import_responses(data, ResponseOptions(kind="nps"), actor=w.admin)
    assert report.imported == 1


# --- the command line ------------------------------------------------------------------------


def test_command_line_reports_rows_and_exits_non_zero(w: World, tmp_path: Path) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "typeform.csv"
    path.write_bytes(
        b"#,Likely,Submit Date (UTC)\nt1,9,2026-11-30 01:00:00\nt2,11,2026-11-30 01:00:00\n"
    )
    out, err = io.StringIO(), io.StringIO()
    args = ["import_data", "responses", str(path), "--source", "typeform", "--kind", "nps"]
    with pytest.raises(CommandError) as caught:
        call_command(*args, "--map", "Likely=score", "--dry-run", stdout=out, stderr=err)
    assert caught.value.returncode == 1
    assert "row 3, column Likely: 11 is out of range for NPS (0 to 10)" in err.getvalue()
    assert "dry run, nothing saved; rows 2, valid 1" in out.getvalue()
    assert not SurveyResponse.objects.exists()
    with pytest.raises(CommandError):
        call_command(*args, "--map", "Likely=score", "--skip-invalid", stdout=out, stderr=err)
    assert SurveyResponse.objects.get().external_source == "typeform"
    record = FeedbackImport.objects.get()
    assert (record.actor, record.accepted, record.rejected) == (None, 1, 1)
    with pytest.raises(CommandError, match="a column for score"):
        call_command(*args, stdout=out, stderr=err)


def test_command_line_mentions(w: World, tmp_path: Path) -> None:
    from django.core.management import call_command

    path = tmp_path / "mentions.csv"
    path.write_bytes("handle,text,time\n@kim,좋아요,2026-11-30 09:00\n".encode("utf-16"))
    out = io.StringIO()
    call_command("import_data", "mentions", str(path), "--channel", "line", stdout=out)
    assert "mentions: imported 1;" in out.getvalue() and "encoding utf-16" in out.getvalue()
    assert SocialMention.objects.get().channel == "line"
