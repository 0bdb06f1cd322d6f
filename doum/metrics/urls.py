"""Analytics pages under /analytics/ (namespace "metrics")."""

from django.urls import URLPattern

app_name = "metrics"
urlpatterns: list[URLPattern] = []
