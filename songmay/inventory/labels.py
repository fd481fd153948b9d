"""Asset labels: A4 sheets of 3 × 8 labels (70 × 37 mm), each with the asset tag and a QR code
that opens the device's page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import reverse

from songmay.inventory.models import Device
from songmay.lib.pdf import qr_png_data_uri, render_pdf

COLUMNS, ROWS = 3, 8
PER_SHEET = COLUMNS * ROWS
# One request renders at most 20 sheets (about 10 s: QR codes and layout take ~20 ms a label);
# a bigger inventory prints in batches, filtered by campaign or by a list of devices.
MAX_LABELS = 20 * PER_SHEET
CAMPAIGN_CHARS = 48


@dataclass(frozen=True)
class Label:
    asset_tag: str
    kind: str
    make_model: str
    serial: str
    campaign: str
    qr: str  # data URI of the QR code


def device_path(device: Device) -> str:
    """The device's page, where the QR code leads (printed labels need it to stay stable)."""
    return reverse("inventory:device_detail", kwargs={"pk": device.pk})


def shorten(text: str, limit: int = CAMPAIGN_CHARS) -> str:
    """Cut at a word so the campaign name fits on one line of the label."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" –-,")
    return f"{cut}…"


def label(device: Device, url: str) -> Label:
    identifier = f"S/N {device.serial}" if device.serial else ""
    if not identifier and device.imei:
        identifier = f"IMEI {device.imei}"
    return Label(
        asset_tag=device.asset_tag,
        kind=device.get_kind_display(),
        make_model=" ".join(part for part in (device.make, device.model) if part),
        serial=identifier,
        campaign=shorten(device.campaign.name),
        qr=qr_png_data_uri(url),
    )


def labels_pdf(devices: Iterable[Device], url_for: Callable[[Device], str]) -> bytes:
    """The label sheets; `url_for(device)` is the absolute address the QR code opens."""
    labels = [label(device, url_for(device)) for device in devices]
    sheets = [labels[start : start + PER_SHEET] for start in range(0, len(labels), PER_SHEET)]
    return render_pdf("pdf/labels.html", {"sheets": sheets})
