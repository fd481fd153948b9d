"""Template filters used on every page (loaded as builtins)."""

from django import template

from songmay.lib.money import format_vnd
from songmay.lib.phones import display_phone

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    return "" if amount is None else format_vnd(int(amount))


@register.filter
def phone(e164: str) -> str:
    return display_phone(e164) if e164 else ""
