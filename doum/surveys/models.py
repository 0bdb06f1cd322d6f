"""Models of doum.surveys: what customers tell us, asked (CSAT, NPS, CES) or found elsewhere.

* `SurveySettings`: one per brand — which surveys run, the CSAT scale, delays, quiet period,
  link lifetime, reminder, the comment reasons and the wording in Korean and English.
* `SurveyInvitation`: one survey sent (or to be sent) to one customer, for one solve of one
  ticket (CSAT, CES) or for the relationship (NPS). Links carry a signed token naming the
  invitation and its `nonce` (doum.surveys.tokens), never a bare id.
* `SurveyResponse`: one answer. Answers to an invitation are one row per invitation (changing
  the rating within the window updates it); imported answers have no invitation and carry
  `external_source`/`external_id` instead. Team, assignee, channel and organization are copied
  from the ticket *at solve time* (or at import), so a response stays with the agent who
  earned it.
* `SurveyOptOut`: a customer who asked for no more surveys.
* `FollowUp`: closing the loop on a bad rating or an NPS detractor, owned by the team lead.
* `SocialMention`: a post about us on a social network (imported or pushed by a webhook);
  it may become a ticket (channel "social").
* `FeedbackImport`: one import run (responses or mentions), its counts and rejections.

No business logic here: the writers are in actions.py, delivery.py, feedback.py and
importing.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT")
    NPS = "nps", _("NPS")
    CES = "ces", _("CES")


class CsatScale(models.TextChoices):
    GOOD_BAD = "good_bad", _("Good / bad")
    FIVE = "five", _("1 to 5")


# Score ranges per kind (inclusive). CSAT good/bad stores 1 = good, 0 = bad.
CSAT_GOOD_BAD = (0, 1)
CSAT_FIVE = (1, 5)
NPS_RANGE = (0, 10)
CES_RANGE = (1, 7)


class SurveySettings(models.Model):
    """How one brand asks for feedback. Created with defaults on first use."""

    brand = models.OneToOneField(
        "accounts.Brand", on_delete=models.CASCADE, related_name="survey_settings"
    )
    csat_enabled = models.BooleanField(default=True)
    csat_scale = models.CharField(max_length=10, choices=CsatScale.choices, default="good_bad")
    # Minutes between the solve and the survey mail.
    csat_delay_minutes = models.PositiveIntegerField(default=60)
    ces_enabled = models.BooleanField(default=False)  # asked with (or instead of) CSAT on solve
    nps_enabled = models.BooleanField(default=False)
    nps_interval_days = models.PositiveIntegerField(default=90)  # one NPS round every N days
    nps_sample_percent = models.PositiveSmallIntegerField(default=10)  # of eligible customers
    nps_last_run_at = models.DateTimeField(null=True, blank=True)
    # No customer gets more than one survey (any kind) in this many days; 0: no limit.
    quiet_days = models.PositiveIntegerField(default=7)
    link_valid_days = models.PositiveIntegerField(default=14)
    # A rating may be changed for this many days after it was first given.
    change_window_days = models.PositiveIntegerField(default=7)
    # One reminder this many hours after sending when unanswered; 0: no reminder.
    reminder_after_hours = models.PositiveIntegerField(default=72)
    # [{"key": "slow", "en": "It took too long", "ko": "너무 오래 걸렸어요"}, ...]
    reasons = models.JSONField(default=list, blank=True)
    # {"csat": {"en": {"subject": ..., "intro": ..., "question": ...}, "ko": {...}}, ...};
    # what is missing falls back to the built-in wording (doum.surveys.wording).
    wording = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"survey settings of brand {self.brand_id}"


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class SurveyInvitation(models.Model):
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED
    )
    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE,
        related_name="survey_invitations",
    )  # fmt: skip
    # The ticket version of the solve this invitation rates: a reopened and re-solved
    # ticket gets a new invitation.
    solve_version = models.PositiveIntegerField(null=True, blank=True)
    # Snapshot at solve time (NPS: empty).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    channel = models.CharField(max_length=10, blank=True, default="")
    csat_scale = models.CharField(max_length=10, choices=CsatScale.choices, blank=True, default="")
    language = models.CharField(max_length=10, blank=True, default="")  # the mail's language
    # Secret part of every link to this invitation; replacing it revokes the links.
    nonce = models.CharField(max_length=32, unique=True)
    send_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminder_due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    cancel_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "solve_version", "kind"],
                condition=Q(ticket__isnull=False),
                name="survey_one_invitation_per_solve",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "send_at"], name="survey_inv_due"),
            models.Index(fields=["status", "reminder_due_at"], name="survey_inv_reminder"),
            models.Index(fields=["customer", "sent_at"], name="survey_inv_customer_sent"),
            models.Index(fields=["kind", "sent_at"], name="survey_inv_kind_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} invitation {self.pk} to {self.customer_id}"


class ResponseSource(models.TextChoices):
    MAIL = "mail", _("Survey mail")
    PORTAL = "portal", _("Portal")
    IMPORT = "import", _("Import")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class SurveyResponse(models.Model):
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    invitation = models.OneToOneField(
        SurveyInvitation, null=True, blank=True, on_delete=models.CASCADE,
        related_name="response",
    )  # fmt: skip
    brand = models.ForeignKey(
        "accounts.Brand", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="survey_responses",
    )  # fmt: skip
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="survey_responses",
    )  # fmt: skip
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    channel = models.CharField(max_length=10, blank=True, default="")
    # CSAT: csat_scale says how to read the score (good_bad: 1 good, 0 bad; five: 1..5).
    csat_scale = models.CharField(max_length=10, choices=CsatScale.choices, blank=True, default="")
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True, default="")
    reason = models.CharField(max_length=64, blank=True, default="")  # a key of the reasons
    source = models.CharField(max_length=10, choices=ResponseSource.choices)
    # What the comment says (doum.assist): empty when there is no comment.
    language = models.CharField(max_length=8, blank=True, default="")
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True, default="")
    sentiment_score = models.FloatField(null=True, blank=True)  # P(positive)
    key_phrases = models.JSONField(default=list, blank=True)
    # Imported answers: where they came from and their id there (unique together).
    external_source = models.CharField(max_length=40, blank=True, default="")
    external_id = models.CharField(max_length=200, null=True, blank=True)
    feedback_import = models.ForeignKey(
        "FeedbackImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField()  # when the score was (last) given
    first_answered_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="survey_response_external_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "answered_at"], name="survey_resp_kind_at"),
            models.Index(fields=["team", "kind", "answered_at"], name="survey_resp_team"),
            models.Index(fields=["assignee", "kind", "answered_at"], name="survey_resp_agent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} ({self.pk})"


class SurveyOptOut(models.Model):
    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_opt_out"
    )
    at = models.DateTimeField()
    via = models.CharField(max_length=20, default="link")  # link, portal, agent

    def __str__(self) -> str:
        return f"opt-out of {self.customer_id}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class FollowUp(models.Model):
    """Close the loop with a customer who gave a bad rating or is an NPS detractor."""

    response = models.OneToOneField(
        SurveyResponse, on_delete=models.CASCADE, related_name="follow_up"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="survey_follow_ups",
    )  # fmt: skip
    status = models.CharField(
        max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    due_at = models.DateTimeField()
    note = models.TextField(blank=True, default="")  # what was done to close the loop
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        indexes = [
            models.Index(fields=["status", "due_at"], name="followup_status_due"),
            models.Index(fields=["team", "status"], name="followup_team_status"),
        ]

    def __str__(self) -> str:
        return f"follow-up of response {self.response_id}"


class MentionSource(models.TextChoices):
    CSV = "csv", _("CSV import")
    WEBHOOK = "webhook", _("Webhook")


class SocialMention(models.Model):
    channel = models.CharField(max_length=20)  # twitter, facebook, instagram, kakao, line, ...
    author_handle = models.CharField(max_length=200)
    text = models.TextField()
    url = models.CharField(max_length=1000, blank=True, default="")
    posted_at = models.DateTimeField()
    # Deduplication: SHA-256 of the post's URL, else of channel + author + time + text.
    external_key = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=10, choices=MentionSource.choices)
    feedback_import = models.ForeignKey(
        "FeedbackImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=8, blank=True, default="")
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True, default="")
    sentiment_score = models.FloatField(null=True, blank=True)
    key_phrases = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["-posted_at"], name="mention_posted")]

    def __str__(self) -> str:
        return f"{self.channel} @{self.author_handle}"


class ImportKind(models.TextChoices):
    RESPONSES = "responses", _("Survey responses")
    MENTIONS = "mentions", _("Social mentions")


class FeedbackImport(models.Model):
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    source_name = models.CharField(max_length=40, blank=True, default="")  # e.g. "typeform"
    mapping = models.JSONField(default=dict, blank=True)
    encoding = models.CharField(max_length=20, blank=True, default="")
    dry_run = models.BooleanField(default=False)
    rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # [{"row": 3, "column": "score", "reason": "..."}] for every rejected row (capped).
    rejections = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk}"
