"""Template helpers of the customer pages: links to tickets built by the ticket area."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.filter
def ticket_url(number: int) -> str:
    """The ticket page; a plain path while the ticket page's route is not installed."""
    try:
        return reverse("tickets:ticket", args=[number])
    except NoReverseMatch:
        return f"/tickets/{number}/"
