"""Pages of the feedback import: route -> expected status per role (see pages_common.py).

Importing (survey responses, social mentions) is for managers and admins. The mentions list
is for team leads, managers, directors and admins; turning a mention into a ticket is
POST-only (GET answers 405) for team leads, managers and admins."""

from datetime import UTC, datetime

from doum.surveys.mentions import MentionInput, do_record_mentions
from doum.surveys.models import MentionSource
from tests.api.pages_common import PageCase, only
from tests.personas import World


def _mention_ticket(w: World) -> str:
    item = MentionInput(
        "twitter", "matrix", "Where is my order?", "", datetime(2026, 1, 1, tzinfo=UTC)
    )
    recorded = do_record_mentions([item], actor=w.manager, source=MentionSource.WEBHOOK)
    return f"surveys/mentions/{recorded[0].id}/ticket/"


PAGES: dict[str, PageCase] = {
    "surveys/import/": PageCase(only(("manager", "admin"))),
    "surveys/mentions/": PageCase(only(("lead", "manager", "director", "admin"))),
    "surveys/mentions/<int:mention_id>/ticket/": PageCase(
        only(("lead", "manager", "admin"), 405), path=_mention_ticket
    ),
}
