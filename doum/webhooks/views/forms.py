"""Forms of the webhook settings pages: they parse and type the input; the actions in
`doum.webhooks.actions` validate it (URL rules, events) and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from doum.core.errors import DoumError
from doum.webhooks.models import SUBSCRIBABLE_EVENTS, DeliveryStatus, Webhook


def add_action_error(form: forms.Form, error: DoumError) -> int:
    """Show an action's error next to the field it names (or on the form); return its status."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
    return error.status_code


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("URL"), max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "https://example.com/doum-events",
                                      "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Doum POSTs signed JSON here. https only, unless the host is on the "
                    "allowed hosts."),
    )  # fmt: skip
    events = forms.MultipleChoiceField(
        label=_("Events"), widget=forms.CheckboxSelectMultiple,
        choices=[(e.value, e.label) for e in SUBSCRIBABLE_EVENTS],
        help_text=_("“Sent by a trigger” and the SLA events are sent when a trigger or an SLA "
                    "escalation names this webhook, or (SLA) for every ticket."),
    )  # fmt: skip
    include_internal = forms.BooleanField(
        label=_("Include internal notes' text"), required=False,
        help_text=_("Without this, an internal note is announced without its text."),
    )  # fmt: skip

    def action_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def webhook_initial(webhook: Webhook) -> dict[str, Any]:
    return {
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "include_internal": webhook.include_internal,
    }


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("Any status")), *DeliveryStatus.choices],
    )  # fmt: skip

    def status_value(self) -> str:
        return str(self.cleaned_data.get("status") or "") if self.is_valid() else ""


class AllowedHostForm(forms.Form):
    host = forms.CharField(
        label=_("Host"), max_length=255,
        widget=forms.TextInput(
            attrs={"placeholder": "hooks.internal.example", "spellcheck": "false"}
        ),
        help_text=_("A host name or an IP address, exactly as it appears in webhook URLs."),
    )  # fmt: skip
    note = forms.CharField(label=_("Note (optional)"), max_length=200, required=False)
