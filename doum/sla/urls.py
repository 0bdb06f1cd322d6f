"""Doum SLAs pages outside the settings area (namespace "sla")."""

from django.urls import URLPattern

app_name = "sla"
urlpatterns: list[URLPattern] = []
