"""Mail pages outside the settings area (namespace "mail"): the original of an e-mailed
comment, for staff who can see its ticket."""

from django.urls import URLPattern

from doum.mail.views import original

app_name = "mail"
urlpatterns: list[URLPattern] = [*original.urlpatterns]
