from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from songmay.audit.models import AuditEntry
from songmay.inventory.models import (
    Condition,
    Device,
    DeviceEvent,
    DeviceEventKind,
    DeviceStatus,
)
from songmay.inventory.services import (
    DeviceData,
    device_move,
    device_register,
    device_status_change,
    device_update,
    devices_register,
    minimum_spec_set,
)
from songmay.lib.errors import DomainError

pytestmark = pytest.mark.django_db

IMEI = "490154203237518"  # a valid check digit (the textbook example)
LAPTOP = DeviceData(
    kind="laptop", make="Dell", model="Latitude 3420", serial="dl-0001",
    ram_gb=Decimal(8), storage_gb=256,
)  # fmt: skip


def _laptop(stock, **changes):
    data = DeviceData(**{**vars(LAPTOP), **changes})
    return device_register(
        actor=stock["officer"], campaign=stock["campaign"], data=data,
        warehouse=stock["warehouse"],
    )  # fmt: skip


def test_registering_writes_the_first_line_of_the_timeline_and_the_audit_trail(stock):
    device = _laptop(stock)
    assert device.serial == "DL-0001"
    assert device.asset_tag.endswith("-000001")
    assert device.meets_minimum is True  # 8 GB / 256 GB against the 4 GB / 64 GB minimum
    event = DeviceEvent.objects.get(device=device)
    assert (event.kind, event.to_status, event.to_location) == (
        DeviceEventKind.REGISTERED, DeviceStatus.RECEIVED, "Kho Sở GD&ĐT Bắc Ninh",
    )  # fmt: skip
    assert event.actor == stock["officer"]
    assert AuditEntry.objects.filter(action="device.registered").count() == 1


def test_status_change_adds_an_event_with_both_statuses(stock):
    device = _laptop(stock)
    device_status_change(actor=stock["officer"], device=device, status="inspected", note="  ổn ")
    device_status_change(actor=stock["officer"], device=device, status="available")
    device.refresh_from_db()
    assert device.status == DeviceStatus.AVAILABLE
    steps = list(
        DeviceEvent.objects.filter(device=device, kind=DeviceEventKind.STATUS)
        .order_by("at", "pk")
        .values_list("from_status", "to_status", "note")
    )
    assert steps == [("received", "inspected", "ổn"), ("inspected", "available", "")]


def test_a_forbidden_transition_is_refused_and_nothing_is_written(stock):
    device = _laptop(stock)
    events = DeviceEvent.objects.count()
    with pytest.raises(DomainError) as caught:
        device_status_change(actor=stock["officer"], device=device, status="handed_over")
    assert "Đã tiếp nhận" in caught.value.message
    assert "Có thể chuyển sang" in caught.value.message
    device.refresh_from_db()
    assert device.status == DeviceStatus.RECEIVED
    assert DeviceEvent.objects.count() == events


def test_a_written_off_device_goes_nowhere(stock):
    device = _laptop(stock)
    device_status_change(actor=stock["officer"], device=device, status="written_off")
    with pytest.raises(DomainError):
        device_status_change(actor=stock["officer"], device=device, status="inspected")


def test_a_device_below_the_minimum_cannot_be_made_available(stock):
    device = _laptop(stock, ram_gb=Decimal(2))
    assert device.meets_minimum is False
    device_status_change(actor=stock["officer"], device=device, status="inspected")
    with pytest.raises(DomainError, match="chưa đạt cấu hình tối thiểu"):
        device_status_change(actor=stock["officer"], device=device, status="available")


def test_moving_records_where_from_and_where_to(stock):
    device = _laptop(stock)
    school = stock["schools"]["lucngan"]
    device_move(actor=stock["officer"], device=device, school=school, note="Giao đợt 1")
    device.refresh_from_db()
    assert (device.school, device.warehouse) == (school, None)
    event = DeviceEvent.objects.get(device=device, kind=DeviceEventKind.MOVED)
    assert (event.from_location, event.to_location, event.note) == (
        "Kho Sở GD&ĐT Bắc Ninh", school.name, "Giao đợt 1",
    )  # fmt: skip
    with pytest.raises(DomainError, match="đã ở"):
        device_move(actor=stock["officer"], device=device, school=school)


def test_moving_to_a_school_outside_the_scope_is_refused(stock, place):
    device = _laptop(stock)
    with pytest.raises(DomainError, match="ngoài phạm vi"):
        device_move(actor=stock["officer"], device=device, school=place["schools"]["phutho"])
    device.refresh_from_db()
    assert device.warehouse == stock["warehouse"]
    assert not DeviceEvent.objects.filter(kind=DeviceEventKind.MOVED).exists()


def test_only_the_inventory_keepers_may_write(stock):
    device = _laptop(stock)
    with pytest.raises(PermissionDenied):
        device_status_change(actor=stock["area_ln"], device=device, status="inspected")


@pytest.mark.parametrize("bad", ["490154203237519", "49015420323751", "4901542032375AB"])
def test_an_imei_with_a_wrong_check_digit_or_length_is_refused_and_nothing_written(stock, bad):
    with pytest.raises(DomainError) as caught:
        device_register(
            actor=stock["officer"], campaign=stock["campaign"],
            data=DeviceData(kind="tablet", imei=bad), warehouse=stock["warehouse"],
        )  # fmt: skip
    assert caught.value.field == "imei"
    assert "IMEI" in caught.value.message
    assert not Device.objects.exists()
    assert not DeviceEvent.objects.exists()


def test_an_imei_on_a_laptop_is_refused(stock):
    with pytest.raises(DomainError, match="Chỉ điện thoại"):
        _laptop(stock, imei=IMEI)


def test_a_duplicate_serial_or_imei_is_refused_and_nothing_written(stock):
    _laptop(stock)
    tablet = DeviceData(kind="tablet", serial="R9-TAB-1", imei=IMEI)
    device_register(actor=None, campaign=stock["campaign"], data=tablet)
    before = (Device.objects.count(), DeviceEvent.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError, match="DL-0001 đã có"):
        _laptop(stock, serial=" dl-0001 ")  # the same serial, typed differently
    with pytest.raises(DomainError) as caught:
        device_register(
            actor=None, campaign=stock["campaign"],
            data=DeviceData(kind="smartphone", imei=f"{IMEI[:8]} {IMEI[8:]}"),
        )  # fmt: skip
    assert caught.value.field == "imei"
    with pytest.raises(DomainError, match="mỗi thiết bị chỉ nhập một lần"):
        devices_register(  # a batch with the same serial twice: none of it goes in
            actor=None, campaign=stock["campaign"],
            rows=[DeviceData(kind="laptop", serial="X1"), DeviceData(kind="laptop", serial="x1")],
        )  # fmt: skip
    after = (Device.objects.count(), DeviceEvent.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_correcting_a_serial_to_one_already_taken_is_refused(stock):
    first = _laptop(stock)
    second = _laptop(stock, serial="DL-0002")
    with pytest.raises(DomainError, match="đã có trong kho"):
        device_update(actor=stock["officer"], device=second, data=LAPTOP)
    assert Device.objects.get(pk=second.pk).serial == "DL-0002"
    device_update(
        actor=stock["officer"], device=first, data=DeviceData(**{**vars(LAPTOP), "ram_gb": 2})
    )
    first.refresh_from_db()
    assert first.meets_minimum is False
    assert DeviceEvent.objects.filter(device=first, kind=DeviceEventKind.EDITED).exists()


def test_setting_the_minimum_rechecks_every_device_of_that_kind(stock):
    _laptop(stock, serial="A1", ram_gb=Decimal(8))
    _laptop(stock, serial="A2", ram_gb=Decimal(4))
    _laptop(stock, serial="A3", condition=Condition.NEEDS_REPAIR)
    tablet = device_register(
        actor=None, campaign=stock["campaign"], data=DeviceData(kind="tablet", ram_gb=Decimal(1))
    )
    assert tablet.meets_minimum is None  # no minimum for tablets yet
    minimum_spec_set(
        actor=stock["officer"], campaign=stock["campaign"], kind="laptop",
        ram_gb=Decimal("4.5"), storage_gb=128,
    )  # fmt: skip
    verdicts = dict(Device.objects.values_list("serial", "meets_minimum"))
    assert (verdicts["A1"], verdicts["A2"], verdicts["A3"]) == (True, False, False)
    minimum_spec_set(
        actor=stock["officer"], campaign=stock["campaign"], kind="tablet",
        ram_gb=Decimal(2), storage_gb=32, screen_inches=Decimal("8.0"),
    )  # fmt: skip
    tablet.refresh_from_db()
    assert tablet.meets_minimum is False
    entry = AuditEntry.objects.filter(action="minimum_spec.set").latest("pk")
    assert entry.changes["devices_rechecked"] == 1


def test_a_donation_cannot_bring_more_devices_than_its_receipt_lists(stock):
    devices_register(
        actor=None, campaign=stock["campaign"], origin_donation=stock["donation"],
        rows=[DeviceData(kind="tablet", serial=f"TAB{n}") for n in range(10)],
    )  # fmt: skip
    with pytest.raises(DomainError, match="chỉ ghi nhận 10"):
        device_register(
            actor=None, campaign=stock["campaign"], origin_donation=stock["donation"],
            data=DeviceData(kind="tablet", serial="TAB10"),
        )  # fmt: skip
    assert Device.objects.filter(origin_donation=stock["donation"]).count() == 10


def test_a_too_long_model_or_an_empty_batch_is_refused_with_a_message():
    from songmay.inventory.services import DeviceData, device_clean

    with pytest.raises(DomainError, match="Model dài quá 120 ký tự"):
        device_clean(DeviceData(kind="laptop", model="X" * 121))
    with pytest.raises(DomainError, match="RAM \\(GB\\) phải nhỏ hơn 10000"):
        device_clean(DeviceData(kind="laptop", ram_gb=Decimal(16384)))
    with pytest.raises(DomainError, match="IMEI “4901542032375196” không hợp lệ"):
        device_clean(DeviceData(kind="smartphone", imei="4901542032375196"))
