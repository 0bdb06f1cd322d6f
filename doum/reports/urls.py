"""Export and report pages under /reports/ (namespace "reports")."""

from django.urls import URLPattern

from doum.reports.views import exports, scheduled

app_name = "reports"
urlpatterns: list[URLPattern] = [*exports.urlpatterns, *scheduled.urlpatterns]
