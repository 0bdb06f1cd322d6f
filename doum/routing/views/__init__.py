"""Routing web pages: settings pages gathered into `settings_urlpatterns` (mounted under
/settings/, namespace "settings")."""

from django.urls import URLPattern

from doum.routing.views import settings

settings_urlpatterns: list[URLPattern] = [*settings.urlpatterns]
