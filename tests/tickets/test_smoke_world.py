from doum.tickets.models import TicketEvent
from tests.personas import World


def test_world_builds_with_events(world: World) -> None:
    assert world.ticket.status == "open"
    kinds = list(TicketEvent.objects.filter(ticket=world.ticket).values_list("kind", flat=True))
    assert kinds.count("comment_added") == 3
