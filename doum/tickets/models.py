"""Tickets, comments, attachments, tags, custom field definitions and the event log.

No business logic here: the only writers are in actions.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from doum.accounts.models import Brand, Organization, Team


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On-hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


UNSOLVED_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}


class TicketType(models.TextChoices):
    QUESTION = "question", _("Question")
    INCIDENT = "incident", _("Incident")
    PROBLEM = "problem", _("Problem")
    TASK = "task", _("Task")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social")


class Via(models.TextChoices):
    """Where a change came from (a superset of the channels)."""

    WEB = "web", _("Web")
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social")
    TRIGGER = "trigger", _("Trigger")
    AUTOMATION = "automation", _("Automation")
    SYSTEM = "system", _("System")
    IMPORT = "import", _("Import")


class Tag(models.Model):
    name = models.CharField(max_length=80, unique=True)

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """A customer's request. The ticket number people quote is the primary key."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="tickets")
    subject = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    type = models.CharField(max_length=10, choices=TicketType.choices, default=TicketType.QUESTION)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submitted_tickets"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    due_at = models.DateTimeField(null=True, blank=True)  # tasks only
    problem = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    # A reply to a closed ticket opens a new one that points back at it.
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    tags = models.ManyToManyField(Tag, through="TicketTag", related_name="tickets")
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TicketFollower", related_name="followed_tickets"
    )
    custom_fields = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    is_spam = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    solved_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change; writes made against an older version get a 409.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            # Views: a team's queue by status, newest activity first (keyset pagination on id).
            models.Index(
                fields=["team", "status", "-updated_at", "-id"], name="ticket_team_status"
            ),
            models.Index(
                fields=["assignee", "status", "-updated_at", "-id"], name="ticket_assignee_status"
            ),
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_updated"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester"),
            models.Index(fields=["organization", "-created_at"], name="ticket_organization"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            models.Index(fields=["created_at"], name="ticket_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="ticket_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject[:60]}"

    @property
    def number(self) -> int:
        return int(self.pk)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class TicketTag(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "tag"], name="ticket_tag_unique"),
        ]
        indexes = [models.Index(fields=["tag", "ticket"], name="tickettag_tag")]

    def __str__(self) -> str:
        return f"{self.tag_id} on #{self.ticket_id}"


class TicketFollower(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="ticket_follower_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows #{self.ticket_id}"


class Comment(models.Model):
    """A public reply or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_public = models.BooleanField(default=True)
    body_html = models.TextField()  # sanitised
    body_text = models.TextField()
    via = models.CharField(max_length=12, choices=Via.choices, default=Via.WEB)
    metadata = models.JSONField(default=dict, blank=True)  # e.g. a phone call's duration
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="comment_ticket")]

    def __str__(self) -> str:
        return f"comment {self.pk} on #{self.ticket_id}"


class Attachment(models.Model):
    """A file on a comment, stored under a generated key (never the sender's file name)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=255, unique=True)
    is_inline = models.BooleanField(default=False)
    content_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.filename

    @property
    def shows_as_image(self) -> bool:
        """Shown inline in the conversation (the preview still checks the bytes themselves)."""
        return self.content_type.lower() in PREVIEW_TYPES and self.size <= PREVIEW_MAX_BYTES


# Raster image types a conversation shows inline; never SVG or HTML.
PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PREVIEW_MAX_BYTES = 10 * 1024 * 1024


class CustomField(models.Model):
    """A typed field on tickets (or on organizations and users)."""

    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", pgettext_lazy("custom field type", "Number")
        DROPDOWN = "dropdown", _("Drop-down")
        MULTISELECT = "multiselect", _("Multi-select")
        CHECKBOX = "checkbox", _("Checkbox")
        DATE = "date", _("Date")

    class AppliesTo(models.TextChoices):
        TICKET = "ticket", _("Ticket")
        ORGANIZATION = "organization", _("Organization")
        USER = "user", _("User")

    key = models.SlugField(max_length=64)
    applies_to = models.CharField(
        max_length=20, choices=AppliesTo.choices, default=AppliesTo.TICKET
    )
    label = models.CharField(max_length=100)
    label_ko = models.CharField(max_length=100, blank=True, default="")
    field_type = models.CharField(max_length=20, choices=FieldType.choices)
    # For drop-downs and multi-selects: [{"value": "refund", "label": "Refund", "label_ko": ...}]
    options = models.JSONField(default=list, blank=True)
    required_on_solve = models.BooleanField(default=False)
    visible_to_customers = models.BooleanField(default=False)
    editable_by_customers = models.BooleanField(default=False)
    max_length = models.PositiveIntegerField(default=1000)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["applies_to", "key"], name="custom_field_key_unique"),
        ]
        ordering = ["applies_to", "position", "id"]

    def __str__(self) -> str:
        return self.key


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    FIELD_CHANGED = "field_changed", _("Field changed")
    COMMENT_ADDED = "comment_added", _("Comment added")
    TAG_ADDED = "tag_added", _("Tag added")
    TAG_REMOVED = "tag_removed", _("Tag removed")
    FOLLOWER_ADDED = "follower_added", _("Follower added")
    FOLLOWER_REMOVED = "follower_removed", _("Follower removed")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    MERGED_INTO = "merged_into", _("Merged into another ticket")
    MERGED_FROM = "merged_from", _("Another ticket merged in")
    LINKED = "linked", _("Linked")
    UNLINKED = "unlinked", _("Unlinked")
    SPAM = "spam", _("Marked as spam")
    DELETED = "deleted", _("Deleted")
    RESTORED = "restored", _("Restored")
    # An SLA target changed state (field = the target, old/new = the states; data holds the
    # deadline, the policy and, for a breach, by how much). Written by doum.sla; it does not
    # change the ticket, so it carries the ticket's current version without bumping it.
    SLA = "sla", _("SLA")


class TicketEvent(models.Model):
    """One row per change to a ticket, written in the transaction that made the change.

    Every metric Doum computes is derived from these rows. `field_changed` rows carry the
    field and its old and new values as text (ids as decimal strings, empty as NULL), so a
    metric can scan e.g. every status change in a period with one index range.
    `actor_role` is the actor's role *at the time*, so a later promotion does not rewrite
    history (a reply by someone who was an agent then counts as an agent reply forever).
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    field = models.CharField(max_length=64, blank=True, default="")
    old_value = models.TextField(null=True, blank=True)
    new_value = models.TextField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(max_length=20, blank=True, default="")
    via = models.CharField(max_length=12, choices=Via.choices)
    at = models.DateTimeField()
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_public = models.BooleanField(null=True, blank=True)  # for comment events
    version = models.PositiveIntegerField()  # the ticket's version after this change
    imported = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["ticket", "at", "id"], name="event_ticket_at"),
            models.Index(fields=["at", "id"], name="event_at"),
            models.Index(fields=["kind", "field", "at"], name="event_kind_field_at"),
            models.Index(fields=["ticket", "version"], name="event_ticket_version"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.field} on #{self.ticket_id}"


class SearchEntry(models.Model):
    """Search text for a ticket subject or one comment, pre-tokenised for Korean and English.

    The full-text index over `document` is database-specific (FTS5 on SQLite, a GIN tsvector
    index on PostgreSQL) and is created by migration 0002.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    comment = models.OneToOneField(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_public = models.BooleanField(default=True)
    document = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["ticket"], name="searchentry_ticket")]

    def __str__(self) -> str:
        return f"search entry for #{self.ticket_id}"


class SavedView(models.Model):
    """A named ticket list: conditions over ticket fields, the columns shown and a sort.

    ``owner`` is the agent whose personal view it is; a view without an owner is shared with
    every agent. ``conditions`` is a list of ``{"field", "op", "value"}`` objects, validated
    and compiled by ``doum.tickets.saved_views``.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(max_length=100)
    conditions = models.JSONField(default=list, blank=True)
    columns = models.JSONField(default=list, blank=True)
    sort = models.CharField(max_length=20, default="-updated_at")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["owner", "position", "id"], name="savedview_owner")]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The ``?view=`` value of this view on the ticket list."""
        return f"v{self.pk}"

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None
