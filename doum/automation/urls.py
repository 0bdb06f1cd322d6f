"""Automation pages outside the settings area (namespace "automation"): an agent's personal
macros and applying a macro to a ticket."""

from django.urls import URLPattern

from doum.automation.views import apply, macros

app_name = "automation"
urlpatterns: list[URLPattern] = [*macros.personal_urlpatterns, *apply.urlpatterns]
