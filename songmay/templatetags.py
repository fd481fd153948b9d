"""Template filters used on every page (loaded as builtins)."""

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

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


@register.filter
def report_cell(cell: tuple[object, str]) -> SafeString:
    """A report table's (value, kind) as its <td>, or <th> for the row's name.

    A filter rather than an included template: a province's tables hold thousands of cells.
    """
    value, kind = cell
    if kind == "text":
        return format_html('<th scope="row">{}</th>', value)
    if value is None:
        return mark_safe('<td class="num">—</td>')
    if kind == "money" and isinstance(value, int):
        shown = format_vnd(value)
    elif kind == "percent" and isinstance(value, float):
        shown = f"{number_format(value, 1)} %"
    elif isinstance(value, int | float):
        shown = number_format(value, force_grouping=True)
    else:
        shown = str(value)
    return format_html('<td class="num">{}</td>', shown)
