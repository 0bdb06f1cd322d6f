from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "doum.tickets"
    label = "tickets"
    verbose_name = "Tickets"
