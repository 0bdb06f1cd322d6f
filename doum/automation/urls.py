"""Automation pages outside the settings area (namespace "automation")."""

from django.urls import URLPattern

app_name = "automation"
urlpatterns: list[URLPattern] = []
