"""Analytics pages under /analytics/ (namespace "metrics"), one module per page group:
dashboards (index, agent, team), operations, executive (and its print view), feedback (survey
scores), drill (the tickets behind a number), settings (cost per hour, goals)."""

from django.urls import URLPattern

from doum.metrics.views import dashboards, drill, executive, feedback, operations, settings

urlpatterns: list[URLPattern] = [
    *dashboards.urlpatterns,
    *operations.urlpatterns,
    *executive.urlpatterns,
    *feedback.urlpatterns,
    *drill.urlpatterns,
    *settings.urlpatterns,
]
