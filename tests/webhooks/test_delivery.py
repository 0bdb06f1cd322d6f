"""Deliveries end to end, against a real HTTP receiver on 127.0.0.1 (allowed by the setting):
ticket changes become signed events, failures are retried with backoff until they give up,
dead deliveries replay, redirects are not followed, and a delivery is sent once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from doum.accounts.models import AuditLog
from doum.core import clock
from doum.tickets import actions as tickets
from doum.tickets.models import Status, Via
from doum.webhooks import actions, delivery, signing
from doum.webhooks.models import DeliveryError, DeliveryStatus, WebhookDelivery
from tests.personas import World
from tests.webhooks.conftest import Answer, Receiver, make_webhook, run_webhook_tasks

T0 = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)


def deliveries() -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.order_by("id"))


# --- ticket events ------------------------------------------------------------------------


def test_ticket_changes_arrive_signed_with_their_headers(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = make_webhook(world, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = tickets.do_create_ticket(
            actor=world.customer, via=Via.PORTAL, subject="Printer on fire", body="Help!"
        )
    run_webhook_tasks()
    [created] = receiver.received
    assert created.signature_ok
    assert created.path == "/hook"
    assert created.event == "ticket.created"
    assert created.headers["content-type"] == "application/json"
    assert created.headers["host"] == f"127.0.0.1:{receiver.port}"
    [row] = deliveries()
    assert created.headers["x-doum-delivery"] == str(row.pk)
    assert created.headers["x-doum-attempt"] == "1"
    assert created.headers["x-doum-signature"] == signing.signature(
        webhook.secret, int(created.headers["x-doum-timestamp"]), created.body
    )
    body = created.json
    assert body["id"] == row.pk and body["event"] == "ticket.created"
    assert body["webhook_id"] == webhook.pk
    data = body["data"]
    assert data["ticket"]["id"] == ticket.pk
    assert data["ticket"]["subject"] == "Printer on fire"
    assert data["ticket"]["status"] == "new" and data["ticket"]["version"] == 1
    assert data["change"]["created"] is True
    assert [e["kind"] for e in data["change"]["events"]] == ["created", "comment_added"]
    assert data["comments"][0]["body"] == "Help!"
    assert row.status == DeliveryStatus.SUCCEEDED and row.response_status == 200
    assert row.response_excerpt == "ok"


def test_comments_notes_and_solving_make_their_events(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    make_webhook(world, receiver)
    curious = make_webhook(world, receiver, name="Sees notes", include_internal=True)
    ticket = world.ticket
    with django_capture_on_commit_callbacks(execute=True):
        tickets.do_add_comment(ticket, actor=world.agent, via=Via.WEB, body="Refund sent.")
        tickets.do_add_comment(
            ticket, actor=world.agent, via=Via.WEB, body="card was stolen", public=False
        )
        tickets.do_update_ticket(
            ticket, actor=world.agent, via=Via.WEB, changes={"priority": "high"}
        )
        tickets.do_change_status(ticket, actor=world.agent, via=Via.WEB, status=Status.SOLVED)
    run_webhook_tasks()
    by_hook: dict[str, list[Any]] = {}
    for row in deliveries():
        by_hook.setdefault(row.webhook.name, []).append((row.event, row.payload))
    events = [e for e, _p in by_hook["Receiver"]]
    assert events == ["comment.added", "comment.added", "ticket.updated", "ticket.solved"]
    public, note = by_hook["Receiver"][0][1], by_hook["Receiver"][1][1]
    assert public["comments"] == [
        {**public["comments"][0], "is_public": True, "body": "Refund sent."}
    ]
    assert note["comments"][0]["is_public"] is False
    assert "body" not in note["comments"][0]  # an internal note's text stays inside
    assert note["change"]["events"][0]["is_public"] is False
    assert by_hook["Receiver"][2][1]["change"]["events"][0] == {
        "kind": "field_changed", "field": "priority", "old": "normal", "new": "high",
    }  # fmt: skip
    assert by_hook["Receiver"][3][1]["ticket"]["status"] == "solved"
    assert by_hook["Sees notes"][1][1]["comments"][0]["body"] == "card was stolen"
    assert curious.include_internal
    assert {r.status for r in deliveries()} == {DeliveryStatus.SUCCEEDED}
    assert len(receiver.received) == 8


def test_only_subscribed_active_webhooks_hear_and_the_past_is_skipped(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    make_webhook(world, receiver, events=["ticket.solved"])
    quiet = make_webhook(world, receiver, name="Off")
    actions.do_deactivate_webhook(quiet, actor=world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        tickets.do_add_comment(world.ticket, actor=world.agent, via=Via.WEB, body="hi")
        with clock.at(T0):  # demo seeding / import: not news for anyone
            tickets.do_create_ticket(actor=world.customer, via=Via.PORTAL, subject="Old", body="x")
    assert deliveries() == []


def test_queue_webhook_sends_a_rules_event_to_a_subscribed_webhook_only(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = make_webhook(world, receiver, events=["trigger", "sla.breached"])
    with django_capture_on_commit_callbacks(execute=True):
        sent = actions.queue_webhook(
            webhook.pk, ticket_id=world.ticket.pk, event="trigger", payload={"rule": 7, "at": T0}
        )
        assert actions.queue_webhook(
            webhook.pk, ticket_id=world.ticket.pk, event="sla.warning", payload={}
        ) is None  # fmt: skip
        assert actions.queue_webhook(9999, ticket_id=None, event="trigger", payload={}) is None
        assert actions.queue_event("sla.breached", ticket_id=world.ticket.pk, payload={"x": 1})
    run_webhook_tasks()
    assert [r.event for r in receiver.received] == ["trigger", "sla.breached"]
    assert receiver.received[0].json["data"] == {"rule": 7, "at": "2025-06-02T09:00:00Z"}
    assert WebhookDelivery.objects.get(pk=sent).ticket_id == world.ticket.pk
    with pytest.raises(ValueError):
        actions.queue_webhook(webhook.pk, ticket_id=None, event="ticket.exploded", payload={})


def test_nothing_is_queued_when_the_change_rolls_back(world: World, receiver: Receiver) -> None:
    webhook = make_webhook(world, receiver, events=["trigger"])
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
        raise RuntimeError("the rule failed")
    assert deliveries() == []


# --- retries, dead letters, replay --------------------------------------------------------


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = make_webhook(world, receiver, events=["trigger"])
    receiver.answer(Answer(500, body=b"boom"), Answer(503))
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={"n": 1})
        run_webhook_tasks()
        [row] = deliveries()
        assert row.status == DeliveryStatus.FAILED and row.attempts == 1
        assert row.response_status == 500 and row.response_excerpt == "boom"
        assert row.error_kind == DeliveryError.HTTP_STATUS
        first_wait = (row.next_attempt_at - T0).total_seconds()
        assert 60 <= first_wait <= 66
        run_webhook_tasks()  # the retry's task waits for its time
        assert len(receiver.received) == 1
    with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        run_webhook_tasks()
        row.refresh_from_db()
        assert row.status == DeliveryStatus.FAILED and row.attempts == 2
        assert 120 <= (row.next_attempt_at - clock.now()).total_seconds() <= 132
    with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        run_webhook_tasks()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SUCCEEDED and row.attempts == 3
    assert row.error_kind == "" and row.delivered_at is not None
    bodies = {r.body for r in receiver.received}
    assert len(receiver.received) == 3 and len(bodies) == 1  # the same bytes every time
    assert [r.headers["x-doum-attempt"] for r in receiver.received] == ["1", "2", "3"]
    assert all(r.signature_ok for r in receiver.received)


def test_backoff_doubles_up_to_the_cap(settings: Any) -> None:
    settings.DOUM_WEBHOOK_RETRY_BASE_S = 60
    settings.DOUM_WEBHOOK_RETRY_MAX_S = 3600
    for attempts, base in [(1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600), (12, 3600)]:
        delay = delivery.retry_delay(attempts).total_seconds()
        assert base <= delay <= base * 1.1, (attempts, delay)


def test_after_the_last_attempt_it_is_dead_and_an_admin_replays_it(
    world: World, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DOUM_WEBHOOK_MAX_ATTEMPTS = 3
    webhook = make_webhook(world, receiver, events=["trigger"])
    receiver.answer(*[Answer(500)] * 3)
    with time_machine.travel(T0, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
        for _attempt in range(3):
            run_webhook_tasks()
            traveller.shift(dt.timedelta(hours=1))
    [row] = deliveries()
    assert row.status == DeliveryStatus.DEAD and row.attempts == 3
    assert row.next_attempt_at is None
    assert len(receiver.received) == 3
    run_webhook_tasks()
    assert len(receiver.received) == 3  # dead stays dead

    with django_capture_on_commit_callbacks(execute=True):
        replayed = actions.do_replay_delivery(row.pk, actor=world.admin)
    assert replayed.status == DeliveryStatus.QUEUED and replayed.attempts == 0
    run_webhook_tasks()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SUCCEEDED and row.attempts == 1 and row.replays == 1
    assert receiver.received[-1].headers["x-doum-delivery"] == str(row.pk)
    assert receiver.received[-1].body == receiver.received[0].body
    audit = AuditLog.objects.get(action="webhook.delivery_replayed")
    assert audit.actor == world.admin and audit.target_id == str(row.pk)
    assert audit.data["previous"] == "dead"


def test_replay_is_for_admins_and_for_dead_or_failed_deliveries(
    world: World, receiver: Receiver
) -> None:
    from doum.core.errors import Conflict, Forbidden, InvalidInput

    webhook = make_webhook(world, receiver, events=["trigger"])
    pk = actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
    assert pk is not None
    with pytest.raises(Forbidden):
        actions.do_replay_delivery(pk, actor=world.manager)
    with pytest.raises(Conflict):  # still queued
        actions.do_replay_delivery(pk, actor=world.admin)
    WebhookDelivery.objects.filter(pk=pk).update(status=DeliveryStatus.DEAD)
    actions.do_deactivate_webhook(webhook, actor=world.admin)
    with pytest.raises(InvalidInput):
        actions.do_replay_delivery(pk, actor=world.admin)
    assert not AuditLog.objects.filter(action="webhook.delivery_replayed").exists()


def test_redirects_are_not_followed(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = make_webhook(world, receiver, events=["trigger"])
    receiver.answer(Answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data"}))
    with django_capture_on_commit_callbacks(execute=True):
        actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
    run_webhook_tasks()
    assert [r.path for r in receiver.received] == ["/hook"]
    [row] = deliveries()
    assert row.status == DeliveryStatus.FAILED
    assert row.error_kind == DeliveryError.REDIRECT and row.response_status == 302
    assert "169.254.169.254" in row.error


def test_an_inactive_webhook_gets_nothing_and_its_waiting_deliveries_give_up(
    world: World, receiver: Receiver
) -> None:
    webhook = make_webhook(world, receiver, events=["trigger"])
    pk = actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
    assert pk is not None
    actions.do_deactivate_webhook(webhook, actor=world.admin)
    assert delivery.send_delivery(pk) == DeliveryStatus.DEAD
    row = WebhookDelivery.objects.get(pk=pk)
    assert row.error_kind == DeliveryError.INACTIVE and receiver.received == []


def test_a_rotated_secret_signs_every_later_attempt(world: World, receiver: Receiver) -> None:
    webhook = make_webhook(world, receiver, events=["trigger"])
    old = webhook.secret
    pk = actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
    rotated = actions.do_rotate_webhook_secret(webhook, actor=world.admin)
    assert rotated.secret != old and rotated.secret.startswith("whsec_")
    receiver.secret = rotated.secret
    assert pk is not None and delivery.send_delivery(pk) == DeliveryStatus.SUCCEEDED
    assert receiver.received[0].signature_ok
    assert AuditLog.objects.filter(action="webhook.secret_rotated").count() == 1
    assert old not in str(list(AuditLog.objects.values_list("data", flat=True)))


# --- one send per delivery ----------------------------------------------------------------


def test_a_claimed_delivery_is_not_sent_twice(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = make_webhook(world, receiver, events=["trigger"])
    with django_capture_on_commit_callbacks(execute=True):
        pk = actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
    assert pk is not None
    delivery.enqueue(pk)  # a second task for the same delivery (a sweep, a retry, a crash)
    delivery.enqueue(pk)
    ran = run_webhook_tasks()
    assert len(ran) == 3
    assert len(receiver.received) == 1
    assert sorted(t.return_value for t in ran) == ["succeeded", "succeeded", "succeeded"]

    # Another worker holds the claim: this one leaves the delivery alone.
    WebhookDelivery.objects.filter(pk=pk).update(
        status=DeliveryStatus.QUEUED, next_attempt_at=clock.now()
    )
    assert delivery._claim(pk, clock.now())
    assert delivery.send_delivery(pk) == DeliveryStatus.SENDING
    assert len(receiver.received) == 1


def test_the_sweep_reenqueues_lost_tasks_and_takes_back_dead_workers_leases(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = make_webhook(world, receiver, events=["trigger"])
    with time_machine.travel(T0, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            lost = actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
            stuck = actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
        DBTaskResult.objects.all().delete()  # the enqueues were lost (a crash, a broken queue)
        assert stuck is not None and delivery._claim(stuck, clock.now())  # a worker that died
        assert delivery.retry_due() == 0  # not yet: its task may still come
        traveller.shift(dt.timedelta(minutes=3))
        assert delivery.retry_due() == 2
        assert delivery.retry_due() == 0  # enqueued once, however often the sweep runs
        run_webhook_tasks()
    rows = {r.pk: r for r in deliveries()}
    assert rows[lost].status == rows[stuck].status == DeliveryStatus.SUCCEEDED
    assert rows[stuck].attempts == 2  # the interrupted attempt counts
    assert len(receiver.received) == 2


def test_the_scheduler_runs_the_sweep() -> None:
    from doum.core import scheduler

    job = {j.name: j for j in scheduler.jobs()}["webhooks.retry_due"]
    assert job.seconds == 30 and job.task == "doum.webhooks.tasks.retry_due_task"
    assert scheduler._task(job.task) is not None


def test_the_sweep_forgets_old_delivered_events_but_keeps_dead_letters(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.DOUM_WEBHOOK_KEEP_DAYS = 30
    webhook = make_webhook(world, receiver, events=["trigger"])
    with time_machine.travel(T0, tick=False):
        sent, dead, recent = (
            actions.queue_webhook(webhook.pk, ticket_id=None, event="trigger", payload={})
            for _n in range(3)
        )
    WebhookDelivery.objects.filter(pk=sent).update(status=DeliveryStatus.SUCCEEDED)
    WebhookDelivery.objects.filter(pk=dead).update(status=DeliveryStatus.DEAD)
    WebhookDelivery.objects.filter(pk=recent).update(
        status=DeliveryStatus.SUCCEEDED, created_at=T0 + dt.timedelta(days=20)
    )
    with time_machine.travel(T0 + dt.timedelta(days=31), tick=False):
        delivery.retry_due()
    assert sorted(r.pk for r in deliveries()) == sorted([dead, recent])
