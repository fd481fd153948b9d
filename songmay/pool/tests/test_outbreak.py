import datetime as dt

import pytest
from django.utils import timezone

from songmay.accounts.scope import Role
from songmay.allocation.engine import Assigned, Device, Pupil, Result
from songmay.allocation.selectors import policy_for
from songmay.pool.models import Loan, TransferStatus
from songmay.pool.rebalance import plan, rebalance_propose
from songmay.pool.transfer_services import (
    outbreak_declare,
    outbreak_end,
    rebalance_approve,
    transfer_receive,
    transfer_send,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbreak_world(areas, make_user):
    """Bắc Ninh (code 24): three communes about to close, each with a school and pupils in
    need; idle tablets in the province's store and at a school of an open commune."""
    from songmay.areas.models import Area
    from songmay.areas.services import SchoolData, school_create
    from songmay.campaigns.services import CampaignData, campaign_create
    from songmay.inventory.services import (
        DeviceData,
        device_status_change,
        devices_register,
        warehouse_create,
    )
    from songmay.students.services import StudentData, needs_confirm, student_register

    province = Area.objects.get(code="24")
    communes = list(Area.objects.filter(parent=province).order_by("code")[:4])
    closed, open_commune = communes[:3], communes[3]
    officer = make_user(Role.PROVINCE_OFFICER, area=province)
    campaign = campaign_create(
        actor=None, data=CampaignData(name="Bắc Ninh – dạy học trực tuyến", area=province)
    )
    schools = [
        school_create(
            actor=None,
            data=SchoolData(
                code=f"OB-{c.code}", name=f"Trường TH {c.name}", area=c, levels=["primary"]
            ),
        )
        for c in communes
    ]
    households = ["poor", "near_poor", "hardship"]
    needs = []
    for index, school in enumerate(schools[:3]):
        for n, household in enumerate(households):
            needs.append(
                student_register(
                    actor=None,
                    campaign=campaign,
                    school=school,
                    data=StudentData(
                        full_name=f"Học Sinh {index}{n}",
                        date_of_birth=dt.date(2013, 1 + n, 1 + index),
                        level="primary",
                        lacking="device",
                        household=household,
                    ),
                )
            )
    needs_confirm(actor=officer, needs=needs)
    store = warehouse_create(actor=officer, name="Kho Sở Bắc Ninh", area=province)
    devices = devices_register(
        actor=officer, campaign=campaign,
        rows=[DeviceData("tablet", serial=f"OB-KHO-{n}") for n in range(4)], warehouse=store,
    ) + devices_register(
        actor=officer, campaign=campaign,
        rows=[DeviceData("tablet", serial=f"OB-MO-{n}") for n in range(2)], school=schools[3],
    )  # fmt: skip
    for device in devices:
        device_status_change(actor=officer, device=device, status="inspected")
        device_status_change(actor=officer, device=device, status="available")
    return {
        "campaign": campaign, "officer": officer, "closed": closed, "open": open_commune,
        "schools": schools, "needs": needs, "devices": devices, "store": store,
    }  # fmt: skip


def test_declaring_an_outbreak_ranks_its_areas_first_in_allocation(outbreak_world):
    w = outbreak_world
    outbreak = outbreak_declare(
        actor=w["officer"], campaign=w["campaign"], areas=w["closed"],
        starts_on=dt.date(2021, 9, 6), decision="Quyết định 123/QĐ-UBND ngày 05/09/2021",
    )  # fmt: skip
    online = set(policy_for(w["campaign"]).online_areas.all())
    assert online == set(w["closed"])
    assert set(outbreak.areas.all()) == set(w["closed"])


def test_an_outbreak_needs_a_decision_and_a_place(outbreak_world):
    from songmay.lib.errors import DomainError

    w = outbreak_world
    with pytest.raises(DomainError, match="quyết định"):
        outbreak_declare(
            actor=w["officer"], campaign=w["campaign"], areas=w["closed"],
            starts_on=dt.date(2021, 9, 6), decision="  ",
        )  # fmt: skip
    with pytest.raises(DomainError, match="ít nhất một"):
        outbreak_declare(
            actor=w["officer"], campaign=w["campaign"], starts_on=dt.date(2021, 9, 6),
            decision="QĐ 1",
        )  # fmt: skip


def test_outbreak_scenario_moves_idle_devices_to_closed_communes_and_lends_on_arrival(
    outbreak_world,
):
    w = outbreak_world
    officer = w["officer"]
    outbreak = outbreak_declare(
        actor=officer, campaign=w["campaign"], areas=w["closed"],
        starts_on=dt.date(2021, 9, 6), decision="Quyết định 123/QĐ-UBND",
    )  # fmt: skip
    proposal = rebalance_propose(actor=officer, outbreak=outbreak)
    # Nine pupils in need in the closed communes, six idle tablets: poor and near-poor first.
    assert proposal["pupils"] == 9
    assert proposal["served"] == 6
    served_by_tier = [tier["served"] for tier in proposal["tiers"]]
    assert served_by_tier == [3, 3, 0]
    closed_schools = {school.pk for school in w["schools"][:3]}
    assert {move["to_school"] for move in proposal["moves"]} == closed_schools
    assert [move["best_tier"] for move in proposal["moves"]] == sorted(
        move["best_tier"] for move in proposal["moves"]
    )
    matched = {need for move in proposal["moves"] for need in move["needs"]}
    poor = {need.pk for need in w["needs"] if need.household in ("poor", "near_poor")}
    assert matched == poor

    transfers = rebalance_approve(actor=officer, outbreak=outbreak, proposal=proposal)
    assert len(transfers) == len(proposal["moves"])
    assert all(t.status == TransferStatus.APPROVED and t.outbreak == outbreak for t in transfers)
    for transfer in transfers:
        transfer_send(actor=officer, transfer=transfer)
        staff = _staff_of(transfer.to_school)
        tags = [
            f"http://testserver/inventory/devices/{item.device_id}/"
            for item in transfer.items.all()
        ]
        for tag in tags:  # one scan at a time, as at the school gate
            received = transfer_receive(actor=staff, transfer=transfer, tags=[tag])
        assert received.status == TransferStatus.RECEIVED
    loans = Loan.objects.filter(need__in=matched, status="out")
    assert loans.count() == 6
    assert {loan.device.school_id for loan in loans} <= closed_schools

    recall = outbreak_end(actor=officer, outbreak=outbreak, ends_on=timezone.localdate())
    assert recall is not None and recall.items.count() == 6
    assert not policy_for(w["campaign"]).online_areas.exists()


def _staff_of(school):
    from songmay.accounts.services import UserData, user_create

    return user_create(
        actor=None,
        data=UserData(
            username=f"staff-{school.pk}",
            full_name="Cán bộ trường",
            role=Role.SCHOOL_STAFF,
            school=school,
        ),
        password="mật-khẩu-đủ-dài-2021",
    )


def test_plan_groups_the_engines_matches_by_origin_and_destination():
    pupils = [
        Pupil(id=i, level="primary", household="poor", school=10 + i % 2, commune=1, province=9)
        for i in range(4)
    ]
    devices = [
        Device(id=100, kind="tablet", school=None, commune=None, province=9),
        Device(id=101, kind="tablet", school=None, commune=None, province=9),
        Device(id=102, kind="laptop", school=11, commune=1, province=9),
        Device(id=103, kind="tablet", school=20, commune=2, province=9),
    ]
    result = Result(
        assigned=[
            Assigned(pupil=0, device=100, tier=0, preference=0, distance=2, why=""),
            Assigned(pupil=2, device=101, tier=1, preference=0, distance=2, why=""),
            Assigned(pupil=1, device=102, tier=0, preference=1, distance=0, why=""),
            Assigned(pupil=3, device=103, tier=1, preference=0, distance=1, why=""),
        ],
        left=[], idle_devices=[], tiers=[],
    )  # fmt: skip
    moves, local = plan(result, pupils, devices, {100: 7, 101: 7})
    assert [
        (m["from_warehouse"], m["from_school"], m["to_school"], m["devices"], m["needs"])
        for m in moves
    ] == [
        (7, None, 10, [100, 101], [0, 2]),
        (None, 20, 11, [103], [3]),
    ]
    assert moves[0]["tiers"] == {"0": 1, "1": 1}
    assert [(m["from_school"], m["to_school"], m["devices"]) for m in local] == [(11, 11, [102])]
