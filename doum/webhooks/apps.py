from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "doum.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
