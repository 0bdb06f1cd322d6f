from django.contrib import admin

from doum.core.admin_base import ReadOnlyAdmin
from doum.tickets.models import CustomField, Tag, Ticket, TicketEvent


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("id", "subject", "status", "priority", "team", "assignee", "updated_at")
    list_filter = ("status", "priority", "channel")
    list_select_related = ("team", "assignee")
    raw_id_fields = ("requester", "submitter", "assignee", "problem", "merged_into")


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "ticket_id",
        "kind",
        "field",
        "old_value",
        "new_value",
        "actor_role",
        "via",
        "at",
    )
    list_filter = ("kind", "via")
    raw_id_fields = ("ticket", "actor", "comment")


admin.site.register([CustomField, Tag], ReadOnlyAdmin)
