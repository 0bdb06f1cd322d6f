"""Error messages reach people in their language.

Two halves. The mechanism: an API request made with the token of a Korean-speaking user is
answered in Korean; the messages are compared with ``gettext`` of the English text under
``translation.override("ko")``, so the tests follow whatever the Korean catalog says today.
The guard: every message raised or flashed from ``doum/`` is marked for translation, checked
by reading the source (a bare string or an f-string there would reach Koreans in English).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from doum.accounts import actions as accounts
from doum.accounts.models import User
from tests.personas import World

DOUM = Path(__file__).resolve().parents[2] / "doum"


def token_client(user: User, **headers: str) -> Client:
    secret = accounts.do_create_api_token(user, actor=user, name="language").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", **headers)


def korean(message: str, **params: object) -> str:
    with translation.override("ko"):
        text = gettext(message)
        return text % params if params else text


@pytest.fixture
def korean_agent(world: World) -> User:
    accounts.do_update_user(world.agent, actor=world.agent, changes={"language": "ko"})
    return world.agent


# --- the mechanism --------------------------------------------------------------------------


def test_a_failed_check_in_an_action_answers_in_the_token_users_language(
    korean_agent: User,
) -> None:
    response = token_client(korean_agent, HTTP_ACCEPT_LANGUAGE="en-US").get(
        "/api/v1/tickets", {"sort": "colour"}
    )
    assert response.status_code == 400
    assert response["Content-Language"] == "ko"
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == "sort"
    assert body["message"] == korean("Unknown sort '%(sort)s'.", sort="colour")


def test_a_missing_ticket_answers_in_the_token_users_language(korean_agent: User) -> None:
    response = token_client(korean_agent).get("/api/v1/tickets/999999")
    assert response.status_code == 404
    assert response["Content-Language"] == "ko"
    assert response.json()["message"] == korean("No such ticket.")


def test_a_read_only_field_answers_in_the_token_users_language(
    world: World, korean_agent: User
) -> None:
    response = token_client(korean_agent).patch(
        f"/api/v1/tickets/{world.ticket.pk}", {"number": 5}, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "number"
    assert body["message"] == korean(
        "'%(field)s' is read-only: %(reason)s.",
        field="number",
        reason=korean("it is assigned by Doum"),
    )


def test_without_a_setting_the_browser_language_is_used(world: World) -> None:
    assert world.agent.language == ""
    client = token_client(world.agent, HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    response = client.get("/api/v1/tickets/999999")
    assert response["Content-Language"] == "ko"
    assert response.json()["message"] == korean("No such ticket.")


def test_the_users_english_wins_over_a_korean_browser(world: World) -> None:
    accounts.do_update_user(world.agent, actor=world.agent, changes={"language": "en"})
    client = token_client(world.agent, HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    response = client.get("/api/v1/tickets/999999")
    assert response["Content-Language"] == "en"
    assert response.json()["message"] == "No such ticket."


def test_the_language_does_not_stick_to_the_next_request(korean_agent: User, world: World) -> None:
    token_client(korean_agent).get("/api/v1/tickets/999999")
    response = token_client(world.customer, HTTP_ACCEPT_LANGUAGE="en-US").get(
        "/api/v1/tickets/999999"
    )
    assert response["Content-Language"] == "en"
    assert response.json()["message"] == "No such ticket."


# --- the guard: messages in doum/ are marked for translation ---------------------------------

ERRORS = {"InvalidInput", "NotFound", "Forbidden", "Conflict", "RateLimited", "DoumError"}
FLASHES = {"success", "error", "info", "warning", "add_message"}
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "npgettext"}
# A positional placeholder: translators cannot reorder it ("%%" is a literal percent sign).
POSITIONAL = re.compile(r"%(?!\(|%)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(DOUM.rglob("*.py")):
        if "migrations" in path.parts or path.name.startswith("test"):
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literal(node: ast.expr) -> bool:
    """A message written out in English in place: a string, an f-string, or one built from
    them with ``+``, ``%`` or ``.format``."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _literal(node.left) or _literal(node.right)
    if isinstance(node, ast.Call) and _name(node.func) == "format":
        return isinstance(node.func, ast.Attribute) and _literal(node.func.value)
    return False


def _message_argument(call: ast.Call) -> ast.expr | None:
    """The argument of ``call`` that holds a message for a person, if it is such a call."""
    name = _name(call.func)
    if name in ERRORS or name == "ValidationError":
        if call.args:
            return call.args[0]
        return next((k.value for k in call.keywords if k.arg == "message"), None)
    flash = isinstance(call.func, ast.Attribute) and _name(call.func.value) == "messages"
    if flash and name in FLASHES:
        position = 2 if name == "add_message" else 1
        return call.args[position] if len(call.args) > position else None
    if name == "add_error" and len(call.args) >= 2:
        return call.args[1]
    return None


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(DOUM.parent)}:{getattr(node, 'lineno', '?')}"


def test_the_guard_reads_every_module() -> None:
    seen = {path.relative_to(DOUM).as_posix() for path, _tree in _modules()}
    assert {"tickets/actions.py", "accounts/actions/users.py", "api/api.py", "core/web.py"} <= seen


def test_raised_and_flashed_messages_are_marked_for_translation() -> None:
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                message = _message_argument(node)
                if message is not None and _literal(message):
                    offenders.append(f"{_where(path, node)}: {ast.unparse(message)[:80]}")
    assert offenders == [], "wrap these messages in _(...):\n" + "\n".join(offenders)


def test_api_error_bodies_carry_translated_messages() -> None:
    """``{"message": "..."}`` dictionaries are answers too (API error handlers, rate limits)."""
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                is_message = isinstance(key, ast.Constant) and key.value == "message"
                if is_message and value is not None and _literal(value):
                    offenders.append(f"{_where(path, node)}: {ast.unparse(value)[:80]}")
    assert offenders == [], "wrap these messages in _(...):\n" + "\n".join(offenders)


def test_translated_texts_are_literals_with_named_placeholders() -> None:
    """makemessages only sees literal strings, and translators must be free to reorder."""
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node.func) in GETTEXT):
                continue
            texts = node.args[:2] if _name(node.func) in ("ngettext", "ngettext_lazy") else []
            if not texts:
                first = 1 if _name(node.func) in ("pgettext", "npgettext") else 0
                texts = node.args[first : first + 1]
            for text in texts:
                if not (isinstance(text, ast.Constant) and isinstance(text.value, str)):
                    offenders.append(f"{_where(path, node)}: not a literal: {ast.unparse(text)}")
                elif POSITIONAL.search(text.value):
                    offenders.append(f"{_where(path, node)}: positional: {text.value[:60]!r}")
    assert offenders == [], "\n".join(offenders)


def test_underscore_is_not_shadowed_where_it_translates() -> None:
    """``for _, x in ...`` in a function that also calls ``_()`` makes ``_`` a local variable
    there, and the translation call fails with UnboundLocalError when an error is raised."""
    offenders = []
    for path, tree in _modules():
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = [n for stmt in func.body for n in ast.walk(stmt)]
            # a comprehension has its own scope: its ``_`` does not shadow the function's
            in_comprehension = {
                id(n) for c in body if isinstance(c, ast.comprehension) for n in ast.walk(c.target)
            }
            assigns = any(
                isinstance(n, ast.Name)
                and n.id == "_"
                and isinstance(n.ctx, ast.Store)
                and id(n) not in in_comprehension
                for n in body
            )
            calls = any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                for n in body
            )
            if assigns and calls:
                offenders.append(_where(path, func))
    assert offenders == [], "\n".join(offenders)
