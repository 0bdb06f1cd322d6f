"""The writers of doum.alerts: opening and closing episodes, notifying once, reading notices."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from doum.accounts.models import Team, User
from doum.alerts import selectors
from doum.alerts.detection import Verdict
from doum.alerts.models import AlertEpisode, AlertKind, Notification
from doum.core import clock
from doum.core.errors import NotFound
from doum.core.text import single_line

log = logging.getLogger(__name__)


def _details(verdict: Verdict) -> dict[str, object]:
    return {
        "history": list(verdict.history),
        "spread": verdict.spread,
        "reason": verdict.reason,
    }


@transaction.atomic
def apply_verdict(
    kind: str, team_key: int, hour: datetime, verdict: Verdict, *, now: datetime
) -> tuple[str, int] | None:
    """Open, extend or close the (kind, team) episode for the judged `hour`.

    Returns ("opened" | "closed", episode id) or None when nothing opened or closed. Running it
    again for the same hour is a no-op: an hour is never judged twice into an episode.
    """
    if verdict.state == "unknown":
        return None
    episodes = AlertEpisode.objects.filter(kind=kind, team_key=team_key)
    current = episodes.filter(closed_at__isnull=True).select_for_update().first()
    if verdict.state == "normal":
        if current is None or hour <= current.last_anomalous_hour:
            return None
        closed = episodes.filter(pk=current.pk, closed_at__isnull=True).update(
            closed_at=now,
            details={**current.details, "closed_by_hour": hour.isoformat(),
                     "closing_value": verdict.value},
        )  # fmt: skip
        return ("closed", current.pk) if closed else None
    assert verdict.value is not None and verdict.baseline is not None
    assert verdict.threshold is not None
    if current is not None:
        if hour > current.last_anomalous_hour:
            current.last_anomalous_hour = hour
            worst = min if verdict.direction == "below" else max
            current.peak = worst(current.peak, verdict.value)
            current.save(update_fields=["last_anomalous_hour", "peak"])
        return None
    if episodes.filter(last_anomalous_hour__gte=hour).exists():
        return None  # this hour already belonged to an episode that has closed since
    team = Team.objects.filter(pk=team_key).first() if team_key else None
    if team_key and team is None:
        return None
    try:
        with transaction.atomic():
            episode = AlertEpisode.objects.create(
                kind=kind, team=team, team_key=team_key, opened_at=now, hour_start=hour,
                last_anomalous_hour=hour, value=verdict.value, baseline=verdict.baseline,
                threshold=verdict.threshold, peak=verdict.value, details=_details(verdict),
            )  # fmt: skip
    except IntegrityError:  # another run opened it at the same moment
        return None
    return ("opened", episode.pk)


# --- notifying -------------------------------------------------------------------------------


def _zone(user: User) -> ZoneInfo:
    for name in (user.time_zone, settings.DOUM_DEFAULT_TIME_ZONE, "UTC"):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def _fmt(kind: str, value: float) -> str:
    if kind == AlertKind.FIRST_REPLY_DEGRADATION:
        minutes = round(value / 60)
        return _("%(h)d h %(m)02d min") % {"h": minutes // 60, "m": minutes % 60}
    if kind == AlertKind.VOLUME_SPIKE:
        return f"{value:g}"
    if kind == AlertKind.CSAT_DEGRADATION:  # a percentage, as the analytics pages show CSAT
        number = formats.number_format(round(value, 1), 1, force_grouping=True)
        return _("%(value)s%%") % {"value": number}
    return f"{value:.2f}"


def message_for(episode: AlertEpisode, user: User) -> tuple[str, str]:
    """Title and body in the active language, times in `user`'s time zone."""
    scope = episode.team.name if episode.team is not None else _("the whole help desk")
    zone = _zone(user)
    start = episode.hour_start.astimezone(zone)
    hour = f"{start:%Y-%m-%d %H:00}–{(start.hour + 1) % 24:02d}:00 ({start.tzname()})"
    end = (episode.hour_start + timedelta(hours=1)).astimezone(zone)  # CSAT: its window's end
    figures = {
        "scope": single_line(scope),
        "hour": hour,
        "end": f"{end:%Y-%m-%d %H:%M} ({end.tzname()})",
        "value": _fmt(episode.kind, episode.value),
        "baseline": _fmt(episode.kind, episode.baseline),
        "threshold": _fmt(episode.kind, episode.threshold),
    }
    if episode.kind == AlertKind.VOLUME_SPIKE:
        title = _("Ticket volume spike: %(scope)s") % figures
        body = (
            _(
                "%(value)s tickets were created in %(scope)s between %(hour)s. The same hour in "
                "past weeks usually has %(baseline)s; the alert starts above %(threshold)s."
            )
            % figures
        )
    elif episode.kind == AlertKind.FIRST_REPLY_DEGRADATION:
        title = _("First replies are slow: %(scope)s") % figures
        body = (
            _(
                "The median first reply time in %(scope)s was %(value)s between %(hour)s. The same "
                "hour in past weeks usually has %(baseline)s; the alert starts above %(threshold)s."
            )
            % figures
        )
    else:
        title = _("Satisfaction is down: %(scope)s") % figures
        body = (
            _(
                "CSAT in %(scope)s was %(value)s in the 24 hours ending %(end)s. The same 24 "
                "hours in past weeks usually have %(baseline)s; the alert starts below "
                "%(threshold)s."
            )
            % figures
        )
    return title, body


def _notify(episode: AlertEpisode, now: datetime) -> None:
    from doum.mail import templates_store
    from doum.mail.models import OutboundKind
    from doum.mail.outbound import queue_message

    link = reverse("alerts:index")
    base = single_line(str(settings.DOUM_BASE_URL or "")).rstrip("/")
    people = selectors.recipients(episode)
    for user in people:
        language = templates_store.language_for(user)
        with translation.override(language):
            title, body = message_for(episode, user)
            footer = _("Open the alerts: %(url)s") % {"url": base + link}
        Notification.objects.create(
            user=user, title=title[:200], body=body, link=link, episode=episode, created_at=now
        )
        if user.email:
            queue_message(
                kind=OutboundKind.ESCALATION, ticket=None, to=[user.email],
                subject=f"[Doum] {title}", body_text=f"{body}\n\n{footer}\n",
                is_automatic=True, auto_value="auto-generated",
            )  # fmt: skip
    ids = [u.pk for u in people]
    transaction.on_commit(lambda: selectors.refresh_unread(ids))


def notify_pending(*, now: datetime | None = None) -> list[int]:
    """Notify every open episode nobody was told about yet, each exactly once.

    The claim is a conditional UPDATE of `notified_at`, in the same transaction as the
    notifications and the queued mail: a failure rolls the claim back (the next run tries
    again); a second runner finds nothing to claim.
    """
    now = now or clock.now()
    done: list[int] = []
    pending = AlertEpisode.objects.filter(notified_at__isnull=True, closed_at__isnull=True)
    for episode_id in pending.order_by("pk").values_list("pk", flat=True):
        try:
            with transaction.atomic():
                claimed = AlertEpisode.objects.filter(
                    pk=episode_id, notified_at__isnull=True
                ).update(notified_at=now)
                if not claimed:
                    continue
                episode = AlertEpisode.objects.select_related("team").get(pk=episode_id)
                _notify(episode, now)
        except Exception:
            log.exception("alert episode %s: notifying failed (retried next run)", episode_id)
            continue
        done.append(episode_id)
    return done


# --- notifications read by their owner -------------------------------------------------------


@transaction.atomic
def do_mark_notification_read(notification_id: int, *, actor: User) -> Notification:
    found = Notification.objects.select_for_update().filter(pk=notification_id, user=actor).first()
    if found is None:
        raise NotFound(_("No such notification."))
    if found.read_at is None:
        found.read_at = clock.now()
        found.save(update_fields=["read_at"])
        transaction.on_commit(lambda: selectors.refresh_unread([actor.pk]))
    return found


@transaction.atomic
def do_mark_all_notifications_read(*, actor: User) -> int:
    changed = Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=clock.now()
    )
    transaction.on_commit(lambda: selectors.refresh_unread([actor.pk]))
    return changed
