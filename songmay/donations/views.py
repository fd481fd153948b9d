"""Pages for donors, pledges, receipts (tiếp nhận) and the cash ledger."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.campaigns.models import Campaign
from songmay.donations import selectors, services
from songmay.donations.forms import (
    DonationForm,
    DonorForm,
    PledgeForm,
    PurchaseLineFormSet,
    ReasonForm,
    ReviewForm,
    SpendingForm,
)
from songmay.donations.models import Donation, DonationKind, Donor, Pledge, Spending
from songmay.donations.services import PurchaseLineData
from songmay.forms import query_id, show_domain_error
from songmay.inventory.models import Device
from songmay.lib.errors import DomainError


def _donor(request: AuthenticatedRequest, pk: int) -> Donor:
    return get_object_or_404(Donor.objects.visible_to(request.user), pk=pk)


@requires("donations.view")
def donor_list(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    donors = (
        selectors.donor_list(user=request.user, query=query)
        .annotate(money=Sum("donations__amount"), receipts=Count("donations"))
        .order_by("name", "pk")
    )
    return render(request, "donations/donor_list.html", {
        "page": Paginator(donors, 50).get_page(request.GET.get("page")), "q": query,
        "can_change": request.user.scope.may("donations.change"),
    })  # fmt: skip


@requires("donations.change")
def donor_create(request: AuthenticatedRequest) -> HttpResponse:
    form = DonorForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            donor = services.donor_create(actor=request.user, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Đã thêm nhà tài trợ {donor}.")
            return redirect("donations:donor_detail", pk=donor.pk)
    return render(request, "donations/form.html", {"form": form, "title": "Thêm nhà tài trợ"})


@requires("donations.change")
def donor_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    donor = _donor(request, pk)
    form = DonorForm(request.POST or None, user=request.user, donor=donor)
    if request.method == "POST" and form.is_valid():
        try:
            services.donor_update(actor=request.user, donor=donor, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Đã lưu.")
            return redirect("donations:donor_detail", pk=donor.pk)
    return render(request, "donations/form.html", {
        "form": form, "title": f"Sửa thông tin {donor}",
        "cancel": reverse("donations:donor_detail", args=[donor.pk]),
    })  # fmt: skip


@requires("donations.view")
def donor_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    donor = _donor(request, pk)
    donations = selectors.donation_list(user=request.user).filter(donor=donor)
    trace_url = (
        request.build_absolute_uri(reverse("reports:donor_trace", args=[donor.trace_token]))
        if donor.trace_token and request.user.scope.may("donations.change")
        else ""
    )
    return render(request, "donations/donor_detail.html", {
        "donor": donor, "donations": donations,
        "pledges": selectors.pledge_list(user=request.user).filter(donor=donor),
        "can_change": request.user.scope.may("donations.change"), "trace_url": trace_url,
    })  # fmt: skip


@require_POST
@requires("donations.change")
def donor_trace_issue(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    donor = _donor(request, pk)
    services.donor_trace_link_issue(actor=request.user, donor=donor)
    messages.success(
        request, "Đã tạo đường dẫn theo dõi mới; đường dẫn cũ (nếu có) không còn dùng được."
    )
    return redirect("donations:donor_detail", pk=donor.pk)


@require_POST
@requires("donations.change")
def donor_trace_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    donor = _donor(request, pk)
    try:
        services.donor_trace_link_revoke(actor=request.user, donor=donor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Đã thu hồi đường dẫn theo dõi.")
    return redirect("donations:donor_detail", pk=donor.pk)


@requires("donations.view")
def pledge_list(request: AuthenticatedRequest) -> HttpResponse:
    pledges = selectors.pledge_list(user=request.user)
    return render(request, "donations/pledge_list.html", {
        "page": Paginator(pledges, 50).get_page(request.GET.get("page")),
        "can_change": request.user.scope.may("donations.change"),
    })  # fmt: skip


@requires("donations.change")
def pledge_create(request: AuthenticatedRequest) -> HttpResponse:
    initial = {"donor": request.GET.get("donor"), "pledged_on": timezone.localdate()}
    form = PledgeForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pledge = services.pledge_create(
                actor=request.user, campaign=data["campaign"], donor=data["donor"],
                pledged_on=data["pledged_on"], due_on=data["due_on"], amount=data["amount"],
                items=form.items(), note=data["note"],
            )  # fmt: skip
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Đã ghi nhận cam kết.")
            return redirect("donations:pledge_detail", pk=pledge.pk)
    return render(request, "donations/form.html", {"form": form, "title": "Ghi nhận cam kết"})


@requires("donations.view")
def pledge_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pledge = get_object_or_404(selectors.pledge_list(user=request.user), pk=pk)
    return render(request, "donations/pledge_detail.html", {
        "pledge": pledge, "progress": selectors.pledge_progress_rows(pledge),
        "donations": pledge.donations.order_by("received_on", "number"),
        "can_change": request.user.scope.may("donations.change"), "cancel_form": ReasonForm(),
    })  # fmt: skip


@require_POST
@requires("donations.change")
def pledge_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pledge = get_object_or_404(Pledge.objects.visible_to(request.user), pk=pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Hãy ghi lý do huỷ cam kết.")
        services.pledge_cancel(
            actor=request.user, pledge=pledge, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Đã huỷ cam kết.")
    return redirect("donations:pledge_detail", pk=pledge.pk)


@requires("donations.view")
def donation_list(request: AuthenticatedRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    review = request.GET.get("review") == "1"
    donations = selectors.donation_list(
        user=request.user, kind=kind if kind in DonationKind.values else "", needs_review=review
    )
    return render(request, "donations/donation_list.html", {
        "page": Paginator(donations, 50).get_page(request.GET.get("page")),
        "kinds": DonationKind.choices, "kind": kind, "review": review,
        "to_review": selectors.donation_list(user=request.user, needs_review=True).count(),
        "can_change": request.user.scope.may("donations.change"),
    })  # fmt: skip


@requires("donations.change")
def donation_create(request: AuthenticatedRequest) -> HttpResponse:
    initial: dict[str, object] = {"received_on": timezone.localdate()}
    if (pledge_pk := query_id(request.GET.get("pledge"))) is not None:
        pledge = Pledge.objects.visible_to(request.user).filter(pk=pledge_pk).first()
        if pledge is not None:
            initial.update(pledge=pledge, donor=pledge.donor, campaign=pledge.campaign)
    form = DonationForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            donation = services.donation_receive(
                actor=request.user, campaign=data["campaign"], donor=data["donor"],
                pledge=data["pledge"], data=form.to_data(),
            )  # fmt: skip
        except DomainError as error:
            show_domain_error(form, error)
        else:
            note = " Khoản này nằm ngoài thời gian tiếp nhận, cần xem xét."
            messages.success(
                request,
                f"Đã ghi nhận, cấp biên nhận số {donation.code}."
                + (note if donation.outside_intake_window else ""),
            )
            return redirect("donations:donation_detail", pk=donation.pk)
    return render(request, "donations/donation_form.html", {"form": form})


@requires("donations.view")
def donation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    donation = get_object_or_404(selectors.donation_list(user=request.user), pk=pk)
    spent = selectors.money_spent_of(donation)
    scope = request.user.scope
    devices = (
        Device.objects.visible_to(request.user).filter(origin_donation=donation)
        if scope.may("inventory.view")
        else Device.objects.none()
    )
    return render(request, "donations/donation_detail.html", {
        "donation": donation, "fundings": donation.fundings.select_related("spending"),
        "spent": spent,
        "left": donation.amount - spent,
        "devices": devices.select_related("school", "warehouse")[:200],
        "device_count": devices.count(),
        "can_change": scope.may("donations.change"), "review_form": ReviewForm(),
    })  # fmt: skip


@require_POST
@requires("donations.change")
def donation_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    donation = get_object_or_404(Donation.objects.visible_to(request.user), pk=pk)
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.donation_review(actor=request.user, donation=donation, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Đã xem xét; khoản tiếp nhận được giữ lại.")
    return redirect("donations:donation_detail", pk=donation.pk)


def _campaign_for(request: AuthenticatedRequest) -> Campaign | None:
    campaigns = Campaign.objects.visible_to(request.user).filter(area__isnull=False)
    if typed := request.GET.get("campaign", ""):
        if (pk := query_id(typed)) is None:
            raise Http404
        return get_object_or_404(campaigns, pk=pk)
    return campaigns.filter(Q(donations__isnull=False)).first() or campaigns.first()


@requires("ledger.view")
def ledger(request: AuthenticatedRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    book = selectors.ledger(campaign=campaign) if campaign else None
    if campaign is not None and not request.user.scope.is_national:
        # Only the province that runs the campaign keeps its books.
        area = campaign.area
        if area is None or not request.user.scope.covers_path(area.path):
            raise Http404
    return render(request, "donations/ledger.html", {
        "campaign": campaign, "book": book,
        "campaigns": Campaign.objects.visible_to(request.user).filter(area__isnull=False),
        "can_change": request.user.scope.may("donations.change"),
    })  # fmt: skip


@requires("donations.change")
def spending_create(request: AuthenticatedRequest) -> HttpResponse:
    initial = {"spent_on": timezone.localdate(), "campaign": request.GET.get("campaign")}
    form = SpendingForm(request.POST or None, user=request.user, initial=initial)
    lines = PurchaseLineFormSet(request.POST or None, prefix="line")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        rows = [
            PurchaseLineData(
                kind=line["kind"],
                unit_price=line["unit_price"],
                quantity=line["quantity"],
                make=line.get("make", ""),
                model=line.get("model", ""),
            )
            for line in lines.cleaned_data
            if line.get("kind")
        ]
        try:
            spending = services.spending_record(
                actor=request.user, campaign=form.cleaned_data["campaign"],
                data=form.to_data(rows), warehouse=form.cleaned_data["warehouse"],
            )  # fmt: skip
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Đã ghi {spending}.")
            return redirect("donations:spending_detail", pk=spending.pk)
    return render(request, "donations/spending_form.html", {"form": form, "lines": lines})


@requires("ledger.view")
def spending_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    spending = get_object_or_404(
        Spending.objects.visible_to(request.user).select_related("campaign"), pk=pk
    )
    return render(request, "donations/spending_detail.html", {
        "spending": spending, "lines": spending.lines.annotate(devices_made=Count("devices")),
        "fundings": spending.fundings.select_related("donation__donor"),
    })  # fmt: skip
