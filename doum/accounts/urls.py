"""Pages of the accounts app under the "accounts" namespace (settings pages are elsewhere)."""

from django.urls import URLPattern

from doum.accounts.views import people, profile

app_name = "accounts"
urlpatterns: list[URLPattern] = [*people.urlpatterns, *profile.urlpatterns]
