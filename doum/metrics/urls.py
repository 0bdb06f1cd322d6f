"""Analytics pages under /analytics/ (namespace "metrics")."""

from django.urls import URLPattern

from doum.metrics.views import urlpatterns as view_patterns

app_name = "metrics"
urlpatterns: list[URLPattern] = [*view_patterns]
