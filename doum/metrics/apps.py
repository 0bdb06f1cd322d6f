from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "doum.metrics"
    label = "metrics"
    verbose_name = "Doum metrics"

    def ready(self) -> None:
        # Listener + scheduler jobs are registered by doum.metrics.refresh (see connect()).
        from doum.metrics import refresh

        refresh.connect()
