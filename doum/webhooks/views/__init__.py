"""Webhooks web pages: settings pages gathered into `settings_urlpatterns` (mounted under
/settings/, namespace "settings"): webhooks, their delivery logs and the dead-letter list,
and the allowed hosts."""

from django.urls import URLPattern

from doum.webhooks.views import settings_deliveries, settings_hosts, settings_webhooks

settings_urlpatterns: list[URLPattern] = [
    *settings_webhooks.urlpatterns,
    *settings_deliveries.urlpatterns,
    *settings_hosts.urlpatterns,
]
