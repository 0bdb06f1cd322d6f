"""Doum SLAs web pages: settings pages (business calendars, SLA policies, what-if) gathered
into `settings_urlpatterns` (mounted under /settings/, namespace "settings")."""

from django.urls import URLPattern

from doum.sla.views import settings_calendars, settings_policies, settings_what_if

settings_urlpatterns: list[URLPattern] = [
    *settings_calendars.urlpatterns,
    *settings_policies.urlpatterns,
    *settings_what_if.urlpatterns,
]
