from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "doum.automation"
    label = "automation"
    verbose_name = "Automation"
