"""The public pages: campaigns' figures and open data for anyone, a donor's private trace.

No log-in and no personal data. The campaign pages may sit in the visitor's browser cache for
a few minutes (they carry the header of whoever is logged in and the language form's CSRF
token, so never in a shared cache); the CSV is the same for everyone and may be cached by any
proxy. The trace page is a secret link: never cached, never indexed, never sent as a referrer.
"""

import csv
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from songmay.lib.spreadsheet import safe_csv_row
from songmay.reports import selectors

GIFTS_PER_PAGE = 50
PUBLIC_MAX_AGE = 300  # seconds: figures change a few times a day


@require_safe
@cache_control(private=True, max_age=PUBLIC_MAX_AGE)
def public_index(request: HttpRequest) -> HttpResponse:
    campaigns = selectors.public_campaign_list()
    return render(request, "reports/public_index.html", {"campaigns": campaigns})


@require_safe
@cache_control(private=True, max_age=PUBLIC_MAX_AGE)
def public_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.public_campaign_get(pk=pk)
    page = Paginator(selectors.public_gift_list(campaign=campaign), GIFTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    progress, progress_total = selectors.public_progress(campaign=campaign)
    return render(request, "reports/public_campaign.html", {
        "campaign": campaign,
        "progress": progress,
        "progress_total": progress_total,
        "figures": selectors.public_figures(campaign=campaign),
        "page": page,
        "gifts": selectors.public_gifts(page.object_list),
        "spendings": selectors.public_spendings(campaign=campaign),
    })  # fmt: skip


class _Echo:
    """csv.writer writes each row here and gets the line back, to stream it."""

    def write(self, value: str) -> str:
        return value


@require_safe
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def public_campaign_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Open data: UTF-8 with a byte-order mark, so Excel reads the Vietnamese correctly."""
    campaign = selectors.public_campaign_get(pk=pk)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(selectors.CSV_COLUMNS)
        for row in selectors.public_csv_rows(campaign=campaign):
            yield writer.writerow(safe_csv_row(row))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="songmay-chuong-trinh-{campaign.pk}-cong-khai.csv"'
    )
    return response


@require_safe
@never_cache
def donor_trace(request: HttpRequest, token: str) -> HttpResponse:
    donor = selectors.donor_by_trace_token(token)
    response = render(
        request, "reports/donor_trace.html", {"trace": selectors.donor_trace(donor=donor)}
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
