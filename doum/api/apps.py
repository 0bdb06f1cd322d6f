from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "doum.api"
    label = "api"
    verbose_name = "REST API"
