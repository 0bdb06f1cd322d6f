"""Webhooks pages outside the settings area (namespace "webhooks")."""

from django.urls import URLPattern

app_name = "webhooks"
urlpatterns: list[URLPattern] = []
