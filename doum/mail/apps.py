from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "doum.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        # Outbound mail listens to ticket changes (after commit, with ids only).
        from doum.mail import notify

        notify.connect()
