"""Printable asset labels for the devices a user may see."""

from django.http import Http404, HttpResponse
from django.shortcuts import render

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.forms import query_id
from songmay.inventory.labels import MAX_LABELS, PER_SHEET, device_path, labels_pdf
from songmay.inventory.models import Device


def _refuse(request: AuthenticatedRequest, message: str) -> HttpResponse:
    return render(request, "inventory/labels_refused.html", {"message": message}, status=400)


@requires("inventory.view")
def device_labels(request: AuthenticatedRequest) -> HttpResponse:
    """?ids=1,2,3 or ?campaign=4; without either, every device in the user's scope."""
    devices = Device.objects.visible_to(request.user).select_related("campaign")
    ids, campaign = request.GET.get("ids", "").strip(), request.GET.get("campaign", "").strip()
    wanted = [query_id(pk) for pk in ids.split(",") if pk.strip()]
    campaign_pk = query_id(campaign)
    if None in wanted or (campaign and campaign_pk is None):
        return _refuse(request, "Danh sách thiết bị không hợp lệ: mã thiết bị phải là số.")
    if ids:
        devices = devices.filter(pk__in=wanted)
    if campaign_pk is not None:
        devices = devices.filter(campaign_id=campaign_pk)
    # One extra row tells "too many" without counting the whole inventory.
    chosen = list(devices.order_by("campaign_id", "seq")[: MAX_LABELS + 1])
    if not chosen:
        raise Http404("Không có thiết bị nào để in nhãn.")
    if len(chosen) > MAX_LABELS:
        limit = f"{MAX_LABELS:,}".replace(",", ".")
        return _refuse(
            request,
            f"Mỗi lần chỉ in được tối đa {limit} nhãn ({MAX_LABELS // PER_SHEET} tờ A4). Hãy lọc"
            " theo chương trình hoặc chọn bớt thiết bị, rồi in thành nhiều đợt.",
        )
    pdf = labels_pdf(chosen, lambda device: request.build_absolute_uri(device_path(device)))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="nhan-thiet-bi.pdf"'
    return response
