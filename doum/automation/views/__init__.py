"""Automation web pages.

settings_rules.py  Settings › Triggers and Settings › Automations (managers and admins)
macros.py          shared macros (Settings › Macros) and each agent's personal macros
apply.py           applying a macro from the ticket page
Settings pages are gathered into `settings_urlpatterns` (mounted under /settings/,
namespace "settings"); the others are in doum/automation/urls.py (namespace "automation").
"""

from django.urls import URLPattern

from doum.automation.views import macros, settings_rules

settings_urlpatterns: list[URLPattern] = [
    *settings_rules.urlpatterns,
    *macros.settings_urlpatterns,
]
