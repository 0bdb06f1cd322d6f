"""REST endpoint of feedback from elsewhere: social mentions pushed by a listening tool's
webhook (`POST /api/v1/social/mentions`, a manager's or admin's token). One mention, a list,
or `{"mentions": [...]}`; every field is checked, a batch is all or nothing, and a mention
sent again answers with the id it already has (docs/feedback-import.md)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import ValidationError
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from doum.api.auth import current_user
from doum.api.schemas import Out
from doum.core import clock
from doum.core.errors import Forbidden, InvalidInput, NotFound
from doum.surveys import mentions
from doum.surveys.importing import IMPORTS_FEEDBACK
from doum.surveys.models import MentionSource

router = Router(tags=["feedback"])


class MentionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(..., max_length=40, description=", ".join(mentions.CHANNELS))
    author_handle: str = Field(..., max_length=mentions.MAX_HANDLE)
    text: str = Field(..., max_length=mentions.MAX_TEXT)
    url: str = Field("", max_length=mentions.MAX_URL, description="http(s) link to the post")
    posted_at: datetime = Field(..., description="ISO 8601 with a time zone; not in the future")


class MentionsIn(BaseModel):
    """One mention object, a list of them, or {"mentions": [...]} (at most 100)."""

    model_config = ConfigDict(extra="forbid")

    mentions: list[MentionIn] = Field(..., min_length=1, max_length=mentions.MAX_BATCH)

    @model_validator(mode="before")
    @classmethod
    def _one_or_many(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"mentions": data}
        if isinstance(data, dict) and "mentions" not in data:
            return {"mentions": [data]}
        return data


class MentionResultOut(Out):
    id: int
    created: bool
    ticket_id: int | None


class MentionsOut(Out):
    created: int
    existing: int
    mentions: list[MentionResultOut]


def _parse(request: HttpRequest) -> MentionsIn:
    """The body as MentionsIn (a single object or a list is wrapped first: ninja would flatten
    a body schema and skip that step)."""
    try:
        raw = json.loads(request.body)
    except (ValueError, RecursionError):
        raise InvalidInput(_("The request body is not valid JSON (UTF-8).")) from None
    try:
        return MentionsIn.model_validate(raw)
    except PydanticValidationError as error:
        errors = [
            {**e, "loc": ("body", *e.get("loc", ()))}
            for e in error.errors(include_url=False, include_context=True, include_input=False)
        ]
        raise ValidationError(errors) from None


@router.post(
    "/social/mentions",
    response={200: MentionsOut},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            MentionIn.model_json_schema(),
                            {"type": "array", "items": MentionIn.model_json_schema()},
                            MentionsIn.model_json_schema(),
                        ]
                    }
                }
            },
            "required": True,
        }
    },
)
def receive_mentions(request: HttpRequest) -> dict[str, Any]:
    """Record social mentions (managers and admins): one mention object, a list of them, or
    `{"mentions": [...]}`, at most 100. Mentions already recorded (same URL, or same channel,
    handle, time and text) are not duplicated: they answer with their id and
    `created: false`. A batch with any invalid mention records nothing (400)."""
    user = current_user(request)
    if not user.is_agent:
        raise NotFound(_("Not found."))
    if user.role not in IMPORTS_FEEDBACK:
        raise Forbidden(_("Your role may not import feedback."))
    data = _parse(request)
    now = clock.now()
    checked: list[mentions.MentionInput] = []
    errors: list[dict[str, str]] = []
    for n, item in enumerate(data.mentions):
        found, problems = mentions.check_mention(
            channel=item.channel, handle=item.author_handle, text=item.text, url=item.url,
            posted_at=item.posted_at, now=now,
        )  # fmt: skip
        for name, reason in problems.items():
            message = _("'%(field)s': %(problem)s.") % {"field": name, "problem": reason}
            errors.append({"field": f"mentions.{n}.{name}", "message": message})
        if found is not None:
            checked.append(found)
    if errors:
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)
    results = mentions.do_record_mentions(checked, actor=user, source=MentionSource.WEBHOOK)
    created = sum(1 for r in results if r.created)
    return {
        "created": created,
        "existing": len(results) - created,
        "mentions": [{"id": r.id, "created": r.created, "ticket_id": r.ticket_id} for r in results],
    }
