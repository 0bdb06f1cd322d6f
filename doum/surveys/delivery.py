"""Survey delivery: invitations after a solve (CSAT, CES) and in NPS rounds, the send job,
the one reminder, and expiry.

Scheduling (`schedule_after_solve`, called by the trigger effect "survey"): one invitation
per (ticket, solve version, kind), so a reopened and re-solved ticket is asked again and the
older unanswered invitation of the same ticket is cancelled (not sent yet) or expired (sent).
The assignee, team, organization, channel and CSAT scale are copied at solve time. A ticket or
customer that may not be surveyed still gets its invitation row, CANCELLED with the reason
(`CANCEL_REASONS`), so "why did this customer get no survey?" has an answer.

Who is not surveyed (checked when scheduling and again when sending):
* the ticket is spam, deleted or merged; it was solved by an automation, the system or an
  import; it was reopened (or solved again) before the mail went out;
* the requester is staff, inactive, has no address or a bounced one, or opted out;
* the brand turned the kind off;
* the quiet period: the customer was sent a survey (any kind, any brand) within the brand's
  `quiet_days`. Invitations for the *same ticket* are exempt, so CSAT and CES about one solve
  both go out, and a re-solved ticket may be rated again.

Sending (`send_due`, every minute): each due invitation is claimed with a conditional UPDATE
(SCHEDULED → SENT) inside the transaction that queues its mail, so two workers never send the
same one, and a crash leaves either both or neither. Reminders are claimed the same way on
`reminded_at`. Mail goes through `doum.mail.outbound.queue_message` as automatic mail of kind
"survey" (bounced addresses, Doum's own addresses and the loop caps apply), in the customer's
language with the brand's wording.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from doum.accounts.models import Identity, User
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.text import single_line
from doum.mail.models import OutboundMessage
from doum.surveys import tokens, wording
from doum.surveys.models import (
    InvitationStatus,
    SurveyInvitation,
    SurveyKind,
    SurveyOptOut,
    SurveySettings,
)
from doum.surveys.selectors import settings_for
from doum.tickets.models import EventKind, Status, Ticket, TicketEvent, Via

log = logging.getLogger(__name__)

SOLVE_KINDS = (SurveyKind.CSAT, SurveyKind.CES)
AUTOMATIC_SOLVES = (Via.AUTOMATION, Via.SYSTEM, Via.IMPORT)
BATCH = 200
MAX_DELAY_MINUTES = 30 * 24 * 60

# Why an invitation was cancelled (stored in `cancel_reason`, shown with these labels).
CANCEL_REASONS = {
    "spam": gettext_lazy("The ticket was marked as spam."),
    "deleted": gettext_lazy("The ticket was deleted."),
    "merged": gettext_lazy("The ticket was merged into another."),
    "automatic_solve": gettext_lazy("The ticket was solved by an automation or an import."),
    "not_solved": gettext_lazy("The ticket was reopened before the survey was sent."),
    "superseded": gettext_lazy("The ticket was solved again: a newer survey replaces this one."),
    "staff_requester": gettext_lazy("The requester is a member of staff."),
    "no_address": gettext_lazy("The customer has no address we can mail."),
    "opted_out": gettext_lazy("The customer asked for no more surveys."),
    "quiet_period": gettext_lazy("The customer was surveyed recently (quiet period)."),
    "disabled": gettext_lazy("The brand turned this survey off."),
    "mail_suppressed": gettext_lazy("The mail was held back (loop caps or a bounced address)."),
}


def new_nonce() -> str:
    return secrets.token_hex(16)


# --- checks ---------------------------------------------------------------------------------


def _last_solve(ticket_id: int) -> TicketEvent | None:
    return (
        TicketEvent.objects.filter(
            ticket_id=ticket_id,
            kind=EventKind.FIELD_CHANGED,
            field="status",
            new_value=Status.SOLVED,
        )
        .order_by("-version", "-id")
        .first()
    )


def kind_enabled(survey_settings: SurveySettings, kind: str) -> bool:
    if kind == SurveyKind.CSAT:
        return survey_settings.csat_enabled
    if kind == SurveyKind.CES:
        return survey_settings.ces_enabled
    return survey_settings.nps_enabled


def mailable(user: User) -> bool:
    """An active customer with an address that has not bounced."""
    if not user.is_active or not user.email:
        return False
    return not Identity.objects.filter(
        kind=Identity.Kind.EMAIL, value=user.email.lower(), bounced_at__isnull=False
    ).exists()


def customer_reason(user: User) -> str:
    """Why this person may not be surveyed ("" when they may)."""
    if user.role != Role.CUSTOMER:
        return "staff_requester"
    if not mailable(user):
        return "no_address"
    if SurveyOptOut.objects.filter(customer_id=user.pk).exists():
        return "opted_out"
    return ""


def in_quiet_period(
    customer_id: int, quiet_days: int, now: datetime, *, ticket_id: int | None, exclude_id: int
) -> bool:
    """Whether the customer was sent another survey within `quiet_days` (the same ticket's
    invitations do not count)."""
    if quiet_days <= 0:
        return False
    recent = SurveyInvitation.objects.filter(
        customer_id=customer_id, sent_at__gt=now - timedelta(days=quiet_days)
    ).exclude(pk=exclude_id)
    if ticket_id is not None:
        recent = recent.exclude(ticket_id=ticket_id)
    return recent.exists()


def ticket_reason(ticket: Ticket) -> str:
    if ticket.deleted_at is not None:
        return "deleted"
    if ticket.is_spam:
        return "spam"
    if ticket.merged_into_id is not None:
        return "merged"
    return ""


def _solve_reason(solve: TicketEvent) -> str:
    return "automatic_solve" if solve.imported or solve.via in AUTOMATIC_SOLVES else ""


# --- scheduling -----------------------------------------------------------------------------


def schedule_after_solve(
    ticket_id: int, *, kinds: Sequence[str] = (SurveyKind.CSAT,), delay_minutes: int | None = None
) -> list[SurveyInvitation]:
    """Invitations for the ticket's latest solve, one per kind (idempotent: a second call for
    the same solve returns the same rows). Kinds the brand turned off get none; a ticket or
    customer that may not be surveyed gets a CANCELLED row with the reason. Nothing when the
    ticket does not exist or was never solved."""
    with transaction.atomic():
        ticket = Ticket.objects.select_related("requester", "brand").filter(pk=ticket_id).first()
        if ticket is None:
            return []
        solve = _last_solve(ticket.pk)
        if solve is None:
            return []
        survey_settings = settings_for(ticket.brand_id)
        now = clock.now()
        delay = survey_settings.csat_delay_minutes if delay_minutes is None else delay_minutes
        delay = max(0, min(int(delay), MAX_DELAY_MINUTES))
        found: list[SurveyInvitation] = []
        for kind in dict.fromkeys(kinds):
            if kind not in SOLVE_KINDS or not kind_enabled(survey_settings, kind):
                continue
            invitation = _schedule_one(ticket, solve, kind, survey_settings, now, delay)
            found.append(invitation)
        return found


def _schedule_one(
    ticket: Ticket,
    solve: TicketEvent,
    kind: str,
    survey_settings: SurveySettings,
    now: datetime,
    delay: int,
) -> SurveyInvitation:
    existing = SurveyInvitation.objects.filter(
        ticket_id=ticket.pk, solve_version=solve.version, kind=kind
    ).first()
    if existing is not None:
        return existing
    _supersede(ticket.pk, kind, solve.version)
    from doum.mail.templates_store import language_for

    requester = ticket.requester
    send_at = now + timedelta(minutes=delay)
    reason = ticket_reason(ticket) or _solve_reason(solve)
    if not reason and ticket.status not in (Status.SOLVED, Status.CLOSED):
        reason = "not_solved"
    reason = reason or customer_reason(requester)
    if not reason and in_quiet_period(
        requester.pk, survey_settings.quiet_days, now, ticket_id=ticket.pk, exclude_id=0
    ):
        reason = "quiet_period"
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                kind=kind,
                status=InvitationStatus.CANCELLED if reason else InvitationStatus.SCHEDULED,
                brand_id=ticket.brand_id,
                customer=requester,
                ticket=ticket,
                solve_version=solve.version,
                assignee_id=ticket.assignee_id,
                team_id=ticket.team_id,
                organization_id=ticket.organization_id,
                channel=ticket.channel,
                csat_scale=survey_settings.csat_scale if kind == SurveyKind.CSAT else "",
                language=language_for(requester),
                nonce=new_nonce(),
                send_at=send_at,
                expires_at=send_at + timedelta(days=survey_settings.link_valid_days),
                cancel_reason=reason,
                created_at=now,
            )
    except IntegrityError:  # scheduled by a concurrent call for the same solve
        return SurveyInvitation.objects.get(
            ticket_id=ticket.pk, solve_version=solve.version, kind=kind
        )
    if reason:
        log.info("survey %s for #%s not sent: %s", kind, ticket.pk, reason)
    return invitation


def _supersede(ticket_id: int, kind: str, solve_version: int) -> None:
    """An earlier solve's unanswered invitation gives way to the new one."""
    older = SurveyInvitation.objects.filter(ticket_id=ticket_id, kind=kind).exclude(
        solve_version=solve_version
    )
    older.filter(status=InvitationStatus.SCHEDULED).update(
        status=InvitationStatus.CANCELLED, cancel_reason="superseded"
    )
    older.filter(status=InvitationStatus.SENT).update(
        status=InvitationStatus.EXPIRED, cancel_reason="superseded"
    )


# --- sending --------------------------------------------------------------------------------


def send_due(*, limit: int = BATCH) -> int:
    """Expire what ran out, send the due invitations and the due reminders; returns how many
    mails were queued."""
    now = clock.now()
    expire(now)
    queued = 0
    due = list(
        SurveyInvitation.objects.filter(status=InvitationStatus.SCHEDULED, send_at__lte=now)
        .order_by("send_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        try:
            queued += int(send_invitation(pk))
        except Exception:
            log.exception("survey invitation %s could not be sent", pk)
    reminders = list(
        SurveyInvitation.objects.filter(
            status=InvitationStatus.SENT, reminded_at__isnull=True, reminder_due_at__lte=now
        )
        .order_by("reminder_due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in reminders:
        try:
            queued += int(send_reminder(pk))
        except Exception:
            log.exception("survey reminder %s could not be sent", pk)
    return queued


def expire(now: datetime | None = None) -> int:
    """Invitations past their `expires_at` that were never answered become EXPIRED."""
    now = now or clock.now()
    return SurveyInvitation.objects.filter(
        status__in=[InvitationStatus.SCHEDULED, InvitationStatus.SENT], expires_at__lte=now
    ).update(status=InvitationStatus.EXPIRED)


def _cancel(invitation_id: int, reason: str) -> None:
    SurveyInvitation.objects.filter(pk=invitation_id).update(
        status=InvitationStatus.CANCELLED, cancel_reason=reason[:200]
    )
    log.info("survey invitation %s cancelled: %s", invitation_id, reason)


def send_reason(invitation: SurveyInvitation, now: datetime) -> str:
    """Why this invitation may not go out now ("" when it may)."""
    survey_settings = settings_for(invitation.brand_id)
    if not kind_enabled(survey_settings, invitation.kind):
        return "disabled"
    ticket = invitation.ticket
    if ticket is not None:
        reason = ticket_reason(ticket)
        if reason:
            return reason
        solve = _last_solve(ticket.pk)
        if ticket.status not in (Status.SOLVED, Status.CLOSED):
            return "not_solved"
        if solve is None or solve.version != invitation.solve_version:
            return "superseded"
    reason = customer_reason(invitation.customer)
    if reason:
        return reason
    if in_quiet_period(
        invitation.customer_id,
        survey_settings.quiet_days,
        now,
        ticket_id=invitation.ticket_id,
        exclude_id=invitation.pk,
    ):
        return "quiet_period"
    return ""


def _load(invitation_id: int) -> SurveyInvitation:
    return SurveyInvitation.objects.select_related(
        "brand", "customer", "ticket", "ticket__brand"
    ).get(pk=invitation_id)


def send_invitation(invitation_id: int) -> bool:
    """Claim one due invitation and queue its mail; False when another worker has it, it is
    not due, or it may not be sent (then it is cancelled with the reason)."""
    from doum.mail.models import OutboundStatus
    from doum.mail.templates_store import language_for

    now = clock.now()
    with transaction.atomic():
        row = SurveyInvitation.objects.filter(
            pk=invitation_id, status=InvitationStatus.SCHEDULED, send_at__lte=now
        )
        hours = _reminder_hours(invitation_id)
        claimed = row.update(
            status=InvitationStatus.SENT,
            sent_at=now,
            reminder_due_at=now + timedelta(hours=hours) if hours else None,
        )
        if claimed != 1:
            return False
        invitation = _load(invitation_id)
        reason = send_reason(invitation, now)
        if reason:
            _cancel(invitation.pk, reason)
            return False
        language = language_for(invitation.customer)
        if language != invitation.language:
            SurveyInvitation.objects.filter(pk=invitation.pk).update(language=language)
            invitation.language = language
        msg = _queue_mail(invitation, reminder=False)
        if msg.status == OutboundStatus.SUPPRESSED:
            _cancel(invitation.pk, "mail_suppressed")
            return False
    return True


def _reminder_hours(invitation_id: int) -> int:
    brand_id = (
        SurveyInvitation.objects.filter(pk=invitation_id).values_list("brand_id", flat=True).first()
    )
    if brand_id is None:
        return 0
    return int(settings_for(brand_id).reminder_after_hours)


def send_reminder(invitation_id: int) -> bool:
    """Claim the one reminder of a sent, unanswered invitation and queue it. A reminder that
    may not go out (the ticket reopened, the customer opted out) is claimed and dropped; one
    whose ticket became spam or was deleted cancels the invitation."""
    now = clock.now()
    with transaction.atomic():
        claimed = SurveyInvitation.objects.filter(
            pk=invitation_id,
            status=InvitationStatus.SENT,
            reminded_at__isnull=True,
            reminder_due_at__lte=now,
            expires_at__gt=now,
        ).update(reminded_at=now)
        if claimed != 1:
            return False
        invitation = _load(invitation_id)
        if invitation.ticket is not None and ticket_reason(invitation.ticket):
            _cancel(invitation.pk, ticket_reason(invitation.ticket))
            return False
        ticket = invitation.ticket
        if ticket is not None and ticket.status not in (Status.SOLVED, Status.CLOSED):
            return False
        if customer_reason(invitation.customer):
            return False
        _queue_mail(invitation, reminder=True)
    return True


# --- the mail -------------------------------------------------------------------------------


def site_url(brand_portal_host: str) -> str:
    """Where the customer's links point: the brand's portal host, else DOUM_BASE_URL."""
    host = single_line(brand_portal_host or "").strip("/")
    if host and "/" not in host and " " not in host:
        return f"https://{host}"
    return single_line(str(django_settings.DOUM_BASE_URL or "")).rstrip("/")


def rate_url(invitation: SurveyInvitation, score: int | None = None, *, base: str = "") -> str:
    path = reverse("survey:rate", args=[tokens.make_token(invitation, tokens.RATE)])
    query = f"?score={int(score)}" if score is not None else ""
    return f"{base}{path}{query}"


def opt_out_url(invitation: SurveyInvitation, *, base: str = "") -> str:
    return base + reverse("survey:opt_out", args=[tokens.make_token(invitation, tokens.OPT_OUT)])


def _first_name(name: str) -> str:
    parts = single_line(name).split()
    return parts[0] if parts else ""


def placeholder_values(invitation: SurveyInvitation) -> dict[str, str]:
    customer = invitation.customer
    ticket = invitation.ticket
    return {
        "brand.name": single_line(invitation.brand.name),
        "ticket.number": str(ticket.pk) if ticket is not None else "",
        "ticket.subject": single_line(ticket.subject) if ticket is not None else "",
        "requester.name": single_line(customer.name) or (customer.email or ""),
        "requester.first_name": _first_name(customer.name) or (customer.email or ""),
    }


def mail_context(invitation: SurveyInvitation, *, reminder: bool) -> dict[str, object]:
    """What the mail templates see: the filled wording, one link per score, the opt-out link."""
    survey_settings = settings_for(invitation.brand_id)
    language = invitation.language or "en"
    words = wording.filled(
        wording.wording_for(survey_settings, invitation.kind, language),
        placeholder_values(invitation),
    )
    base = site_url(invitation.brand.portal_host)
    token_path = reverse("survey:rate", args=[tokens.make_token(invitation, tokens.RATE)])
    links = [
        {"score": score, "label": label, "url": f"{base}{token_path}?score={score}"}
        for score, label in wording.choices(invitation.kind, invitation.csat_scale, language)
    ]
    with translation.override(language):
        low, high = wording.scale_ends(invitation.kind)
    return {
        "words": words,
        "intro_paragraphs": [p for p in words["intro"].split("\n\n") if p.strip()],
        "links": links,
        "numeric": not (invitation.kind == SurveyKind.CSAT and invitation.csat_scale != "five"),
        "low_label": low,
        "high_label": high,
        "opt_out_url": opt_out_url(invitation, base=base),
        "brand_name": single_line(invitation.brand.name),
        "reminder": reminder,
        "expires_at": invitation.expires_at,
    }


def render_mail(invitation: SurveyInvitation, *, reminder: bool) -> tuple[str, str, str]:
    """(subject, text, html) of the invitation's mail in its language."""
    context = mail_context(invitation, reminder=reminder)
    language = invitation.language or "en"
    with translation.override(language):
        words = context["words"]
        assert isinstance(words, dict)
        subject = str(words["subject"])
        if reminder:
            from django.utils.translation import gettext as _

            subject = _("Reminder: %(subject)s") % {"subject": subject}
        text = render_to_string("surveys/mail/invitation.txt", context)
        html = render_to_string("surveys/mail/invitation.html", context)
    return single_line(subject), text, html


def _queue_mail(invitation: SurveyInvitation, *, reminder: bool) -> OutboundMessage:
    from doum.mail import outbound
    from doum.mail.models import OutboundKind

    subject, text, html = render_mail(invitation, reminder=reminder)
    return outbound.queue_message(
        kind=OutboundKind.SURVEY,
        ticket=invitation.ticket,
        to=[invitation.customer.email or ""],
        subject=subject,
        body_text=text,
        body_html=html,
        is_automatic=True,
        auto_value=outbound.auto_submitted_for(OutboundKind.SURVEY),
    )


# --- NPS rounds -----------------------------------------------------------------------------


def start_nps_rounds(*, seed: int | None = None) -> list[SurveyInvitation]:
    """For every brand with NPS on whose last round is older than its interval: claim the
    round (conditional UPDATE on `nps_last_run_at`) and invite a sample of its customers."""
    now = clock.now()
    created: list[SurveyInvitation] = []
    for row in SurveySettings.objects.filter(nps_enabled=True).order_by("brand_id"):
        last = row.nps_last_run_at
        if last is not None and last > now - timedelta(days=row.nps_interval_days):
            continue
        claim = SurveySettings.objects.filter(pk=row.pk, nps_enabled=True)
        claim = claim.filter(nps_last_run_at=last) if last else claim.filter(nps_last_run_at=None)
        if claim.update(nps_last_run_at=now) != 1:
            continue
        created += nps_round(row, now=now, seed=seed)
    return created


def eligible_nps_customers(survey_settings: SurveySettings, now: datetime) -> list[int]:
    """Active customers with a mailable address who had a ticket with the brand in the
    interval (not spam, not deleted), not opted out, not in the quiet period, and with no
    survey waiting to be sent; sorted ids."""
    since = now - timedelta(days=survey_settings.nps_interval_days)
    with_tickets = (
        Ticket.objects.filter(brand_id=survey_settings.brand_id, is_spam=False)
        .filter(deleted_at__isnull=True)
        .filter(Q(created_at__gte=since) | Q(updated_at__gte=since))
        .values("requester_id")
    )
    people = (
        User.objects.filter(pk__in=with_tickets, role=Role.CUSTOMER, is_active=True)
        .exclude(email__isnull=True)
        .exclude(email="")
        .exclude(survey_opt_out__isnull=False)
        .exclude(
            pk__in=SurveyInvitation.objects.filter(status=InvitationStatus.SCHEDULED).values(
                "customer_id"
            )
        )
    )
    if survey_settings.quiet_days > 0:
        recent = SurveyInvitation.objects.filter(
            sent_at__gt=now - timedelta(days=survey_settings.quiet_days)
        ).values("customer_id")
        people = people.exclude(pk__in=recent)
    bounced = set(
        Identity.objects.filter(kind=Identity.Kind.EMAIL, bounced_at__isnull=False).values_list(
            "value", flat=True
        )
    )
    rows = people.order_by("pk").values_list("pk", "email")
    return [pk for pk, email in rows if (email or "").lower() not in bounced]


def sample(ids: Sequence[int], percent: int, *, seed: int | None) -> list[int]:
    """`percent` % of `ids` (rounded up; none for 0 %), chosen at random (fixed by `seed`)."""
    if not ids or percent <= 0:
        return []
    k = min(len(ids), -(-len(ids) * min(percent, 100) // 100))
    chooser = random.Random(seed) if seed is not None else random.SystemRandom()
    return sorted(chooser.sample(list(ids), k))


def nps_round(
    survey_settings: SurveySettings, *, now: datetime, seed: int | None = None
) -> list[SurveyInvitation]:
    """Invite a sample of the brand's eligible customers now (sent by the send job)."""
    from doum.mail.templates_store import language_for

    chosen = sample(
        eligible_nps_customers(survey_settings, now), survey_settings.nps_sample_percent, seed=seed
    )
    people = User.objects.filter(pk__in=chosen).order_by("pk")
    rows = [
        SurveyInvitation(
            kind=SurveyKind.NPS,
            status=InvitationStatus.SCHEDULED,
            brand_id=survey_settings.brand_id,
            customer=person,
            organization_id=person.organization_id,
            language=language_for(person),
            nonce=new_nonce(),
            send_at=now,
            expires_at=now + timedelta(days=survey_settings.link_valid_days),
            created_at=now,
        )
        for person in people
    ]
    with transaction.atomic():
        made = SurveyInvitation.objects.bulk_create(rows)
    log.info("NPS round for brand %s: %s invitations", survey_settings.brand_id, len(made))
    return made


def latest_invitation(ticket_id: int, kind: str = SurveyKind.CSAT) -> SurveyInvitation | None:
    """The ticket's invitation of `kind` for its latest solve that was or may be sent
    (scheduled, sent or answered), with its response; None when there is none."""
    return (
        SurveyInvitation.objects.filter(
            ticket_id=ticket_id,
            kind=kind,
            status__in=[
                InvitationStatus.SCHEDULED,
                InvitationStatus.SENT,
                InvitationStatus.ANSWERED,
            ],
        )
        .select_related("response", "brand", "customer")
        .order_by("-solve_version", "-id")
        .first()
    )


def may_answer(invitation: SurveyInvitation, now: datetime | None = None) -> bool:
    """Whether the customer may still give (or change) a rating on this invitation."""
    now = now or clock.now()
    if invitation.status in (InvitationStatus.SCHEDULED, InvitationStatus.SENT):
        return invitation.expires_at > now
    if invitation.status == InvitationStatus.ANSWERED:
        response = getattr(invitation, "response", None)
        if response is None:
            return False
        window = settings_for(invitation.brand_id).change_window_days
        return bool(now <= response.first_answered_at + timedelta(days=window))
    return False
