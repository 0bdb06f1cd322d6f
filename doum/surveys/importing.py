"""Feedback from elsewhere: survey answers exported by another tool (SurveyMonkey, Typeform,
Qualtrics, Medallia or any CSV) become `SurveyResponse` rows (docs/feedback-import.md).

The reading machinery here (size cap, encoding detection, delimiter sniffing, the header,
formula-looking cells, row numbers as a spreadsheet shows them) is shared with the social
mention import in `doum.surveys.mentions`.

How a run goes:

1. The file is read up to `DOUM_FEEDBACK_IMPORT_MAX_BYTES` and decoded: a UTF-16 or UTF-8
   byte-order mark wins; otherwise strict UTF-8, then CP949 (the superset of EUC-KR that
   Korean Excel writes). The encoding used is reported. The delimiter (comma, semicolon,
   tab) is taken from the header line. Whatever makes the whole file unusable (undecodable
   bytes, no header, a mapped column missing from the header, too many rows) raises
   `ImportFileError` and nothing is written.
2. Every row is checked without writing anything. Each problem is a `Rejection` with the row
   number as the spreadsheet shows it (the header is row 1), the column and the reason.
3. Dry run: the report, nothing written (not even a `FeedbackImport`). Otherwise, when rows
   were rejected and `skip_invalid` is off, nothing is imported (all or nothing) and the
   `FeedbackImport` row records the rejections; else the valid rows are written in one
   transaction, each followed by `feedback.process_response` (analysis, and a follow-up for
   a recent detractor).

Re-running a file imports nothing twice: a response is keyed by (`external_source`,
`external_id`); a row without a response id is keyed by a digest of its values.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from doum.accounts.actions import do_find_or_create_customer, find_user_by_identity
from doum.accounts.identities import normalize_identity
from doum.accounts.models import Identity, User
from doum.accounts.roles import MANAGES_PEOPLE
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput
from doum.core.text import normalize, single_line
from doum.surveys.feedback import process_response
from doum.surveys.models import (
    CES_RANGE,
    CSAT_FIVE,
    NPS_RANGE,
    CsatScale,
    FeedbackImport,
    ImportKind,
    ResponseSource,
    SurveyKind,
    SurveyResponse,
)
from doum.tickets.models import Ticket

# Who may import feedback (responses and mentions): managers and admins.
IMPORTS_FEEDBACK = MANAGES_PEOPLE

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
MAX_CELL = 20_000  # characters in one comment or mention text
MAX_STORED_REJECTIONS = 1_000  # kept on the FeedbackImport row (the report has them all)
MAX_HEADER_COLUMNS = 500


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why (translated)."""


@dataclass(frozen=True)
class Rejection:
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str  # the header of the column at fault; "" for the row as a whole
    reason: str

    def as_dict(self) -> dict[str, int | str]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    filename: str = ""
    encoding: str = ""
    delimiter: str = ""
    rows: int = 0  # data rows read (blank rows and tools' extra header rows not counted)
    rejections: list[Rejection] = field(default_factory=list)
    rejected_rows: int = 0
    valid: int = 0  # rows that passed every check (dry run: would be imported or skipped)
    imported: int = 0  # rows written by this run
    skipped: int = 0  # already imported (same external id) by an earlier run
    customers_created: int = 0  # (dry run: customers that would be created)
    follow_ups: int = 0
    saved: bool = False  # False: dry run, or nothing written because rows were rejected
    import_id: int | None = None
    created_ids: list[int] = field(default_factory=list)

    @property
    def delimiter_name(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab"}.get(self.delimiter, self.delimiter)


# --- reading the file ------------------------------------------------------------------------


def max_file_bytes() -> int:
    return int(getattr(settings, "DOUM_FEEDBACK_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "DOUM_FEEDBACK_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def read_capped(stream: IO[bytes], *, chunk: int = 256 * 1024) -> bytes:
    """The stream's bytes, read in chunks; ImportFileError past the size cap."""
    limit = max_file_bytes()
    parts: list[bytes] = []
    total = 0
    while data := stream.read(chunk):
        total += len(data)
        if total > limit:
            raise ImportFileError(
                _("The file is larger than %(mb)s MB (DOUM_FEEDBACK_IMPORT_MAX_BYTES).")
                % {"mb": round(limit / 2**20, 1)}
            )
        parts.append(data)
    return b"".join(parts)


ENCODINGS = ("auto", "utf-8", "utf-16", "cp949")
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-16": "UTF-16 (BOM)",
    "cp949": "CP949 / EUC-KR",
}


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """Line (1-based) and byte offset of a decoding failure."""
    return data.count(b"\n", 0, offset) + 1, offset


def _undecodable(data: bytes, error: UnicodeDecodeError, name: str) -> ImportFileError:
    line, offset = _position(data, error.start)
    return ImportFileError(
        _(
            "The file cannot be read as %(encoding)s: byte %(offset)s (line %(line)s) is not "
            "valid. Save it as CSV UTF-8 and try again."
        )
        % {"encoding": name, "offset": offset, "line": line}
    )


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The file's text and the encoding used (a key of ENCODING_LABELS)."""
    if encoding not in ENCODINGS:
        raise ImportFileError(_("Unknown encoding '%(name)s'.") % {"name": encoding[:40]})
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and encoding in (
        "auto",
        "utf-16",
    ):
        name = "utf-16"
    elif data.startswith(codecs.BOM_UTF8) and encoding in ("auto", "utf-8"):
        name = "utf-8-sig"
    elif encoding == "utf-16":
        raise ImportFileError(
            _("The file has no UTF-16 byte-order mark; choose another encoding or 'auto'.")
        )
    elif encoding != "auto":
        name = encoding
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as utf8_error:
            try:
                text = data.decode("cp949")
            except UnicodeDecodeError as cp949_error:
                # Report where the likelier encoding (the one that read further) failed.
                if cp949_error.start > utf8_error.start:
                    raise _undecodable(data, cp949_error, "CP949 (EUC-KR)") from None
                raise _undecodable(data, utf8_error, "UTF-8") from None
            return _checked_text(text), "cp949"
        return _checked_text(text), "utf-8"
    try:
        text = data.decode(name)
    except UnicodeDecodeError as error:
        raise _undecodable(data, error, ENCODING_LABELS.get(name, name)) from None
    return _checked_text(text.removeprefix("\ufeff")), name


def _checked_text(text: str) -> str:
    if "\x00" in text:
        raise ImportFileError(
            _(
                "The file contains NUL characters: it is not a text file, or it is UTF-16 "
                "without a byte-order mark. Save it as CSV UTF-8 and try again."
            )
        )
    return text


DELIMITERS = (",", ";", "\t")


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one the header line uses most (outside quotes)."""
    first = text.split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def clean_header(value: str) -> str:
    return single_line(value).removeprefix("\ufeff").strip()


def header_key(value: str) -> str:
    return clean_header(value).casefold()


@dataclass
class Table:
    header: list[str]
    encoding: str
    delimiter: str
    rows: Iterator[tuple[int, list[str]]]  # (row number as the spreadsheet shows it, cells)


def open_table(data: bytes, encoding: str = "auto") -> Table:
    """Decode the file and start reading it: the header and a stream of numbered rows."""
    text, used = decode(data, encoding)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header_cells = next(reader, None)
    except csv.Error as error:
        raise ImportFileError(
            _("Line 1 is not valid CSV: %(error)s") % {"error": str(error)[:200]}
        ) from None
    if header_cells is None or not any(c.strip() for c in header_cells):
        raise ImportFileError(_("The file is empty: a header row with the column names is needed."))
    if len(header_cells) > MAX_HEADER_COLUMNS:
        raise ImportFileError(
            _("The header has more than %(max)s columns.") % {"max": MAX_HEADER_COLUMNS}
        )
    header = [clean_header(c) for c in header_cells]

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        limit = max_rows()
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise ImportFileError(
                    _("Row %(row)s (line %(line)s) is not valid CSV: %(error)s")
                    % {"row": number + 1, "line": reader.line_num, "error": str(error)[:200]}
                ) from None
            number += 1
            if number - 1 > limit:
                raise ImportFileError(
                    _("The file has more than %(max)s rows (DOUM_FEEDBACK_IMPORT_MAX_ROWS).")
                    % {"max": limit}
                )
            yield number, cells

    return Table(header=header, encoding=used, delimiter=delimiter, rows=rows())


_FORMULA_SIGN = re.compile(r"^[+\-][^0-9\s]")
_AT_MENTION = re.compile(r"^@[\w.]+(\s|$)")


def formula_problem(value: str, *, at_mentions: bool = False) -> str | None:
    """Why a cell looks like a spreadsheet formula (CSV injection), or None.

    Rejected: a cell starting with "=" or "@", or with "+" or "-" followed by something other
    than a digit or a space, or starting with a tab or a carriage return. With
    `at_mentions` (social posts and handles), "@name" followed by a space or the end is a
    mention of someone, not a formula ("@SUM(" still is).
    """
    if not value:
        return None
    first = value[0]
    looks = (
        first == "="
        or (first == "@" and not (at_mentions and _AT_MENTION.match(value)))
        or first in "\t\r"
        or bool(_FORMULA_SIGN.match(value))
    )
    if looks:
        return _("looks like a spreadsheet formula (starts with %(start)s); not imported") % {
            "start": repr(value[:2])
        }
    return None


# --- column mapping --------------------------------------------------------------------------


RESPONSE_FIELDS = ("response_id", "email", "ticket", "score", "comment", "date", "kind", "reason")
REQUIRED_RESPONSE_FIELDS = ("score", "date")

# Column names each tool uses by default; a custom mapping (`--map COLUMN=field`) overrides
# any of them. Questions are named by their wording in every tool, so the score and comment
# columns usually need a mapping unless the survey used the wording below or the generic
# names ("score", "comment").
GENERIC: dict[str, tuple[str, ...]] = {
    "response_id": ("response_id", "response id", "id", "응답 id", "응답id"),
    "email": ("email", "e-mail", "customer_email", "email address", "이메일"),
    "ticket": ("ticket", "ticket_id", "ticket id", "ticket number", "티켓", "티켓 번호"),
    "score": ("score", "rating", "점수"),
    "comment": ("comment", "comments", "feedback", "의견", "코멘트"),
    "date": ("date", "answered_at", "submitted_at", "응답일", "날짜"),
    "kind": ("kind", "survey_kind", "type", "유형"),
    "reason": ("reason", "사유"),
}


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    columns: dict[str, tuple[str, ...]]
    time_zone: str = ""  # the tool writes its times in this zone ("": the importer's)
    extra_header_rows: int = 0  # rows under the header that describe it (skipped)

    def candidates(self, name: str) -> tuple[str, ...]:
        return (*self.columns.get(name, ()), *GENERIC.get(name, ()))


PRESETS: dict[str, Preset] = {
    "typeform": Preset(
        "typeform",
        "Typeform",
        {
            "response_id": ("#", "Token", "Response ID"),
            "email": ("email", "Email", "hidden_email"),
            "ticket": ("ticket", "ticket_id"),
            "score": (
                "How likely are you to recommend us to a friend or colleague?",
                "How satisfied are you with the support you received?",
                "How easy was it to get your issue resolved?",
            ),
            "comment": ("Anything else you would like to tell us?", "Why did you give this score?"),
            "date": ("Submit Date (UTC)", "Submitted At (UTC)"),
        },
        time_zone="UTC",
    ),
    "surveymonkey": Preset(
        "surveymonkey",
        "SurveyMonkey",
        {
            "response_id": ("Respondent ID",),
            "email": ("Email Address", "Email"),
            "ticket": ("Custom Data 1", "Ticket"),
            "score": (
                "How likely is it that you would recommend us to a friend or colleague?",
                "Overall, how satisfied or dissatisfied are you with our support?",
            ),
            "comment": ("Open-Ended Response", "Comments"),
            "date": ("End Date", "Date Modified"),
        },
        extra_header_rows=1,  # the "Response / Open-Ended Response" row
    ),
    "qualtrics": Preset(
        "qualtrics",
        "Qualtrics",
        {
            "response_id": ("ResponseId", "Response ID"),
            "email": ("RecipientEmail", "Recipient Email"),
            "ticket": ("TicketID", "ticket_id", "ticket"),
            "score": ("Q1", "NPS"),
            "comment": ("Q2", "Q1_TEXT"),
            "date": ("RecordedDate", "EndDate", "Recorded Date", "End Date"),
        },
        extra_header_rows=2,  # the question wording and the {"ImportId": ...} rows
    ),
    "medallia": Preset(
        "medallia",
        "Medallia",
        {
            "response_id": ("Survey ID", "Response ID", "Record ID"),
            "email": ("Email", "Customer Email"),
            "ticket": ("Ticket ID", "Case Number", "Ticket Number"),
            "score": ("Likelihood to Recommend", "LTR", "Overall Satisfaction", "OSAT"),
            "comment": ("Comments", "LTR Comment", "Verbatim"),
            "date": ("Response Date", "Survey Date"),
        },
    ),
    "custom": Preset("custom", "Custom", {}),
}


def parse_mapping(lines: Iterable[str], fields: Sequence[str]) -> dict[str, str]:
    """``COLUMN=field`` pairs (one per item; the last "=" splits) as {field: column}."""
    mapping: dict[str, str] = {}
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        column, sep, name = line.rpartition("=")
        name = name.strip().lower()
        if not sep or not column.strip():
            raise ImportFileError(
                _("'%(item)s' is not COLUMN=field.") % {"item": single_line(line)[:100]}
            )
        if name not in fields:
            raise ImportFileError(
                _("'%(field)s' is not a field; the fields are %(fields)s.")
                % {"field": single_line(name)[:40], "fields": ", ".join(fields)}
            )
        mapping[name] = clean_header(column)
    return mapping


def resolve_columns(
    header: Sequence[str],
    *,
    fields: Sequence[str],
    required: Sequence[str],
    candidates: Mapping[str, Sequence[str]],
    custom: Mapping[str, str],
) -> dict[str, int]:
    """{field: column index}. ImportFileError listing every missing mapped/required column."""
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(header_key(name), i)
    found: dict[str, int] = {}
    problems: list[str] = []
    for name in fields:
        if name in custom:
            column = custom[name]
            if header_key(column) in index:
                found[name] = index[header_key(column)]
            else:
                problems.append(
                    _("'%(column)s' (mapped to %(field)s)") % {"column": column, "field": name}
                )
            continue
        for candidate in candidates.get(name, ()):
            if header_key(candidate) in index:
                found[name] = index[header_key(candidate)]
                break
        else:
            if name in required:
                problems.append(
                    _("a column for %(field)s (map one with COLUMN=%(field)s)") % {"field": name}
                )
    if problems:
        raise ImportFileError(
            _("These columns are missing from the header: %(missing)s. The header has: %(header)s.")
            % {"missing": "; ".join(problems), "header": ", ".join(h for h in header if h)[:500]}
        )
    return found


def cell(cells: Sequence[str], columns: Mapping[str, int], name: str) -> str:
    i = columns.get(name)
    if i is None or i >= len(cells):
        return ""
    return cells[i]


# --- values ----------------------------------------------------------------------------------


CSAT_GOOD = {
    "good", "yes", "satisfied", "positive", "happy", "👍", "만족", "좋음", "좋아요", "예",
    "네", "긍정", "매우 만족",
}  # fmt: skip
CSAT_BAD = {
    "bad", "no", "unsatisfied", "dissatisfied", "negative", "unhappy", "👎", "불만족", "나쁨",
    "별로", "별로예요", "아니오", "아니요", "부정", "매우 불만족",
}  # fmt: skip
_LEADING_NUMBER = re.compile(r"^([0-9]+)(?:\.0+)?(?:\s*[-–:]\s+.*)?$")


class BadValue(Exception):
    """One cell's value is not acceptable; the message says why."""


def parse_kind(raw: str) -> str:
    value = single_line(raw).strip().lower()
    if value in SurveyKind.values:
        return value
    raise BadValue(_("'%(value)s' is not csat, nps or ces") % {"value": value[:40]})


def parse_score(kind: str, raw: str, csat_scale: str) -> tuple[int, str]:
    """(score, csat_scale) of one answer; BadValue when it is not a valid score."""
    value = unicodedata.normalize("NFKC", single_line(raw)).strip()
    folded = value.casefold()
    if not value:
        raise BadValue(_("no score"))
    if kind == SurveyKind.CSAT:
        word = folded.split(",", 1)[0].strip()  # "Good, I'm satisfied"
        if word in CSAT_GOOD:
            return 1, CsatScale.GOOD_BAD
        if word in CSAT_BAD:
            return 0, CsatScale.GOOD_BAD
    match = _LEADING_NUMBER.match(value)
    if match is None or len(match.group(1)) > 4:
        raise BadValue(_("'%(value)s' is not a whole number") % {"value": value[:40]})
    number = int(match.group(1))
    scale: str
    if kind == SurveyKind.CSAT:
        low, high = (0, 1) if csat_scale == CsatScale.GOOD_BAD else CSAT_FIVE
        scale = CsatScale.GOOD_BAD if csat_scale == CsatScale.GOOD_BAD else CsatScale.FIVE
    elif kind == SurveyKind.NPS:
        (low, high), scale = NPS_RANGE, ""
    else:
        (low, high), scale = CES_RANGE, ""
    if not low <= number <= high:
        raise BadValue(
            _("%(score)s is out of range for %(kind)s (%(low)s to %(high)s)")
            % {"score": number, "kind": kind.upper(), "low": low, "high": high}
        )
    return number, scale


DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d %I:%M:%S %p",
    "%Y-%m-%d %I:%M %p",
)
_KOREAN_DOTS = re.compile(r"^(\d{4})\.\s*(\d{1,2})\.\s*(\d{1,2})\.?")
_AMPM_FIRST = re.compile(r"^(.*?)\s*(AM|PM)\s*(\d{1,2}:\d{2}(?::\d{2})?)$", re.IGNORECASE)


def parse_time(raw: str, zone: tzinfo, now: datetime) -> datetime:
    """An aware UTC instant from ISO 8601 or a common export format; naive times are read in
    `zone`. BadValue when unreadable or in the future."""
    value = unicodedata.normalize("NFKC", single_line(raw)).strip()
    if not value:
        raise BadValue(_("no date"))
    if len(value) > 64:
        raise BadValue(_("the date is too long"))
    text = value.replace("오전", "AM").replace("오후", "PM")
    text = _KOREAN_DOTS.sub(r"\1-\2-\3", text).strip()
    text = _AMPM_FIRST.sub(r"\1 \3 \2", text)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        for fmt in DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt).replace(tzinfo=zone)
                break
            except ValueError:
                continue
    if parsed is None:
        raise BadValue(
            _("'%(value)s' is not a date (use ISO 8601, e.g. 2026-03-02 14:30)")
            % {"value": value[:40]}
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=zone)
    instant = parsed.astimezone(UTC)
    if instant > now:
        raise BadValue(_("%(value)s is in the future") % {"value": value[:40]})
    return instant


def time_zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportFileError(_("Unknown time zone '%(zone)s'.") % {"zone": name[:64]}) from None


def default_time_zone(actor: User | None) -> str:
    zone = actor.time_zone if actor is not None and actor.time_zone else ""
    return zone or str(settings.DOUM_DEFAULT_TIME_ZONE)


def recent_imports(limit: int = 10) -> list[FeedbackImport]:
    """The last import runs, newest first (for the import page)."""
    return list(
        FeedbackImport.objects.select_related("actor").order_by("-created_at", "-id")[:limit]
    )


def check_actor(actor: User | None) -> None:
    """Imports are for managers and admins (None: the command line)."""
    if actor is not None and actor.role not in IMPORTS_FEEDBACK:
        raise Forbidden(_("Your role may not import feedback."))


# --- survey responses ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseOptions:
    source: str = "custom"  # a key of PRESETS; also the responses' external_source
    mapping: Mapping[str, str] = field(default_factory=dict)  # {field: column}
    kind: str = ""  # the kind of every row when no kind column (or a blank cell)
    csat_scale: str = CsatScale.FIVE  # how numeric CSAT scores read (words are good/bad)
    time_zone: str = ""  # naive times are in this zone ("": the preset's, else the actor's)
    encoding: str = "auto"
    dry_run: bool = False
    skip_invalid: bool = False
    create_customers: bool = False
    filename: str = ""


@dataclass(frozen=True)
class ResponsePlan:
    row: int
    kind: str
    score: int
    csat_scale: str
    comment: str
    reason: str
    answered_at: datetime
    external_id: str
    customer: User | None
    new_customer_email: str  # create this customer when writing (create_customers)
    ticket: Ticket | None


class _Lookups:
    """Per-run caches: the same address or ticket in many rows costs one query."""

    def __init__(self) -> None:
        self.people: dict[str, User | None] = {}
        self.tickets: dict[str, Ticket | None] = {}

    def person(self, email: str) -> User | None:
        if email not in self.people:
            self.people[email] = find_user_by_identity(Identity.Kind.EMAIL, email)
        return self.people[email]

    def ticket(self, raw: str) -> Ticket | None:
        if raw not in self.tickets:
            number = raw.removeprefix("#").strip()
            qs = Ticket.objects.select_related("requester")
            found = (
                qs.filter(pk=int(number)).first() if number.isdigit() and len(number) < 12 else None
            )
            if found is None:
                found = qs.filter(external_id=raw).first()
            self.tickets[raw] = found
        return self.tickets[raw]


def _row_digest(values: Sequence[str]) -> str:
    return "row:" + hashlib.sha256("\x1f".join(values).encode()).hexdigest()


def _check_response_row(
    number: int,
    cells: list[str],
    columns: Mapping[str, int],
    header: Sequence[str],
    options: ResponseOptions,
    zone: tzinfo,
    now: datetime,
    lookups: _Lookups,
) -> tuple[ResponsePlan | None, list[Rejection]]:
    problems: list[Rejection] = []

    def reject(name: str, reason: str) -> None:
        i = columns.get(name)
        problems.append(Rejection(number, header[i] if i is not None else name, reason))

    values = {name: cell(cells, columns, name) for name in columns}
    for name, value in values.items():
        why = formula_problem(value)
        if why:
            reject(name, why)
    if problems:
        return None, problems

    kind = values.get("kind", "").strip()
    if kind:
        try:
            kind = parse_kind(kind)
        except BadValue as error:
            reject("kind", str(error))
    else:
        kind = options.kind
        if not kind:
            reject("kind", _("no kind: map a kind column or choose the kind of the whole file"))
    score, scale = 0, ""
    if kind in SurveyKind.values:
        try:
            score, scale = parse_score(kind, values.get("score", ""), options.csat_scale)
        except BadValue as error:
            reject("score", str(error))
    answered_at = now
    try:
        answered_at = parse_time(values.get("date", ""), zone, now)
    except BadValue as error:
        reject("date", str(error))

    comment = normalize(values.get("comment", "")).strip()
    if len(comment) > MAX_CELL:
        reject("comment", _("longer than %(max)s characters") % {"max": MAX_CELL})
    reason = single_line(values.get("reason", ""))
    if len(reason) > 64:
        reject("reason", _("longer than %(max)s characters") % {"max": 64})
    external_id = single_line(values.get("response_id", ""))
    if len(external_id) > 200:
        reject("response_id", _("longer than %(max)s characters") % {"max": 200})

    ticket = None
    ticket_raw = single_line(values.get("ticket", ""))
    if ticket_raw:
        ticket = lookups.ticket(ticket_raw[:100])
        if ticket is None:
            reject("ticket", _("no ticket #%(number)s in Doum") % {"number": ticket_raw[:40]})
        elif ticket.deleted_at is not None or ticket.is_spam:
            reject("ticket", _("ticket #%(number)s is deleted or spam") % {"number": ticket.pk})
            ticket = None

    customer: User | None = None
    new_email = ""
    email_raw = single_line(values.get("email", ""))
    if email_raw:
        try:
            email = normalize_identity(Identity.Kind.EMAIL, email_raw)
        except InvalidInput:
            reject("email", _("'%(value)s' is not an e-mail address") % {"value": email_raw[:80]})
        else:
            customer = lookups.person(email)
            if customer is None:
                if options.create_customers:
                    new_email = email
                else:
                    reject(
                        "email",
                        _("no customer has the address %(email)s (allow creating customers "
                          "to add them)") % {"email": email},
                    )  # fmt: skip
    elif ticket is not None:
        customer = ticket.requester

    if problems:
        return None, problems
    if not external_id:
        external_id = _row_digest(
            [kind, email_raw.lower(), ticket_raw, str(score), answered_at.isoformat(), comment]
        )
    plan = ResponsePlan(
        row=number, kind=kind, score=score, csat_scale=scale, comment=comment, reason=reason,
        answered_at=answered_at, external_id=external_id, customer=customer,
        new_customer_email=new_email, ticket=ticket,
    )  # fmt: skip
    return plan, []


def _is_extra_header(cells: Sequence[str], columns: Mapping[str, int], preset: Preset) -> bool:
    """A tool's description row under the header (SurveyMonkey's "Response" row, Qualtrics'
    question wording and ImportId rows): no response id, or a header-like one."""
    value = single_line(cell(cells, columns, "response_id"))
    if not value or value.startswith("{"):
        return True
    return header_key(value) in {header_key(c) for c in preset.candidates("response_id")}


def do_import_responses(
    data: bytes, options: ResponseOptions, *, actor: User | None
) -> ImportReport:
    """Check (dry run) or import the survey answers of one CSV file; see the module doc.

    ImportFileError when the file as a whole is unusable; Forbidden for a role that may not
    import. Rows are never half-written: the writes are one transaction.
    """
    check_actor(actor)
    preset = PRESETS.get(options.source)
    if preset is None:
        raise ImportFileError(
            _("Unknown source '%(source)s'; choose one of %(sources)s.")
            % {"source": options.source[:40], "sources": ", ".join(PRESETS)}
        )
    if options.kind and options.kind not in SurveyKind.values:
        raise ImportFileError(_("The kind must be csat, nps or ces."))
    if options.csat_scale not in CsatScale.values:
        raise ImportFileError(_("The CSAT scale must be good_bad or five."))
    zone = time_zone_named(options.time_zone or preset.time_zone or default_time_zone(actor))
    table = open_table(data, options.encoding)
    columns = resolve_columns(
        table.header,
        fields=RESPONSE_FIELDS,
        required=REQUIRED_RESPONSE_FIELDS,
        candidates={name: preset.candidates(name) for name in RESPONSE_FIELDS},
        custom=options.mapping,
    )
    if "kind" not in columns and not options.kind:
        raise ImportFileError(
            _("The file has no kind column: choose the kind (csat, nps or ces) of every row.")
        )
    report = ImportReport(
        kind=ImportKind.RESPONSES, dry_run=options.dry_run, filename=options.filename,
        encoding=table.encoding, delimiter=table.delimiter,
    )  # fmt: skip
    now = clock.now()
    lookups = _Lookups()
    plans: list[ResponsePlan] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        if not any(c.strip() for c in cells):
            continue
        if number - 1 <= preset.extra_header_rows and _is_extra_header(cells, columns, preset):
            continue
        report.rows += 1
        plan, problems = _check_response_row(
            number, cells, columns, table.header, options, zone, now, lookups
        )
        if plan is not None and plan.external_id in seen:
            i = columns.get("response_id")
            problems = [
                Rejection(
                    number,
                    table.header[i] if i is not None else "",
                    _("the same response appears again (first at row %(row)s)")
                    % {"row": seen[plan.external_id]},
                )
            ]
            plan = None
        if plan is None:
            report.rejections.extend(problems)
            report.rejected_rows += 1
            continue
        seen[plan.external_id] = number
        plans.append(plan)
    report.valid = len(plans)
    existing = _existing_ids(preset.name, [p.external_id for p in plans])
    report.skipped = sum(1 for p in plans if p.external_id in existing)
    fresh = [p for p in plans if p.external_id not in existing]
    report.customers_created = len({p.new_customer_email for p in fresh if p.new_customer_email})
    if options.dry_run:
        return report
    blocked = bool(report.rejections) and not options.skip_invalid
    with transaction.atomic():
        record = _record(report, options, preset.name, actor, now)
        if not blocked:
            report.customers_created = 0
            _write_responses(fresh, preset.name, record, report, actor)
            report.saved = True
            FeedbackImport.objects.filter(pk=record.pk).update(accepted=report.imported)
    return report


def _existing_ids(source: str, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        rows = SurveyResponse.objects.filter(
            external_source=source, external_id__in=ids[start : start + 500]
        ).values_list("external_id", flat=True)
        found.update(value for value in rows if value is not None)
    return found


def _record(
    report: ImportReport, options: ResponseOptions, source: str, actor: User | None, now: datetime
) -> FeedbackImport:
    record = FeedbackImport.objects.create(
        kind=report.kind,
        filename=single_line(options.filename)[:255],
        source_name=source,
        mapping=dict(options.mapping),
        encoding=report.encoding,
        dry_run=False,
        rows=report.rows,
        accepted=0,
        rejected=report.rejected_rows,
        rejections=[r.as_dict() for r in report.rejections[:MAX_STORED_REJECTIONS]],
        actor=actor,
        created_at=now,
    )
    report.import_id = record.pk
    return record


def _write_responses(
    plans: Sequence[ResponsePlan],
    source: str,
    record: FeedbackImport,
    report: ImportReport,
    actor: User | None,
) -> None:
    now = clock.now()
    created: dict[str, User] = {}
    for plan in plans:
        customer = plan.customer
        if plan.new_customer_email:
            customer = created.get(plan.new_customer_email)
            if customer is None:
                customer = do_find_or_create_customer(actor=actor, email=plan.new_customer_email)
                created[plan.new_customer_email] = customer
                report.customers_created += 1
        ticket = plan.ticket
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(
                    kind=plan.kind,
                    brand_id=ticket.brand_id if ticket else None,
                    customer=customer,
                    ticket=ticket,
                    assignee_id=ticket.assignee_id if ticket else None,
                    team_id=ticket.team_id if ticket else None,
                    organization_id=(
                        ticket.organization_id
                        if ticket
                        else (customer.organization_id if customer else None)
                    ),
                    channel=ticket.channel if ticket else "",
                    csat_scale=plan.csat_scale,
                    score=plan.score,
                    comment=plan.comment,
                    reason=plan.reason,
                    source=ResponseSource.IMPORT,
                    external_source=source,
                    external_id=plan.external_id,
                    feedback_import=record,
                    answered_at=plan.answered_at,
                    first_answered_at=plan.answered_at,
                    updated_at=now,
                )
        except IntegrityError:  # imported meanwhile by a concurrent run
            report.skipped += 1
            continue
        if process_response(response, follow_up=True) is not None:
            report.follow_ups += 1
        report.imported += 1
        report.created_ids.append(response.pk)
