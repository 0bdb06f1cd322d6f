"""Alert pages under /alerts/ (namespace "alerts")."""

from django.urls import URLPattern, path

from doum.alerts import views

app_name = "alerts"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/unread/", views.unread, name="unread"),
    path("notifications/read/", views.mark_read, name="mark_read"),
]
