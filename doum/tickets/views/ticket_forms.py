"""Forms of the ticket page: the reply box and the side panel.

They only parse and check input; the actions decide what is allowed and write. Every
field a form sends to an action is one the agent changed: the side panel renders each
field's value as the agent saw it in a hidden input (``show_hidden_initial``), so a
field someone else changed meanwhile is never written back with its old value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doum.accounts.models import Team, User
from doum.core.errors import DoumError
from doum.tickets.changes import BODY_MAX, MAX_ATTACHMENTS, clean_filename
from doum.tickets.models import CustomField, Priority, Status, Ticket, TicketType
from doum.tickets.presentation import custom_field_label, option_label
from doum.tickets.uploads import MultipleFileField

REPLY_STATUSES = (Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED)
TAGS_MAX_CHARS = 4000


class ReplyForm(forms.Form):
    """A public reply or an internal note, optionally setting the status."""

    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "data-testid": "reply-body"}),
        error_messages={"required": _("Write a message first.")},
    )
    mode = forms.ChoiceField(
        label=_("Send as"),
        choices=[("public", _("Public reply")), ("note", _("Internal note"))],
        widget=forms.RadioSelect,
        initial="public",
    )
    status = forms.ChoiceField(
        label=_("and set status to"),
        required=False,
        choices=[("", _("(no change)"))] + [(s.value, s.label) for s in REPLY_STATUSES],
        widget=forms.Select(attrs={"data-testid": "reply-status"}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, can_reply: bool, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "reply-%s")
        super().__init__(*args, **kwargs)
        self.can_reply = can_reply
        if not can_reply:
            # QA reviewers write internal notes only, and never change the status.
            _set_choices(self.fields["mode"], [("note", _("Internal note"))])
            self.fields["mode"].initial = "note"
            del self.fields["status"]

    @property
    def public(self) -> bool:
        return self.cleaned_data.get("mode") == "public"

    def clean_attachments(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(count)s files at once."), params={"count": MAX_ATTACHMENTS}
            )
        limit = int(settings.DOUM_ATTACHMENT_MAX_BYTES)
        for f in files:
            if f.size is not None and f.size > limit:
                raise forms.ValidationError(
                    _("'%(name)s' is larger than %(size)s MB; nothing was sent."),
                    params={
                        "name": clean_filename(f.name or ""),
                        "size": max(1, limit // (1024 * 1024)),
                    },
                )
        return files


def _set_choices(field: forms.Field, choices: list[Any]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _user_choice(user: User) -> tuple[str, str]:
    return (str(user.pk), user.name or str(user))


def _custom_field(definition: CustomField) -> forms.Field:
    label = custom_field_label(definition)
    kind = definition.field_type
    common: dict[str, Any] = {"label": label, "required": False}
    if kind == CustomField.FieldType.NUMBER:
        return forms.DecimalField(**common, widget=forms.NumberInput(attrs={"step": "any"}))
    if kind == CustomField.FieldType.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == CustomField.FieldType.DATE:
        return forms.DateField(**common, widget=forms.DateInput(attrs={"type": "date"}))
    options = [
        (str(o.get("value")), option_label(definition, str(o.get("value"))))
        for o in definition.options
        if isinstance(o, dict)
    ]
    if kind == CustomField.FieldType.DROPDOWN:
        return forms.ChoiceField(**common, choices=[("", "—"), *options])
    if kind == CustomField.FieldType.MULTISELECT:
        return forms.MultipleChoiceField(**common, choices=options)
    return forms.CharField(**common, max_length=definition.max_length)


def custom_field_name(key: str) -> str:
    return f"cf_{key}"


def due_initial(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return timezone.localtime(value).replace(second=0, microsecond=0)


class SidePanelForm(forms.Form):
    """The ticket's fields. Only changed fields are sent to ``do_update_ticket``."""

    status = forms.ChoiceField(label=_("Status"))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    team = forms.ChoiceField(label=_("Team"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=TAGS_MAX_CHARS,
        help_text=_("Separate tags with commas."),
    )
    followers = forms.MultipleChoiceField(label=_("Followers"), required=False)
    due_at = forms.DateTimeField(
        label=_("Due date"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Tasks only."),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        ticket: Ticket,
        tag_names: Sequence[str],
        follower_ids: Sequence[int],
        teams: Sequence[Team],
        agents: Sequence[tuple[str, Sequence[User]]],
        followable: Sequence[User],
        definitions: dict[str, CustomField],
        **kwargs: Any,
    ) -> None:
        initial: dict[str, Any] = {
            "status": ticket.status,
            "priority": ticket.priority,
            "type": ticket.type,
            "team": str(ticket.team_id or ""),
            "assignee": str(ticket.assignee_id or ""),
            "tags": ", ".join(tag_names),
            "followers": [str(i) for i in follower_ids],
            "due_at": due_initial(ticket.due_at),
            "version": ticket.version,
        }
        for key, definition in definitions.items():
            initial[custom_field_name(key)] = _custom_initial(
                definition, ticket.custom_fields.get(key)
            )
        kwargs["initial"] = initial
        kwargs.setdefault("auto_id", "side-%s")
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.definitions = definitions
        self.follower_ids = list(follower_ids)
        statuses = [s for s in Status if s != Status.CLOSED or ticket.status == Status.SOLVED]
        if ticket.status != Status.NEW:
            statuses = [s for s in statuses if s != Status.NEW]
        _set_choices(self.fields["status"], [(s.value, s.label) for s in statuses])
        team_choices: list[Any] = [("", _("(no team)"))] + [(str(t.pk), t.name) for t in teams]
        _set_choices(self.fields["team"], team_choices)
        assignee_choices: list[Any] = [("", _("(unassigned)"))]
        for group, members in agents:
            assignee_choices.append((group, [_user_choice(u) for u in members]))
        _set_choices(self.fields["assignee"], assignee_choices)
        _set_choices(self.fields["followers"], [_user_choice(u) for u in followable])
        for key, definition in definitions.items():
            self.fields[custom_field_name(key)] = _custom_field(definition)
        for name, field in self.fields.items():
            if name != "version":
                field.show_hidden_initial = True

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[custom_field_name(key)] for key in self.definitions]

    def required_on_solve(self) -> set[str]:
        return {custom_field_name(k) for k, d in self.definitions.items() if d.required_on_solve}

    def changes(self) -> dict[str, Any]:
        """``do_update_ticket`` changes for the fields the agent changed."""
        data = self.cleaned_data
        changed = set(self.changed_data)
        out: dict[str, Any] = {}
        for name in ("status", "priority"):
            if name in changed:
                out[name] = data[name]
        if "type" in changed or "due_at" in changed:
            out["type"] = data["type"]
            out["due_at"] = data["due_at"] if data["type"] == TicketType.TASK else None
        if "assignee" in changed:
            out["assignee_id"] = int(data["assignee"]) if data["assignee"] else None
        if "team" in changed:
            out["team_id"] = int(data["team"]) if data["team"] else None
        if "tags" in changed:
            out["tags"] = [t.strip() for t in data["tags"].split(",") if t.strip()]
        if "followers" in changed:
            wanted = {int(v) for v in data["followers"]}
            seen = {int(v) for v in self.initial_value("followers")}
            if wanted - seen:
                out["add_follower_ids"] = sorted(wanted - seen)
            if seen - wanted:
                out["remove_follower_ids"] = sorted(seen - wanted)
        custom: dict[str, Any] = {}
        for key, definition in self.definitions.items():
            name = custom_field_name(key)
            if name in changed:
                custom[key] = _custom_value(definition, data.get(name))
        if custom:
            out["custom_fields"] = custom
        return out

    def initial_value(self, name: str) -> Any:
        """The value the agent saw (the hidden initial input), falling back to the current."""
        bound = self[name]
        if self.is_bound:
            widget = bound.field.hidden_widget()
            raw = widget.value_from_datadict(self.data, self.files, bound.html_initial_name)
            if raw not in (None, ""):
                return raw
        return self.initial.get(name)

    def add_action_error(self, error: DoumError) -> None:
        """Show an action's refusal next to the field it names."""
        name = _FIELD_OF.get(error.field or "")
        if error.field and error.field.startswith("custom_fields."):
            name = custom_field_name(error.field.removeprefix("custom_fields."))
        if name is None or name not in self.fields:
            name = None
        self.add_error(name, error.message)


_FIELD_OF = {
    "status": "status",
    "priority": "priority",
    "type": "type",
    "assignee": "assignee",
    "team": "team",
    "tags": "tags",
    "add_tags": "tags",
    "remove_tags": "tags",
    "followers": "followers",
    "due_at": "due_at",
}


def _custom_initial(definition: CustomField, value: Any) -> Any:
    if value is None:
        return [] if definition.field_type == CustomField.FieldType.MULTISELECT else None
    if definition.field_type == CustomField.FieldType.CHECKBOX:
        return bool(value)
    if definition.field_type == CustomField.FieldType.MULTISELECT:
        return [str(v) for v in value] if isinstance(value, list) else []
    return str(value)


def _custom_value(definition: CustomField, value: Any) -> Any:
    """Form values in the shape ``custom_fields.clean_value`` expects."""
    kind = definition.field_type
    if value is None or value == "" or value == []:
        return False if kind == CustomField.FieldType.CHECKBOX else None
    if kind == CustomField.FieldType.DATE:
        return value.isoformat()
    if kind == CustomField.FieldType.NUMBER:
        return str(value)
    if kind == CustomField.FieldType.MULTISELECT:
        return list(value)
    if kind == CustomField.FieldType.CHECKBOX:
        return bool(value)
    return str(value)


class ProblemLinkForm(forms.Form):
    problem = forms.IntegerField(
        label=_("Problem ticket number"),
        min_value=1,
        max_value=2**62,
        error_messages={"invalid": _("Enter a ticket number.")},
    )
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "problem-%s")
        super().__init__(*args, **kwargs)
