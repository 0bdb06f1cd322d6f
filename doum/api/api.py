"""The one NinjaAPI object. Each app contributes a router from its own api.py."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from doum.accounts.api import router as accounts_router
from doum.api.auth import SessionCsrfAuth, TokenAuth
from doum.automation.api import router as automation_router
from doum.core.errors import DoumError
from doum.mail.api import router as mail_router
from doum.surveys.api import router as surveys_router
from doum.tickets.api import router as tickets_router

# Fields no client may set, with the reason shown when one is sent.
READ_ONLY_FIELDS = {
    "id": gettext_lazy("it is assigned by Doum"),
    "number": gettext_lazy("it is assigned by Doum"),
    "requester": gettext_lazy(
        "the requester of an existing ticket cannot be changed through the API"
    ),
    "requester_id": gettext_lazy(
        "the requester of an existing ticket cannot be changed through the API"
    ),
    "created_at": gettext_lazy("it is set by Doum"),
    "updated_at": gettext_lazy("it is set by Doum"),
    "solved_at": gettext_lazy("it is set by Doum"),
    "role": gettext_lazy("roles are changed with PUT /users/{id}/role by an admin"),
    "is_staff": gettext_lazy("access follows the role"),
    "is_superuser": gettext_lazy("access follows the role"),
    "password": gettext_lazy("passwords are never set through this endpoint"),
    "email": gettext_lazy(
        "e-mail addresses are identities: add one with POST /users/{id}/identities"
    ),
    "organization": gettext_lazy("send organization_id"),
    "submitter": gettext_lazy("it is set by Doum"),
    "merged_into": gettext_lazy("use POST /tickets/{id}/merge"),
    "merged_into_id": gettext_lazy("use POST /tickets/{id}/merge"),
    "problem_id": gettext_lazy("use PUT /tickets/{id}/problem"),
    "is_spam": gettext_lazy("use POST /tickets/{id}/spam"),
    "deleted_at": gettext_lazy("use DELETE /tickets/{id}"),
    "channel": gettext_lazy("the channel a ticket came in by does not change"),
    "brand_id": gettext_lazy("the brand of an existing ticket does not change"),
}

api = NinjaAPI(
    title="Doum API",
    version="1",
    description=(
        "Tickets, people and teams of a Doum help desk. Authenticate with "
        "`Authorization: Bearer <token>` (create tokens with POST /api/v1/tokens) or, from the "
        "web UI, with the session cookie and the CSRF token. Errors are JSON: "
        '`{"code", "message", "field"}`.'
    ),
    auth=[TokenAuth(), SessionCsrfAuth()],
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(DoumError)
def _doum_error(request: HttpRequest, exc: DoumError) -> HttpResponse:
    response = _error(request, exc.status_code, exc.as_dict())
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _field_of(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file", "payload")]
    # ninja names the body parameter; drop it when it leads
    if parts and parts[0] in ("data", "params", "filters"):
        parts = parts[1:]
    return ".".join(parts)


def _problem(err: dict[str, Any]) -> str:
    """What is wrong with one value, in the active language where Doum knows the error type;
    pydantic's own (English) wording otherwise."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "string_too_long" and "max_length" in ctx:
        return _("at most %(max)s characters") % {"max": ctx["max_length"]}
    if kind == "string_too_short" and "min_length" in ctx:
        return _("at least %(min)s characters") % {"min": ctx["min_length"]}
    if kind == "too_long" and "max_length" in ctx:
        return _("at most %(max)s items") % {"max": ctx["max_length"]}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("a whole number is needed")
    if kind in ("bool_parsing", "bool_type"):
        return _("true or false is needed")
    if kind in ("string_type", "string_unicode"):
        return _("text is needed")
    if kind in ("list_type", "set_type", "tuple_type"):
        return _("a list is needed")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("an object is needed")
    if kind.startswith("datetime_"):
        return _("a date and time (ISO 8601, with a time zone) is needed")
    if kind.startswith("date_"):
        return _("a date (YYYY-MM-DD) is needed")
    if kind in ("literal_error", "enum") and "expected" in ctx:
        return _("one of: %(allowed)s") % {"allowed": ctx["expected"]}
    return str(err.get("msg") or _("invalid value"))


def describe_validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        field = _field_of(err.get("loc", ()))
        name = field.rsplit(".", 1)[-1]
        if err.get("type") == "extra_forbidden":
            if name in READ_ONLY_FIELDS:
                message = _("'%(field)s' is read-only: %(reason)s.") % {
                    "field": name,
                    "reason": READ_ONLY_FIELDS[name],
                }
            else:
                message = _("'%(field)s' is not a field of this request.") % {"field": name}
        elif err.get("type") == "missing":
            message = _("'%(field)s' is required.") % {"field": name}
        else:
            message = _("'%(field)s': %(problem)s.") % {"field": name, "problem": _problem(err)}
        out.append({"field": field, "message": message})
    return out


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = describe_validation_errors(list(exc.errors))
    first = errors[0] if errors else {"field": "", "message": _("Invalid input.")}
    return _error(
        request,
        400,
        {"code": "invalid", "message": first["message"], "field": first["field"], "errors": errors},
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        {"code": "unauthenticated", "message": _("Sign in, or send a valid API token.")},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(
        exc.status_code, "error"
    )
    message = str(exc)
    if message == "Cannot parse request body":
        message = _("The request body is not valid JSON (UTF-8).")
    if exc.status_code == 403 and "CSRF" in message:
        message = _("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie.")
    return _error(request, exc.status_code, {"code": code, "message": message})


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, {"code": "not_found", "message": _("Not found.")})


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(
        request, 413, {"code": "too_large", "message": _("The request body is too large.")}
    )


api.add_router("/", tickets_router)
api.add_router("/", accounts_router)
api.add_router("/", mail_router)
api.add_router("/", automation_router)
api.add_router("/", surveys_router)
