import datetime as dt

import pytest
from django.utils import timezone

from songmay.audit.models import AuditEntry
from songmay.inventory.models import Device, DeviceEvent
from songmay.lib.errors import DomainError
from songmay.pool.models import Transfer, TransferItem, TransferStatus
from songmay.pool.transfer_services import (
    transfer_approve,
    transfer_cancel,
    transfer_close,
    transfer_receive,
    transfer_request,
    transfer_send,
)

pytestmark = pytest.mark.django_db


def _sent(world, devices=None, to="sondong"):
    officer = world["officer"]
    transfer = transfer_request(
        actor=officer,
        campaign=world["campaign"],
        devices=devices or world["tablets"][:2],
        to_school=world["schools"][to],
        reason="Trường Sơn Động học trực tuyến",
    )
    transfer_approve(actor=officer, transfer=transfer)
    return transfer_send(actor=officer, transfer=transfer)


def _refused(call, message, **kwargs):
    """The service refuses with `message` and writes nothing at all."""
    counts = (Transfer.objects.count(), TransferItem.objects.count(), AuditEntry.objects.count(),
              DeviceEvent.objects.count())  # fmt: skip
    places = list(Device.objects.order_by("pk").values_list("school_id", "warehouse_id"))
    with pytest.raises(DomainError) as error:
        call(**kwargs)
    assert message in error.value.message
    assert counts == (Transfer.objects.count(), TransferItem.objects.count(),
                      AuditEntry.objects.count(), DeviceEvent.objects.count())  # fmt: skip
    assert places == list(Device.objects.order_by("pk").values_list("school_id", "warehouse_id"))
    return error.value.message


def test_a_transfer_goes_from_request_to_receipt_by_scanning_each_label(transfer_world):
    world = transfer_world
    a, b = world["tablets"][:2]
    transfer = _sent(world)
    assert transfer.status == TransferStatus.IN_TRANSIT
    for device in (a, b):
        device.refresh_from_db()
        assert device.school_id is None and device.warehouse_id is None
    # One label scanned (the QR code holds the device page's address), one tag typed.
    staff = world["staff_sd"]
    transfer = transfer_receive(
        actor=staff, transfer=transfer, tags=[f"https://songmay.vn/inventory/devices/{a.pk}/"]
    )
    assert transfer.status == TransferStatus.IN_TRANSIT
    transfer = transfer_receive(actor=staff, transfer=transfer, tags=[f" {b.asset_tag.lower()} "])
    assert transfer.status == TransferStatus.RECEIVED
    for device in (a, b):
        device.refresh_from_db()
        assert device.school == world["schools"]["sondong"]
        moves = list(device.events.filter(kind="moved").values_list("from_location", "to_location"))
        assert moves == [
            ("Kho Sở GD&ĐT Bắc Ninh", "Đang vận chuyển"),
            ("Đang vận chuyển", str(world["schools"]["sondong"])),
        ]
    assert not TransferItem.objects.filter(transfer=transfer, open=True).exists()


def test_a_device_in_transit_cannot_be_sent_again(transfer_world):
    world = transfer_world
    transfer = _sent(world)
    device = Device.objects.get(pk=world["tablets"][0].pk)
    message = _refused(
        transfer_request, "đang vận chuyển", actor=world["officer"], campaign=world["campaign"],
        devices=[device], to_school=world["schools"]["lucngan"],
    )  # fmt: skip
    assert device.asset_tag in message
    assert transfer.items.filter(open=True).count() == 2


def test_a_requested_device_cannot_be_on_two_transfers(transfer_world):
    world = transfer_world
    first = transfer_request(
        actor=world["officer"], campaign=world["campaign"], devices=world["tablets"][:1],
        to_school=world["schools"]["sondong"],
    )  # fmt: skip
    _refused(
        transfer_request, str(first), actor=world["officer"], campaign=world["campaign"],
        devices=world["tablets"][:2], to_school=world["schools"]["lucngan"],
    )  # fmt: skip


def test_a_device_on_loan_cannot_be_transferred(transfer_world):
    from songmay.pool.services import loan_out

    world = transfer_world
    loan_out(
        actor=world["officer"], devices=[world["laptop"]], school=world["schools"]["lucngan"],
        due_on=timezone.localdate() + dt.timedelta(days=30),
    )  # fmt: skip
    laptop = Device.objects.get(pk=world["laptop"].pk)
    _refused(
        transfer_request, "đang cho mượn", actor=world["officer"], campaign=world["campaign"],
        devices=[laptop], to_school=world["schools"]["sondong"],
    )  # fmt: skip


def test_receiving_a_tag_not_on_the_transfer_is_refused_and_nothing_arrives(transfer_world):
    world = transfer_world
    transfer = _sent(world)
    stranger = world["tablets"][3]
    message = _refused(
        transfer_receive, "không có trong Phiếu điều chuyển số 1", actor=world["staff_sd"],
        transfer=transfer, tags=[world["tablets"][0].asset_tag, stranger.asset_tag],
    )  # fmt: skip
    assert stranger.asset_tag in message
    assert not transfer.items.filter(received_at__isnull=False).exists()


def test_a_label_scanned_twice_says_when_it_was_confirmed(transfer_world):
    world = transfer_world
    transfer = _sent(world)
    tag = world["tablets"][0].asset_tag
    transfer_receive(actor=world["staff_sd"], transfer=transfer, tags=[tag])
    _refused(
        transfer_receive, "đã được xác nhận nhận lúc", actor=world["staff_sd"],
        transfer=transfer, tags=[tag],
    )  # fmt: skip


def test_forbidden_steps_are_refused_with_the_transfers_state(transfer_world):
    world = transfer_world
    officer = world["officer"]
    transfer = transfer_request(
        actor=officer, campaign=world["campaign"], devices=world["tablets"][:1],
        to_school=world["schools"]["sondong"],
    )  # fmt: skip
    _refused(transfer_send, "chỉ gửi đi được phiếu “Đã duyệt”", actor=officer, transfer=transfer)
    _refused(
        transfer_receive, "“Đã đề nghị”", actor=officer, transfer=transfer,
        tags=[world["tablets"][0].asset_tag],
    )  # fmt: skip
    _refused(transfer_close, "chỉ đóng được", actor=officer, transfer=transfer)
    transfer_approve(actor=officer, transfer=transfer)
    _refused(transfer_approve, "chỉ duyệt được", actor=officer, transfer=transfer)
    transfer_send(actor=officer, transfer=transfer)
    _refused(transfer_cancel, "chỉ huỷ được", actor=officer, transfer=transfer)


def test_a_school_cannot_receive_another_schools_transfer(transfer_world):
    world = transfer_world
    transfer = _sent(world)
    _refused(
        transfer_receive, "ngoài phạm vi", actor=world["staff_ln"],
        transfer=transfer, tags=[world["tablets"][0].asset_tag],
    )  # fmt: skip


def test_devices_from_two_places_or_to_the_same_place_are_refused(transfer_world):
    world = transfer_world
    _refused(
        transfer_request, "đi từ một nơi", actor=world["officer"], campaign=world["campaign"],
        devices=[world["tablets"][0], world["laptop"]], to_school=world["schools"]["sondong"],
    )  # fmt: skip
    _refused(
        transfer_request, "trùng với nơi gửi", actor=world["officer"],
        campaign=world["campaign"], devices=[world["laptop"]],
        to_school=world["schools"]["lucngan"],
    )  # fmt: skip


def test_an_officer_of_another_province_cannot_move_devices(transfer_world):
    world = transfer_world
    _refused(
        transfer_request, "ngoài phạm vi", actor=world["officer_pt"], campaign=world["campaign"],
        devices=world["tablets"][:1], to_school=world["schools"]["sondong"],
    )  # fmt: skip


def test_closing_marks_what_did_not_arrive_as_missing(transfer_world):
    world = transfer_world
    a, b = world["tablets"][:2]
    transfer = _sent(world)
    transfer_receive(actor=world["staff_sd"], transfer=transfer, tags=[a.asset_tag])
    missing = transfer_close(actor=world["officer"], transfer=transfer)
    assert [device.pk for device in missing] == [b.pk]
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    item = transfer.items.get(device=b)
    assert item.missing and not item.open
    b.refresh_from_db()
    assert b.school_id is None and b.warehouse_id is None
    assert b.events.last().to_location == "Thất lạc"
    # A missing device cannot be sent anywhere; when it turns up, its label still scans in.
    _refused(
        transfer_request, "chưa xếp vị trí (hoặc thất lạc)", actor=world["officer"],
        campaign=world["campaign"], devices=[b], to_school=world["schools"]["lucngan"],
    )  # fmt: skip
    transfer_receive(actor=world["staff_sd"], transfer=transfer, tags=[b.asset_tag])
    b.refresh_from_db()
    assert b.school == world["schools"]["sondong"]
    assert not transfer.items.filter(missing=True).exists()


def test_cancelling_before_sending_frees_the_devices(transfer_world):
    world = transfer_world
    officer = world["officer"]
    transfer = transfer_request(
        actor=officer, campaign=world["campaign"], devices=world["tablets"][:2],
        to_school=world["schools"]["sondong"],
    )  # fmt: skip
    transfer_cancel(actor=officer, transfer=transfer)
    again = transfer_request(
        actor=officer, campaign=world["campaign"], devices=world["tablets"][:2],
        to_warehouse=None, to_school=world["schools"]["lucngan"],
    )  # fmt: skip
    assert again.number == transfer.number + 1
    assert Device.objects.get(pk=world["tablets"][0].pk).warehouse == world["store"]


def test_a_device_is_never_in_two_places(transfer_world):
    """At every step each device has one school, one store, or one open transfer item."""
    world = transfer_world

    def check():
        for device in Device.objects.filter(campaign=world["campaign"]):
            placed = (device.school_id is not None) + (device.warehouse_id is not None)
            moving = TransferItem.objects.filter(
                device=device, open=True, transfer__status="in_transit"
            ).count()
            assert placed + moving == 1, device.asset_tag

    check()
    transfer = _sent(world)
    check()
    transfer_receive(
        actor=world["staff_sd"], transfer=transfer, tags=[world["tablets"][0].asset_tag]
    )
    check()
    transfer_receive(
        actor=world["staff_sd"], transfer=transfer, tags=[world["tablets"][1].asset_tag]
    )
    check()


def test_a_device_on_a_transfer_cannot_be_moved_by_hand_or_offered_to_allocation(transfer_world):
    from songmay.allocation.inputs import eligible_devices
    from songmay.inventory.services import device_move

    world = transfer_world
    transfer = transfer_request(
        actor=world["officer"],
        campaign=world["campaign"],
        devices=world["tablets"][:1],
        to_school=world["schools"]["sondong"],
    )
    tablet = world["tablets"][0]
    assert not eligible_devices(world["campaign"]).filter(pk=tablet.pk).exists()
    _refused(
        device_move,
        "đang nằm trên một phiếu điều chuyển",
        actor=world["officer"],
        device=tablet,
        school=world["schools"]["lucngan"],
    )
    transfer_cancel(actor=world["officer"], transfer=transfer)
    assert eligible_devices(world["campaign"]).filter(pk=tablet.pk).exists()


def test_a_transfer_from_the_command_line_from_request_to_missing(transfer_world):
    import io

    from django.core.management import CommandError, call_command

    world = transfer_world
    tags = [tablet.asset_tag for tablet in world["tablets"][:2]]
    out = io.StringIO()
    call_command(
        "pool", "transfer", str(world["campaign"].pk), *tags,
        "--to-school", world["schools"]["sondong"].code, "--reason", "Học trực tuyến",
        stdout=out,
    )  # fmt: skip
    transfer = Transfer.objects.get()
    assert f"chờ duyệt: songmay pool transfer-approve {transfer.pk}" in out.getvalue()
    for step in ("transfer-approve", "transfer-send"):
        call_command("pool", step, str(transfer.pk), stdout=out)
    call_command("pool", "transfer-receive", str(transfer.pk), tags[0], stdout=out)
    assert "đã nhận 1/2 thiết bị" in out.getvalue()
    with pytest.raises(CommandError, match="TB"):
        call_command("pool", "transfer-receive", str(transfer.pk), "TB999-999999", stdout=out)
    call_command("pool", "transfer-close", str(transfer.pk), stdout=out)
    assert f"1 thiết bị thất lạc: {tags[1]}." in out.getvalue()
    with pytest.raises(CommandError, match="Không có phiếu điều chuyển mã số 999"):
        call_command("pool", "transfer-cancel", "999")
