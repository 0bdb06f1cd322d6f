"""History import: tickets with their whole event history from a JSON file (docs/import.md).

Every ticket is replayed through the real actions (`doum.tickets.actions`) under
`clock.at(event.at)` with `via=Via.IMPORT`, so each change becomes an ordinary `TicketEvent`
marked `imported=True`, written at its original instant. The after-commit listeners see
those changes as historical (`hooks.TicketChange.historical`): no mail, no webhooks, no
triggers or routing; the metrics refresh marks them like any other change, so the past
reaches the dashboards.

* One transaction per ticket: a ticket that fails leaves nothing behind (not even the
  customer or organization it would have created), and is reported with its index and reason.
* An `external_id` already in Doum is skipped: running the same file twice imports nothing
  twice. An `external_id` repeated inside the file fails every occurrence after the first.
* `dry_run`: everything is validated by replaying it through the same actions inside one
  transaction that is rolled back at the end; nothing is saved.

A customer-submitted ticket is created by the customer with its origin (`external_id` and
`channel`, which `do_create_ticket` accepts from a customer only when `via` is import);
its priority, type, team and tags are set by one system update at the creation instant (the
metrics count a ticket's first team as its first station, not as a transfer).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from doum.accounts.actions import do_find_or_create_customer, do_update_user
from doum.accounts.models import Brand, Organization, Team, User
from doum.accounts.roles import STAFF_ROLES, Role
from doum.core import clock
from doum.core.errors import DoumError
from doum.core.text import single_line
from doum.tickets import actions
from doum.tickets.models import Channel, Priority, Status, Ticket, TicketType, Via

log = logging.getLogger(__name__)

EVENT_TYPES = ("comment", "status", "assign", "priority", "tags", "team", "type")
MAX_EVENTS = 10_000
MAX_TEXT = 1_000_000  # characters in any one string (bodies are capped again by the action)
MAX_SHORT = 1_000  # names, e-mail addresses, ids, subjects are cut well before this


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, not JSON, not a list)."""


class Problem(Exception):
    """One ticket cannot be imported; the message says why."""


@dataclass(frozen=True)
class Outcome:
    index: int
    external_id: str
    status: str  # "created" | "skipped" | "failed"
    ticket_id: int | None = None
    reason: str = ""


@dataclass
class Summary:
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def failed(self) -> int:
        return self.count("failed")


# --- reading the file ------------------------------------------------------------------------


def max_file_bytes() -> int:
    return int(getattr(settings, "DOUM_IMPORT_MAX_BYTES", 512 * 1024 * 1024))


def load_file(path: str | Path) -> list[Any]:
    """The list of ticket objects in the file, or ImportFileError."""
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as error:
        raise ImportFileError(_("Cannot read %(path)s: %(error)s") % {
            "path": path, "error": error.strerror or error
        }) from None  # fmt: skip
    if size > max_file_bytes():
        raise ImportFileError(
            _("The file is larger than %(max)s bytes (DOUM_IMPORT_MAX_BYTES).")
            % {"max": max_file_bytes()}
        )
    try:
        raw = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text.")) from None
    return parse_text(raw)


def parse_text(raw: str) -> list[Any]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ImportFileError(
            _("The file is not JSON (line %(line)s, column %(col)s: %(msg)s).")
            % {"line": error.lineno, "col": error.colno, "msg": error.msg}
        ) from None
    except RecursionError:
        raise ImportFileError(_("The file is nested too deeply.")) from None
    if isinstance(data, dict) and isinstance(data.get("tickets"), list):
        data = data["tickets"]
    if not isinstance(data, list):
        raise ImportFileError(_("The file must hold a list of tickets."))
    return data


# --- checking one ticket ---------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    at: datetime
    type: str
    author: User | None
    public: bool = True
    body: str = ""
    html: bool = False
    value: Any = None
    team: Team | None = None
    customer_email: str = ""  # a comment by a customer (found or created when written)


@dataclass(frozen=True)
class Plan:
    external_id: str
    subject: str
    requester_email: str
    requester_name: str
    organization: Organization | None
    brand: Brand | None
    team: Team | None
    channel: str
    priority: str
    type: str
    tags: list[str]
    created_at: datetime
    submitter: User | None  # staff who opened it on the requester's behalf; None: the requester
    body: str
    html: bool
    public: bool
    events: list[Event]


def _text(item: dict[str, Any], key: str, *, required: bool = False, limit: int = MAX_SHORT) -> str:
    value = item.get(key)
    if value is None:
        if required:
            raise Problem(_("'%(key)s' is missing.") % {"key": key})
        return ""
    if not isinstance(value, str):
        raise Problem(_("'%(key)s' must be text.") % {"key": key})
    if len(value) > limit:
        raise Problem(
            _("'%(key)s' is longer than %(max)s characters.") % {"key": key, "max": limit}
        )
    if required and not value.strip():
        raise Problem(_("'%(key)s' is empty.") % {"key": key})
    return value


def _bool(item: dict[str, Any], key: str, default: bool) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise Problem(_("'%(key)s' must be true or false.") % {"key": key})
    return value


def _instant(value: Any, what: str, now: datetime) -> datetime:
    if not isinstance(value, str) or len(value) > 64:
        raise Problem(_("%(what)s: the time must be ISO 8601 text.") % {"what": what})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Problem(
            _("%(what)s: '%(value)s' is not an ISO 8601 time.") % {"what": what, "value": value}
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise Problem(
            _("%(what)s: '%(value)s' has no time zone (add Z or +09:00).")
            % {"what": what, "value": value}
        )
    if parsed > now:
        raise Problem(_("%(what)s: '%(value)s' is in the future.") % {"what": what, "value": value})
    return parsed


def _choice(value: Any, choices: type[Any], what: str) -> str:
    if not isinstance(value, str) or value not in choices.values:
        raise Problem(
            _("'%(what)s' must be one of %(choices)s.")
            % {"what": what, "choices": ", ".join(choices.values)}
        )
    return value


def _staff(email: Any, what: str) -> User:
    if not isinstance(email, str) or not email.strip() or len(email) > MAX_SHORT:
        raise Problem(_("%(what)s: an agent's e-mail address is needed.") % {"what": what})
    found = User.objects.filter(email__iexact=email.strip()).first()
    if found is None or found.role not in STAFF_ROLES:
        raise Problem(
            _("%(what)s: no staff member has the address %(email)s.")
            % {"what": what, "email": single_line(email)[:200]}
        )
    return found


def _team(name: Any, what: str) -> Team | None:
    if name is None:
        return None
    if not isinstance(name, str) or len(name) > MAX_SHORT:
        raise Problem(_("%(what)s: a team is given by its name.") % {"what": what})
    found = Team.objects.filter(name__iexact=name.strip()).first()
    if found is None:
        raise Problem(
            _("%(what)s: no team is called '%(name)s'.")
            % {"what": what, "name": single_line(name)[:200]}
        )
    return found


def _tags(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise Problem(_("%(what)s: tags must be a list of text.") % {"what": what})
    if len(value) > 100 or any(len(t) > MAX_SHORT for t in value):
        raise Problem(_("%(what)s: too many or too long tags.") % {"what": what})
    return list(value)


def _event(raw: Any, n: int, previous: datetime, now: datetime) -> Event:
    what = _("event %(n)s") % {"n": n}
    if not isinstance(raw, dict):
        raise Problem(_("%(what)s must be an object.") % {"what": what})
    at = _instant(raw.get("at"), what, now)
    if at < previous:
        raise Problem(
            _("%(what)s at %(at)s is earlier than the one before it: events must be in time order.")
            % {"what": what, "at": raw.get("at")}
        )
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        raise Problem(
            _("%(what)s: 'type' must be one of %(types)s.")
            % {"what": what, "types": ", ".join(EVENT_TYPES)}
        )
    value = raw.get("value")
    if kind == "comment":
        author_email = raw.get("author")
        body = _text(raw, "body", required=True, limit=MAX_TEXT)
        public = _bool(raw, "public", True)
        html = _bool(raw, "html", False)
        status = raw.get("status")
        if status is not None:
            status = _choice(status, Status, "status")
        # A comment's author is staff (by address) or a customer (found or created).
        author = User.objects.filter(email__iexact=str(author_email or "").strip()).first()
        if author is not None and author.role in STAFF_ROLES:
            return Event(at, kind, author, public, body, html, status)
        if not isinstance(author_email, str) or "@" not in author_email:
            raise Problem(_("%(what)s: 'author' must be an e-mail address.") % {"what": what})
        if len(author_email) > MAX_SHORT:
            raise Problem(_("%(what)s: 'author' is too long.") % {"what": what})
        return Event(at, kind, None, public, body, html, status, customer_email=author_email)
    author = _staff(raw.get("author"), what)
    if kind == "status":
        return Event(at, kind, author, value=_choice(value, Status, "value"))
    if kind == "priority":
        return Event(at, kind, author, value=_choice(value, Priority, "value"))
    if kind == "type":
        return Event(at, kind, author, value=_choice(value, TicketType, "value"))
    if kind == "tags":
        return Event(at, kind, author, value=_tags(value, what))
    if kind == "team":
        return Event(at, kind, author, team=_team(value, what))
    # assign: value = the assignee's address or null; optional team.
    assignee = None if value is None else _staff(value, what)
    return Event(at, kind, author, value=assignee, team=_team(raw.get("team"), what))


def check(item: Any, now: datetime) -> Plan:
    """Everything about one ticket that can be checked before writing; Problem if not."""
    if not isinstance(item, dict):
        raise Problem(_("A ticket must be an object."))
    external_id = single_line(_text(item, "external_id", required=True, limit=100))
    if not external_id:
        raise Problem(_("'external_id' is empty."))
    subject = _text(item, "subject", required=True, limit=MAX_SHORT)
    requester = item.get("requester")
    if not isinstance(requester, dict):
        raise Problem(_("'requester' must be an object with an e-mail address."))
    email = _text(requester, "email", required=True)
    if "@" not in email:
        raise Problem(_("'requester.email' is not an e-mail address."))
    name = _text(requester, "name")
    organization = None
    if item.get("organization") is not None:
        org_name = _text(item, "organization")
        organization = Organization.objects.filter(name__iexact=org_name.strip()).first()
        if organization is None:
            raise Problem(_("No organization is called '%(name)s'.") % {"name": org_name[:200]})
    brand = None
    if item.get("brand") is not None:
        key = _text(item, "brand").strip()
        brand = (
            Brand.objects.filter(slug__iexact=key).first()
            or Brand.objects.filter(name__iexact=key).first()
        )
        if brand is None:
            raise Problem(_("No brand is called '%(name)s'.") % {"name": key[:200]})
    team = _team(item.get("team"), _("'team'"))
    channel = _choice(item.get("channel", Channel.EMAIL), Channel, "channel")
    priority = _choice(item.get("priority", Priority.NORMAL), Priority, "priority")
    ticket_type = _choice(item.get("type", TicketType.QUESTION), TicketType, "type")
    if ticket_type == TicketType.TASK:
        raise Problem(_("Tasks (with a due date) cannot be imported."))
    tags = _tags(item.get("tags", []), _("'tags'"))
    created_at = _instant(item.get("created_at"), "created_at", now)
    submitter = None
    if item.get("submitter") is not None:
        submitter = _staff(item.get("submitter"), "submitter")
    body = _text(item, "body", required=True, limit=MAX_TEXT)
    raw_events = item.get("events", [])
    if not isinstance(raw_events, list):
        raise Problem(_("'events' must be a list."))
    if len(raw_events) > MAX_EVENTS:
        raise Problem(_("A ticket may have at most %(max)s events.") % {"max": MAX_EVENTS})
    events: list[Event] = []
    previous = created_at
    for n, raw in enumerate(raw_events):
        event = _event(raw, n, previous, now)
        events.append(event)
        previous = event.at
    return Plan(
        external_id=external_id, subject=subject, requester_email=email.strip(),
        requester_name=name, organization=organization, brand=brand, team=team,
        channel=channel, priority=priority, type=ticket_type, tags=tags, created_at=created_at,
        submitter=submitter, body=body, html=_bool(item, "html", False),
        public=_bool(item, "public", True), events=events,
    )  # fmt: skip


# --- writing one ticket ----------------------------------------------------------------------


def _customer(email: str, name: str, organization: Organization | None) -> User:
    person = do_find_or_create_customer(actor=None, email=email, name=name)
    if not person.is_active:
        raise Problem(_("%(email)s is deactivated.") % {"email": email})
    if organization is not None and person.role == Role.CUSTOMER and person.organization_id is None:
        do_update_user(person, actor=None, changes={"organization": organization})
    return person


def write(plan: Plan) -> Ticket:
    """Replay one checked ticket through the actions (the caller holds the transaction)."""
    with clock.at(plan.created_at):
        requester = _customer(plan.requester_email, plan.requester_name, plan.organization)
        if plan.submitter is not None:
            ticket = actions.do_create_ticket(
                actor=plan.submitter, via=Via.IMPORT, subject=plan.subject, body=plan.body,
                body_is_html=plan.html, public=plan.public, requester_id=requester.pk,
                brand_id=plan.brand.pk if plan.brand else None, channel=plan.channel,
                priority=plan.priority, type=plan.type, tags=plan.tags,
                team_id=plan.team.pk if plan.team else None, external_id=plan.external_id,
            )  # fmt: skip
        else:
            if requester.role != Role.CUSTOMER:
                raise Problem(
                    _("The requester %(email)s is staff: name the customer, or give "
                      "'submitter' for a ticket staff opened.") % {"email": plan.requester_email}
                )  # fmt: skip
            ticket = actions.do_create_ticket(
                actor=requester, via=Via.IMPORT, subject=plan.subject, body=plan.body,
                body_is_html=plan.html, brand_id=plan.brand.pk if plan.brand else None,
                channel=plan.channel, external_id=plan.external_id,
            )  # fmt: skip
            changes: dict[str, Any] = {}
            if plan.priority != ticket.priority:
                changes["priority"] = plan.priority
            if plan.type != ticket.type:
                changes["type"] = plan.type
            if plan.team is not None:
                changes["team_id"] = plan.team.pk
            if plan.tags:
                changes["tags"] = plan.tags
            if changes:
                ticket = actions.do_update_ticket(
                    ticket, actor=None, via=Via.IMPORT, changes=changes
                )
    for n, event in enumerate(plan.events):
        try:
            with clock.at(event.at):
                ticket = _apply(ticket, event, plan)
        except DoumError as error:
            raise Problem(
                _("event %(n)s (%(type)s): %(reason)s")
                % {"n": n, "type": event.type, "reason": _reason(error)}
            ) from None
    ticket.refresh_from_db()
    return ticket


def _apply(ticket: Ticket, event: Event, plan: Plan) -> Ticket:
    if event.type == "comment":
        author = event.author or _customer(event.customer_email, "", None)
        actions.do_add_comment(
            ticket, actor=author, via=Via.IMPORT, body=event.body, body_is_html=event.html,
            public=event.public, status=event.value,
        )  # fmt: skip
        return ticket
    changes: dict[str, Any]
    if event.type == "status":
        changes = {"status": event.value}
    elif event.type in ("priority", "type", "tags"):
        changes = {event.type: event.value}
    elif event.type == "team":
        changes = {"team_id": event.team.pk if event.team else None}
    else:  # assign
        assignee = event.value
        changes = {"assignee_id": assignee.pk if isinstance(assignee, User) else None}
        if event.team is not None:
            changes["team_id"] = event.team.pk
    return actions.do_update_ticket(ticket, actor=event.author, via=Via.IMPORT, changes=changes)


# --- the whole file --------------------------------------------------------------------------


@contextmanager
def _outer(dry_run: bool) -> Iterator[None]:
    """Dry run: one transaction around everything, rolled back at the end."""
    if not dry_run:
        yield
        return
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _reason(error: BaseException) -> str:
    if isinstance(error, Problem):
        return str(error)
    if isinstance(error, DoumError):
        message = str(getattr(error, "message", "") or error)
        where = getattr(error, "field", None)
        return f"{where}: {message}" if where else message
    return f"{type(error).__name__}: {error}"


def import_tickets(
    items: Sequence[Any], *, dry_run: bool = False, now: datetime | None = None
) -> Summary:
    """Import (or, dry-run, check) every ticket; one outcome each, in file order."""
    now = now or clock.now()
    summary = Summary(dry_run=dry_run)
    seen: dict[str, int] = {}
    with _outer(dry_run):
        for index, item in enumerate(items):
            external_id = ""
            if isinstance(item, dict) and isinstance(item.get("external_id"), str):
                external_id = single_line(item["external_id"])[:100]
            try:
                if external_id in seen:
                    raise Problem(
                        _("external_id '%(id)s' appears more than once in the file "
                          "(first at index %(first)s).") % {"id": external_id,
                                                             "first": seen[external_id]}
                    )  # fmt: skip
                if external_id:
                    seen[external_id] = index
                    if Ticket.objects.filter(external_id=external_id).exists():
                        summary.outcomes.append(
                            Outcome(index, external_id, "skipped", reason=_("already imported"))
                        )
                        continue
                plan = check(item, now)
                with transaction.atomic():
                    ticket = write(plan)
            except (Problem, DoumError) as error:
                summary.outcomes.append(
                    Outcome(index, external_id, "failed", reason=_reason(error))
                )
                continue
            except Exception as error:  # a bug or a database error: report it, go on
                log.exception("import: ticket %s failed", index)
                summary.outcomes.append(
                    Outcome(index, external_id, "failed", reason=_reason(error))
                )
                continue
            summary.outcomes.append(Outcome(index, external_id, "created", ticket.pk))
    return summary
