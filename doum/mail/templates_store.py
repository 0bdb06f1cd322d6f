"""The mail templates: built-in text for every kind of outbound mail in English and Korean,
admins' edited versions (`MailTemplate` rows), and rendering.

A template is plain text with placeholders such as `{{ ticket.number }}` and a few Django
template tags (`{% if %}`, `{% firstof %}`, comments). It is compiled by an engine of its own
with no loaders and no tag libraries, and only the tags in `ALLOWED_TAGS` pass validation, so
an edited template cannot include files, load libraries or dump the context. Rendering only
ever sees plain dicts of strings (`PLACEHOLDERS` lists them), never model instances.

The HTML part is made from the rendered text: escaped, URLs linked, paragraphs kept, and the
comment's own (sanitised) HTML put where `{{ comment.body }}` stands.

Language: the recipient's `User.language` when it is one Doum speaks, else
`settings.DOUM_MAIL_DEFAULT_LANGUAGE` if set, else `settings.LANGUAGE_CODE` ("en").
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from functools import cache

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.base import Lexer, TokenType, VariableNode
from django.utils.html import urlize
from django.utils.translation import gettext as _

from doum.accounts import roles
from doum.accounts.actions.common import audit, require_role
from doum.accounts.models import User
from doum.core import clock
from doum.core.errors import InvalidInput
from doum.core.text import is_blank, normalize, sanitize_html, single_line
from doum.mail.models import MailTemplate, OutboundKind

log = logging.getLogger(__name__)

LANGUAGES = ("en", "ko")
SUBJECT_MAX = 500
BODY_MAX = 20_000

# What a template may say: {{ root }} for strings, {{ root.key }} for the dicts.
PLACEHOLDERS: dict[str, frozenset[str] | None] = {
    "ticket": frozenset({"number", "subject", "status", "priority", "url"}),
    "requester": frozenset({"name", "first_name", "email"}),
    "agent": frozenset({"name", "first_name"}),
    "comment": frozenset({"body", "author"}),
    "brand": frozenset({"name"}),
    "sla": frozenset({"target", "state", "deadline"}),
    "portal_url": None,
}
# Mail kinds with an editable template (mail sent by a rule carries the rule's own text; a
# scheduled report's mail is written by doum.reports.rendering, a survey's by doum.surveys
# with the brand's survey wording).
TEMPLATE_KINDS = tuple(
    k
    for k in OutboundKind.values
    if k not in (OutboundKind.RULE, OutboundKind.REPORT, OutboundKind.SURVEY)
)
ALLOWED_TAGS = frozenset({"if", "elif", "else", "endif", "firstof", "comment", "endcomment"})

# --- the built-in templates -----------------------------------------------------------------

_PORTAL_EN = (
    "{% if portal_url %}\nYou can also follow your request online: {{ portal_url }}{% endif %}"
)
_PORTAL_KO = (
    "{% if portal_url %}\n문의 진행 상황은 {{ portal_url }} 에서도 확인하실 수 있습니다.{% endif %}"
)
_TICKET_LINK_EN = "{% if ticket.url %}\n\nOpen the ticket: {{ ticket.url }}{% endif %}"
_TICKET_LINK_KO = "{% if ticket.url %}\n\n티켓 보기: {{ ticket.url }}{% endif %}"

BUILT_IN: dict[tuple[str, str], tuple[str, str]] = {
    (OutboundKind.REPLY, "en"): (
        "Re: {{ ticket.subject }}",
        "{{ comment.body }}\n\n"
        "{{ agent.name }}\n"
        "{{ brand.name }}\n\n"
        "--\n"
        "Reply to this email to answer; your message is added to request "
        "#{{ ticket.number }}." + _PORTAL_EN,
    ),
    (OutboundKind.REPLY, "ko"): (
        "Re: {{ ticket.subject }}",
        "{{ comment.body }}\n\n"
        "{{ agent.name }} 드림\n"
        "{{ brand.name }}\n\n"
        "--\n"
        "이 메일에 회신하시면 문의 #{{ ticket.number }}에 바로 추가됩니다." + _PORTAL_KO,
    ),
    (OutboundKind.ACKNOWLEDGEMENT, "en"): (
        "We received your request: {{ ticket.subject }}",
        'Hello {{ requester.first_name|default:"there" }},\n\n'
        "Thank you for contacting {{ brand.name }}. We have received your request, and an "
        "agent will reply as soon as possible.\n\n"
        "Your request number is #{{ ticket.number }}. To add anything, simply reply to this "
        "email." + _PORTAL_EN + "\n\n"
        "{{ brand.name }}",
    ),
    (OutboundKind.ACKNOWLEDGEMENT, "ko"): (
        "문의가 접수되었습니다: {{ ticket.subject }}",
        '{{ requester.name|default:"고객" }}님, 안녕하세요.\n\n'
        "{{ brand.name }}에 문의해 주셔서 감사합니다. 보내주신 문의가 정상적으로 "
        "접수되었으며, 담당 상담원이 확인 후 최대한 빨리 답변드리겠습니다.\n\n"
        "문의 번호는 #{{ ticket.number }}입니다. 추가로 전달하실 내용이 있으시면 이 메일에 "
        "회신해 주세요." + _PORTAL_KO + "\n\n"
        "{{ brand.name }} 드림",
    ),
    (OutboundKind.ASSIGNMENT, "en"): (
        "Assigned to you: {{ ticket.subject }}",
        'Hi {{ agent.first_name|default:"there" }},\n\n'
        "Ticket #{{ ticket.number }} has been assigned to you.\n\n"
        "Subject: {{ ticket.subject }}\n"
        "Requester: {{ requester.name }}\n"
        "Priority: {{ ticket.priority }}\n"
        "Status: {{ ticket.status }}" + _TICKET_LINK_EN,
    ),
    (OutboundKind.ASSIGNMENT, "ko"): (
        "티켓 배정: {{ ticket.subject }}",
        "{{ agent.name }}님께 티켓 #{{ ticket.number }}이(가) 배정되었습니다.\n\n"
        "제목: {{ ticket.subject }}\n"
        "요청자: {{ requester.name }}\n"
        "우선순위: {{ ticket.priority }}\n"
        "상태: {{ ticket.status }}" + _TICKET_LINK_KO,
    ),
    (OutboundKind.CUSTOMER_REPLY, "en"): (
        "New reply from {{ comment.author }}: {{ ticket.subject }}",
        "{{ comment.author }} replied to ticket #{{ ticket.number }}:\n\n"
        "{{ comment.body }}" + _TICKET_LINK_EN,
    ),
    (OutboundKind.CUSTOMER_REPLY, "ko"): (
        "{{ comment.author }}님의 새 답변: {{ ticket.subject }}",
        "{{ comment.author }}님이 티켓 #{{ ticket.number }}에 답변을 남겼습니다.\n\n"
        "{{ comment.body }}" + _TICKET_LINK_KO,
    ),
    (OutboundKind.ESCALATION, "en"): (
        "SLA {{ sla.state }}: {{ sla.target }} on #{{ ticket.number }} {{ ticket.subject }}",
        'Hi {{ agent.first_name|default:"there" }},\n\n'
        "The {{ sla.target }} target of ticket #{{ ticket.number }} is {{ sla.state }} "
        "(due {{ sla.deadline }}).\n\n"
        "Subject: {{ ticket.subject }}\n"
        "Requester: {{ requester.name }}\n"
        "Priority: {{ ticket.priority }}\n"
        "Status: {{ ticket.status }}" + _TICKET_LINK_EN,
    ),
    (OutboundKind.ESCALATION, "ko"): (
        "SLA {{ sla.state }}: #{{ ticket.number }} {{ ticket.subject }}의 {{ sla.target }}",
        "{{ agent.name }}님, 티켓 #{{ ticket.number }}의 {{ sla.target }} 목표가 "
        "{{ sla.state }} 상태입니다(기한 {{ sla.deadline }}).\n\n"
        "제목: {{ ticket.subject }}\n"
        "요청자: {{ requester.name }}\n"
        "우선순위: {{ ticket.priority }}\n"
        "상태: {{ ticket.status }}" + _TICKET_LINK_KO,
    ),
}


# --- language -------------------------------------------------------------------------------


def default_language() -> str:
    configured = str(settings.DOUM_MAIL_DEFAULT_LANGUAGE or settings.LANGUAGE_CODE)
    code = configured.lower().split("-")[0]
    return code if code in LANGUAGES else "en"


def language_for(user: User | None) -> str:
    """The language mail to `user` is written in."""
    code = (user.language if user is not None else "").lower().split("-")[0]
    return code if code in LANGUAGES else default_language()


# --- compiling and checking -----------------------------------------------------------------


@cache
def _engine() -> Engine:
    # No loaders (nothing to include or extend) and no libraries to {% load %}.
    return Engine(loaders=[], libraries={}, debug=False, autoescape=False, string_if_invalid="")


def compile_template(source: str, field: str) -> Template:
    """Compile `source` or raise InvalidInput(field=...) saying what is wrong, in words an
    admin can act on."""
    try:
        tokens = Lexer(source).tokenize()
    except TemplateSyntaxError as error:  # pragma: no cover - the lexer hardly ever raises
        raise InvalidInput(_template_error(str(error)), field=field) from error
    for token in tokens:
        if token.token_type == TokenType.TEXT and (
            "{{" in token.contents or "{%" in token.contents
        ):
            raise InvalidInput(
                _("The template has an error: a “{{” or “{%” is not closed on its line."),
                field=field,
            )
        if token.token_type == TokenType.BLOCK:
            bits = token.split_contents()
            name = bits[0] if bits else ""
            if name not in ALLOWED_TAGS:
                raise InvalidInput(
                    _("The tag {%% %(tag)s %%} is not allowed in mail templates.")
                    % {"tag": name[:40]},
                    field=field,
                )
    try:
        template = _engine().from_string(source)
    except TemplateSyntaxError as error:
        raise InvalidInput(_template_error(str(error)), field=field) from error
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        assert isinstance(node, VariableNode)
        var = node.filter_expression.var
        lookups = getattr(var, "lookups", None)
        if lookups is None:
            continue  # a literal: {{ "text" }}
        if not _known(tuple(lookups)):
            raise InvalidInput(
                _("Unknown placeholder {{ %(name)s }}. Use one of: %(known)s.")
                % {"name": ".".join(lookups)[:60], "known": ", ".join(placeholder_names())},
                field=field,
            )
    return template


def _known(lookups: tuple[str, ...]) -> bool:
    if not lookups or lookups[0] not in PLACEHOLDERS:
        return False
    keys = PLACEHOLDERS[lookups[0]]
    if keys is None:
        return len(lookups) == 1
    return len(lookups) == 2 and lookups[1] in keys


def placeholder_names() -> list[str]:
    """Every placeholder, as an admin writes it: "ticket.number", "portal_url", ..."""
    names: list[str] = []
    for root, keys in PLACEHOLDERS.items():
        names.extend([root] if keys is None else [f"{root}.{k}" for k in sorted(keys)])
    return names


def _template_error(detail: str) -> str:
    return _("The template has an error: %(detail)s") % {"detail": single_line(detail)[:300]}


# --- reading and rendering ------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in TEMPLATE_KINDS:
        raise InvalidInput(_("Unknown kind of mail '%(kind)s'.") % {"kind": kind}, field="kind")


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput(
            _("Language must be one of: %(languages)s.") % {"languages": ", ".join(LANGUAGES)},
            field="language",
        )


def get_template(kind: str, language: str) -> tuple[str, str, bool]:
    """(subject, body, is_custom) of the template in use for this kind and language."""
    _check_kind(kind)
    if language not in LANGUAGES:
        language = default_language()
    row = MailTemplate.objects.filter(kind=kind, language=language).first()
    if row is not None:
        return row.subject, row.body, True
    subject, body = BUILT_IN[(kind, language)]
    return subject, body, False


MailContext = Mapping[str, object]


def render(kind: str, language: str, context: MailContext) -> tuple[str, str, str]:
    """(subject, text, html) of this kind of mail for `context` (plain dicts and strings;
    `comment` may carry "body_html", the comment's sanitised HTML, for the HTML part).

    An edited template that fails to render (it was checked when saved, so this is not
    expected) falls back to the built-in one, with a log line.
    """
    subject_src, body_src, custom = get_template(kind, language)
    try:
        return _render(subject_src, body_src, context)
    except (InvalidInput, TemplateSyntaxError, ValueError, TypeError, KeyError):
        if not custom:
            raise
        log.exception("mail template %s/%s failed; using the built-in one", kind, language)
        lang = language if language in LANGUAGES else default_language()
        subject_src, body_src = BUILT_IN[(kind, lang)]
        return _render(subject_src, body_src, context)


def preview(subject: str, body: str, language: str = "en") -> tuple[str, str, str]:
    """Render a template being edited with sample values (for the admin page). Raises
    InvalidInput(field="subject"/"body") as saving would."""
    return _render(subject, body, sample_context(language))


def _render(subject_src: str, body_src: str, context: MailContext) -> tuple[str, str, str]:
    subject_t = compile_template(subject_src, "subject")
    body_t = compile_template(body_src, "body")
    plain = _plain(context)
    subject = single_line(subject_t.render(Context(plain, autoescape=False)))
    text = _tidy(body_t.render(Context(plain, autoescape=False)))
    comment = context.get("comment")
    body_html = ""
    if isinstance(comment, Mapping):
        body_html = str(comment.get("body_html") or "")
    html = _html(body_t, plain, body_html) if body_html else _paragraphs(_linked(text))
    return subject, text, _document(html)


def _plain(context: MailContext) -> dict[str, object]:
    """Only the known placeholders, as strings: nothing else reaches a template."""
    out: dict[str, object] = {}
    for root, keys in PLACEHOLDERS.items():
        value = context.get(root)
        if keys is None:
            out[root] = "" if value is None else str(value)
        else:
            given = value if isinstance(value, Mapping) else {}
            out[root] = {k: "" if given.get(k) is None else str(given.get(k)) for k in keys}
    return out


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in normalize(text).replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _linked(text: str) -> str:
    """Escaped text with http(s) links made clickable."""
    return str(urlize(text, nofollow=True, autoescape=True))


def _paragraphs(escaped: str) -> str:
    parts = [p.strip("\n") for p in re.split(r"\n\s*\n", escaped) if p.strip()]
    return "".join("<p>" + p.replace("\n", "<br>\n") + "</p>\n" for p in parts)


def _html(body_t: Template, plain: dict[str, object], body_html: str) -> str:
    """The HTML part, with the comment's own HTML where the template puts its body."""
    token = "doumcommentbody" + secrets.token_hex(8)
    comment = dict(plain["comment"]) if isinstance(plain["comment"], Mapping) else {}
    with_token = {**plain, "comment": {**comment, "body": token}}
    text = _tidy(body_t.render(Context(with_token, autoescape=False)))
    if token not in text:
        # The body was cut by a filter, or is not there: the plain rendering, escaped.
        plain_text = _tidy(body_t.render(Context(plain, autoescape=False)))
        return _paragraphs(_linked(plain_text))
    safe = sanitize_html(body_html)
    html = _paragraphs(_linked(text))
    html = html.replace(f"<p>{token}</p>", f"<div>{safe}</div>")
    return html.replace(token, safe)


def _document(body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        '<body style="font-family: sans-serif; font-size: 14px; line-height: 1.5">\n'
        f"{body}</body></html>\n"
    )


def sample_context(language: str) -> dict[str, object]:
    """Made-up values for previews."""
    ko = language == "ko"
    update = "주문하신 상품은 내일 도착 예정입니다." if ko else "Your order arrives tomorrow."
    return {
        "ticket": {
            "number": "1234",
            "subject": "배송 지연 문의" if ko else "Where is my order?",
            "status": "진행 중" if ko else "Open",
            "priority": "보통" if ko else "Normal",
            "url": "https://support.example.com/tickets/1234/",
        },
        "requester": {
            "name": "김하나" if ko else "Jamie Doe",
            "first_name": "하나" if ko else "Jamie",
            "email": "customer@example.com",
        },
        "agent": {"name": "이상담" if ko else "Alex Agent", "first_name": "상담" if ko else "Alex"},
        "comment": {
            "body": update,
            "author": "김하나" if ko else "Jamie Doe",
        },
        "brand": {"name": "Example"},
        "sla": {
            "target": "첫 응답" if ko else "first reply",
            "state": "위험" if ko else "at risk",
            "deadline": "2026-03-02 14:00",
        },
        "portal_url": "https://support.example.com/portal/requests/1234",
    }


# --- editing --------------------------------------------------------------------------------


def _clean_source(value: str, field: str, max_length: int, *, one_line: bool) -> str:
    if not isinstance(value, str):
        raise InvalidInput(_("This field must be text."), field=field)
    value = single_line(value) if one_line else normalize(value).replace("\r\n", "\n").strip()
    if is_blank(value):
        raise InvalidInput(_("This field may not be blank."), field=field)
    if len(value) > max_length:
        raise InvalidInput(
            _("At most %(max_length)s characters.") % {"max_length": max_length}, field=field
        )
    compile_template(value, field)
    return value


@transaction.atomic
def do_save_mail_template(
    *, actor: User | None, kind: str, language: str, subject: str, body: str
) -> MailTemplate:
    """Save an edited template for a kind and language (admins only; audited)."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may edit mail templates."))
    _check_kind(kind)
    _check_language(language)
    subject = _clean_source(subject, "subject", SUBJECT_MAX, one_line=True)
    body = _clean_source(body, "body", BODY_MAX, one_line=False)
    row, created = MailTemplate.objects.select_for_update().update_or_create(
        kind=kind,
        language=language,
        defaults={
            "subject": subject,
            "body": body,
            "updated_at": clock.now(),
            "updated_by": actor,
        },
    )
    audit(actor, "mail_template.saved", row, kind=kind, language=language, created=created)
    return row


@transaction.atomic
def do_reset_mail_template(*, actor: User | None, kind: str, language: str) -> None:
    """Go back to the built-in template (admins only; audited when there was an edit)."""
    require_role(actor, roles.ADMINISTERS, _("Only admins may edit mail templates."))
    _check_kind(kind)
    _check_language(language)
    row = MailTemplate.objects.select_for_update().filter(kind=kind, language=language).first()
    if row is None:
        return
    audit(actor, "mail_template.reset", row, kind=kind, language=language)
    row.delete()
