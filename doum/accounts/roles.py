"""Roles and what each may do. One table, read by selectors, actions and the permission tests."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    QA_REVIEWER = "qa_reviewer", _("QA reviewer")
    MANAGER = "manager", _("Manager")
    DIRECTOR = "director", _("Director")
    ADMIN = "admin", _("Admin")


STAFF_ROLES = frozenset(r for r in Role if r != Role.CUSTOMER)

# Who sees every ticket (others see their teams' tickets, their own and the unrouted queue).
SEES_ALL_TICKETS = frozenset({Role.QA_REVIEWER, Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
# Who may change tickets (fields, status, assignment, public replies).
EDITS_TICKETS = frozenset({Role.AGENT, Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
# Who may add internal notes (QA reviewers comment on what they review).
WRITES_NOTES = EDITS_TICKETS | {Role.QA_REVIEWER}
# Who manages people, teams, organizations and field definitions.
MANAGES_PEOPLE = frozenset({Role.MANAGER, Role.ADMIN})
# Who may change roles and instance settings.
ADMINISTERS = frozenset({Role.ADMIN})
# Who may create and edit customers and organizations.
EDITS_CUSTOMERS = frozenset({Role.AGENT, Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
