from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "doum.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        # Outbound mail listens to ticket changes (after commit, with ids only).
        from doum.mail import notify

        notify.connect()
        from doum.core import scheduler

        # Retries that are due, and messages whose send task was lost.
        scheduler.every("mail.send_due", seconds=60, task="doum.mail.tasks.send_due_task")
