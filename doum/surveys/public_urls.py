"""The customer's survey pages under /survey/ (namespace "survey"): no sign-in, a signed
token in the address (doum.surveys.tokens)."""

from django.urls import URLPattern, path

from doum.surveys import public_views

app_name = "survey"
urlpatterns: list[URLPattern] = [
    path("<str:token>/", public_views.rate, name="rate"),
    path("<str:token>/opt-out/", public_views.opt_out, name="opt_out"),
]
