"""Pages for transfers, outbreaks and the reconciling counts: thin, one service call each."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.areas.models import Area, School
from songmay.campaigns.models import Campaign
from songmay.forms import query_id
from songmay.inventory.models import DeviceKind, Warehouse
from songmay.lib.errors import DomainError
from songmay.pool import transfer_selectors as selectors
from songmay.pool import transfer_services as services
from songmay.pool.counts import pool_counts
from songmay.pool.models import TransferStatus
from songmay.pool.rebalance import rebalance_propose

DATE_INPUT = ["%d/%m/%Y", "%Y-%m-%d"]


def _context(request: AuthenticatedRequest, tab: str, **extra: object) -> dict[str, object]:
    scope = request.user.scope
    return {
        "pool_tab": tab,
        "can_manage": scope.may("pool.manage"),
        "can_receive": scope.may("pool.receive"),
        **extra,
    }


# ---- Transfers ----


@requires("pool.view")
def transfer_list(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in TransferStatus.values else ""
    missing = request.GET.get("missing") == "1"
    transfers = selectors.transfer_list(user=request.user, status=status, missing=missing)
    return render(request, "pool/transfer_list.html", _context(
        request, "transfers", page=Paginator(transfers, 50).get_page(request.GET.get("page")),
        statuses=TransferStatus.choices, status=status, missing=missing,
        missing_items=selectors.missing_items(user=request.user)[:50],
    ))  # fmt: skip


@requires("pool.view")
def transfer_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    transfer = selectors.transfer_get(user=request.user, pk=pk)
    items = list(selectors.transfer_items(transfer))
    return render(request, "pool/transfer_detail.html", _context(
        request, "transfers", transfer=transfer, items=items,
        received=sum(1 for item in items if item.received_at),
        missing=[item for item in items if item.missing],
    ))  # fmt: skip


class TransferRequestForm(forms.Form):
    tags = forms.CharField(
        label="Thiết bị (quét mã QR hoặc gõ mã tài sản, mỗi dòng một máy)",
        widget=forms.Textarea(attrs={"rows": 6, "autofocus": True}),
    )
    to_school = forms.CharField(label="Trường nhận (mã trường)", required=False)
    to_warehouse = forms.ModelChoiceField(
        label="hoặc kho nhận", queryset=Warehouse.objects.none(), required=False
    )
    reason = forms.CharField(label="Lý do", max_length=255, required=False)

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user
        self.fields["to_warehouse"].queryset = user.scope.filter_areas(  # type: ignore[attr-defined]
            Warehouse.objects.all(), "area"
        )

    def clean_to_school(self) -> School | None:
        code = self.cleaned_data["to_school"].strip()
        if not code:
            return None
        school = School.objects.select_related("area").filter(code=code).first()
        if school is None or not self.user.scope.covers_path(school.area.path):  # type: ignore[attr-defined]
            raise forms.ValidationError(f"Không tìm thấy trường mã “{code}” trong phạm vi của bạn.")
        return school


@requires("pool.manage")
def transfer_request(request: AuthenticatedRequest) -> HttpResponse:
    form = TransferRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        devices, unknown = selectors.devices_by_tags(
            user=request.user, tags=data["tags"].splitlines()
        )
        if unknown:
            form.add_error("tags", "Không tìm thấy thiết bị: " + ", ".join(unknown) + ".")
        elif devices:
            try:
                transfer = services.transfer_request(
                    actor=request.user, campaign=devices[0].campaign, devices=devices,
                    to_school=data["to_school"], to_warehouse=data["to_warehouse"],
                    reason=data["reason"],
                )  # fmt: skip
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Đã lập {transfer} với {len(devices)} thiết bị.")
                return redirect("pool:transfer_detail", pk=transfer.pk)
    return render(request, "pool/transfer_form.html", _context(request, "transfer_new", form=form))


def _step(request: AuthenticatedRequest, pk: int, service: str, done: str) -> HttpResponse:
    transfer = selectors.transfer_get(user=request.user, pk=pk)
    try:
        result = getattr(services, service)(actor=request.user, transfer=transfer)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if service == "transfer_close" and result:
            tags = ", ".join(device.asset_tag for device in result)
            messages.warning(request, f"Đã đóng {transfer}. Thiết bị thất lạc: {tags}.")
        else:
            messages.success(request, f"{transfer}: {done}")
    return redirect("pool:transfer_detail", pk=pk)


@require_POST
@requires("pool.manage")
def transfer_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "transfer_approve", "đã duyệt.")


@require_POST
@requires("pool.manage")
def transfer_send(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "transfer_send", "đã gửi đi; nơi nhận quét từng máy khi đến.")


@require_POST
@requires("pool.manage")
def transfer_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "transfer_cancel", "đã huỷ; thiết bị vẫn ở nơi gửi.")


@require_POST
@requires("pool.manage")
def transfer_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "transfer_close", "đã đóng; mọi thiết bị đã đến.")


@requires("pool.receive")
def transfer_receive(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The scan box: each Enter confirms one label and shows how many have arrived."""
    transfer = selectors.transfer_get(user=request.user, pk=pk)
    error = ""
    last = ""
    if request.method == "POST":
        tag = request.POST.get("tag", "")
        try:
            transfer = services.transfer_receive(actor=request.user, transfer=transfer, tags=[tag])
        except DomainError as problem:
            error = problem.message
        else:
            last = tag.strip()
            return redirect(f"{request.path}?last={last}")
    items = list(selectors.transfer_items(transfer))
    return render(request, "pool/transfer_receive.html", _context(
        request, "transfers", transfer=transfer, items=items, error=error,
        last=request.GET.get("last", last),
        received=sum(1 for item in items if item.received_at),
    ), status=400 if error else 200)  # fmt: skip


# ---- Outbreaks ----


@requires("pool.view")
def outbreak_list(request: AuthenticatedRequest) -> HttpResponse:
    outbreaks = selectors.outbreak_list(user=request.user)
    return render(request, "pool/outbreak_list.html", _context(
        request, "outbreaks", page=Paginator(outbreaks, 50).get_page(request.GET.get("page")),
    ))  # fmt: skip


class OutbreakForm(forms.Form):
    campaign = forms.ModelChoiceField(label="Chương trình", queryset=Campaign.objects.none())
    areas = forms.CharField(
        label="Xã/phường học trực tuyến (mã, cách nhau bởi dấu phẩy)", required=False
    )
    schools = forms.CharField(label="Trường học trực tuyến (mã trường)", required=False)
    starts_on = forms.DateField(label="Từ ngày (dd/mm/yyyy)", input_formats=DATE_INPUT)
    decision = forms.CharField(label="Quyết định (số, ngày, cơ quan)", max_length=255)

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user
        self.fields["campaign"].queryset = Campaign.objects.visible_to(user)  # type: ignore[attr-defined, arg-type]

    @staticmethod
    def _codes(text: str) -> list[str]:
        return [code.strip() for code in text.replace(";", ",").split(",") if code.strip()]

    def clean_areas(self) -> list[Area]:
        codes = self._codes(self.cleaned_data["areas"])
        found = {area.code: area for area in Area.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise forms.ValidationError("Không có xã/phường mã: " + ", ".join(unknown) + ".")
        return [found[code] for code in codes]

    def clean_schools(self) -> list[School]:
        codes = self._codes(self.cleaned_data["schools"])
        found = {s.code: s for s in School.objects.select_related("area").filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise forms.ValidationError("Không có trường mã: " + ", ".join(unknown) + ".")
        return [found[code] for code in codes]


@requires("pool.manage")
def outbreak_declare(request: AuthenticatedRequest) -> HttpResponse:
    form = OutbreakForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outbreak = services.outbreak_declare(
                actor=request.user, campaign=data["campaign"], areas=data["areas"],
                schools=data["schools"], starts_on=data["starts_on"], decision=data["decision"],
            )  # fmt: skip
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, "Đã ghi nhận đợt dạy học trực tuyến; xem đề xuất điều chuyển."
            )
            return redirect("pool:outbreak_detail", pk=outbreak.pk)
    return render(request, "pool/outbreak_form.html", _context(request, "outbreaks", form=form))


@requires("pool.view")
def outbreak_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    outbreak = selectors.outbreak_get(user=request.user, pk=pk)
    transfers = selectors.transfer_list(user=request.user).filter(outbreak=outbreak)
    proposal = None
    if outbreak.ends_on is None and request.user.scope.may("pool.manage"):
        try:
            proposal = rebalance_propose(actor=request.user, outbreak=outbreak)
        except DomainError as error:
            messages.error(request, error.message)
    kinds = dict(DeviceKind.choices)
    for move in (proposal or {}).get("moves", []) + (proposal or {}).get("local", []):
        move["kind_text"] = ", ".join(
            f"{n} {str(kinds[k]).lower()}" for k, n in move["kinds"].items()
        )
    return render(request, "pool/outbreak_detail.html", _context(
        request, "outbreaks", outbreak=outbreak, proposal=proposal, transfers=transfers,
        areas=outbreak.areas.all(), schools=outbreak.schools.all(),
        today=timezone.localdate(),
    ))  # fmt: skip


@require_POST
@requires("pool.manage")
def outbreak_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    outbreak = selectors.outbreak_get(user=request.user, pk=pk)
    try:
        proposal = rebalance_propose(actor=request.user, outbreak=outbreak)
        if proposal["digest"] != request.POST.get("digest"):
            raise DomainError("Dữ liệu đã thay đổi từ lúc bạn xem đề xuất; hãy xem lại rồi duyệt.")
        transfers = services.rebalance_approve(
            actor=request.user, outbreak=outbreak, proposal=proposal
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Đã duyệt điều chuyển: {len(transfers)} phiếu, sẵn sàng gửi đi.")
    return redirect("pool:outbreak_detail", pk=pk)


@require_POST
@requires("pool.manage")
def outbreak_end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    outbreak = selectors.outbreak_get(user=request.user, pk=pk)
    try:
        ends_on = dt.datetime.strptime(request.POST.get("ends_on", ""), "%d/%m/%Y").date()  # noqa: DTZ007
    except ValueError:
        ends_on = timezone.localdate()
    try:
        recall = services.outbreak_end(actor=request.user, outbreak=outbreak, ends_on=ends_on)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if recall is not None:
            messages.success(request, f"Đã kết thúc đợt; {recall} đã gửi tới các trường mượn.")
            return redirect("pool:recall_detail", pk=recall.pk)
        messages.success(request, "Đã kết thúc đợt; không có thiết bị nào đang cho mượn.")
    return redirect("pool:outbreak_detail", pk=pk)


# ---- Counts ----


@requires("pool.view")
def counts(request: AuthenticatedRequest) -> HttpResponse:
    campaigns = Campaign.objects.visible_to(request.user).order_by("-pk")
    campaign = None
    if (campaign_pk := query_id(request.GET.get("campaign"))) is not None:
        campaign = get_object_or_404(campaigns, pk=campaign_pk)
    else:
        campaign = campaigns.first()
    kind = request.GET.get("kind", "")
    kind = kind if kind in DeviceKind.values else ""
    table = pool_counts(user=request.user, campaign=campaign, kind=kind) if campaign else None
    return render(request, "pool/counts.html", _context(
        request, "counts", campaigns=campaigns, campaign=campaign, kind=kind,
        kinds=DeviceKind.choices, table=table,
        page=Paginator(table.rows if table else [], 100).get_page(request.GET.get("page")),
    ))  # fmt: skip


urlpatterns = [
    path("transfers/", transfer_list, name="transfer_list"),
    path("transfers/new/", transfer_request, name="transfer_request"),
    path("transfers/<int:pk>/", transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/approve/", transfer_approve, name="transfer_approve"),
    path("transfers/<int:pk>/send/", transfer_send, name="transfer_send"),
    path("transfers/<int:pk>/cancel/", transfer_cancel, name="transfer_cancel"),
    path("transfers/<int:pk>/close/", transfer_close, name="transfer_close"),
    path("transfers/<int:pk>/receive/", transfer_receive, name="transfer_receive"),
    path("outbreaks/", outbreak_list, name="outbreak_list"),
    path("outbreaks/new/", outbreak_declare, name="outbreak_declare"),
    path("outbreaks/<int:pk>/", outbreak_detail, name="outbreak_detail"),
    path("outbreaks/<int:pk>/approve/", outbreak_approve, name="outbreak_approve"),
    path("outbreaks/<int:pk>/end/", outbreak_end, name="outbreak_end"),
    path("counts/", counts, name="counts"),
]
