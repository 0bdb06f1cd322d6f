"""Staff pages of surveys under /surveys/ (namespace "surveys"): responses and their analysis,
follow-ups, survey settings per brand; the feedback import pages come from import_urls."""

from django.urls import URLPattern, URLResolver, path

from doum.surveys import import_urls, views

app_name = "surveys"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.responses, name="responses"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:follow_up_id>/", views.follow_up, name="follow_up"),
    path("follow-ups/<int:follow_up_id>/done/", views.follow_up_done, name="follow_up_done"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/<int:brand_id>/", views.settings_brand, name="settings_brand"),
    *import_urls.urlpatterns,
]
