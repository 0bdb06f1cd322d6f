from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "doum.sla"
    label = "sla"
    verbose_name = "Doum SLAs"
