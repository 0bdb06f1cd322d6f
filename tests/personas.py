"""The people every test talks about, built through the real actions (never raw inserts).

admin, manager, director, qa (QA reviewer)       -- see every ticket
lead (leads Billing), agent (Billing),
tech_agent (Technical), idle_agent (no team)      -- see their teams' tickets
customer (Acme, org does not share tickets),
colleague (Acme), outsider (no organization)      -- see their own tickets
"""

from __future__ import annotations

from dataclasses import dataclass

from doum.accounts import actions as accounts
from doum.accounts.models import Brand, Organization, Team, User
from doum.accounts.roles import Role
from doum.tickets import actions as tickets
from doum.tickets.models import Ticket, Via

PASSWORD = "correct horse battery staple 42"


@dataclass
class World:
    admin: User
    manager: User
    director: User
    qa: User
    lead: User
    agent: User
    tech_agent: User
    idle_agent: User
    customer: User
    colleague: User
    outsider: User
    brand: Brand
    billing: Team
    technical: Team
    acme: Organization
    ticket: Ticket  # the customer's ticket, routed to Billing, with a reply and a note

    def by_role(self) -> dict[str, User]:
        return {
            "customer": self.customer,
            "outsider": self.outsider,
            "agent": self.agent,
            "tech_agent": self.tech_agent,
            "lead": self.lead,
            "qa": self.qa,
            "manager": self.manager,
            "director": self.director,
            "admin": self.admin,
        }


def make_user(actor: User | None, role: str, name: str, email: str, **kw: object) -> User:
    return accounts.do_create_user(
        actor=actor,
        name=name,
        email=email,
        role=role,
        password=PASSWORD,
        **kw,  # type: ignore[arg-type]
    )


def build_world() -> World:
    admin = make_user(None, Role.ADMIN, "Ada Admin", "admin@doum.test")
    brand = accounts.do_create_brand(
        actor=admin, name="Acme Support", slug="acme", support_addresses=["help@acme.test"]
    )
    manager = make_user(admin, Role.MANAGER, "Mina Manager", "manager@doum.test")
    director = make_user(admin, Role.DIRECTOR, "Dae Director", "director@doum.test")
    qa = make_user(admin, Role.QA_REVIEWER, "Quinn QA", "qa@doum.test")
    lead = make_user(admin, Role.TEAM_LEAD, "Lee Lead", "lead@doum.test")
    agent = make_user(admin, Role.AGENT, "Ari Agent", "agent@doum.test")
    tech_agent = make_user(admin, Role.AGENT, "Taehee Tech", "tech@doum.test")
    idle_agent = make_user(admin, Role.AGENT, "Ivy Idle", "idle@doum.test")
    billing = accounts.do_create_team(actor=admin, name="Billing", lead=lead)
    accounts.do_add_team_member(billing, actor=admin, user=agent)
    technical = accounts.do_create_team(actor=admin, name="Technical")
    accounts.do_add_team_member(technical, actor=admin, user=tech_agent)
    acme = accounts.do_create_organization(actor=admin, name="Acme Corp", domains=["acme.example"])
    customer = make_user(agent, Role.CUSTOMER, "Kim Customer", "kim@acme.example")
    colleague = make_user(agent, Role.CUSTOMER, "Park Colleague", "park@acme.example")
    outsider = make_user(agent, Role.CUSTOMER, "Olly Outsider", "olly@elsewhere.example")
    ticket = tickets.do_create_ticket(
        actor=customer,
        via=Via.PORTAL,
        subject="환불 요청 — refund please",
        body="주문을 취소하고 싶어요.",
    )
    tickets.do_assign(ticket, actor=lead, via=Via.WEB, assignee_id=agent.pk, team_id=billing.pk)
    tickets.do_add_comment(ticket, actor=agent, via=Via.WEB, body="Looking into it.", public=True)
    tickets.do_add_comment(
        ticket, actor=agent, via=Via.WEB, body="SECRET internal: card fraud check", public=False
    )
    ticket.refresh_from_db()
    return World(
        admin=admin, manager=manager, director=director, qa=qa, lead=lead, agent=agent,
        tech_agent=tech_agent, idle_agent=idle_agent, customer=customer, colleague=colleague,
        outsider=outsider, brand=brand, billing=billing, technical=technical, acme=acme,
        ticket=ticket,
    )  # fmt: skip
