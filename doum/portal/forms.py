"""Portal forms: they check shape and size; the actions check everything else, and their
errors are put back on the field they belong to (``apply_error``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from doum.core.errors import DoumError
from doum.tickets.changes import BODY_MAX, SUBJECT_MAX, NewAttachment
from doum.tickets.models import CustomField
from doum.tickets.uploads import MultipleFileField

NAME_MAX = 200
EMAIL_MAX = 254
PASSWORD_MAX = 256
SUBJECT_FORM_MAX = min(SUBJECT_MAX, 500)
DESCRIPTION_MAX = min(BODY_MAX, 50_000)


def new_attachments(files: list[UploadedFile]) -> list[NewAttachment]:
    return [
        NewAttachment(
            filename=f.name or "attachment",
            content_type=f.content_type or "application/octet-stream",
            data=f.read(),
        )
        for f in files
    ]


def apply_error(form: forms.Form, error: DoumError, fields: dict[str, str]) -> None:
    """Show an action's error on the form field it names (``fields`` maps the action's field
    names to the form's), or above the form."""
    name = fields.get(error.field or "")
    if name is None and error.field and error.field.startswith("custom_fields."):
        candidate = "cf_" + error.field.removeprefix("custom_fields.")
        name = candidate if candidate in form.fields else None
    form.add_error(name if name in form.fields else None, error.message)


class SignUpForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=NAME_MAX)
    email = forms.EmailField(label=_("E-mail"), max_length=EMAIL_MAX)
    password = forms.CharField(
        label=_("Password"), max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput
    )


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=EMAIL_MAX)
    password = forms.CharField(
        label=_("Password"), max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput
    )


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=EMAIL_MAX)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=DESCRIPTION_MAX, widget=forms.Textarea)
    attachments = MultipleFileField(label=_("Attachments"))


class RequestForm(forms.Form):
    """A new request; visitors also give their name and address. Custom fields that
    customers may fill in are added as ``cf_<key>``."""

    name = forms.CharField(label=_("Your name"), max_length=NAME_MAX)
    email = forms.EmailField(label=_("Your e-mail"), max_length=EMAIL_MAX)
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_FORM_MAX)
    description = forms.CharField(
        label=_("Description"), max_length=DESCRIPTION_MAX, widget=forms.Textarea
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(
        self,
        *args: Any,
        visitor: bool,
        definitions: list[CustomField],
        language: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not visitor:
            del self.fields["name"]
            del self.fields["email"]
        self.custom_keys: list[str] = []
        for definition in definitions:
            field = custom_form_field(definition, language)
            if field is not None:
                self.fields["cf_" + definition.key] = field
                self.custom_keys.append(definition.key)

    def custom_values(self) -> dict[str, Any]:
        """Filled-in custom fields, in the shape ``clean_values`` expects."""
        values: dict[str, Any] = {}
        for key in self.custom_keys:
            value = self.cleaned_data.get("cf_" + key)
            if value is None or value is False or value == "" or value == []:
                continue
            values[key] = value.isoformat() if hasattr(value, "isoformat") else value
        return values


def _label(definition: CustomField, language: str) -> str:
    if language == "ko" and definition.label_ko:
        return definition.label_ko
    return definition.label


def _choices(definition: CustomField, language: str) -> list[tuple[str, str]]:
    choices = []
    for option in definition.options:
        if not isinstance(option, dict) or option.get("value") in (None, ""):
            continue
        label = option.get("label_ko") if language == "ko" else None
        choices.append((str(option["value"]), str(label or option.get("label") or option["value"])))
    return choices


def custom_form_field(definition: CustomField, language: str) -> forms.Field | None:
    label = _label(definition, language)
    kind = definition.field_type
    if kind == CustomField.FieldType.TEXT:
        return forms.CharField(label=label, required=False, max_length=definition.max_length)
    if kind == CustomField.FieldType.NUMBER:
        return forms.DecimalField(
            label=label, required=False, max_digits=30, decimal_places=10, max_value=10**15
        )
    if kind == CustomField.FieldType.CHECKBOX:
        return forms.BooleanField(label=label, required=False)
    if kind == CustomField.FieldType.DATE:
        return forms.DateField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    if kind == CustomField.FieldType.DROPDOWN:
        return forms.ChoiceField(
            label=label, required=False, choices=[("", "—"), *_choices(definition, language)]
        )
    if kind == CustomField.FieldType.MULTISELECT:
        return forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=_choices(definition, language),
            widget=forms.CheckboxSelectMultiple,
        )
    return None
