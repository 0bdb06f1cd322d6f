"""The email channel's web pages: admin settings (mailboxes, failed mail, the outbound log,
mail templates), gathered into `settings_urlpatterns` for /settings/, and the original of an
e-mailed comment (`original.py`, mounted by doum/mail/urls.py)."""

from django.urls import URLPattern

from doum.mail.views import (
    settings_failed,
    settings_mailboxes,
    settings_outbound,
    settings_templates,
)

settings_urlpatterns: list[URLPattern] = [
    *settings_mailboxes.urlpatterns,
    *settings_failed.urlpatterns,
    *settings_outbound.urlpatterns,
    *settings_templates.urlpatterns,
]
