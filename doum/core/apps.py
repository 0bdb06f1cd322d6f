from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "doum.core"
    label = "core"
    verbose_name = "Doum core"
