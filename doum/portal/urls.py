"""The customer portal: /portal/ (see views.py and auth_views.py)."""

from django.urls import URLPattern, path

from doum.portal import auth_views, views

app_name = "portal"
urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("brand.css", views.brand_stylesheet, name="brand_css"),
    path("language", auth_views.set_language, name="language"),
    path("signup", auth_views.signup, name="signup"),
    path("login", auth_views.sign_in, name="login"),
    path("login/link", auth_views.login_link, name="login_link"),
    path("login/link/<str:token>", auth_views.login_with_link, name="login_with_link"),
    path("logout", auth_views.sign_out, name="logout"),
    path("new", views.new_request, name="new"),
    path("requests", views.my_requests, name="requests"),
    path("requests/<int:number>", views.request_page, name="request"),
    path("requests/<int:number>/reply", views.reply, name="reply"),
    path("requests/<int:number>/solve", views.solve, name="solve"),
]
