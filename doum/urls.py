from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from doum.accounts import views as account_views
from doum.api.api import api
from doum.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url="/static/doum/favicon.svg", permanent=True)),
    path("login/", account_views.SignInView.as_view(), name="login"),
    path("logout/", account_views.sign_out, name="logout"),
    path("", include("doum.tickets.urls")),
    path("", include("doum.accounts.urls")),
    path("settings/", include("doum.core.settings_urls")),
    path("portal/", include("doum.portal.urls")),
    path("mail/", include("doum.mail.urls")),
    path("automation/", include("doum.automation.urls")),
    path("routing/", include("doum.routing.urls")),
    path("sla/", include("doum.sla.urls")),
    path("webhooks/", include("doum.webhooks.urls")),
    path("analytics/", include("doum.metrics.urls")),
    path("reports/", include("doum.reports.urls")),
    path("alerts/", include("doum.alerts.urls")),
    path("surveys/", include("doum.surveys.urls")),
    path("survey/", include("doum.surveys.public_urls")),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("api/openapi.json", core_views.openapi_json, name="openapi"),
    path("admin/", admin.site.urls),
]

if settings.DOUM_BENCH_ENDPOINTS:  # pragma: no cover - benchmarks only
    from doum.api import bench

    urlpatterns += bench.urlpatterns
