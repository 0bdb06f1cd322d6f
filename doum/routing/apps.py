from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "doum.routing"
    label = "routing"
    verbose_name = "Routing"
