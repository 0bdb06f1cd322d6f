"""File inputs that take several attachments at once, for every page that uploads them.

The field checks the count and each file's size, so a form can answer before anything is
stored; the actions (``changes.stored_files``) check both again for every other channel.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from doum.tickets.changes import MAX_ATTACHMENTS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (up to MAX_ATTACHMENTS), each at most DOUM_ATTACHMENT_MAX_BYTES."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("At most %(count)d files at once.") % {"count": MAX_ATTACHMENTS}
            )
        limit = int(settings.DOUM_ATTACHMENT_MAX_BYTES)
        cleaned: list[UploadedFile] = []
        for f in files:
            if not isinstance(f, UploadedFile):
                raise forms.ValidationError(_("This is not a file."))
            if f.size is not None and f.size > limit:
                megabytes = max(1, limit // (1024 * 1024))
                raise forms.ValidationError(
                    ngettext(
                        "“%(name)s” is larger than %(size)d MB.",
                        "“%(name)s” is larger than %(size)d MB.",
                        megabytes,
                    )
                    % {"name": (f.name or "")[:100], "size": megabytes}
                )
            cleaned.append(f)
        return cleaned
