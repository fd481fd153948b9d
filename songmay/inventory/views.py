"""Pages of the inventory app."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.donations.selectors import device_donors
from songmay.forms import query_id, show_domain_error
from songmay.inventory import selectors, services
from songmay.inventory.forms import (
    BATCH,
    STICKY,
    DeviceFilterForm,
    DeviceForm,
    MinimumSpecForm,
    MoveForm,
    RegisterForm,
    StatusForm,
    WarehouseForm,
)
from songmay.inventory.models import (
    Device,
    DeviceEvent,
    DeviceEventKind,
    DeviceStatus,
    MinimumSpec,
)
from songmay.lib.errors import DomainError
from songmay.lib.pages import page_of

# Above this many devices the label link names the campaign rather than each device.
LABEL_IDS_LIMIT = 500


def _labels_query(form: DeviceFilterForm, devices: list[int] | None) -> str:
    """The query string for printing labels: the campaign alone, or the listed devices."""
    filters = form.filters()
    only_campaign = filters.campaign is not None and not any(
        value for name, value in form.cleaned_data.items() if name != "campaign"
    )
    if only_campaign and filters.campaign is not None:
        return urlencode({"campaign": filters.campaign.pk})
    if devices:
        return urlencode({"ids": ",".join(str(pk) for pk in devices)})
    return ""


@requires("inventory.view")
def device_list(request: AuthenticatedRequest) -> HttpResponse:
    form = DeviceFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    devices = selectors.device_list(user=request.user, filters=filters)
    counts = selectors.device_counts(devices)
    labels = ""
    if form.is_bound and form.is_valid() and 0 < counts["total"] <= LABEL_IDS_LIMIT:
        labels = _labels_query(form, list(devices.values_list("pk", flat=True)))
    elif form.is_bound and form.is_valid():
        labels = _labels_query(form, None)
    return render(request, "inventory/device_list.html", {
        "form": form, "counts": counts,
        "statuses": [(value, label, counts[value]) for value, label in DeviceStatus.choices],
        "page": page_of(devices, request, count=counts["total"]),
        "labels_query": labels, "campaign": filters.campaign,
    })  # fmt: skip


@requires("inventory.view")
def device_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    device = selectors.device_get(user=request.user, pk=pk)
    scope = request.user.scope
    can_change = scope.may("inventory.change")
    return render(request, "inventory/device_detail.html", {
        "device": device, "events": selectors.device_timeline(device),
        "donors": device_donors(device), "can_see_money": scope.may("donations.view"),
        "can_change": can_change,
        "status_form": StatusForm(device=device) if can_change else None,
        "move_form": MoveForm(user=request.user) if can_change else None,
    })  # fmt: skip


def _register_url(data: dict[str, object], last: Device | None = None) -> str:
    """The register page again, with the batch and the model description kept."""
    query = {name: data[name] for name in [*BATCH, *STICKY] if data.get(name) not in (None, "")}
    for name in ("campaign", "warehouse", "donation"):
        if name in query:
            query[name] = getattr(query[name], "pk", query[name])
    if "school" in query:
        query["school"] = getattr(query["school"], "code", query["school"])
    if last is not None:
        query["last"] = last.pk
    return reverse("inventory:device_register") + "?" + urlencode(query)


@requires("inventory.change")
def device_register(request: AuthenticatedRequest) -> HttpResponse:
    """One device per submission; the form comes back for the next box."""
    if request.method == "POST":
        form = RegisterForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                device = services.device_register(
                    actor=request.user, campaign=data["campaign"], data=form.to_data(),
                    origin_donation=data["donation"], warehouse=data["warehouse"],
                    school=data["school"],
                )  # fmt: skip
            except DomainError as error:
                show_domain_error(form, error)
                form.ready_for_rescan(error.field)
            else:
                return redirect(_register_url(data, last=device))
    else:
        initial = {name: request.GET[name] for name in [*BATCH, *STICKY] if name in request.GET}
        form = RegisterForm(initial=initial, user=request.user)
    last = None
    if (last_pk := query_id(request.GET.get("last"))) is not None:
        last = (
            Device.objects.visible_to(request.user)
            .select_related("warehouse", "school")
            .filter(pk=last_pk)
            .first()
        )
    # How many boxes this officer has scanned today: a running tally to check against the pile.
    registered = 0
    if last is not None:
        registered = DeviceEvent.objects.filter(
            actor=request.user, kind=DeviceEventKind.REGISTERED, at__date=timezone.localdate()
        ).count()
    return render(request, "inventory/device_register.html", {
        "form": form, "last": last, "registered_today": registered,
    })  # fmt: skip


@requires("inventory.change")
def device_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    device = selectors.device_get(user=request.user, pk=pk)
    form = DeviceForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        try:
            services.device_update(actor=request.user, device=device, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Đã lưu thiết bị {device.asset_tag}.")
            return redirect("inventory:device_detail", pk=device.pk)
    return render(request, "inventory/device_form.html", {"form": form, "device": device})


@requires("inventory.change")
@require_POST
def device_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    device = selectors.device_get(user=request.user, pk=pk)
    form = StatusForm(request.POST, device=device)
    try:
        if not form.is_valid():
            allowed = [label for _value, label in form.fields["status"].choices]  # type: ignore[attr-defined]
            raise DomainError(
                f"Thiết bị đang “{device.get_status_display()}”; chỉ chuyển được sang: "
                + (", ".join(str(label) for label in allowed) or "không trạng thái nào")
                + "."
            )
        services.device_status_change(
            actor=request.user, device=device, status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Đã đổi trạng thái.")
    return redirect("inventory:device_detail", pk=device.pk)


@requires("inventory.change")
@require_POST
def device_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    device = selectors.device_get(user=request.user, pk=pk)
    form = MoveForm(request.POST, user=request.user)
    try:
        if not form.is_valid():
            raise DomainError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        warehouse, school = form.place()
        device = services.device_move(
            actor=request.user, device=device, warehouse=warehouse, school=school,
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Đã chuyển thiết bị đến {device.location}.")
    return redirect("inventory:device_detail", pk=device.pk)


@requires("inventory.view")
def minimum_specs(request: AuthenticatedRequest, campaign_pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, pk=campaign_pk)
    can_change = request.user.scope.may("inventory.change")
    form = None
    if can_change:
        initial = {}
        kind = request.GET.get("kind", "")
        spec = MinimumSpec.objects.filter(campaign=campaign, kind=kind).first()
        if spec is not None:
            initial = {name: getattr(spec, name) for name in MinimumSpecForm.base_fields}
        elif kind:
            initial = {"kind": kind}
        form = MinimumSpecForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                spec = services.minimum_spec_set(actor=request.user, campaign=campaign,
                                                 **form.cleaned_data)  # fmt: skip
            except DomainError as error:
                show_domain_error(form, error)
            else:
                messages.success(
                    request, f"Đã lưu cấu hình tối thiểu cho {spec.get_kind_display().lower()}."
                )
                return redirect("inventory:minimum_specs", campaign_pk=campaign.pk)
    return render(request, "inventory/minimum_specs.html", {
        "campaign": campaign, "rows": selectors.minimum_table(user=request.user, campaign=campaign),
        "form": form,
    })  # fmt: skip


@requires("inventory.view")
def warehouse_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "inventory/warehouse_list.html", {
        "warehouses": selectors.warehouse_list(user=request.user),
        "can_change": request.user.scope.may("inventory.change"),
    })  # fmt: skip


@requires("inventory.change")
def warehouse_create(request: AuthenticatedRequest) -> HttpResponse:
    form = WarehouseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            warehouse = services.warehouse_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Đã thêm {warehouse}.")
            return redirect("inventory:warehouse_list")
    return render(request, "inventory/warehouse_form.html", {"form": form})
