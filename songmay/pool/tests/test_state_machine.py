"""The loan state machine: every allowed step works, every forbidden one is refused with a
Vietnamese message and writes nothing, and the counts reconcile after any sequence."""

import datetime as dt
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from songmay.audit.models import AuditEntry
from songmay.inventory.models import Device, DeviceEvent
from songmay.lib.errors import DomainError
from songmay.pool.models import Loan, LoanStatus, Transfer, TransferItem, WriteOff
from songmay.pool.services import (
    loan_out,
    loan_return,
    repair_finish,
    write_off_decide,
    write_off_request,
)

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def lend(w, device, **kwargs):
    kwargs.setdefault("school", w["schools"]["lucngan"])
    return loan_out(
        actor=w["officer"], devices=[device], due_on=today() + dt.timedelta(days=30), **kwargs
    )[0]


def give_back(w, loan, condition="good", note=""):
    return loan_return(
        actor=w["officer"], loan=loan, returned_on=today(), condition=condition, note=note
    )


def status(device):
    return Device.objects.get(pk=device.pk).status


# ---- Every allowed transition ----


def test_lend_moves_an_available_device_on_loan(pool_world):
    w = pool_world
    loan = lend(w, w["tablets"][0])
    assert status(w["tablets"][0]) == "on_loan"
    assert loan.status == LoanStatus.OUT


@pytest.mark.parametrize(
    ("condition", "expected"),
    [("new", "available"), ("good", "available"), ("fair", "available"),
     ("needs_repair", "in_repair"), ("unusable", "in_repair")],
)  # fmt: skip
def test_return_sends_the_device_where_its_condition_says(pool_world, condition, expected):
    w = pool_world
    loan = give_back(w, lend(w, w["tablets"][0]), condition, note="Vỡ màn hình")
    assert status(w["tablets"][0]) == expected
    assert loan.status == LoanStatus.RETURNED
    pending = WriteOff.objects.filter(device=w["tablets"][0], status="pending")
    assert pending.exists() == (condition == "unusable")


def test_repair_finish_puts_the_device_back_in_the_pool(pool_world):
    w = pool_world
    give_back(w, lend(w, w["tablets"][0]), "needs_repair")
    repair_finish(actor=w["officer"], device=w["tablets"][0], condition="good")
    assert status(w["tablets"][0]) == "available"
    lend(w, w["tablets"][0])  # and it can be lent again
    assert status(w["tablets"][0]) == "on_loan"


def test_write_off_approved_by_a_second_person(pool_world):
    w = pool_world
    give_back(w, lend(w, w["tablets"][0]), "needs_repair")
    request = write_off_request(actor=w["officer"], device=w["tablets"][0], reason="Hỏng main")
    write_off_decide(actor=w["officer2"], write_off=request, approve=True)
    assert status(w["tablets"][0]) == "written_off"


def test_write_off_rejected_leaves_the_device_in_repair(pool_world):
    w = pool_world
    give_back(w, lend(w, w["tablets"][0]), "unusable", note="Rơi xuống nước")
    request = WriteOff.objects.get(device=w["tablets"][0])
    decided = write_off_decide(actor=w["officer2"], write_off=request, approve=False)
    assert decided.status == "rejected"
    assert status(w["tablets"][0]) == "in_repair"
    repair_finish(actor=w["officer"], device=w["tablets"][0], condition="fair")
    assert status(w["tablets"][0]) == "available"


# ---- Every forbidden one: refused, explained, nothing written ----


def _written():
    return (
        Loan.objects.count(),
        Loan.objects.filter(status="out").count(),
        DeviceEvent.objects.count(),
        AuditEntry.objects.count(),
        WriteOff.objects.count(),
        WriteOff.objects.filter(status="pending").count(),
        tuple(Device.objects.order_by("pk").values_list("status", "school_id", "warehouse_id")),
    )


def _returned(w):
    loan = lend(w, w["tablets"][0])
    give_back(w, loan)
    return loan


def _in_repair(w):
    give_back(w, lend(w, w["tablets"][0]), "needs_repair")
    return w["tablets"][0]


def _written_off(w):
    device = _in_repair(w)
    request = write_off_request(actor=w["officer"], device=device, reason="Hỏng")
    write_off_decide(actor=w["officer2"], write_off=request, approve=True)
    return device


def _pending(w):
    device = _in_repair(w)
    return write_off_request(actor=w["officer"], device=device, reason="Hỏng")


def _in_transit(w):
    transfer = Transfer.objects.create(
        campaign=w["campaign"], number=1, from_warehouse=w["store"],
        to_school=w["schools"]["sondong"], status="in_transit",
    )  # fmt: skip
    TransferItem.objects.create(transfer=transfer, device=w["tablets"][0])
    return w["tablets"][0]


FORBIDDEN = {
    "return of a device that is not on loan": (
        _returned,
        give_back,
        "đã được trả",
    ),
    "loan of a written-off device": (
        _written_off,
        lend,
        "đã thanh lý",
    ),
    "loan of a device already on loan": (
        lambda w: lend(w, w["tablets"][0]).device,
        lambda w, device: lend(w, device, school=w["schools"]["sondong"]),
        "đang được cho mượn",
    ),
    "loan of a device in repair": (_in_repair, lend, "sửa chữa"),
    "loan of a device not yet inspected ready": (
        lambda w: w["weak"],
        lend,
        "chưa sẵn sàng cấp phát",
    ),
    "loan of a device in transit": (
        _in_transit,
        lend,
        "phiếu điều chuyển",
    ),
    "loan to a pupil whose need is not confirmed": (
        lambda w: w["tablets"][0],
        lambda w, device: lend(w, device, school=None, need=w["need_unconfirmed"]),
        "đã xác nhận",
    ),
    "loan with a due date in the past": (
        lambda w: w["tablets"][0],
        lambda w, device: loan_out(
            actor=w["officer"],
            devices=[device],
            school=w["schools"]["lucngan"],
            due_on=today() - dt.timedelta(days=1),
        ),
        "Hạn trả phải từ hôm nay",
    ),
    "return dated before the loan": (
        lambda w: lend(w, w["tablets"][0]),
        lambda w, loan: loan_return(
            actor=w["officer"],
            loan=loan,
            condition="good",
            returned_on=today() - dt.timedelta(days=1),
        ),
        "trước ngày cho mượn",
    ),
    "return of an unusable device without a reason": (
        lambda w: lend(w, w["tablets"][0]),
        lambda w, loan: give_back(w, loan, "unusable"),
        "hãy ghi lý do",
    ),
    "repair finish of a device not in repair": (
        lambda w: w["tablets"][0],
        lambda w, device: repair_finish(actor=w["officer"], device=device, condition="good"),
        "không nằm trong hàng chờ sửa chữa",
    ),
    "repair finish of an unusable device": (
        _in_repair,
        lambda w, device: repair_finish(actor=w["officer"], device=device, condition="unusable"),
        "đề nghị thanh lý",
    ),
    "repair finish while a write-off waits": (
        lambda w: _pending(w).device,
        lambda w, device: repair_finish(actor=w["officer"], device=device, condition="good"),
        "chờ duyệt thanh lý",
    ),
    "write-off of a device not in repair": (
        lambda w: w["tablets"][0],
        lambda w, device: write_off_request(actor=w["officer"], device=device, reason="Cũ"),
        "chỉ thiết bị đang sửa chữa",
    ),
    "a second write-off request for the same device": (
        lambda w: _pending(w).device,
        lambda w, device: write_off_request(actor=w["officer"], device=device, reason="Cũ"),
        "đang chờ duyệt",
    ),
    "write-off approved by the person who asked": (
        _pending,
        lambda w, request: write_off_decide(actor=w["officer"], write_off=request, approve=True),
        "người thứ hai",
    ),
    "write-off decided twice": (
        lambda w: write_off_decide(actor=w["officer2"], write_off=_pending(w), approve=False),
        lambda w, request: write_off_decide(actor=w["officer2"], write_off=request, approve=True),
        "đã được quyết định",
    ),
}


@pytest.mark.parametrize("case", sorted(FORBIDDEN))
def test_forbidden_transition_is_refused_with_a_message_and_writes_nothing(pool_world, case):
    prepare, attempt, message = FORBIDDEN[case]
    subject = prepare(pool_world)
    before = _written()
    with pytest.raises(DomainError) as refused:
        attempt(pool_world, subject)
    assert message.lower() in refused.value.message.lower()
    assert _written() == before


# ---- Any sequence: the database agrees with a plain model of the rules ----

OPS = ["lend", "return", "repair", "request", "approve", "reject"]
CONDITIONS = ["good", "fair", "needs_repair", "unusable"]


class Model:
    """The rules in plain Python: what each device's status should be."""

    def __init__(self, devices):
        self.status = {device.pk: device.status for device in devices}
        self.pending: set[int] = set()

    def expect(self, op, pk, condition):  # noqa: PLR0911 - one answer per operation
        """The new status if `op` is allowed, else None."""
        current = self.status[pk]
        if op == "lend":
            return "on_loan" if current == "available" else None
        if op == "return":
            if current != "on_loan":
                return None
            return "available" if condition in ("good", "fair") else "in_repair"
        if op == "repair":
            ok = current == "in_repair" and condition in ("good", "fair") and pk not in self.pending
            return "available" if ok else None
        if op == "request":
            return "in_repair" if current == "in_repair" and pk not in self.pending else None
        if pk not in self.pending:  # approve, reject
            return None
        return "written_off" if op == "approve" else "in_repair"

    def apply(self, op, pk, condition, new):
        self.status[pk] = new
        if (op == "return" and condition == "unusable") or op == "request":
            self.pending.add(pk)
        if op in ("approve", "reject"):
            self.pending.discard(pk)


def _run(w, op, device, condition):
    if op == "lend":
        lend(w, device)
    elif op == "return":
        loan = Loan.objects.filter(device=device, status="out").first()
        if loan is None:
            loan = Loan.objects.filter(device=device).first()
        if loan is None:
            raise DomainError("không có lượt mượn")
        give_back(w, loan, condition, note="Hỏng nặng")
    elif op == "repair":
        repair_finish(actor=w["officer"], device=device, condition=condition)
    elif op == "request":
        write_off_request(actor=w["officer"], device=device, reason="Hỏng")
    else:
        request = WriteOff.objects.filter(device=device, status="pending").first()
        if request is None:
            request = WriteOff.objects.filter(device=device).first()
        if request is None:
            raise DomainError("không có đề nghị")
        write_off_decide(actor=w["officer2"], write_off=request, approve=op == "approve")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 2), st.sampled_from(CONDITIONS)),
        max_size=14,
    )
)
def test_counts_reconcile_after_any_sequence_of_operations(pool_world, steps):
    w = pool_world
    devices = w["tablets"][:3]
    inventory = Device.objects.filter(campaign=w["campaign"]).count()
    savepoint = transaction.savepoint()
    try:
        model = Model(Device.objects.filter(pk__in=[d.pk for d in devices]))
        for op, index, condition in steps:
            device = devices[index]
            expected = model.expect(op, device.pk, condition)
            try:
                _run(w, op, device, condition)
            except DomainError:
                assert expected is None, (op, index, condition)
            else:
                assert expected is not None, (op, index, condition)
                model.apply(op, device.pk, condition, expected)
            by_status = Counter(
                Device.objects.filter(campaign=w["campaign"]).values_list("status", flat=True)
            )
            assert sum(by_status.values()) == inventory
            for pk, want in model.status.items():
                assert Device.objects.get(pk=pk).status == want
            assert by_status["on_loan"] == Loan.objects.filter(status="out").count()
            assert WriteOff.objects.filter(status="pending").count() == len(model.pending)
            assert by_status["written_off"] == WriteOff.objects.filter(status="approved").count()
    finally:
        transaction.savepoint_rollback(savepoint)
