"""What every analytics page shares: which dashboards a role may open, the filter form,
figures that link to their drill-down, and numbers formatted in the viewer's language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from doum.accounts.models import Organization, Team, User
from doum.accounts.roles import Role
from doum.metrics import queries
from doum.metrics.queries import Filters, Stat, Summary
from doum.tickets.models import Channel, Priority, TicketType

# (key, title, url name, roles that may open it) in tab order.
DASHBOARDS: tuple[tuple[str, str | Promise, str, frozenset[str]], ...] = (
    (
        "agent",
        gettext_lazy("My numbers"),
        "metrics:agent",
        frozenset({Role.AGENT, Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN, Role.DIRECTOR}),
    ),
    (
        "team",
        gettext_lazy("Team"),
        "metrics:team",
        frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN, Role.DIRECTOR}),
    ),
    (
        "operations",
        gettext_lazy("Operations"),
        "metrics:operations",
        frozenset({Role.MANAGER, Role.ADMIN, Role.DIRECTOR, Role.QA_REVIEWER}),
    ),
    (
        "feedback",
        gettext_lazy("Customer feedback"),
        "metrics:feedback",
        frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN, Role.DIRECTOR, Role.QA_REVIEWER}),
    ),
    (
        "executive",
        gettext_lazy("Executive summary"),
        "metrics:executive",
        frozenset({Role.MANAGER, Role.ADMIN, Role.DIRECTOR}),
    ),
)
ROLES: dict[str, frozenset[str]] = {key: allowed for key, _t, _u, allowed in DASHBOARDS}
HOME: dict[str, str] = {
    Role.AGENT: "agent",
    Role.TEAM_LEAD: "team",
    Role.MANAGER: "operations",
    Role.ADMIN: "operations",
    Role.QA_REVIEWER: "operations",
    Role.DIRECTOR: "executive",
}
ANALYTICS_ANY = frozenset(HOME)
SETS_ANALYTICS = frozenset({Role.MANAGER, Role.ADMIN})

# Query-string keys the filter form sends (and the drill-down links carry on).
FILTER_KEYS = (
    "period",
    "from",
    "to",
    "team",
    "agent",
    "channel",
    "priority",
    "type",
    "tag",
    "organization",
    "custom",
    "hours",
)
MAX_PARAM_LENGTH = 200
PERIODS: tuple[tuple[str, str | Promise], ...] = (
    ("today", gettext_lazy("Today")),
    ("yesterday", gettext_lazy("Yesterday")),
    ("this_week", gettext_lazy("This week")),
    ("last_week", gettext_lazy("Last week")),
    ("last_7_days", gettext_lazy("Last 7 days")),
    ("last_30_days", gettext_lazy("Last 30 days")),
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("this_quarter", gettext_lazy("This quarter")),
    ("last_quarter", gettext_lazy("Last quarter")),
    ("custom", gettext_lazy("Custom (from – to)")),
)

DURATION_LABELS: dict[str, str | Promise] = {
    "first_reply": gettext_lazy("First reply time"),
    "next_reply": gettext_lazy("Next reply time"),
    "first_resolution": gettext_lazy("First resolution time"),
    "full_resolution": gettext_lazy("Resolution time"),
    "requester_wait": gettext_lazy("Requester wait time"),
    "agent_wait": gettext_lazy("Agent wait time"),
    "on_hold": gettext_lazy("On-hold time"),
    "agent_work": gettext_lazy("Agent work time"),
}
STATUS_LABELS: dict[str, str | Promise] = {
    "new": gettext_lazy("New"),
    "open": gettext_lazy("Open"),
    "pending": gettext_lazy("Pending"),
    "on_hold": gettext_lazy("On-hold"),
}
WEEKDAYS: tuple[str | Promise, ...] = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)


# ---------------------------------------------------------------- formatting


def fmt_count(value: float | None) -> str:
    if value is None:
        return "—"
    return formats.number_format(round(value), use_l10n=True, force_grouping=True)


def fmt_number(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return "—"
    return formats.number_format(round(value, decimals), decimals, force_grouping=True)


def fmt_rate(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(value)s%%") % {"value": fmt_number(value * 100, 1)}


def fmt_duration(seconds: float | None) -> str:
    """ "1h 20m" / "1시간 20분": the two largest units, rounded to the smaller one."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return pgettext("duration", "%(s)ss") % {"s": total}
    minutes = round(total / 60)
    if minutes < 60:
        return pgettext("duration", "%(m)sm") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if not minutes:
            return pgettext("duration", "%(h)sh") % {"h": hours}
        return pgettext("duration", "%(h)sh %(m)sm") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    if not hours:
        return pgettext("duration", "%(d)sd") % {"d": fmt_count(days)}
    return pgettext("duration", "%(d)sd %(h)sh") % {"d": fmt_count(days), "h": hours}


def fmt_day(day: date) -> str:
    return formats.date_format(day, "MONTH_DAY_FORMAT", use_l10n=True)


def fmt_instant(value: datetime, zone: str) -> str:
    return formats.date_format(
        value.astimezone(ZoneInfo(zone)), "SHORT_DATETIME_FORMAT", use_l10n=True
    )


def fmt_money(amount: float | None, currency: str) -> str:
    if amount is None:
        return "—"
    decimals = 0 if currency in {"KRW", "JPY"} else 2
    return f"{fmt_number(amount, decimals)} {currency}"


def fmt_change(now: float | None, before: float | None) -> tuple[str, str]:
    """The change from ``before`` to ``now`` as text and a direction ("up", "down", "")."""
    if now is None or before is None:
        return "—", ""
    if before == 0:
        if now == 0:
            return "±0", ""
        return _("new"), "up"
    change = (now - before) / abs(before)
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    text = f"{sign}{fmt_number(abs(change) * 100, 1)}%"
    return text, "up" if change > 0 else ("down" if change < 0 else "")


# ---------------------------------------------------------------- figures


def stat(summary: Summary, name: str, business: bool = False) -> Stat:
    """A duration's statistics ("first_reply"), empty when the summary has none."""
    return summary.durations.get(name) or Stat(0, None, None, None)


def value_of(summary: Summary, metric: str) -> float | None:
    """A figure of a summary by its Goal/Series name ("solved", "first_reply@median", ...)."""
    if "@" in metric:
        name, how = metric.split("@", 1)
        found = stat(summary, name)
        return {"median": found.median, "p90": found.p90, "mean": found.mean}.get(how)
    if metric in {"one_touch_rate", "reopen_rate", "sla_rate"}:
        rate: float | None = getattr(summary, metric)
        return rate
    if metric in {"created", "solved", "reopened", "agent_replies", "one_touch", "two_touch"}:
        return float(getattr(summary, metric))
    if metric in {"sla_met", "sla_breached", "backlog_end"}:
        return float(getattr(summary, metric))
    return None


def fmt_metric(metric: str, value: float | None) -> str:
    if "@" in metric:
        return fmt_duration(value)
    if metric.endswith("_rate"):
        return fmt_rate(value)
    return fmt_count(value)


# Which drill-down lists the tickets behind a Goal/Series figure.
DRILL_METRIC = {
    "one_touch_rate": "one_touch",
    "reopen_rate": "reopened",
    "sla_rate": "sla_breached",
    "backlog_end": "backlog",
}


def drill_metric(metric: str) -> str:
    return DRILL_METRIC.get(metric, metric.split("@", 1)[0])


METRIC_LABELS: dict[str, str | Promise] = {
    "created": gettext_lazy("Created"),
    "solved": gettext_lazy("Solved"),
    "reopened": gettext_lazy("Reopens"),
    "backlog": gettext_lazy("Backlog"),
    "backlog_end": gettext_lazy("Backlog"),
    "one_touch": gettext_lazy("One-touch resolution"),
    "one_touch_rate": gettext_lazy("One-touch resolution"),
    "reopen_rate": gettext_lazy("Reopen rate"),
    "sla_rate": gettext_lazy("SLA attained"),
    "sla_breached": gettext_lazy("SLA breaches"),
    "sla_met": gettext_lazy("SLA met"),
    "agent_replies": gettext_lazy("Agent replies"),
    **DURATION_LABELS,
}


def metric_label(metric: str) -> str:
    if "@" in metric:
        name, how = metric.split("@", 1)
        base = str(METRIC_LABELS.get(name, name))
        how_label = {"median": _("median"), "p90": _("p90"), "mean": _("mean")}.get(how, how)
        return f"{base} ({how_label})"
    return str(METRIC_LABELS.get(metric, metric))


@dataclass
class Figure:
    """One number on a dashboard, the link to the tickets behind it, and what to compare."""

    key: str
    label: str
    text: str
    href: str = ""
    compare_label: str = ""
    compare_text: str = ""
    change_text: str = ""
    change_dir: str = ""
    goal_text: str = ""
    goal_met: bool | None = None


# ---------------------------------------------------------------- filters


@dataclass
class FilterState:
    """The filter form's values (as sent) and what parsing made of them."""

    params: dict[str, str]
    filters: Filters | None
    error: str = ""
    error_field: str = ""

    def query(self, **overrides: str) -> str:
        merged = {**self.params, **overrides}
        clean = {k: v for k, v in merged.items() if v not in ("", None)}
        return urlencode(clean)

    def drill(self, metric: str, **overrides: str) -> str:
        return reverse("metrics:drill") + "?" + self.query(metric=metric, **overrides)


def clean_params(request: HttpRequest, defaults: Mapping[str, str]) -> dict[str, str]:
    """The filter keys of the query string, trimmed (several values of one key joined by
    commas), with the dashboard's defaults for the keys not given."""
    params: dict[str, str] = {}
    for key in FILTER_KEYS:
        values = [v.strip() for v in request.GET.getlist(key) if v.strip()]
        if values:
            params[key] = ",".join(values)[:MAX_PARAM_LENGTH]
    if "from" in params or "to" in params:
        params.setdefault("period", "custom")
    for key, value in defaults.items():
        params.setdefault(key, value)
    return params


def load_filters(viewer: User, params: Mapping[str, str], now: datetime) -> FilterState:
    """Parse and scope the filters; a bad value is an error message, never an exception."""
    try:
        parsed = queries.parse_filters(params, viewer=viewer, now=now)
        scoped = queries.scope_filters(viewer, parsed)
    except queries.FilterError as error:
        return FilterState(dict(params), None, str(error), error.field)
    except (OverflowError, ValueError) as error:  # a value the parser let through
        return FilterState(
            dict(params), None, _("A filter value is not valid: %(error)s") % {"error": error}
        )
    return FilterState(dict(params), scoped)


def previous_period(filters: Filters) -> Filters:
    """The period of equal length just before ``filters``'s."""
    length = filters.end - filters.start
    return replace(filters, start=filters.start - length, end=filters.start)


def weeks_in(filters: Filters) -> float:
    return (filters.end - filters.start) / timedelta(days=7)


def local_midnight(instant: datetime, zone: str) -> datetime:
    local = instant.astimezone(ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(ZoneInfo("UTC"))


def period_for(filters: Filters) -> queries.Period:
    days = (filters.end - filters.start).days
    if days <= 45:
        return "day"
    if days <= 200:
        return "week"
    return "month"


def tabs(viewer: User, current: str) -> list[dict[str, Any]]:
    return [
        {"key": key, "title": title, "url": reverse(url), "current": key == current}
        for key, title, url, allowed in DASHBOARDS
        if viewer.role in allowed
    ]


def choices(viewer: User) -> dict[str, Any]:
    """What the filter form offers (teams, agents, organizations are ids)."""
    teams = Team.objects.order_by("name")
    if viewer.role in {Role.AGENT, Role.TEAM_LEAD}:
        teams = teams.filter(pk__in=viewer_team_ids(viewer))
    agents = User.objects.filter(is_active=True).exclude(role=Role.CUSTOMER).order_by("name")
    if viewer.role in {Role.AGENT, Role.TEAM_LEAD}:
        agents = agents.filter(teams__in=viewer_team_ids(viewer)).distinct()
    return {
        "periods": PERIODS,
        "teams": list(teams.values_list("pk", "name")),
        "agents": list(agents.values_list("pk", "name")),
        "organizations": list(
            Organization.objects.order_by("name").values_list("pk", "name")[:500]
        ),
        "channels": Channel.choices,
        "priorities": Priority.choices,
        "types": TicketType.choices,
    }


def viewer_team_ids(viewer: User) -> list[int]:
    member = set(Team.objects.filter(members=viewer).values_list("pk", flat=True))
    led = set(Team.objects.filter(lead=viewer).values_list("pk", flat=True))
    return sorted(member | led)


def selected(params: Mapping[str, str], key: str) -> list[str]:
    return [v for v in params.get(key, "").split(",") if v]


def page_context(viewer: User, state: FilterState, current: str, title: str) -> dict[str, Any]:
    return {
        "tabs": tabs(viewer, current),
        "current": current,
        "title": title,
        "state": state,
        "params": state.params,
        "selected": {key: selected(state.params, key) for key in FILTER_KEYS},
        "choices": choices(viewer),
        "filters": state.filters,
        "zone": state.filters.zone if state.filters else "",
        "period_text": period_text(state.filters) if state.filters else "",
        "can_settings": viewer.role in SETS_ANALYTICS,
        "exports": export_links(state, current),
    }


def export_links(state: FilterState, current: str) -> dict[str, str]:
    """Links to the reports app's exports of this page (when it is installed)."""
    query = state.query()
    links: dict[str, str] = {}
    try:
        for fmt in ("csv", "xlsx"):
            links[f"agents_{fmt}"] = (
                reverse("reports:export_analytics", args=["agents", fmt]) + "?" + query
            )
        if current in {"team", "operations", "executive"}:
            links["pdf"] = (
                reverse("reports:export_report_pdf") + "?" + state.query(dashboard=current)
            )
    except NoReverseMatch:
        return {}
    return links


def period_text(filters: Filters) -> str:
    zone = ZoneInfo(filters.zone)
    start = filters.start.astimezone(zone)
    end = (filters.end - timedelta(seconds=1)).astimezone(zone)
    first = formats.date_format(start.date(), "SHORT_DATE_FORMAT", use_l10n=True)
    last = formats.date_format(end.date(), "SHORT_DATE_FORMAT", use_l10n=True)
    return first if first == last else f"{first} – {last}"
