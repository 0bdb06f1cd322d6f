from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "doum.alerts"
    label = "alerts"
    verbose_name = "Doum alerts"
