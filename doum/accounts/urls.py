"""Pages of the accounts app under the "accounts" namespace (settings pages are elsewhere)."""

from django.urls import URLPattern

from doum.accounts.views import auth, organizations, people, profile

app_name = "accounts"
urlpatterns: list[URLPattern] = [
    *people.urlpatterns,
    *organizations.urlpatterns,
    *profile.urlpatterns,
    *auth.urlpatterns,
]
