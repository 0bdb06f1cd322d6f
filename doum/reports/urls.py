"""Export and report pages under /reports/ (namespace "reports")."""

from django.urls import URLPattern

app_name = "reports"
urlpatterns: list[URLPattern] = []
