"""Doum SLAs web pages: settings pages gathered into `settings_urlpatterns` (mounted under
/settings/, namespace "settings")."""

from django.urls import URLPattern

settings_urlpatterns: list[URLPattern] = []
