"""Pages of the tickets app under the "tickets" namespace (settings pages are elsewhere)."""

from django.urls import URLPattern

from doum.tickets.views import attachments, create, lists, ticket

app_name = "tickets"
urlpatterns: list[URLPattern] = [
    *lists.urlpatterns,
    *ticket.urlpatterns,
    *create.urlpatterns,
    *attachments.urlpatterns,
]
