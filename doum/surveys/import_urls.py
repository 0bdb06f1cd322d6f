"""Feedback import pages, mounted under /surveys/ by doum.surveys.urls (namespace "surveys")."""

from django.urls import URLPattern, path

from doum.surveys import import_views

urlpatterns: list[URLPattern] = [
    path("import/", import_views.import_page, name="import"),
    path("mentions/", import_views.mention_list, name="mentions"),
    path("mentions/<int:mention_id>/ticket/", import_views.mention_ticket, name="mention_ticket"),
]
