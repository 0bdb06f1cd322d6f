"""History import (`doum import tickets FILE`): every event replayed through the real actions
under its own instant, marked imported, silent (no mail), reaching the metrics; hostile files
give a clear reason per ticket and leave nothing of a failed ticket behind."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from doum.accounts.models import User
from doum.mail.models import OutboundMessage
from doum.metrics.models import MetricsDirty
from doum.tickets import importing
from doum.tickets.models import Comment, EventKind, Ticket, TicketEvent, Via
from tests.personas import World

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ticket_a() -> dict[str, Any]:
    """Customer-submitted by mail to Billing; a pending pause; solved with two replies."""
    return {
        "external_id": "zd-1001",
        "subject": "Refund for order 77",
        "requester": {"email": "new.person@example.com", "name": "New Person"},
        "organization": "Acme Corp",
        "brand": "acme",
        "team": "Billing",
        "channel": "email",
        "priority": "high",
        "tags": ["refund", "vip"],
        "created_at": "2026-03-02T09:00:00Z",
        "body": "I want my money back.",
        "events": [
            {"at": "2026-03-02T09:30:00Z", "type": "assign", "author": "lead@doum.test",
             "value": "agent@doum.test"},
            {"at": "2026-03-02T10:00:00+00:00", "type": "comment", "author": "agent@doum.test",
             "public": True, "body": "<p>On it <script>alert(1)</script></p>", "html": True,
             "status": "pending"},
            {"at": "2026-03-02T21:00:00+09:00", "type": "comment",
             "author": "new.person@example.com", "body": "Any news?"},
            {"at": "2026-03-02T13:00:00Z", "type": "comment", "author": "agent@doum.test",
             "body": "Refunded.", "status": "solved"},
        ],
    }  # fmt: skip


def ticket_b() -> dict[str, Any]:
    """Opened by an agent on the phone for an existing customer; an internal note."""
    return {
        "external_id": "zd-1002",
        "subject": "Call back about invoice",
        "requester": {"email": "kim@acme.example"},
        "submitter": "agent@doum.test",
        "team": "Billing",
        "channel": "phone",
        "created_at": "2026-03-03T09:00:00Z",
        "body": "Customer called about the invoice.",
        "events": [
            {"at": "2026-03-03T09:05:00Z", "type": "comment", "author": "agent@doum.test",
             "public": False, "body": "Check with finance"},
            {"at": "2026-03-03T09:20:00Z", "type": "comment", "author": "kim@acme.example",
             "body": "Thanks, waiting."},
            {"at": "2026-03-03T09:50:00Z", "type": "comment", "author": "agent@doum.test",
             "body": "Invoice fixed."},
            {"at": "2026-03-03T10:00:00Z", "type": "priority", "author": "agent@doum.test",
             "value": "low"},
            {"at": "2026-03-03T10:00:00Z", "type": "status", "author": "agent@doum.test",
             "value": "solved"},
        ],
    }  # fmt: skip


def write_file(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "tickets.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def run(path: Path, *args: str) -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_data", "tickets", str(path), *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        err.write(str(error))
        code = 1
    return out.getvalue(), err.getvalue(), code


def test_import_writes_history_through_the_actions_silently_and_metrics_match(
    world: World, tmp_path: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    path = write_file(tmp_path, [ticket_a(), ticket_b()])
    before = Ticket.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        out, err, code = run(path)
    assert (code, err) == (0, "")
    assert "created 2, skipped 0, failed 0" in out
    assert Ticket.objects.count() == before + 2

    a = Ticket.objects.get(external_id="zd-1001")
    assert (a.channel, a.priority, a.team_id, a.assignee_id, a.status) == (
        "email", "high", world.billing.pk, world.agent.pk, "solved",
    )  # fmt: skip
    assert a.created_at == T0
    assert a.requester.email == "new.person@example.com" and a.requester.role == "customer"
    assert a.requester.organization_id == world.acme.pk
    events = list(TicketEvent.objects.filter(ticket=a).order_by("at", "id"))
    assert events and all(e.imported and e.via == Via.IMPORT for e in events)
    assert events[0].kind == EventKind.CREATED and events[0].at == T0
    # HTML is sanitised exactly as for a live reply.
    reply = Comment.objects.filter(ticket=a, author=world.agent).order_by("created_at").first()
    assert reply is not None and "<script" not in reply.body_html and "On it" in reply.body_text
    # Imported history sends nothing, but it is marked for the metrics refresh.
    assert not OutboundMessage.objects.exists()
    b = Ticket.objects.get(external_id="zd-1002")
    assert set(MetricsDirty.objects.values_list("ticket_id", flat=True)) >= {a.pk, b.pk}

    from doum.metrics import loading

    if not hasattr(loading, "compute_many"):
        pytest.skip("doum.metrics.loading.compute_many is not there yet")
    values = {v.ticket_id: v for v in loading.compute_many([a.pk, b.pk])}
    ma, mb = values[a.pk], values[b.pk]
    # A: created 09:00, first reply 10:00, pending 10:00-12:00, solved 13:00.
    assert ma.imported and not ma.agent_created
    assert ma.first_reply_s == 3600
    assert ma.full_resolution_s == 4 * 3600
    assert ma.agent_wait_s == 2 * 3600  # pending
    assert ma.requester_wait_s == 2 * 3600  # new 09-10 + open 12-13
    assert (ma.agent_replies, ma.one_touch, ma.two_touch, ma.reopens) == (2, False, True, 0)
    assert ma.team_changes == 0  # the first team is a station, not a transfer
    # B (agent-created): first reply is the agent's first public reply after the description.
    assert mb.agent_created and mb.imported
    assert mb.first_reply_s == 50 * 60
    assert mb.full_resolution_s == 3600
    assert (mb.agent_replies, mb.one_touch) == (1, True)
    assert mb.priority == "low"


def test_a_second_run_skips_what_is_there_and_dry_run_saves_nothing(
    world: World, tmp_path: Path
) -> None:
    path = write_file(tmp_path, [ticket_a(), ticket_b()])
    out, _, code = run(path, "--dry-run")
    assert code == 0 and "dry run: created 2, skipped 0, failed 0" in out
    assert not Ticket.objects.filter(external_id__startswith="zd-").exists()
    assert not User.objects.filter(email="new.person@example.com").exists()

    assert "created 2, skipped 0, failed 0" in run(path)[0]
    count = TicketEvent.objects.count()
    assert "created 0, skipped 2, failed 0" in run(path)[0]
    assert TicketEvent.objects.count() == count


def _failures(world: World, items: list[Any]) -> dict[int, str]:
    summary = importing.import_tickets(items)
    return {o.index: o.reason for o in summary.outcomes if o.status == "failed"}


def test_hostile_tickets_fail_one_by_one_with_reasons_and_leave_nothing(world: World) -> None:
    def variant(external_id: str, **changes: Any) -> dict[str, Any]:
        item = ticket_a()
        item["external_id"] = external_id
        item["requester"] = {"email": f"{external_id}@example.com"}
        item["events"][2]["author"] = f"{external_id}@example.com"
        item.update(changes)
        return item

    out_of_order = variant("h-order")
    out_of_order["events"] = list(reversed(out_of_order["events"]))
    unknown_agent = variant("h-agent")
    unknown_agent["events"][0]["value"] = "nobody@doum.test"
    customer_as_agent = variant("h-customer-agent")
    customer_as_agent["events"][0]["author"] = "kim@acme.example"
    late_failure = variant("h-late")
    late_failure["events"].append(
        {"at": "2026-03-02T14:00:00Z", "type": "status", "author": "agent@doum.test",
         "value": "closed-ish"}
    )  # fmt: skip
    items: list[Any] = [
        "not an object",
        variant("h-subject", subject="x" * (10 * 1024 * 1024)),
        variant("h-types", priority=3, tags="refund"),
        unknown_agent,
        out_of_order,
        variant("h-future", created_at="2999-01-01T00:00:00Z"),
        variant("h-naive", created_at="2026-03-02T09:00:00"),
        variant("h-team", team="Nope"),
        customer_as_agent,
        late_failure,
        variant("ok-1"),
        variant("ok-1"),  # duplicate in the file
        {"external_id": "h-empty", "subject": "", "requester": {}},
    ]
    failures = _failures(world, items)
    assert set(failures) == set(range(len(items))) - {10}, failures.get(10)
    assert "must be an object" in failures[0]
    assert "'subject' is longer than" in failures[1]
    assert "'priority' must be one of" in failures[2]
    assert "no staff member has the address nobody@doum.test" in failures[3]
    assert "time order" in failures[4]
    assert "in the future" in failures[5]
    assert "no time zone" in failures[6]
    assert "no team is called 'Nope'" in failures[7]
    assert "no staff member has the address kim@acme.example" in failures[8]
    assert "'value' must be one of" in failures[9]
    assert "appears more than once" in failures[11] and "index 10" in failures[11]
    assert "'subject' is empty" in failures[12]
    # Nothing of a failed ticket is saved: not the ticket, not the customer it would create.
    assert set(Ticket.objects.filter(external_id__startswith="h-").values_list("pk")) == set()
    assert not User.objects.filter(email__startswith="h-").exists()
    assert Ticket.objects.filter(external_id="ok-1").count() == 1


def test_an_action_refusing_mid_history_rolls_the_ticket_back(world: World) -> None:
    item = ticket_a()
    item["external_id"] = "h-refused"
    # A QA reviewer may not reply publicly: the action refuses at the third event.
    item["events"][1]["author"] = "qa@doum.test"
    summary = importing.import_tickets([item])
    assert summary.failed == 1
    assert summary.outcomes[0].reason.startswith("event 1 (comment): ")
    assert not Ticket.objects.filter(external_id="h-refused").exists()
    assert not User.objects.filter(email="new.person@example.com").exists()


def test_files_that_are_not_a_list_of_tickets(world: World, tmp_path: Path) -> None:
    for content, message in [
        ("{not json", "not JSON"),
        ('{"a": 1}', "list of tickets"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ]:
        _, err, code = run(write_file(tmp_path, content))
        assert code == 1 and message in err, err
    (tmp_path / "latin1.json").write_bytes(b"[\xff]")
    _, err, code = run(tmp_path / "latin1.json")
    assert code == 1 and "UTF-8" in err
    _, err, code = run(tmp_path / "missing.json")
    assert code == 1 and "Cannot read" in err
