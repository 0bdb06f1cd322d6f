"""The custom field and tag settings pages: who may open them, what they show, what they
write (through field_definitions.py and tag_actions.py), and how bad input is answered."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from doum.accounts.models import AuditLog
from doum.tickets import actions as tickets
from doum.tickets import field_definitions
from doum.tickets.models import CustomField, EventKind, Tag, Ticket, TicketEvent, Via
from tests.pages import PARTIAL, text
from tests.pages import signed_in as client_for
from tests.personas import World
from tests.tickets.test_hostile_input import XSS


def new_field(**data: object) -> dict[str, object]:
    base: dict[str, object] = {
        "applies_to": "ticket", "key": "refund_reason", "label": "Refund reason",
        "label_ko": "환불 사유", "field_type": "text", "options": "", "max_length": 1000,
        "position": 0,
    }  # fmt: skip
    return {**base, **data}


def tagged(world: World, subject: str, tags: list[str]) -> Ticket:
    return tickets.do_create_ticket(
        actor=world.agent, via=Via.WEB, subject=subject, body="Body",
        requester_id=world.customer.pk, tags=tags,
    )  # fmt: skip


# --- custom fields --------------------------------------------------------------------------


def test_create_a_drop_down_with_options_one_per_line(world: World) -> None:
    client = client_for(world.manager)
    response = client.post(
        "/settings/fields/new/",
        new_field(
            field_type="dropdown", required_on_solve="on", visible_to_customers="on",
            options="refund|Refund|환불\n\n  exchange | Exchange \nother",
        ),
    )  # fmt: skip
    field = CustomField.objects.get(key="refund_reason")
    assert response.status_code == 302
    assert response["Location"] == "/settings/fields/?applies_to=ticket"
    assert field.options == [
        {"value": "refund", "label": "Refund", "label_ko": "환불"},
        {"value": "exchange", "label": "Exchange"},
        {"value": "other", "label": "other"},
    ]
    assert field.label_ko == "환불 사유" and field.required_on_solve
    assert field.visible_to_customers and not field.editable_by_customers
    assert AuditLog.objects.filter(action="custom_field.created", actor=world.manager).exists()
    listing = text(client.get(response["Location"]))
    assert "Refund reason" in listing and "환불 사유" in listing and "3 options" in listing


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"field_type": "rainbow"}, "field_type", "Select a valid choice. rainbow"),
        ({"applies_to": "planet"}, "applies_to", "Select a valid choice. planet"),
        ({"key": "Refund Reason"}, "key", "Use lower-case letters"),
        ({"key": "1st"}, "key", "Use lower-case letters"),
        ({"key": ""}, "key", "This field is required."),
        ({"label": ""}, "label", "This field is required."),
        ({"label": "x" * 101}, "label", "at most 100 characters"),
        ({"position": "first"}, "position", "Enter a whole number."),
        ({"max_length": "0"}, "max_length", "greater than or equal to 1"),
        ({"field_type": "dropdown", "options": ""}, "options", "at least one option"),
        ({"field_type": "dropdown", "options": "a|b|c|d"}, "options", "Line 1: write value"),
        ({"field_type": "dropdown", "options": "a\n|Label"}, "options", "Line 2: the value"),
        ({"field_type": "dropdown", "options": "a\na"}, "options", "listed twice"),
        ({"field_type": "text", "options": "a|A"}, "options", "Only drop-downs"),
        ({"editable_by_customers": "on"}, "editable_by_customers", "must be visible"),
    ],
)
def test_bad_field_definitions_get_a_message_on_their_field(
    world: World, data: dict[str, object], field: str, message: str
) -> None:
    response = client_for(world.manager).post("/settings/fields/new/", new_field(**data))
    assert response.status_code == 400
    body = text(response)
    row = body.split(f'data-field="{field}"')[1].split("</div>")[0]
    assert message in html.unescape(row)
    assert not CustomField.objects.exists()


def test_a_duplicate_key_is_refused_per_target(world: World) -> None:
    client = client_for(world.manager)
    assert client.post("/settings/fields/new/", new_field()).status_code == 302
    again = client.post("/settings/fields/new/", new_field())
    assert again.status_code == 400 and "A field with the key" in html.unescape(text(again))
    on_users = client.post("/settings/fields/new/", new_field(applies_to="user"))
    assert on_users.status_code == 302
    assert CustomField.objects.filter(key="refund_reason").count() == 2


def test_edit_a_field_and_deactivate_it(world: World) -> None:
    field = field_definitions.do_create_custom_field(
        actor=world.admin, key="product", label="Product", field_type="dropdown",
        options=[{"value": "a", "label": "A"}],
    )  # fmt: skip
    client = client_for(world.manager)
    url = f"/settings/fields/{field.pk}/"
    page = text(client.get(url))
    assert "\na|A</textarea>" in page and "product" in page
    response = client.post(url, {
        "label": "Product line", "label_ko": "제품", "options": "a|A\nb|B|비", "max_length": 1000,
        "position": 3,
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == url
    field.refresh_from_db()
    assert field.label == "Product line" and field.position == 3 and not field.is_active
    assert field.options[1] == {"value": "b", "label": "B", "label_ko": "비"}
    log = AuditLog.objects.get(action="custom_field.updated")
    assert set(log.data["fields"]) == {"label", "label_ko", "options", "position", "is_active"}
    malformed = client.post(url, {"label": "P", "options": "x|y|z|w", "max_length": 1,
                                  "position": 0})  # fmt: skip
    assert malformed.status_code == 400 and "Line 1" in html.unescape(text(malformed))
    assert client.get("/settings/fields/999999/").status_code == 404


def test_fields_list_filters_by_target_and_costs_constant_queries(world: World) -> None:
    client = client_for(world.manager)

    def grow(count: int) -> None:
        start = CustomField.objects.count()
        for i in range(start, start + count):
            field_definitions.do_create_custom_field(
                actor=world.admin, key=f"f{i}", label=f"Field {i}", field_type="text",
                applies_to="user" if i % 2 else "ticket",
            )  # fmt: skip

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/settings/fields/").status_code == 200
        return len(ctx.captured_queries)

    grow(3)
    few = queries()
    grow(12)
    assert queries() == few
    users_only = text(client.get("/settings/fields/?applies_to=user", headers=PARTIAL))
    assert users_only.startswith('<div id="field-list">')
    assert "Field 1" in users_only and "Field 0<" not in users_only


@pytest.mark.parametrize("role", ["agent", "lead", "qa", "director"])
def test_other_staff_get_403_on_fields_and_tags(world: World, role: str) -> None:
    tagged(world, "A", ["refund"])
    tag = Tag.objects.get(name="refund")
    client = client_for(world.by_role()[role])
    assert client.get("/settings/fields/").status_code == 403
    assert client.post("/settings/fields/new/", new_field()).status_code == 403
    assert client.get("/settings/tags/").status_code == 403
    assert client.post(f"/settings/tags/{tag.pk}/delete/").status_code == 403
    assert not CustomField.objects.exists() and Tag.objects.filter(pk=tag.pk).exists()


def test_hostile_labels_and_tags_are_shown_escaped(world: World) -> None:
    client = client_for(world.manager)
    for i, payload in enumerate(XSS):
        assert (
            client.post(
                "/settings/fields/new/", new_field(key=f"k{i}", label=payload[:100])
            ).status_code
            == 302
        )
    tagged(world, "A", ["{{7*7}}", "a&b", "${x}"])
    pages = [text(client.get("/settings/fields/")), text(client.get("/settings/tags/"))]
    field = CustomField.objects.get(key="k0")
    pages.append(text(client.get(f"/settings/fields/{field.pk}/")))
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "<svg onload" not in page
    assert html.escape(XSS[0]) in pages[0]
    assert "a&amp;b" in pages[1] and "{{7*7}}" in pages[1]


# --- tags -----------------------------------------------------------------------------------


def test_tags_list_counts_tickets_and_searches(world: World) -> None:
    tagged(world, "A", ["refund", "vip"])
    tagged(world, "B", ["refund"])
    client = client_for(world.manager)
    page = text(client.get("/settings/tags/"))
    refund = page.split('data-tag-name="refund"')[1].split("</tr>")[0]
    cell = refund.split('data-testid="tag-count">')[1].split("</td>")[0]
    assert re.sub(r"<[^>]+>", "", cell) == "2"
    assert 'data-tag-name="vip"' in page
    found = text(client.get("/settings/tags/?q=VI", headers=PARTIAL))
    assert found.startswith('<div id="tag-list">')
    assert 'data-tag-name="vip"' in found and 'data-tag-name="refund"' not in found
    by_use = text(client.get("/settings/tags/?sort=-count"))
    assert by_use.index('data-tag-name="refund"') < by_use.index('data-tag-name="vip"')
    assert client.get("/settings/tags/?sort=bogus&page=x").status_code == 200


def test_tags_list_costs_constant_queries(world: World) -> None:
    client = client_for(world.manager)

    def grow(count: int) -> None:
        start = Tag.objects.count()
        tagged(world, f"T{start}", [f"tag_{start + i}" for i in range(count)])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/settings/tags/").status_code == 200
        return len(ctx.captured_queries)

    grow(3)
    few = queries()
    grow(12)
    assert queries() == few
    assert few <= 8


def test_rename_merge_and_delete_from_the_page(world: World) -> None:
    a = tagged(world, "A", ["refund", "vip"])
    tagged(world, "B", ["refunds"])
    client = client_for(world.manager)
    refund = Tag.objects.get(name="refund")

    renamed = client.post(f"/settings/tags/{refund.pk}/rename/",
                          {"name": "Money Back", "q": "", "sort": "name", "page": "1"}, headers=PARTIAL)  # fmt: skip
    assert renamed.status_code == 200
    assert "Renamed “refund” to “money_back”." in text(renamed)
    assert text(renamed).startswith('<div id="tag-list">')
    events = TicketEvent.objects.filter(ticket=a, kind__in=[EventKind.TAG_ADDED,
                                                            EventKind.TAG_REMOVED])  # fmt: skip
    assert events.filter(new_value="money_back", actor=world.manager).exists()

    refunds = Tag.objects.get(name="refunds")
    merged = client.post(f"/settings/tags/{refunds.pk}/merge/", {"target": "MONEY back"})
    assert merged.status_code == 302 and merged["Location"] == "/settings/tags/"
    assert "Merged “refunds” into “money_back”." in text(client.get("/settings/tags/"))
    assert not Tag.objects.filter(name="refunds").exists()
    assert Ticket.objects.get(subject="B").tags.get().name == "money_back"

    deleted = client.post(f"/settings/tags/{refund.pk}/delete/", {"q": "mon", "sort": "-count"})
    assert deleted.status_code == 302
    assert deleted["Location"] == "/settings/tags/?q=mon&sort=-count"
    assert not Tag.objects.filter(pk=refund.pk).exists()
    assert list(a.tags.values_list("name", flat=True)) == ["vip"]
    assert [r.action for r in AuditLog.objects.filter(target_type="tag").order_by("id")] == [
        "tag.renamed", "tag.merged", "tag.deleted",
    ]  # fmt: skip


def test_tag_operations_explain_bad_input_in_the_row(world: World) -> None:
    tagged(world, "A", ["refund", "vip"])
    refund = Tag.objects.get(name="refund")
    client = client_for(world.manager)

    def error(url: str, data: dict[str, str], partial: bool = True) -> str:
        response = client.post(url, data, headers=PARTIAL if partial else None)
        assert response.status_code == 400
        row = text(response).split(f'data-tag-id="{refund.pk}"')[1].split("</tr>")[0]
        return html.unescape(row.split('data-testid="tag-error">')[1].split("</p>")[0])

    rename = f"/settings/tags/{refund.pk}/rename/"
    merge = f"/settings/tags/{refund.pk}/merge/"
    assert "merge the two tags" in error(rename, {"name": "vip"})
    assert "cannot hold" in error(rename, {"name": "<b>"}, partial=False)
    assert "required" in error(rename, {"name": ""})
    assert "needs a name" in error(rename, {"name": "\x07"})
    assert "There is no tag “nothing”" in error(merge, {"target": "nothing"})
    assert "itself" in error(merge, {"target": "refund"})
    assert Tag.objects.filter(pk=refund.pk, name="refund").exists()
    assert client.post("/settings/tags/999999/delete/").status_code == 404


def test_destructive_tag_forms_ask_for_confirmation(world: World) -> None:
    tagged(world, "A", ["refund"])
    page = text(client_for(world.admin).get("/settings/tags/"))
    assert 'data-confirm="Delete “refund” from 1 ticket?"' in page
    assert 'data-confirm="Merge “refund” into the other tag' in page
    assert page.count('data-target="#tag-list"') >= 3
