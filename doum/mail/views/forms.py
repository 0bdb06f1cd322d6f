"""Forms of the email settings pages: they parse and type the input; the actions in
`doum.mail.mailboxes` and `doum.mail.templates_store` validate it and write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from doum.accounts.models import Brand, Team
from doum.core.errors import DoumError
from doum.mail.models import InboundStatus, Mailbox, OutboundKind, OutboundStatus

# The form field an action's error names, when the action's name for it differs.
ACTION_FIELDS = {"brand_id": "brand", "team_id": "team"}


def add_action_error(form: forms.Form, error: DoumError) -> int:
    """Show an action's error next to the field it names (or on the form); return its status."""
    field = ACTION_FIELDS.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)
    return error.status_code


class MailboxForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("Shown as the sender's name of the mail sent from this address."),
    )  # fmt: skip
    address = forms.CharField(label=_("Address"), max_length=254)
    brand = forms.ModelChoiceField(
        label=_("Brand"), queryset=Brand.objects.order_by("name"), empty_label=_("Choose…")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False,
        empty_label=_("No team (unrouted)"),
        help_text=_("New tickets from this address go to this team."),
    )  # fmt: skip
    imap_host = forms.CharField(
        label=_("IMAP server"), max_length=253, required=False,
        help_text=_("Leave empty when mail arrives by SMTP/LMTP or HTTP instead of polling."),
    )  # fmt: skip
    imap_port = forms.IntegerField(
        label=_("IMAP port"), initial=993,
        widget=forms.NumberInput(attrs={"min": 1, "max": 65535}),
    )  # fmt: skip
    imap_security = forms.ChoiceField(
        label=_("Connection security"), choices=Mailbox.Security.choices,
        initial=Mailbox.Security.SSL,
    )  # fmt: skip
    imap_username = forms.CharField(
        label=_("IMAP user name"), max_length=254, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip
    imap_password = forms.CharField(
        label=_("IMAP password"), max_length=500, required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )  # fmt: skip
    imap_folder = forms.CharField(label=_("Folder to fetch"), max_length=200, initial="INBOX")
    imap_move_to = forms.CharField(
        label=_("Move fetched mail to"), max_length=200, required=False,
        help_text=_("Empty: fetched mail stays in the folder, marked as read."),
    )  # fmt: skip

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        if editing:
            self.fields["imap_password"].help_text = _(
                "Leave empty to keep the saved password. It is never shown again."
            )

    def action_values(self) -> dict[str, Any]:
        """The cleaned data in the actions' terms (brand_id, team_id)."""
        data = dict(self.cleaned_data)
        brand = data.pop("brand")
        team = data.pop("team")
        data["brand_id"] = brand.pk
        data["team_id"] = team.pk if team is not None else None
        return data


def mailbox_initial(mailbox: Mailbox) -> dict[str, Any]:
    """The edit form's values; the password is left out on purpose."""
    return {
        "name": mailbox.name,
        "address": mailbox.address,
        "brand": mailbox.brand_id,
        "team": mailbox.team_id,
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_security": mailbox.imap_security,
        "imap_username": mailbox.imap_username,
        "imap_folder": mailbox.imap_folder,
        "imap_move_to": mailbox.imap_move_to,
    }


INBOUND_SHOW_CHOICES = (
    (InboundStatus.FAILED.value, _("Failed")),
    (InboundStatus.IGNORED.value, _("Ignored (loops, Doum's own mail, dismissed)")),
    (InboundStatus.PROCESSED.value, _("Processed")),
    (InboundStatus.RECEIVED.value, _("Waiting to be processed")),
    ("all", _("All received mail")),
)


class InboundFilterForm(forms.Form):
    show = forms.ChoiceField(label=_("Show"), choices=INBOUND_SHOW_CHOICES, required=False)

    def status(self) -> str | None:
        """The status to list (None: every status); failed mail unless told otherwise."""
        value = self.cleaned_data.get("show") if self.is_valid() else ""
        if value == "all":
            return None
        return value or InboundStatus.FAILED.value


class DismissForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"), max_length=500, required=False,
        help_text=_("Why this message needs no ticket; kept with the message."),
    )  # fmt: skip


class OutboundFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("Any status")), *OutboundStatus.choices],
    )  # fmt: skip
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *OutboundKind.choices]
    )


class MailTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=500)
    body = forms.CharField(
        label=_("Body"), max_length=20_000, strip=False,
        widget=forms.Textarea(attrs={"rows": 16}),
    )  # fmt: skip
