"""Routing pages outside the settings area (namespace "routing")."""

from django.urls import URLPattern

app_name = "routing"
urlpatterns: list[URLPattern] = []
