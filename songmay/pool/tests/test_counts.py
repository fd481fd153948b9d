import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from songmay.inventory.models import Device
from songmay.lib.errors import DomainError
from songmay.pool.counts import pool_counts
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


def _row(counts, label):
    return next(row for row in counts.rows if label in row.label)


def test_each_place_shows_held_in_transit_and_missing_and_the_total_is_the_inventory(
    transfer_world,
):
    w = transfer_world
    officer = w["officer"]
    counts = pool_counts(user=officer, campaign=w["campaign"])
    assert (_row(counts, "Kho").held, _row(counts, "Lục Ngạn").held) == (4, 1)
    assert counts.inventory == 5 and counts.reconciles
    transfer = transfer_request(
        actor=officer, campaign=w["campaign"], devices=w["tablets"][:3],
        to_school=w["schools"]["sondong"],
    )  # fmt: skip
    transfer_approve(actor=officer, transfer=transfer)
    transfer_send(actor=officer, transfer=transfer)
    transfer_receive(actor=officer, transfer=transfer, tags=[w["tablets"][0].asset_tag])
    counts = pool_counts(user=officer, campaign=w["campaign"])
    sondong = _row(counts, "Sơn Động")
    assert (sondong.held, sondong.transit) == (1, 2)
    assert _row(counts, "Kho").held == 1
    transfer_close(actor=officer, transfer=transfer)
    counts = pool_counts(user=officer, campaign=w["campaign"])
    assert _row(counts, "Thất lạc").held == 2
    assert counts.totals.total == counts.inventory == 5
    assert counts.reconciles
    tablets = next(row for row in counts.by_kind if row.label == "Máy tính bảng")
    assert tablets.total == 4


def test_counts_stay_in_scope(transfer_world):
    w = transfer_world
    counts = pool_counts(user=w["officer_pt"], campaign=w["campaign"])
    assert counts.rows == [] and counts.inventory == 0
    staff = pool_counts(user=w["staff_ln"], campaign=w["campaign"])
    assert [row.label for row in staff.rows] == [str(w["schools"]["lucngan"].name)]


# A random sequence of transfer steps: whatever happens, every device is counted once.
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["request", "approve", "send", "receive", "close", "cancel"]),
        st.integers(0, 4),  # which device(s) or transfer
        st.sampled_from(["sondong", "lucngan", "store"]),
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_counts_reconcile_after_any_sequence_of_transfer_steps(transfer_world, steps):
    w = transfer_world
    officer = w["officer"]
    devices = [*w["tablets"], w["laptop"]]
    with transaction.atomic():
        for action, index, where in steps:
            transfers = list(Transfer.objects.filter(campaign=w["campaign"]).order_by("pk"))
            transfer = transfers[index % len(transfers)] if transfers else None
            try:
                if action == "request":
                    device = Device.objects.get(pk=devices[index].pk)
                    here = Device.objects.filter(
                        school_id=device.school_id, warehouse_id=device.warehouse_id
                    )
                    same = list(here.order_by("pk"))[: 1 + index % 3]
                    target = (
                        {"to_warehouse": w["store"]}
                        if where == "store"
                        else {"to_school": w["schools"][where]}
                    )
                    transfer_request(actor=officer, campaign=w["campaign"], devices=same, **target)
                elif transfer is None:
                    continue
                elif action == "approve":
                    transfer_approve(actor=officer, transfer=transfer)
                elif action == "send":
                    transfer_send(actor=officer, transfer=transfer)
                elif action == "receive":
                    item = transfer.items.filter(received_at__isnull=True).first()
                    if item is not None:
                        transfer_receive(
                            actor=officer, transfer=transfer, tags=[item.device.asset_tag]
                        )
                elif action == "close":
                    transfer_close(actor=officer, transfer=transfer)
                else:
                    transfer_cancel(actor=officer, transfer=transfer)
            except DomainError:
                pass
            counts = pool_counts(user=officer, campaign=w["campaign"])
            assert counts.reconciles, steps
            assert counts.inventory == len(devices)
            for device in Device.objects.filter(campaign=w["campaign"]):
                placed = (device.school_id is not None) + (device.warehouse_id is not None)
                travelling = TransferItem.objects.filter(
                    device=device, open=True, transfer__status=TransferStatus.IN_TRANSIT
                ).count()
                lost = TransferItem.objects.filter(device=device, missing=True).exists()
                assert placed + travelling + lost == 1, (device.asset_tag, steps)
        transaction.set_rollback(True)
