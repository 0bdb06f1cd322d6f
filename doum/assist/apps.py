from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "doum.assist"
    label = "assist"
    verbose_name = "Doum assist"
