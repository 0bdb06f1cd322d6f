"""The admin pages under /settings/ (namespace "settings"), gathered from the apps."""

from django.urls import URLPattern, path

from doum.accounts.views import settings as account_settings
from doum.automation import views as automation_views
from doum.core import views
from doum.mail import views as mail_views
from doum.routing import views as routing_views
from doum.sla import views as sla_views
from doum.tickets.views import settings as ticket_settings
from doum.webhooks import views as webhook_views

app_name = "settings"
urlpatterns: list[URLPattern] = [
    path("", views.settings_index, name="index"),
    *account_settings.urlpatterns,
    *ticket_settings.urlpatterns,
    *mail_views.settings_urlpatterns,
    *sla_views.settings_urlpatterns,
    *automation_views.settings_urlpatterns,
    *routing_views.settings_urlpatterns,
    *webhook_views.settings_urlpatterns,
]
