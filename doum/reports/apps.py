from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "doum.reports"
    label = "reports"
    verbose_name = "Doum reports"
