"""do_set_required_skills: what triggers call to say which skills a ticket needs."""

from __future__ import annotations

import pytest

from doum.core.errors import Forbidden, InvalidInput
from doum.routing import actions as routing
from doum.routing.models import TicketSkillRequirement
from doum.routing.selectors import required_skills
from doum.tickets.models import EventKind, Ticket, TicketEvent, Via
from doum.tickets.rules import RuleRef, applied_by
from tests.personas import World


@pytest.fixture
def skills(world: World) -> None:
    for name in ("Korean", "billing", "refunds"):
        routing.do_create_skill(actor=world.admin, name=name)


def test_a_trigger_sets_required_skills_in_one_version_with_its_rule(
    world: World, skills: None
) -> None:
    ticket = world.ticket
    version = Ticket.objects.get(pk=ticket.pk).version
    with applied_by(RuleRef("trigger", 7, "Korean billing")):
        routing.do_set_required_skills(
            ticket.pk, [" KOREAN:3", "billing", "korean:2"], actor=None, via=Via.TRIGGER
        )
    assert required_skills(ticket.pk) == {"billing": 1, "korean": 3}
    event = TicketEvent.objects.get(ticket=ticket, field="required_skills")
    assert event.kind == EventKind.FIELD_CHANGED
    assert (event.old_value, event.new_value) == (None, '["billing:1", "korean:3"]')
    assert (event.via, event.actor_id, event.version) == (Via.TRIGGER, None, version + 1)
    assert event.data["rule"] == {"kind": "trigger", "id": 7, "name": "Korean billing"}
    assert Ticket.objects.get(pk=ticket.pk).version == version + 1

    # The same set again changes nothing; a new list replaces the old; [] clears.
    routing.do_set_required_skills(
        ticket.pk, ["korean:3", "billing:1"], actor=None, via=Via.TRIGGER
    )
    assert Ticket.objects.get(pk=ticket.pk).version == version + 1
    routing.do_set_required_skills(ticket.pk, ["refunds:5"], actor=world.agent, via=Via.WEB)
    assert required_skills(ticket.pk) == {"refunds": 5}
    routing.do_set_required_skills(ticket.pk, [], actor=None, via=Via.TRIGGER)
    assert required_skills(ticket.pk) == {}
    last = TicketEvent.objects.filter(field="required_skills").order_by("id").last()
    assert last is not None and (last.old_value, last.new_value) == ('["refunds:5"]', None)


@pytest.mark.parametrize(
    ("skills_given", "message"),
    [
        (["cooking"], "There is no skill called 'cooking'."),
        (["korean:9"], "'korean:9': the level after ':' is a whole number from 1 to 5."),
        (["korean:0"], "'korean:0': the level after ':' is a whole number from 1 to 5."),
        (["korean:two"], "'korean:two': the level after ':' is a whole number from 1 to 5."),
        (["korean:٣"], "the level after ':' is a whole number from 1 to 5."),
        ([":3"], "Give the skill a name."),
        (["\u200b"], "Give the skill a name."),
        ([3], "A required skill is written as name or name:level."),
        ("korean", "Required skills are a list of skill names."),
        (["x" * 51], "A skill name has at most 50 characters."),
        (["korean"] * 21, "A ticket can require at most 20 skills."),
    ],
)
def test_bad_skill_lists_are_refused_with_a_clear_message(
    world: World, skills: None, skills_given: object, message: str
) -> None:
    before = Ticket.objects.get(pk=world.ticket.pk).version
    with pytest.raises(InvalidInput) as caught:
        routing.do_set_required_skills(
            world.ticket.pk,
            skills_given,  # type: ignore[arg-type]
            actor=None,
            via=Via.TRIGGER,
        )
    assert message in caught.value.message
    assert caught.value.field == "skills"
    assert not TicketSkillRequirement.objects.exists()
    assert Ticket.objects.get(pk=world.ticket.pk).version == before


def test_only_people_who_edit_the_ticket_may_set_its_skills(world: World, skills: None) -> None:
    with pytest.raises(Forbidden):
        routing.do_set_required_skills(world.ticket.pk, ["korean"], actor=world.qa, via=Via.WEB)
    with pytest.raises(InvalidInput, match="No such ticket"):
        routing.do_set_required_skills(10**9, ["korean"], actor=None, via=Via.TRIGGER)
    assert not TicketSkillRequirement.objects.exists()
