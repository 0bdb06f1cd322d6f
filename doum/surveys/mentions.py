"""Social mentions: posts about us on social networks, imported from CSV or pushed by an
authenticated webhook (`POST /api/v1/social/mentions`), analysed, and turned into tickets on
request (docs/feedback-import.md).

* Every mention is validated the same way whichever door it came in by (`check_mention`):
  a known channel, a handle that is a valid identity of that channel, non-blank text of at
  most MAX_TEXT characters, an http(s) URL or none, a time that is not in the future.
* A mention is recorded once: its `external_key` is the SHA-256 of its URL when it has one,
  else of channel + handle + time + text (the column holds 64 characters, so URLs are
  digested too). Recording it again returns the existing row.
* Each new mention's text is analysed (language, sentiment, key phrases; doum.assist).
* `do_create_ticket_from_mention` opens one ticket (channel and via "social") for the person
  behind the handle, found by their identity of the channel's kind or created as a customer;
  the mention row is locked, so a second call (or a double click) returns the same ticket.

Who: recording and importing mentions is for managers and admins (IMPORTS_FEEDBACK); turning
one into a ticket also for team leads (they run the queue); seeing the list also for
directors.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from urllib.parse import urlsplit, urlunsplit

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from doum.accounts.actions import do_add_identity, do_create_user, find_user_by_identity
from doum.accounts.identities import normalize_identity
from doum.accounts.models import User
from doum.accounts.roles import Role
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput, NotFound
from doum.core.text import is_blank, normalize, single_line
from doum.surveys.importing import (
    BadValue,
    ImportFileError,
    ImportReport,
    Rejection,
    cell,
    check_actor,
    default_time_zone,
    formula_problem,
    open_table,
    parse_time,
    resolve_columns,
    time_zone_named,
)
from doum.surveys.models import (
    FeedbackImport,
    ImportKind,
    MentionSource,
    SocialMention,
)
from doum.tickets import actions as ticket_actions
from doum.tickets.models import Channel, Ticket, Via

# Who may turn a mention into a ticket, and who may see the list of mentions.
MAKES_TICKETS_FROM_MENTIONS = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
SEES_MENTIONS = MAKES_TICKETS_FROM_MENTIONS | {Role.DIRECTOR}

# Channels: each is also the kind of the identity that recognises the author.
CHANNELS = ("twitter", "facebook", "instagram", "kakao", "line")
CHANNEL_ALIASES = {
    "x": "twitter",
    "x (twitter)": "twitter",
    "tw": "twitter",
    "fb": "facebook",
    "ig": "instagram",
    "kakaotalk": "kakao",
    "카카오톡": "kakao",
    "카카오": "kakao",
    "트위터": "twitter",
    "페이스북": "facebook",
    "인스타그램": "instagram",
    "라인": "line",
}
MAX_TEXT = 10_000
MAX_URL = 1_000
MAX_HANDLE = 200
MAX_BATCH = 100
SUBJECT_CHARS = 120
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


@dataclass(frozen=True)
class MentionInput:
    """One checked mention, ready to record."""

    channel: str
    author_handle: str  # the normalised handle (lower case, no "@")
    text: str
    url: str
    posted_at: datetime

    @property
    def external_key(self) -> str:
        if self.url:
            basis = "url\x1f" + self.url
        else:
            basis = "\x1f".join(
                ("post", self.channel, self.author_handle, self.posted_at.isoformat(), self.text)
            )
        return hashlib.sha256(basis.encode()).hexdigest()


def clean_channel(raw: str) -> str:
    value = single_line(raw).strip().lower()
    value = CHANNEL_ALIASES.get(value, value)
    if value not in CHANNELS:
        raise BadValue(
            _("'%(value)s' is not a channel (%(channels)s)")
            % {"value": value[:40], "channels": ", ".join(CHANNELS)}
        )
    return value


def clean_url(raw: str) -> str:
    value = normalize(raw).strip()
    if not value:
        return ""
    if len(value) > MAX_URL:
        raise BadValue(_("the link is longer than %(max)s characters") % {"max": MAX_URL})
    if _URL_FORBIDDEN.search(value):
        raise BadValue(_("the link contains spaces or control characters"))
    try:
        parts = urlsplit(value)
    except ValueError:
        raise BadValue(_("the link is not a valid address")) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise BadValue(_("the link must be an http:// or https:// address"))
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment)
    )


def clean_text(raw: str) -> str:
    value = normalize(raw).strip()
    if is_blank(value):
        raise BadValue(_("the text is empty"))
    if len(value) > MAX_TEXT:
        raise BadValue(_("the text is longer than %(max)s characters") % {"max": MAX_TEXT})
    return value


def clean_handle(channel: str, raw: str) -> str:
    value = single_line(raw)
    if len(value) > MAX_HANDLE:
        raise BadValue(_("the handle is longer than %(max)s characters") % {"max": MAX_HANDLE})
    try:
        return normalize_identity(channel, value)
    except InvalidInput:
        raise BadValue(_("'%(value)s' is not a valid handle") % {"value": value[:60]}) from None


def check_mention(
    *, channel: str, handle: str, text: str, url: str, posted_at: datetime, now: datetime
) -> tuple[MentionInput | None, dict[str, str]]:
    """The checked mention, or the problems per field ({field: reason})."""
    problems: dict[str, str] = {}
    values: dict[str, str] = {}
    cleaners = (
        ("channel", lambda: clean_channel(channel)),
        ("text", lambda: clean_text(text)),
        ("url", lambda: clean_url(url)),
    )
    for name, clean in cleaners:
        try:
            values[name] = clean()
        except BadValue as error:
            problems[name] = str(error)
    if "channel" in values:
        try:
            values["author_handle"] = clean_handle(values["channel"], handle)
        except BadValue as error:
            problems["author_handle"] = str(error)
    if posted_at.tzinfo is None or posted_at.utcoffset() is None:
        problems["posted_at"] = _("the time needs a time zone (Z or +09:00)")
    elif posted_at > now:
        problems["posted_at"] = _("the time is in the future")
    if problems:
        return None, problems
    return (
        MentionInput(
            channel=values["channel"], author_handle=values["author_handle"],
            text=values["text"], url=values["url"], posted_at=posted_at,
        ),
        {},
    )  # fmt: skip


@dataclass(frozen=True)
class RecordedMention:
    id: int
    created: bool
    external_key: str
    ticket_id: int | None


def _analyse(mention: SocialMention) -> None:
    from doum.assist.text import analyse

    result = analyse(mention.text)
    mention.language = result.language
    mention.sentiment = result.sentiment
    mention.sentiment_score = round(result.score, 4)
    mention.key_phrases = list(result.key_phrases)


@transaction.atomic
def do_record_mentions(
    items: Sequence[MentionInput],
    *,
    actor: User | None,
    source: str,
    feedback_import: FeedbackImport | None = None,
) -> list[RecordedMention]:
    """Record each checked mention once (existing ones are returned as they are); one result
    per item, in order. Managers and admins (None: the system)."""
    check_actor(actor)
    keys = [item.external_key for item in items]
    known = {
        m.external_key: m
        for m in SocialMention.objects.filter(external_key__in=set(keys)).only(
            "id", "external_key", "ticket_id"
        )
    }
    now = clock.now()
    out: list[RecordedMention] = []
    made: dict[str, SocialMention] = {}
    for item, key in zip(items, keys, strict=True):
        existing = known.get(key) or made.get(key)
        if existing is not None:
            out.append(RecordedMention(existing.pk, False, key, existing.ticket_id))
            continue
        mention = SocialMention(
            channel=item.channel, author_handle=item.author_handle, text=item.text,
            url=item.url, posted_at=item.posted_at, external_key=key, source=source,
            feedback_import=feedback_import, created_at=now,
        )  # fmt: skip
        _analyse(mention)
        try:
            with transaction.atomic():
                mention.save()
        except IntegrityError:  # recorded meanwhile by a concurrent request
            found = SocialMention.objects.get(external_key=key)
            out.append(RecordedMention(found.pk, False, key, found.ticket_id))
            continue
        made[key] = mention
        out.append(RecordedMention(mention.pk, True, key, None))
    return out


# --- CSV import ------------------------------------------------------------------------------

MENTION_FIELDS = ("channel", "handle", "text", "url", "time")
REQUIRED_MENTION_FIELDS = ("handle", "text", "time")
MENTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "channel": ("channel", "network", "platform", "source", "채널"),
    "handle": ("handle", "author", "author_handle", "username", "user", "screen_name", "작성자"),
    "text": ("text", "message", "content", "post", "body", "내용"),
    "url": ("url", "link", "permalink", "링크"),
    "time": ("time", "posted_at", "date", "created_at", "timestamp", "작성일", "날짜"),
}


@dataclass(frozen=True)
class MentionOptions:
    mapping: Mapping[str, str] = field(default_factory=dict)  # {field: column}
    channel: str = ""  # the channel of every row when there is no channel column
    time_zone: str = ""
    encoding: str = "auto"
    dry_run: bool = False
    skip_invalid: bool = False
    filename: str = ""


def _check_mention_row(
    number: int,
    cells: list[str],
    columns: Mapping[str, int],
    header: Sequence[str],
    options: MentionOptions,
    zone: tzinfo,
    now: datetime,
) -> tuple[MentionInput | None, list[Rejection]]:
    problems: list[Rejection] = []
    where = {"author_handle": "handle", "posted_at": "time"}

    def reject(name: str, reason: str) -> None:
        i = columns.get(name)
        problems.append(Rejection(number, header[i] if i is not None else name, reason))

    values = {name: cell(cells, columns, name) for name in columns}
    for name, value in values.items():
        why = formula_problem(value, at_mentions=name in ("text", "handle"))
        if why:
            reject(name, why)
    if problems:
        return None, problems
    channel = values.get("channel", "").strip() or options.channel
    if not channel:
        reject("channel", _("no channel: map a channel column or choose the channel"))
        return None, problems
    try:
        posted_at = parse_time(values.get("time", ""), zone, now)
    except BadValue as error:
        reject("time", str(error))
        posted_at = now
    checked, found = check_mention(
        channel=channel, handle=values.get("handle", ""), text=values.get("text", ""),
        url=values.get("url", ""), posted_at=posted_at, now=now,
    )  # fmt: skip
    for name, reason in found.items():
        reject(where.get(name, name), reason)
    if problems:
        return None, problems
    return checked, []


def do_import_mentions(data: bytes, options: MentionOptions, *, actor: User | None) -> ImportReport:
    """Check (dry run) or import the mentions of one CSV file: the same rules as survey
    responses (docs/feedback-import.md): all or nothing unless `skip_invalid`."""
    check_actor(actor)
    if options.channel:
        try:
            channel = clean_channel(options.channel)
        except BadValue as error:
            raise ImportFileError(str(error)) from None
        options = replace(options, channel=channel)
    zone = time_zone_named(options.time_zone or default_time_zone(actor))
    table = open_table(data, options.encoding)
    columns = resolve_columns(
        table.header,
        fields=MENTION_FIELDS,
        required=REQUIRED_MENTION_FIELDS,
        candidates=MENTION_COLUMNS,
        custom=options.mapping,
    )
    if "channel" not in columns and not options.channel:
        raise ImportFileError(_("The file has no channel column: choose the channel of every row."))
    report = ImportReport(
        kind=ImportKind.MENTIONS, dry_run=options.dry_run, filename=options.filename,
        encoding=table.encoding, delimiter=table.delimiter,
    )  # fmt: skip
    now = clock.now()
    items: list[MentionInput] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        checked, problems = _check_mention_row(
            number, cells, columns, table.header, options, zone, now
        )
        if checked is not None and checked.external_key in seen:
            problems = [
                Rejection(
                    number,
                    "",
                    _("the same mention appears again (first at row %(row)s)")
                    % {"row": seen[checked.external_key]},
                )
            ]
            checked = None
        if checked is None:
            report.rejections.extend(problems)
            report.rejected_rows += 1
            continue
        seen[checked.external_key] = number
        items.append(checked)
    report.valid = len(items)
    known = set(
        SocialMention.objects.filter(
            external_key__in=[i.external_key for i in items]
        ).values_list("external_key", flat=True)
    ) if items else set()  # fmt: skip
    report.skipped = sum(1 for i in items if i.external_key in known)
    if options.dry_run:
        return report
    blocked = bool(report.rejections) and not options.skip_invalid
    with transaction.atomic():
        record = FeedbackImport.objects.create(
            kind=ImportKind.MENTIONS, filename=single_line(options.filename)[:255],
            source_name="csv", mapping=dict(options.mapping), encoding=report.encoding,
            rows=report.rows, accepted=0, rejected=report.rejected_rows,
            rejections=[r.as_dict() for r in report.rejections[:1000]], actor=actor,
            created_at=now,
        )  # fmt: skip
        report.import_id = record.pk
        if not blocked:
            fresh = [i for i in items if i.external_key not in known]
            results = do_record_mentions(
                fresh, actor=actor, source=MentionSource.CSV, feedback_import=record
            )
            report.created_ids = [r.id for r in results if r.created]
            report.imported = len(report.created_ids)
            report.skipped += len(results) - report.imported
            report.saved = True
            FeedbackImport.objects.filter(pk=record.pk).update(accepted=report.imported)
    return report


# --- reading ---------------------------------------------------------------------------------


def visible_mentions(viewer: User) -> QuerySet[SocialMention]:
    """Mentions, newest first, for the roles that see them (NotFound-free: empty otherwise)."""
    if viewer.role not in SEES_MENTIONS:
        return SocialMention.objects.none()
    return SocialMention.objects.order_by("-posted_at", "-id")


# --- mention -> ticket -----------------------------------------------------------------------


def _subject(mention: SocialMention) -> str:
    for line in mention.text.splitlines():
        cleaned = single_line(line)
        if cleaned:
            return cleaned if len(cleaned) <= SUBJECT_CHARS else cleaned[: SUBJECT_CHARS - 1] + "…"
    return _("Mention by @%(handle)s") % {"handle": mention.author_handle}


def _author(mention: SocialMention, actor: User) -> User:
    """The person behind the handle: their identity of the channel's kind, or a new customer."""
    found = find_user_by_identity(mention.channel, mention.author_handle)
    if found is not None:
        return found
    person = do_create_user(actor=actor, name="@" + mention.author_handle, role=Role.CUSTOMER)
    do_add_identity(person, actor=actor, kind=mention.channel, value=mention.author_handle)
    return person


@transaction.atomic
def do_create_ticket_from_mention(mention_id: int, *, actor: User) -> Ticket:
    """Open a ticket (channel and via "social") for the mention's author; link it to the
    mention. Once: the mention row is locked and a second call returns the same ticket."""
    if actor.role not in MAKES_TICKETS_FROM_MENTIONS:
        if actor.role not in SEES_MENTIONS:
            raise NotFound(_("Not found."))
        raise Forbidden(_("Your role may not turn mentions into tickets."))
    mention = SocialMention.objects.select_for_update().filter(pk=mention_id).first()
    if mention is None:
        raise NotFound(_("Not found."))
    if mention.ticket_id is not None:
        existing = Ticket.objects.filter(pk=mention.ticket_id).first()
        if existing is not None:
            return existing
    requester = _author(mention, actor)
    body = mention.text + (f"\n\n{mention.url}" if mention.url else "")
    ticket = ticket_actions.do_create_ticket(
        actor=actor, via=Via.SOCIAL, channel=Channel.SOCIAL, subject=_subject(mention),
        body=body, requester_id=requester.pk,
        comment_metadata={"mention": {"id": mention.pk, "channel": mention.channel,
                                      "url": mention.url}},
    )  # fmt: skip
    SocialMention.objects.filter(pk=mention.pk).update(ticket=ticket)
    return ticket
