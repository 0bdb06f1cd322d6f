"""Mail templates: the built-in English and Korean texts, admins' edits with their checks,
and rendering that escapes what it is given and reaches nothing beyond it."""

from __future__ import annotations

import pytest

from doum.accounts.models import AuditLog, User
from doum.core.errors import Forbidden, InvalidInput
from doum.mail import templates_store as store
from doum.mail.models import MailTemplate, OutboundKind
from tests.personas import World

KINDS = list(store.TEMPLATE_KINDS)


def context(**overrides: object) -> dict[str, object]:
    ctx = store.sample_context("en")
    ctx.update(overrides)
    return ctx


# --- built-in templates ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", store.LANGUAGES)
def test_every_kind_has_a_built_in_template_that_passes_its_own_checks(
    db: None, kind: str, language: str
) -> None:
    subject, body, custom = store.get_template(kind, language)
    assert not custom and (subject, body) == store.BUILT_IN[(kind, language)]
    store.compile_template(subject, "subject")
    store.compile_template(body, "body")
    rendered_subject, text, html = store.render(kind, language, store.sample_context(language))
    assert rendered_subject and "{{" not in rendered_subject
    assert "{{" not in text and "{%" not in text
    assert html.startswith("<!DOCTYPE html>")


def test_korean_templates_read_as_korean(db: None) -> None:
    ctx = store.sample_context("ko")
    subject, text, _html = store.render(OutboundKind.ACKNOWLEDGEMENT, "ko", ctx)
    assert subject == "문의가 접수되었습니다: 배송 지연 문의"
    assert text.startswith("김하나님, 안녕하세요.")
    assert "문의 번호는 #1234입니다." in text
    subject, text, _html = store.render(OutboundKind.ASSIGNMENT, "ko", ctx)
    assert subject == "티켓 배정: 배송 지연 문의"
    assert "요청자: 김하나" in text and "우선순위: 보통" in text
    subject, _text, _html = store.render(OutboundKind.CUSTOMER_REPLY, "ko", ctx)
    assert subject == "김하나님의 새 답변: 배송 지연 문의"


def test_the_language_is_the_recipients_else_the_default(world: World, settings: object) -> None:
    assert store.language_for(world.customer) == "en"
    world.customer.language = "ko"
    assert store.language_for(world.customer) == "ko"
    world.customer.language = "fr"
    assert store.language_for(world.customer) == "en"
    settings.DOUM_MAIL_DEFAULT_LANGUAGE = "ko"  # type: ignore[attr-defined]
    assert store.language_for(world.customer) == "ko"
    assert store.language_for(None) == "ko"


# --- rendering ------------------------------------------------------------------------------


def test_values_are_escaped_in_html_and_kept_in_text(db: None) -> None:
    ctx = context(
        requester={"name": "<script>alert(1)</script>", "first_name": "<b>Jo</b>", "email": ""}
    )
    _subject, text, html = store.render(OutboundKind.ACKNOWLEDGEMENT, "en", ctx)
    assert "Hello <b>Jo</b>," in text
    assert "<b>Jo</b>" not in html and "Hello &lt;b&gt;Jo&lt;/b&gt;," in html


def test_the_comments_own_html_is_sanitised_and_placed_where_the_body_stands(db: None) -> None:
    ctx = context(
        comment={
            "body": "Try this link.",
            "body_html": '<p>Try <a href="https://x.example">this</a>'
            '<img src=x onerror="alert(1)"><script>bad()</script></p>',
            "author": "Jamie",
        }
    )
    _subject, text, html = store.render(OutboundKind.REPLY, "en", ctx)
    assert text.startswith("Try this link.")
    assert '<a href="https://x.example"' in html
    assert "onerror" not in html and "<script" not in html and "bad()" not in html


def test_a_link_in_the_text_becomes_a_link_in_html(db: None) -> None:
    _subject, _text, html = store.render(OutboundKind.ACKNOWLEDGEMENT, "en", context())
    assert '<a href="https://support.example.com/portal/requests/1234"' in html


def test_nothing_beyond_the_listed_values_reaches_a_template(db: None) -> None:
    # Even when a caller hands over more, only the placeholders' strings get through.
    class Secret:
        password = "hunter2"

        def __str__(self) -> str:
            return "secret-object"

    ctx = context(ticket={"number": 7, "subject": Secret(), "password": "hunter2"}, settings=1)
    plain = store._plain(ctx)
    assert plain["ticket"] == {
        "number": "7",
        "subject": "secret-object",
        "status": "",
        "priority": "",
        "url": "",
    }
    assert "settings" not in plain


def test_a_broken_stored_template_falls_back_to_the_built_in_one(db: None, world: World) -> None:
    MailTemplate.objects.create(
        kind=OutboundKind.ASSIGNMENT,
        language="en",
        subject="{% if %}",
        body="x",
        updated_at=world.ticket.created_at,
    )
    subject, _text, _html = store.render(OutboundKind.ASSIGNMENT, "en", context())
    assert subject == "Assigned to you: Where is my order?"


# --- editing --------------------------------------------------------------------------------


def test_an_admin_edits_a_template_and_resets_it(world: World) -> None:
    row = store.do_save_mail_template(
        actor=world.admin,
        kind=OutboundKind.ACKNOWLEDGEMENT,
        language="ko",
        subject="  [{{ brand.name }}] 접수: {{ ticket.subject }}\n",
        body="{{ requester.name }}님, 문의 #{{ ticket.number }}을(를) 받았습니다.\r\n",
    )
    assert row.subject == "[{{ brand.name }}] 접수: {{ ticket.subject }}"
    assert row.updated_by == world.admin
    assert store.get_template(OutboundKind.ACKNOWLEDGEMENT, "ko")[2] is True
    subject, text, _html = store.render(
        OutboundKind.ACKNOWLEDGEMENT, "ko", store.sample_context("ko")
    )
    assert subject == "[Example] 접수: 배송 지연 문의"
    assert text == "김하나님, 문의 #1234을(를) 받았습니다.\n"
    # The English one is untouched.
    assert store.get_template(OutboundKind.ACKNOWLEDGEMENT, "en")[2] is False

    again = store.do_save_mail_template(
        actor=world.admin,
        kind=OutboundKind.ACKNOWLEDGEMENT,
        language="ko",
        subject="접수: {{ ticket.subject }}",
        body="받았습니다.",
    )
    assert again.pk == row.pk and MailTemplate.objects.count() == 1

    store.do_reset_mail_template(
        actor=world.admin, kind=OutboundKind.ACKNOWLEDGEMENT, language="ko"
    )
    assert store.get_template(OutboundKind.ACKNOWLEDGEMENT, "ko") == (
        *store.BUILT_IN[(OutboundKind.ACKNOWLEDGEMENT, "ko")],
        False,
    )
    actions = list(
        AuditLog.objects.filter(target_type="mailtemplate")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["mail_template.saved", "mail_template.saved", "mail_template.reset"]
    # Resetting what was never edited changes nothing and records nothing.
    store.do_reset_mail_template(actor=world.admin, kind=OutboundKind.REPLY, language="en")
    assert AuditLog.objects.filter(target_type="mailtemplate").count() == 3


@pytest.mark.parametrize("who", ["agent", "lead", "manager", "director", "customer"])
def test_only_admins_edit_templates(world: World, who: str) -> None:
    actor: User = getattr(world, who)
    with pytest.raises(Forbidden):
        store.do_save_mail_template(
            actor=actor, kind=OutboundKind.REPLY, language="en", subject="x", body="y"
        )
    with pytest.raises(Forbidden):
        store.do_reset_mail_template(actor=actor, kind=OutboundKind.REPLY, language="en")
    assert not MailTemplate.objects.exists()


def save(world: World, **kw: str) -> MailTemplate:
    args = {
        "kind": OutboundKind.REPLY,
        "language": "en",
        "subject": "Re: {{ ticket.subject }}",
        "body": "{{ comment.body }}",
    }
    args.update(kw)
    return store.do_save_mail_template(actor=world.admin, **args)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"kind": "newsletter"}, "kind", "Unknown kind"),
        ({"language": "fr"}, "language", "Language must be"),
        ({"subject": "  \u200b "}, "subject", "blank"),
        ({"body": ""}, "body", "blank"),
        ({"subject": "x" * 501}, "subject", "At most 500"),
        ({"body": "x" * 20_001}, "body", "At most 20000"),
        ({"body": "{% if ticket.url %}open"}, "body", "template has an error"),
        ({"body": "{{ ticket.subject|nosuchfilter }}"}, "body", "template has an error"),
        ({"subject": "{{ ticket.number "}, "subject", "template has an error"),
        ({"body": "{% load static %}{% static 'x' %}"}, "body", "{% load %} is not allowed"),
        ({"body": "{% include 'base.html' %}"}, "body", "{% include %} is not allowed"),
        ({"body": "{% debug %}"}, "body", "{% debug %} is not allowed"),
        ({"body": "{% lorem 100000 w %}"}, "body", "{% lorem %} is not allowed"),
        ({"body": "{% for c in ticket.subject %}{% endfor %}"}, "body", "not allowed"),
        ({"body": "{{ ticket.secret }}"}, "body", "Unknown placeholder {{ ticket.secret }}"),
        ({"body": "{{ settings.SECRET_KEY }}"}, "body", "Unknown placeholder"),
        ({"body": "{{ ticket }}"}, "body", "Unknown placeholder {{ ticket }}"),
        ({"body": "{{ ticket.subject.upper }}"}, "body", "Unknown placeholder"),
        ({"body": "{{ ticket.__class__ }}"}, "body", "template has an error"),
    ],
)
def test_what_a_template_may_not_be(
    world: World, changes: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        save(world, **changes)
    assert raised.value.field == field
    assert words in raised.value.message
    assert not MailTemplate.objects.exists()


def test_what_a_template_may_use(world: World) -> None:
    row = save(
        world,
        body=(
            "{# a note for admins #}{% if requester.first_name %}Hi {{ requester.first_name }}"
            "{% elif requester.name %}Hi {{ requester.name }}{% else %}Hello{% endif %},\n"
            "{% firstof agent.name brand.name %} | {{ ticket.subject|upper|truncatechars:10 }}"
            '{% comment %}unused{% endcomment %} {{ portal_url|default:"-" }}'
        ),
    )
    assert row.pk
    _subject, text, _html = store.render(OutboundKind.REPLY, "en", context())
    assert (
        text
        == "Hi Jamie,\nAlex Agent | WHERE IS … https://support.example.com/portal/requests/1234\n"
    )


def test_preview_renders_an_unsaved_edit_with_sample_values(db: None) -> None:
    subject, text, _html = store.preview("#{{ ticket.number }}", "{{ agent.name }}", "ko")
    assert (subject, text) == ("#1234", "이상담\n")
    with pytest.raises(InvalidInput) as raised:
        store.preview("ok", "{% if %}")
    assert raised.value.field == "body"
    assert store.placeholder_names()[:2] == ["ticket.number", "ticket.priority"]
