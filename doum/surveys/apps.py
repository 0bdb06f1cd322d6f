from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "doum.surveys"
    label = "surveys"
    verbose_name = "Doum surveys"

    def ready(self) -> None:
        from doum.core import scheduler

        # Sends the invitations whose time has come and the one reminder of unanswered ones.
        scheduler.every("surveys.send_due", seconds=60, task="doum.surveys.tasks.send_due_task")
        # Starts an NPS round for each brand whose interval has passed (samples customers).
        scheduler.every("surveys.nps_round", seconds=3600, task="doum.surveys.tasks.nps_round_task")
