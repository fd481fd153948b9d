"""Template filters used on every page (loaded as builtins)."""

from django import template

from songmay.lib.money import format_vnd
from songmay.lib.phones import display_phone

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, number: int) -> str:
    """The current list's address on page `number`, keeping its filters."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()


@register.filter
def phone(e164: str) -> str:
    return display_phone(e164) if e164 else ""


@register.filter
def vnd(amount: int | None) -> str:
    """976500000 -> "976.500.000 đ"."""
    return "" if amount is None else format_vnd(int(amount))
