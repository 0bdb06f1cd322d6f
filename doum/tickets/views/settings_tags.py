"""The tag settings page (/settings/tags/): every tag with the number of tickets carrying it
(one aggregate query per page), search, and rename / merge / delete through tag_actions.

Each row's forms post with ``data-target="#tag-list"``: app.js swaps in the refreshed list;
without JavaScript the browser is sent back to the list it came from. The list's search,
order and page travel with every form as hidden fields so the answer shows the same list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from doum.core.errors import DoumError, InvalidInput, NotFound
from doum.core.web import current_user, is_partial, people_manager_page, redirect_to, render_page
from doum.tickets import tag_actions
from doum.tickets.models import Tag, Via
from doum.tickets.views.settings_forms import (
    TagMergeForm,
    TagNameForm,
    TagSearchForm,
    add_action_error,
)

PAGE_SIZE = 100
ORDERINGS = {
    "name": ("name",),
    "-count": ("-ticket_count", "name"),
    "count": ("ticket_count", "name"),
}
LIST_FRAGMENT = "tickets/settings_tags_list.html"


@dataclass(frozen=True)
class ListState:
    q: str
    sort: str
    page: str

    @classmethod
    def read(cls, data: QueryDict) -> ListState:
        form = TagSearchForm(data)
        if not form.is_valid():
            return cls(q="", sort="name", page="1")
        page = str(data.get("page") or "1")
        return cls(
            q=form.cleaned_data["q"].strip().lower(),
            sort=form.cleaned_data["sort"] or "name",
            page=page if page.isdigit() else "1",
        )

    def query(self, *, with_page: bool = True) -> str:
        params = {"q": self.q, "sort": self.sort if self.sort != "name" else ""}
        if with_page and self.page != "1":
            params["page"] = self.page
        clean = {k: v for k, v in params.items() if v}
        return urlencode(clean)


def access_tag(tag_id: int) -> Tag:
    tag = Tag.objects.filter(pk=tag_id).first()
    if tag is None:
        raise NotFound(_("No such tag."))
    return tag


def _tickets_url() -> str:
    try:
        return reverse("tickets:list")
    except NoReverseMatch:
        return ""


def _list_context(state: ListState, **extra: Any) -> dict[str, Any]:
    qs = Tag.objects.annotate(ticket_count=Count("tickettag")).order_by(*ORDERINGS[state.sort])
    if state.q:
        qs = qs.filter(name__contains=state.q)
    page = Paginator(qs, PAGE_SIZE).get_page(state.page)
    return {
        "page": page,
        "state": state,
        "filter_query": state.query(with_page=False),
        "tickets_url": _tickets_url(),
        "row_error": None,
        "list_message": "",
        **extra,
    }


@require_GET
@people_manager_page
def tags(request: HttpRequest) -> HttpResponse:
    state = ListState.read(request.GET)
    context = _list_context(state, search_form=TagSearchForm(request.GET or None))
    return render_page(request, "tickets/settings_tags.html", context, fragment=LIST_FRAGMENT)


def _answer(
    request: HttpRequest,
    message: str,
    *,
    error: DoumError | None = None,
    tag_id: int | None = None,
    form: forms.Form | None = None,
) -> HttpResponse:
    """After a tag operation: the refreshed list (for app.js, or with an error), else back."""
    state = ListState.read(request.POST)
    if error is None and not is_partial(request):
        messages.success(request, message)
        query = state.query()
        return redirect_to(request, reverse("settings:tags") + (f"?{query}" if query else ""))
    status = 200
    row_error = None
    if error is not None:
        status = add_action_error(form, error) if form is not None else error.status_code
        errors = [str(e) for errs in (form.errors.values() if form else []) for e in errs]
        row_error = {"tag_id": tag_id, "message": errors[0] if errors else error.message}
    context = _list_context(
        state, row_error=row_error, list_message=message if error is None else "",
        search_form=TagSearchForm({"q": state.q, "sort": state.sort}),
    )  # fmt: skip
    return render_page(
        request, "tickets/settings_tags.html", context, fragment=LIST_FRAGMENT, status=status
    )


def _form_error(form: forms.Form) -> InvalidInput:
    errors = [str(e) for errs in form.errors.values() for e in errs]
    return InvalidInput(errors[0] if errors else _("Check the form."))


@people_manager_page
@require_POST
def tag_rename(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = access_tag(tag_id)
    form = TagNameForm(request.POST)
    if not form.is_valid():
        return _answer(request, "", error=_form_error(form), tag_id=tag.pk)
    old = tag.name
    try:
        renamed = tag_actions.do_rename_tag(
            tag, actor=current_user(request), name=form.cleaned_data["name"], via=Via.WEB
        )
    except DoumError as error:
        return _answer(request, "", error=error, tag_id=tag.pk, form=form)
    return _answer(
        request, _("Renamed “%(old)s” to “%(new)s”.") % {"old": old, "new": renamed.name}
    )


@people_manager_page
@require_POST
def tag_merge(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = access_tag(tag_id)
    form = TagMergeForm(request.POST)
    if not form.is_valid():
        return _answer(request, "", error=_form_error(form), tag_id=tag.pk)
    try:
        name = tag_actions.clean_tag_name(form.cleaned_data["target"], field="target")
        target = Tag.objects.filter(name=name).first()
        if target is None:
            raise InvalidInput(
                _("There is no tag “%(name)s”; rename this tag instead.") % {"name": name},
                field="target",
            )
        merged = tag_actions.do_merge_tags(tag, target, actor=current_user(request), via=Via.WEB)
    except DoumError as error:
        return _answer(request, "", error=error, tag_id=tag.pk, form=form)
    return _answer(
        request, _("Merged “%(old)s” into “%(new)s”.") % {"old": tag.name, "new": merged.name}
    )


@people_manager_page
@require_POST
def tag_delete(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = access_tag(tag_id)
    try:
        count = tag_actions.do_delete_tag(tag, actor=current_user(request), via=Via.WEB)
    except DoumError as error:
        return _answer(request, "", error=error, tag_id=tag.pk)
    return _answer(
        request,
        ngettext(
            "Deleted “%(name)s” from %(count)s ticket.",
            "Deleted “%(name)s” from %(count)s tickets.",
            count,
        )
        % {"name": tag.name, "count": count},
    )


urlpatterns: list[URLPattern] = [
    path("tags/", tags, name="tags"),
    path("tags/<int:tag_id>/rename/", tag_rename, name="tag_rename"),
    path("tags/<int:tag_id>/merge/", tag_merge, name="tag_merge"),
    path("tags/<int:tag_id>/delete/", tag_delete, name="tag_delete"),
]
