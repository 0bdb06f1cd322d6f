"""The one NinjaAPI object. Each app contributes a router from its own api.py."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from doum.accounts.api import router as accounts_router
from doum.api.auth import SessionCsrfAuth, TokenAuth
from doum.core.errors import DoumError
from doum.tickets.api import router as tickets_router

# Fields no client may set, with the reason shown when one is sent.
READ_ONLY_FIELDS = {
    "id": "it is assigned by Doum",
    "number": "it is assigned by Doum",
    "requester": "the requester of an existing ticket cannot be changed through the API",
    "requester_id": "the requester of an existing ticket cannot be changed through the API",
    "created_at": "it is set by Doum",
    "updated_at": "it is set by Doum",
    "solved_at": "it is set by Doum",
    "role": "roles are changed with PUT /users/{id}/role by an admin",
    "is_staff": "access follows the role",
    "is_superuser": "access follows the role",
    "password": "passwords are never set through this endpoint",
    "email": "e-mail addresses are identities: add one with POST /users/{id}/identities",
    "organization": "send organization_id",
    "submitter": "it is set by Doum",
    "merged_into": "use POST /tickets/{id}/merge",
    "merged_into_id": "use POST /tickets/{id}/merge",
    "problem_id": "use PUT /tickets/{id}/problem",
    "is_spam": "use POST /tickets/{id}/spam",
    "deleted_at": "use DELETE /tickets/{id}",
    "channel": "the channel a ticket came in by does not change",
    "brand_id": "the brand of an existing ticket does not change",
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


def describe_validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        field = _field_of(err.get("loc", ()))
        name = field.rsplit(".", 1)[-1]
        if err.get("type") == "extra_forbidden":
            if name in READ_ONLY_FIELDS:
                message = f"'{name}' is read-only: {READ_ONLY_FIELDS[name]}."
            else:
                message = f"'{name}' is not a field of this request."
        elif err.get("type") == "missing":
            message = f"'{name}' is required."
        else:
            message = f"'{name}': {err.get('msg', 'invalid value')}."
        out.append({"field": field, "message": message})
    return out


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = describe_validation_errors(list(exc.errors))
    first = errors[0] if errors else {"field": "", "message": "Invalid input."}
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
        {"code": "unauthenticated", "message": "Sign in, or send a valid API token."},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(
        exc.status_code, "error"
    )
    message = str(exc)
    if message == "Cannot parse request body":
        message = "The request body is not valid JSON (UTF-8)."
    if exc.status_code == 403 and "CSRF" in message:
        message = "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie."
    return _error(request, exc.status_code, {"code": code, "message": message})


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, {"code": "not_found", "message": "Not found."})


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, {"code": "too_large", "message": "The request body is too large."})


api.add_router("/", tickets_router)
api.add_router("/", accounts_router)
