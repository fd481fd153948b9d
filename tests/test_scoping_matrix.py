"""The scoping matrix, built from the URL configuration.

Every named URL must be listed below as public, personal (the user's own things) or scoped.
For each scoped page: a user inside the scope gets it, a user of another area or school gets
404, a role that may not use the page gets 403, and an anonymous visitor is sent to log in.
A new URL that is not listed fails `test_every_url_is_in_the_matrix`.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from songmay.accounts.scope import Role


def named_urls(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_urls(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


PUBLIC = {"healthz", "readyz", "set_language", "accounts:login", "accounts:logout"}
# The open pages: aggregates only, tested in songmay/reports/tests/ (no pupil data, <5 hidden).
PUBLIC |= {"reports:public_index", "reports:public_campaign", "reports:public_campaign_csv"}
PUBLIC |= {"reports:donor_trace"}  # the donor's secret link; a wrong or revoked token is a 404


@dataclass
class Case:
    """`insider` may see the object; `outsider` (another area/school) gets 404."""

    insider: str
    outsider: str
    kwargs: Callable[[dict[str, Any]], dict[str, Any]] = lambda world: {}
    method: str = "get"
    forbidden: list[str] = field(default_factory=list)  # roles that get 403
    status: int = 200  # what the insider gets (302 after a POST)


# Roles that may not record gifts or spending.
CHANGE = ["donor", "operator", "auditor", "school", "area"]

SCOPED: dict[str, Case] = {
    "students:detail": Case(
        "school_ln", "school_sd", lambda w: {"pk": w["need_ln"].pk}, forbidden=["donor", "operator"]
    ),
    "students:edit": Case(
        "school_ln",
        "school_sd",
        lambda w: {"pk": w["need_ln"].pk},
        forbidden=["donor", "operator", "auditor", "area", "province_bn"],
    ),
    "students:withdraw": Case(
        "school_ln",
        "school_sd",
        lambda w: {"pk": w["need_ln"].pk},
        method="post",
        status=302,
        forbidden=["donor", "operator", "auditor", "area", "province_bn"],
    ),
    "students:duplicate": Case(
        "area_ln",
        "area_sd",
        lambda w: {"pk": w["pair_ln"].pk},
        forbidden=["donor", "operator", "auditor", "school"],
    ),
    "areas:area_detail": Case(
        "area_ln",
        "area_sd",
        lambda w: {"code": w["lucngan"].code},
        forbidden=["donor", "operator", "school"],
    ),
    "areas:school_detail": Case(
        "school_ln",
        "school_sd",
        lambda w: {"pk": w["school_ln"].pk},
        forbidden=["donor", "operator"],
    ),
    "areas:school_edit": Case(
        "area_ln",
        "area_sd",
        lambda w: {"pk": w["school_ln"].pk},
        forbidden=["donor", "operator", "auditor"],
    ),
    "campaigns:detail": Case("area_ln", "province_pt", lambda w: {"pk": w["campaign_bn"].pk}),
    "campaigns:edit": Case(
        "province_bn",
        "province_pt",
        lambda w: {"pk": w["campaign_bn"].pk},
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "accounts:user_edit": Case(
        "province_bn",
        "province_pt",
        lambda w: {"pk": w["users"]["school_ln"].pk},
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "accounts:token_revoke": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["token_bn"].pk}, method="post", status=302
    ),
    "inventory:device_detail": Case(
        "school_ln",
        "school_sd",
        lambda w: {"pk": w["device_ln"].pk},
        forbidden=["donor", "operator"],
    ),
    "inventory:device_edit": Case(
        "province_bn",
        "province_pt",
        lambda w: {"pk": w["device_ln"].pk},
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "inventory:device_status": Case(
        "province_bn",
        "province_pt",
        lambda w: {"pk": w["device_ln"].pk},
        method="post",
        status=302,
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "inventory:device_move": Case(
        "province_bn",
        "province_pt",
        lambda w: {"pk": w["device_ln"].pk},
        method="post",
        status=302,
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "inventory:minimum_specs": Case(
        "area_ln",
        "province_pt",
        lambda w: {"campaign_pk": w["campaign_bn"].pk},
        forbidden=["donor", "operator"],
    ),
    # The world's donor user belongs to another donor: its letters are a 404, not a 403.
    "donations:donation_letter": Case(
        "province_bn",
        "province_pt",
        lambda w: {"pk": w["receipt_bn"].pk},
        forbidden=["operator", "school", "area"],
    ),
    "donations:donor_detail": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["donor_bn"].pk},
        forbidden=["operator", "school", "area"],
    ),
    "donations:donor_edit": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["donor_bn"].pk}, forbidden=CHANGE,
    ),
    "donations:donor_trace_issue": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["donor_bn"].pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "donations:donor_trace_revoke": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["donor_bn"].pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "donations:pledge_detail": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["pledge_bn"].pk},
        forbidden=["operator", "school", "area"],
    ),
    "donations:pledge_cancel": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["pledge_bn"].pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "donations:donation_detail": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["receipt_bn"].pk},
        forbidden=["operator", "school", "area"],
    ),
    "donations:donation_review": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["receipt_bn"].pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "donations:spending_detail": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["spending_bn"].pk},
        forbidden=["donor", "operator", "school", "area"],
    ),
    # Allocation pages (helpers _allocation_run, _assignment below, made on first use).
    "allocation:policy": Case(
        "area_ln", "province_pt", lambda w: {"campaign_pk": w["campaign_bn"].pk},
        forbidden=["donor", "operator"],
    ),
    "allocation:run_create": Case(
        "province_bn", "province_pt", lambda w: {"campaign_pk": w["campaign_bn"].pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "allocation:run_detail": Case(
        "province_bn", "province_pt", lambda w: {"pk": _allocation_run(w).pk},
        forbidden=["donor", "operator"],
    ),
    "allocation:run_rerun": Case(
        "province_bn", "province_pt", lambda w: {"pk": _allocation_run(w).pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "allocation:run_approve": Case(
        "province_bn", "province_pt", lambda w: {"pk": _allocation_run(w).pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "allocation:run_discard": Case(
        "province_bn", "province_pt", lambda w: {"pk": _allocation_run(w).pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "allocation:handover_record": Case(
        "school_ln", "school_sd", lambda w: {"pk": _assignment(w).pk},
        forbidden=["donor", "operator"],
    ),
    "allocation:handover_scan": Case(
        "school_ln", "school_sd", lambda w: {"pk": _handed_over_with_scan(w).pk},
        forbidden=["donor", "operator"],
    ),
    "allocation:assignment_return": Case(
        "school_ln", "school_sd", lambda w: {"pk": _assignment(w).pk},
        method="post", status=302, forbidden=["donor", "operator", "auditor", "area"],
    ),
    "allocation:handover_pdf": Case(
        "school_ln", "school_sd", lambda w: _school_with_assignment(w),  # noqa: PLW0108 (defined below)
        forbidden=["donor", "operator", "auditor", "area"],
    ),
}  # fmt: skip

# Lists: the outsider must not see the insider's object (marker text) in the page.
LISTS: dict[str, tuple[str, str, Callable[[dict[str, Any]], str], list[str]]] = {
    "donations:donor_list": (
        "province_bn",
        "province_pt",
        lambda w: w["donor_bn"].name,
        ["operator", "school", "area"],
    ),
    "donations:pledge_list": (
        "province_bn",
        "province_pt",
        lambda w: w["donor_bn"].name,
        ["operator", "school", "area"],
    ),
    "donations:donation_list": (
        "province_bn",
        "province_pt",
        lambda w: w["donor_bn"].name,
        ["operator", "school", "area"],
    ),
    "donations:ledger": (
        "province_bn",
        "province_pt",
        lambda w: w["donor_bn"].name,
        ["donor", "operator", "school", "area"],
    ),
    "students:list": (
        "school_ln",
        "school_sd",
        lambda w: w["need_ln"].student.full_name,
        ["donor", "operator"],
    ),
    "students:duplicates": (
        "area_ln",
        "area_sd",
        lambda w: "ngày và tháng sinh bị đảo",
        ["donor", "operator", "auditor", "school"],
    ),
    "areas:area_list": ("area_ln", "area_sd", lambda w: w["lucngan"].name, ["donor", "operator"]),
    "areas:school_list": (
        "area_ln",
        "area_sd",
        lambda w: w["school_ln"].name,
        ["donor", "operator"],
    ),
    "campaigns:list": ("province_bn", "province_pt", lambda w: w["campaign_bn"].name, []),
    "accounts:user_list": (
        "province_bn",
        "province_pt",
        lambda w: w["users"]["school_ln"].username,
        ["donor", "operator", "school", "area"],
    ),
    "audit:list": (
        "admin",
        "auditor_pt",
        lambda w: w["school_ln"].name,
        ["donor", "operator", "school", "area", "province_bn"],
    ),
    "home": ("province_bn", "province_pt", lambda w: w["campaign_bn"].name, []),
    "inventory:device_list": (
        "school_ln",
        "school_sd",
        lambda w: w["device_ln"].serial,
        ["donor", "operator"],
    ),
    "inventory:warehouse_list": (
        "province_bn",
        "province_pt",
        lambda w: w["warehouse_bn"].name,
        ["donor", "operator"],
    ),
    "allocation:assignment_list": (
        "school_ln",
        "school_sd",
        lambda w: _assignment(w).device.asset_tag,
        ["donor", "operator"],
    ),
    "allocation:run_list": (
        "province_bn",
        "province_pt",
        lambda w: reverse("allocation:run_detail", args=[_allocation_run(w).pk]),
        ["donor", "operator"],
    ),
}

# Pages about the user's own account, or feature pages with no object in the URL.
PERSONAL_OR_FORMS: dict[str, list[str]] = {
    "donations:donor_create": CHANGE,
    "donations:pledge_create": CHANGE,
    "donations:donation_create": CHANGE,
    "donations:spending_create": CHANGE,
    "accounts:profile": [],
    "accounts:password": [],
    "accounts:two_factor": [],
    "accounts:token_create": [],
    "areas:area_create": ["donor", "operator", "auditor", "school", "area", "province_bn"],
    "areas:school_create": ["donor", "operator", "auditor", "school"],
    "campaigns:create": ["donor", "operator", "auditor", "school", "area"],
    "accounts:user_create": ["donor", "operator", "auditor", "school", "area"],
    "audit:export": ["donor", "operator", "school", "area", "province_bn"],
    "areas:school_import": ["donor", "operator", "auditor", "school"],
    "areas:school_import_template": ["donor", "operator", "auditor", "school"],
    "students:create": ["donor", "operator", "auditor", "area", "province_bn"],
    "students:confirm": ["donor", "operator", "auditor", "school"],
    "students:export": ["donor", "operator"],
    "students:import": ["donor", "operator", "auditor", "area", "province_bn"],
    "students:import_template": ["donor", "operator", "auditor", "area", "province_bn"],
    "inventory:device_register": ["donor", "operator", "auditor", "school", "area"],
    "inventory:warehouse_create": ["donor", "operator", "auditor", "school", "area"],
    "inventory:import": ["donor", "operator", "auditor", "school", "area"],
    "inventory:import_template": ["donor", "operator", "auditor", "school", "area"],
    "inventory:labels": ["donor", "operator"],
}


# The pool's transfers, outbreaks and counts (helpers _transfer, _outbreak at the end).
SCOPED |= {
    "pool:transfer_detail": Case(
        "school_ln", "school_sd", lambda w: {"pk": _transfer(w).pk}, forbidden=["donor", "operator"]
    ),
    "pool:transfer_receive": Case(
        "school_ln", "school_sd", lambda w: {"pk": _transfer(w).pk},
        forbidden=["donor", "operator", "auditor", "area"],
    ),
    **{
        f"pool:transfer_{step}": Case(
            "province_bn", "province_pt", lambda w: {"pk": _transfer(w).pk},
            method="post", status=302, forbidden=CHANGE,
        )
        for step in ("approve", "send", "cancel", "close")
    },
    "pool:outbreak_detail": Case(
        "province_bn", "province_pt", lambda w: {"pk": _outbreak(w).pk},
        forbidden=["donor", "operator"],
    ),
    "pool:outbreak_approve": Case(
        "province_bn", "province_pt", lambda w: {"pk": _outbreak(w).pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "pool:outbreak_end": Case(
        "province_bn", "province_pt", lambda w: {"pk": _outbreak(w).pk},
        method="post", status=302, forbidden=CHANGE,
    ),
}  # fmt: skip
LISTS |= {
    "pool:transfer_list": (
        "school_ln", "school_sd",
        lambda w: reverse("pool:transfer_detail", args=[_transfer(w).pk]), ["donor", "operator"],
    ),
    "pool:outbreak_list": (
        "province_bn", "province_pt", lambda w: _outbreak(w).decision, ["donor", "operator"]
    ),
    "pool:counts": ("school_ln", "school_sd", lambda w: w["school_ln"].name, ["donor", "operator"]),
}  # fmt: skip
PERSONAL_OR_FORMS |= {"pool:transfer_request": CHANGE, "pool:outbreak_declare": CHANGE}

# The pool's loans, repairs, write-offs and recalls (helpers _pool_loan ... at the end).
SCOPED |= {
    "pool:loan_detail": Case(
        "school_ln", "school_sd", lambda w: {"pk": _pool_loan(w).pk},
        forbidden=["donor", "operator"],
    ),
    "pool:loan_photo": Case(
        "school_ln", "school_sd", lambda w: {"pk": _pool_returned_with_photo(w).pk},
        forbidden=["donor", "operator"],
    ),
    "pool:repair_finish": Case(
        "province_bn", "province_pt", lambda w: {"pk": _pool_repair(w).pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "pool:write_off_create": Case(
        "province_bn", "province_pt", lambda w: {"pk": _pool_repair(w).pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "pool:write_off_decide": Case(
        "province_bn", "province_pt", lambda w: {"pk": _pool_write_off(w).pk},
        method="post", status=302, forbidden=CHANGE,
    ),
    "pool:recall_detail": Case(
        "school_ln", "school_sd", lambda w: {"pk": _pool_recall(w).pk},
        forbidden=["donor", "operator"],
    ),
    "pool:recall_answer": Case(
        "school_ln", "school_sd", lambda w: {"pk": _pool_recall(w).items.get().pk},
        method="post", status=302, forbidden=["donor", "operator", "auditor", "area"],
    ),
}  # fmt: skip
LISTS |= {
    "pool:loan_list": (
        "school_ln", "school_sd", lambda w: _pool_loan(w).device.asset_tag, ["donor", "operator"]
    ),
    "pool:repair_list": (
        "province_bn", "province_pt", lambda w: _pool_repair(w).asset_tag, ["donor", "operator"]
    ),
    "pool:write_off_list": (
        "province_bn", "province_pt", lambda w: _pool_write_off(w).reason, ["donor", "operator"]
    ),
    "pool:recall_list": (
        "province_bn", "province_pt", lambda w: _pool_recall(w).reason, ["donor", "operator"]
    ),
}  # fmt: skip
PERSONAL_OR_FORMS |= {"pool:loan_create": CHANGE, "pool:recall_create": CHANGE}


# Dead spots (helpers _dead_spot, _dead_spot_evidence at the end): an area's officers and
# school staff see its dead spots, an operator only those it is responsible for.
_SPOT_CHANGE = ["donor", "operator", "auditor", "school"]
SCOPED |= {
    "connectivity:dead_spot_detail": Case(
        "area_ln", "area_sd", lambda w: {"pk": _dead_spot(w).pk}, forbidden=["donor"]
    ),
    "connectivity:dead_spot_edit": Case(
        "area_ln", "area_sd", lambda w: {"pk": _dead_spot(w).pk}, forbidden=_SPOT_CHANGE
    ),
    "connectivity:dead_spot_status": Case(
        "area_ln", "area_sd", lambda w: {"pk": _dead_spot(w).pk}, method="post", status=302,
        forbidden=["donor", "auditor", "school"],
    ),
    "connectivity:dead_spot_evidence": Case(
        "area_ln", "area_sd",
        lambda w: _dead_spot_evidence(w),  # noqa: PLW0108 - defined at the end
        forbidden=["donor"],
    ),
}  # fmt: skip
LISTS |= {
    name: (
        "area_ln", "area_sd",
        lambda w: reverse("connectivity:dead_spot_detail", args=[_dead_spot(w).pk]), ["donor"],
    )
    for name in ("connectivity:dead_spot_list", "connectivity:dead_spot_map")
}  # fmt: skip
PERSONAL_OR_FORMS |= {
    "connectivity:dead_spot_create": _SPOT_CHANGE,
    "connectivity:dead_spot_import": _SPOT_CHANGE,
    "connectivity:dead_spot_import_template": _SPOT_CHANGE,
}

# Data packages and broadband (helpers _conn_need, _support, _broadband, _package_batch at the
# end). The world's operator user works for `Operator.objects.first()` (MobiFone); the batch in
# _package_batch is Viettel's, so that operator gets 404 for it.
SCOPED |= {
    **{
        f"connectivity:{name}": Case(
            "school_ln", "school_sd", lambda w: {"need_pk": _conn_need(w).pk},
            forbidden=["donor", "operator", "auditor"],
        )
        for name in ("package_request", "broadband_create")
    },
    "connectivity:broadband_edit": Case(
        "operator", "school_sd", lambda w: {"pk": _broadband(w).pk}, forbidden=["donor", "auditor"]
    ),
    "connectivity:batch_download": Case(
        "admin", "operator", lambda w: {"pk": _package_batch(w).pk, "fmt": "csv"},
        forbidden=["donor", "auditor", "school", "area", "province_bn"],
    ),
}  # fmt: skip
LISTS |= {
    "connectivity:support_list": (
        "school_ln", "school_sd", lambda w: _support(w).need.student.full_name, ["donor"]
    ),
    "connectivity:broadband_list": (
        "operator", "school_sd", lambda w: _broadband(w).address, ["donor"]
    ),
}  # fmt: skip
PERSONAL_OR_FORMS |= {
    "connectivity:package_list": ["donor"],
    "connectivity:package_create": ["donor", "operator", "auditor", "school"],
    "connectivity:exchange": ["donor", "auditor", "school", "area", "province_bn"],
}
# The package catalogue holds no personal data: every officer who may change it sees all of it.
SHARED_OBJECTS: dict[str, Case] = {
    "connectivity:package_edit": Case(
        "province_bn", "", lambda w: {"pk": _package(w, "viettel").pk},
        forbidden=["donor", "operator", "auditor", "school"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SHARED_OBJECTS))
def test_shared_objects_are_refused_to_roles_without_the_feature(name, world, client):
    case = SHARED_OBJECTS[name]
    url = reverse(name, kwargs=case.kwargs(world))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    client.force_login(world["users"][case.insider])
    assert client.get(url).status_code == case.status
    for role in case.forbidden:
        client.force_login(world["users"][role])
        assert client.get(url).status_code == 403, role


# The dashboards: the campaign's report for a place inside the scope. Donors and operators have
# dashboards of their own at "dashboards:home" (every role may open it).
SCOPED |= {
    "dashboards:campaign": Case(
        "province_bn", "province_pt", lambda w: {"pk": w["campaign_bn"].pk},
        forbidden=["donor", "operator"],
    ),
    "dashboards:area": Case(
        "area_ln", "area_sd", lambda w: {"pk": w["campaign_bn"].pk, "area_pk": w["lucngan"].pk},
        forbidden=["donor", "operator"],
    ),
    "dashboards:school": Case(
        "school_ln", "school_sd",
        lambda w: {"pk": w["campaign_bn"].pk, "school_pk": w["school_ln"].pk},
        forbidden=["donor", "operator"],
    ),
}  # fmt: skip
SCOPED["dashboards:report"] = Case(
    "area_ln", "province_pt", lambda w: {"pk": w["campaign_bn"].pk, "fmt": "xlsx"},
    forbidden=["donor", "operator"],
)  # fmt: skip
PERSONAL_OR_FORMS |= {"dashboards:home": []}


@pytest.fixture
def world(place, make_user):
    from songmay.accounts.services import api_token_create
    from songmay.campaigns.services import CampaignData, campaign_create

    communes, schools = place["communes"], place["schools"]
    users = {
        "admin": make_user(Role.ADMIN),
        "auditor": make_user(Role.AUDITOR),
        "auditor_pt": make_user(Role.AUDITOR, area=place["phu_tho"]),
        "province_bn": make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"]),
        "province_pt": make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"]),
        "area_ln": make_user(Role.AREA_OFFICER, area=communes["lucngan"]),
        "area_sd": make_user(Role.AREA_OFFICER, area=communes["sondong"]),
        "school_ln": make_user(Role.SCHOOL_STAFF, school=schools["lucngan"]),
        "school_sd": make_user(Role.SCHOOL_STAFF, school=schools["sondong"]),
    }
    from songmay.campaigns.demo import load_demo

    load_demo(students=False)  # donor and operator organisations
    from songmay.connectivity.models import Operator
    from songmay.donations.models import Donor

    users["donor"] = make_user(Role.DONOR, donor=Donor.objects.first())
    users["operator"] = make_user(Role.OPERATOR, operator=Operator.objects.first())
    users["school"], users["area"] = users["school_ln"], users["area_ln"]
    campaign_bn = campaign_create(
        actor=None, data=CampaignData(name="Chiến dịch Bắc Ninh thử", area=place["bac_ninh"])
    )
    token_bn, _key = api_token_create(actor=users["province_bn"], name="thử")
    import datetime as dt

    from songmay.students.services import StudentData, student_register

    need_ln = student_register(
        actor=None,
        campaign=campaign_bn,
        school=schools["lucngan"],
        data=StudentData(
            full_name="Nguyễn Văn Ma Trận",
            date_of_birth=dt.date(2012, 3, 4),
            level="primary",
            lacking="device",
        ),
    )
    # Its namesake, born the same day at the same school: a pair for the review queue.
    student_register(
        actor=None,
        campaign=campaign_bn,
        school=schools["lucngan"],
        data=StudentData(
            full_name="Nguyễn Văn Ma Trận",
            date_of_birth=dt.date(2012, 4, 3),
            level="primary",
            lacking="both",
        ),
    )
    from songmay.inventory.services import DeviceData, device_register, warehouse_create

    device_ln = device_register(
        actor=None,
        campaign=campaign_bn,
        data=DeviceData(kind="laptop", serial="MATRAN-LN-1"),
        school=schools["lucngan"],
    )
    warehouse_bn = warehouse_create(actor=None, name="Kho Ma Trận Bắc Ninh", area=place["bac_ninh"])
    from songmay.donations.services import (
        DonationData,
        DonorData,
        donation_receive,
        donor_create,
        pledge_create,
    )

    donor_bn = donor_create(
        actor=None,
        data=DonorData(kind="company", name="Nhà tài trợ Ma Trận", area=place["bac_ninh"]),
    )
    pledge_bn = pledge_create(
        actor=None, campaign=campaign_bn, donor=donor_bn, pledged_on=dt.date(2021, 9, 13), amount=1
    )
    receipt_bn = donation_receive(
        actor=None,
        campaign=campaign_bn,
        donor=donor_bn,
        data=DonationData(kind="money", received_on=dt.date(2021, 9, 22), amount=1, method="cash"),
    )
    from songmay.donations.services import SpendingData, spending_record

    spending_bn = spending_record(
        actor=None,
        campaign=campaign_bn,
        data=SpendingData(
            kind="other", spent_on=dt.date(2021, 9, 23), amount=1,
            description="Phí chuyển khoản", approved_by="Giám đốc Sở",
        ),
    )  # fmt: skip
    from songmay.students.models import DuplicateCandidate

    return {
        "spending_bn": spending_bn,
        "donor_bn": donor_bn,
        "pledge_bn": pledge_bn,
        "receipt_bn": receipt_bn,
        "device_ln": device_ln,
        "warehouse_bn": warehouse_bn,
        "pair_ln": DuplicateCandidate.objects.get(),
        "users": users,
        "lucngan": communes["lucngan"],
        "school_ln": schools["lucngan"],
        "campaign_bn": campaign_bn,
        "token_bn": token_bn,
        "need_ln": need_ln,
    }


def test_every_url_is_in_the_matrix():
    listed = PUBLIC | set(SCOPED) | set(LISTS) | set(PERSONAL_OR_FORMS) | set(EXTRA)
    missing = sorted(name for name in named_urls() if name not in listed)
    assert not missing, (
        f"URLs without a scoping test; add them to tests/test_scoping_matrix.py: {missing}"
    )


def _request(client, method, url):
    return client.post(url) if method == "post" else client.get(url)


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_scoped_object_is_404_outside_the_scope(name, world, client):
    case = SCOPED[name]
    url = reverse(name, kwargs=case.kwargs(world))
    client.force_login(world["users"][case.outsider])
    assert _request(client, case.method, url).status_code == 404
    client.force_login(world["users"][case.insider])
    assert _request(client, case.method, url).status_code == case.status


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_scoped_object_is_403_for_roles_without_the_feature(name, world, client):
    case = SCOPED[name]
    url = reverse(name, kwargs=case.kwargs(world))
    for role in case.forbidden:
        client.force_login(world["users"][role])
        assert _request(client, case.method, url).status_code == 403, role


@pytest.mark.parametrize("name", sorted(SCOPED) + sorted(LISTS) + sorted(PERSONAL_OR_FORMS))
def test_anonymous_is_sent_to_log_in(name, world, client):
    kwargs = SCOPED[name].kwargs(world) if name in SCOPED else {}
    method = SCOPED[name].method if name in SCOPED else "get"
    response = _request(client, method, reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", sorted(LISTS))
def test_lists_show_only_what_is_in_scope(name, world, client):
    insider, outsider, marker, forbidden = LISTS[name]
    text = marker(world)
    client.force_login(world["users"][insider])
    assert text in client.get(reverse(name)).content.decode()
    client.force_login(world["users"][outsider])
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert text not in response.content.decode()
    for role in forbidden:
        client.force_login(world["users"][role])
        assert client.get(reverse(name)).status_code == 403, role


@pytest.mark.parametrize("name", sorted(PERSONAL_OR_FORMS))
def test_feature_pages_are_403_for_roles_without_the_feature(name, world, client):
    for role in PERSONAL_OR_FORMS[name]:
        client.force_login(world["users"][role])
        assert client.get(reverse(name)).status_code in (403, 405), role


# ---- The API: the same scopes, with tokens; anonymous callers get 401 JSON. ----

API_PUBLIC = {"api:api-root", "api:openapi-json"}


@dataclass
class ApiCase:
    insider: str
    outsider: str
    kwargs: Callable[[dict[str, Any]], dict[str, Any]] = lambda world: {}
    method: str = "get"
    body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    forbidden: list[str] = field(default_factory=list)
    status: int = 200


def _campaign_body(world):
    return {"name": world["campaign_bn"].name, "area": "24"}


def _allocation_run(world):
    """A draft allocation run of campaign_bn that gives device_ln to need_ln (made once)."""
    if "run_bn" not in world:
        from songmay.allocation.services import run_create
        from songmay.inventory.services import device_status_change
        from songmay.students.models import Need
        from songmay.students.services import needs_confirm

        Need.objects.filter(pk=world["need_ln"].pk).update(household="poor")
        needs_confirm(actor=None, needs=[world["need_ln"]])
        for status in ("inspected", "available"):
            device_status_change(actor=None, device=world["device_ln"], status=status)
        world["run_bn"] = run_create(actor=None, campaign=world["campaign_bn"])
    return world["run_bn"]


def _today():
    from django.utils import timezone

    return timezone.localdate().isoformat()


def _assignment(world):
    """need_ln's approved assignment of device_ln."""
    from songmay.allocation.models import Assignment
    from songmay.allocation.services import run_approve

    run_approve(actor=None, run=_allocation_run(world))
    return Assignment.objects.get(need=world["need_ln"])


def _handed_over_with_scan(world):
    """need_ln's assignment, handed over with a scan of the signed page."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from songmay.allocation.services import handover_record

    assignment = _assignment(world)
    handover_record(
        actor=None, assignment=assignment, handed_over_on=timezone.localdate(),
        received_by="Nguyễn Văn Bố", relation="father",
        scan=SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )  # fmt: skip
    return assignment


def _school_with_assignment(world):
    """The handover record's address for school_ln, which has need_ln's device to hand over."""
    _assignment(world)
    return {"school_code": world["school_ln"].code}


API_SCOPED: dict[str, ApiCase] = {
    # Runs belong to the province (school and commune staff get 404, as outsiders do).
    "api:get_allocation_run": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"run_id": _allocation_run(w).pk},
        forbidden=["donor", "operator"],
    ),
    "api:list_allocation_proposals": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"run_id": _allocation_run(w).pk},
        forbidden=["donor", "operator"],
    ),
    "api:approve_allocation_run": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"run_id": _allocation_run(w).pk},
        method="post",
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "api:create_allocation_run": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"campaign_id": w["campaign_bn"].pk},
        method="post",
        status=201,
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "api:record_handover": ApiCase(
        "school_ln",
        "school_sd",
        lambda w: {"assignment_id": _assignment(w).pk},
        method="post",
        body=lambda w: {
            "handed_over_on": _today(),
            "received_by": "Nguyễn Văn Ma Trận Bố",
            "relation": "father",
        },
        status=201,
        forbidden=["donor", "operator", "auditor", "area"],
    ),
    "api:get_area": ApiCase(
        "area_ln",
        "area_sd",
        lambda w: {"code": w["lucngan"].code},
        forbidden=["donor", "operator", "school"],
    ),
    "api:get_school": ApiCase(
        "school_ln",
        "school_sd",
        lambda w: {"school_id": w["school_ln"].pk},
        forbidden=["donor", "operator"],
    ),
    "api:update_school": ApiCase(
        "area_ln",
        "area_sd",
        lambda w: {"school_id": w["school_ln"].pk},
        method="patch",
        body=lambda w: {"address": "Thôn Kép"},
        forbidden=["donor", "operator", "auditor"],
    ),
    "api:get_campaign": ApiCase(
        "area_ln", "province_pt", lambda w: {"campaign_id": w["campaign_bn"].pk}
    ),
    # The indicators are aggregates, but of the campaign's pupils: scoped like the dashboard.
    "api:get_campaign_indicators": ApiCase(
        "area_ln",
        "province_pt",
        lambda w: {"campaign_id": w["campaign_bn"].pk},
        forbidden=["donor", "operator"],
    ),
    "api:update_campaign": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"campaign_id": w["campaign_bn"].pk},
        method="put",
        body=_campaign_body,
        forbidden=["donor", "operator", "auditor", "area"],
    ),
    "api:get_student": ApiCase(
        "school_ln",
        "school_sd",
        lambda w: {"need_id": w["need_ln"].pk},
        forbidden=["donor", "operator"],
    ),
    "api:update_student": ApiCase(
        "school_ln",
        "school_sd",
        lambda w: {"need_id": w["need_ln"].pk},
        method="patch",
        body=lambda w: {"class_name": "4A"},
        forbidden=["donor", "operator", "auditor", "area", "province_bn"],
    ),
    "api:confirm_student": ApiCase(
        "area_ln",
        "area_sd",
        lambda w: {"need_id": w["need_ln"].pk},
        method="post",
        forbidden=["donor", "operator", "auditor", "school"],
    ),
    "api:withdraw_student": ApiCase(
        "school_ln",
        "school_sd",
        lambda w: {"need_id": w["need_ln"].pk},
        method="post",
        body=lambda w: {"reason": "Gia đình đã tự mua máy"},
        forbidden=["donor", "operator", "auditor", "area", "province_bn"],
    ),
    "api:get_donor": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"donor_id": w["donor_bn"].pk},
        forbidden=["operator", "school", "area"],
    ),
    "api:get_pledge": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"pledge_id": w["pledge_bn"].pk},
        forbidden=["operator", "school", "area"],
    ),
    "api:cancel_pledge": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"pledge_id": w["pledge_bn"].pk},
        method="post",
        body=lambda w: {"reason": "Doanh nghiệp rút cam kết"},
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "api:get_receipt": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"receipt_id": w["receipt_bn"].pk},
        forbidden=["operator", "school", "area"],
    ),
    "api:get_device": ApiCase(
        "school_ln",
        "school_sd",
        lambda w: {"device_id": w["device_ln"].pk},
        forbidden=["donor", "operator"],
    ),
    "api:change_device_status": ApiCase(
        "province_bn",
        "province_pt",
        lambda w: {"device_id": w["device_ln"].pk},
        method="post",
        body=lambda w: {"status": "inspected"},
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
}

API_SCOPED |= {
    "api:get_transfer": ApiCase(
        "school_ln", "school_sd", lambda w: {"transfer_id": _transfer(w).pk},
        forbidden=["donor", "operator"],
    ),
    "api:receive_transfer": ApiCase(
        "province_bn", "province_pt", lambda w: {"transfer_id": _transfer(w).pk},
        method="post", body=lambda w: {"tags": [w["device_ln"].asset_tag]}, status=400,
        forbidden=["donor", "operator", "auditor", "area"],
    ),
}  # fmt: skip

API_SCOPED |= {
    "api:get_loan": ApiCase(
        "school_ln", "school_sd", lambda w: {"loan_id": _pool_loan(w).pk},
        forbidden=["donor", "operator"],
    ),
    "api:return_loan": ApiCase(
        "school_ln", "school_sd", lambda w: {"loan_id": _pool_loan(w).pk}, method="post",
        body=lambda w: {"returned_on": _today(), "condition": "good"},
        forbidden=["donor", "operator", "auditor", "area"],
    ),
    "api:finish_repair": ApiCase(
        "province_bn", "province_pt", lambda w: {"device_id": _pool_repair(w).pk},
        method="post", body=lambda w: {"condition": "good"},
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "api:decide_write_off": ApiCase(
        "province_bn", "province_pt", lambda w: {"write_off_id": _pool_write_off(w).pk},
        method="post", body=lambda w: {"approve": False},
        forbidden=["donor", "operator", "auditor", "school", "area"],
    ),
    "api:get_recall": ApiCase(
        "school_ln", "school_sd", lambda w: {"recall_id": _pool_recall(w).pk},
        forbidden=["donor", "operator"],
    ),
    "api:answer_recall": ApiCase(
        "school_ln", "school_sd", lambda w: {"item_id": _pool_recall(w).items.get().pk},
        method="post", body=lambda w: {"answer": "will_return"},
        forbidden=["donor", "operator", "auditor", "area"],
    ),
}  # fmt: skip

API_LISTS: dict[str, tuple[str, str, Callable[[dict[str, Any]], str], list[str]]] = {
    "api:list_assignments": (
        "school_ln",
        "school_sd",
        lambda w: _assignment(w).device.asset_tag,
        ["donor", "operator"],
    ),
    "api:list_areas": ("area_ln", "area_sd", lambda w: w["lucngan"].code, ["donor", "operator"]),
    "api:list_schools": (
        "area_ln",
        "area_sd",
        lambda w: w["school_ln"].code,
        ["donor", "operator"],
    ),
    "api:list_campaigns": ("province_bn", "province_pt", lambda w: w["campaign_bn"].name, []),
    "api:list_students": (
        "school_ln",
        "school_sd",
        lambda w: w["need_ln"].student.full_name,
        ["donor", "operator"],
    ),
    "api:list_donors": (
        "province_bn",
        "province_pt",
        lambda w: w["donor_bn"].name,
        ["operator", "school", "area"],
    ),
    "api:list_pledges": (
        "province_bn",
        "province_pt",
        lambda w: w["donor_bn"].name,
        ["operator", "school", "area"],
    ),
    "api:list_receipts": (
        "province_bn",
        "province_pt",
        lambda w: w["donor_bn"].name,
        ["operator", "school", "area"],
    ),
    "api:list_devices": (
        "school_ln",
        "school_sd",
        lambda w: w["device_ln"].asset_tag,
        ["donor", "operator"],
    ),
}

API_LISTS |= {
    "api:list_transfers": (
        "school_ln", "school_sd", lambda w: f'"number": {_transfer(w).number}',
        ["donor", "operator"],
    ),
    "api:get_pool_counts": (
        "school_ln", "school_sd", lambda w: w["school_ln"].name, ["donor", "operator"]
    ),
}  # fmt: skip

API_CREATE: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], list[str]]] = {
    "api:create_school": (
        lambda w: {
            "code": "API-1",
            "name": "Trường API",
            "area": w["lucngan"].code,
            "levels": ["primary"],
        },
        ["donor", "operator", "auditor", "school"],
    ),
    "api:create_campaign": (_campaign_body, ["donor", "operator", "auditor", "school", "area"]),
    "api:create_student": (
        lambda w: {
            "campaign": w["campaign_bn"].pk,
            "school": w["school_ln"].code,
            "full_name": "Trần Thị API",
            "date_of_birth": "2012-05-06",
            "level": "primary",
            "lacking": "both",
        },
        ["donor", "operator", "auditor", "area", "province_bn"],
    ),
    "api:create_donor": (
        lambda w: {"kind": "company", "name": "Nhà tài trợ API", "area": "24"},
        ["donor", "operator", "auditor", "school", "area"],
    ),
    "api:create_pledge": (
        lambda w: {
            "campaign": w["campaign_bn"].pk,
            "donor": w["donor_bn"].pk,
            "pledged_on": "2021-09-13",
            "amount": 1_000_000,
        },
        ["donor", "operator", "auditor", "school", "area"],
    ),
    "api:create_receipt": (
        lambda w: {
            "campaign": w["campaign_bn"].pk,
            "donor": w["donor_bn"].pk,
            "kind": "money",
            "received_on": "2021-09-22",
            "amount": 1_000_000,
            "method": "cash",
        },
        ["donor", "operator", "auditor", "school", "area"],
    ),
    "api:create_device": (
        lambda w: {"campaign": w["campaign_bn"].pk, "kind": "laptop"},
        ["donor", "operator", "auditor", "school", "area"],
    ),
}

API_LISTS |= {
    "api:list_loans": (
        "school_ln", "school_sd", lambda w: _pool_loan(w).device.asset_tag, ["donor", "operator"]
    ),
    "api:list_write_offs": (
        "province_bn", "province_pt", lambda w: _pool_write_off(w).reason, ["donor", "operator"]
    ),
    "api:list_recalls": (
        "province_bn", "province_pt", lambda w: _pool_recall(w).reason, ["donor", "operator"]
    ),
}  # fmt: skip
API_CREATE |= {
    "api:lend_devices": (
        lambda w: {"devices": [w["device_ln"].asset_tag], "due_on": _today(),
                   "school": w["school_ln"].code},
        ["donor", "operator", "auditor", "school", "area"],
    ),
    "api:request_write_off": (
        lambda w: {"device": w["device_ln"].pk, "reason": "Hỏng"},
        ["donor", "operator", "auditor", "school", "area"],
    ),
    "api:start_recall": (
        lambda w: {"campaign": w["campaign_bn"].pk, "due_on": _today(), "reason": "Cuối năm"},
        ["donor", "operator", "auditor", "school", "area"],
    ),
}  # fmt: skip

# Jobs belong to the person who started them.
# Tested in songmay/students/tests/test_importing.py: another user's job is a 404.
OWN = {
    "jobs:list",
    "jobs:detail",
    "jobs:errors_xlsx",
    "jobs:errors_sheet",
    "jobs:confirm",
}

# Transfers through the API: the steps are refused outside the province (404) and to roles
# that do not manage the pool (403).
_MANAGE_ONLY = ["donor", "operator", "auditor", "area", "school"]
API_SCOPED |= {
    f"api:{step}_transfer": ApiCase(
        "province_bn", "province_pt", lambda w: {"transfer_id": _transfer(w).pk},
        method="post", forbidden=_MANAGE_ONLY,
    )
    for step in ("approve", "cancel")
}  # fmt: skip
API_SCOPED |= {
    # Sending needs an approved transfer and closing a sent one; the insider gets the reason.
    f"api:{step}_transfer": ApiCase(
        "province_bn", "province_pt", lambda w: {"transfer_id": _transfer(w).pk},
        method="post", status=400, forbidden=_MANAGE_ONLY,
    )
    for step in ("send", "close")
}  # fmt: skip
API_CREATE |= {
    "api:request_transfer": (
        lambda w: {
            "campaign": w["campaign_bn"].pk,
            "tags": [w["device_ln"].asset_tag],
            "to_warehouse": w["warehouse_bn"].pk,
        },
        _MANAGE_ONLY,
    ),
}

# Dead spots through the API: an operator's system uses these with its token.
API_SCOPED |= {
    "api:get_dead_spot": ApiCase(
        "area_ln", "area_sd", lambda w: {"dead_spot_id": _dead_spot(w).pk}, forbidden=["donor"]
    ),
    "api:change_dead_spot_status": ApiCase(
        "area_ln", "area_sd", lambda w: {"dead_spot_id": _dead_spot(w).pk}, method="post",
        body=lambda w: {"status": "surveyed", "comment": "Ma Trận"},
        forbidden=["donor", "auditor", "school"],
    ),
}  # fmt: skip
API_LISTS |= {
    "api:list_dead_spots": ("area_ln", "area_sd", lambda w: _dead_spot(w).village, ["donor"]),
}
API_CREATE |= {
    "api:report_dead_spot": (
        lambda w: {"area": w["lucngan"].code, "village": "Thôn API", "reported_on": _today()},
        ["donor", "operator", "auditor", "school"],
    ),
}

# Package requests and broadband through the API (an operator's own system with its token).
_NOT_OPERATE = ["donor", "auditor", "school", "area", "province_bn"]
API_SCOPED |= {
    "api:update_broadband_request": ApiCase(
        "operator", "school_sd", lambda w: {"request_id": _broadband(w).pk}, method="post",
        body=lambda w: {"status": "accepted"}, forbidden=["donor", "auditor"],
    ),
}  # fmt: skip
API_LISTS |= {
    "api:list_package_supports": (
        "operator", "school_sd", lambda w: f'"id": {_support(w).pk},', ["donor"]
    ),
    "api:list_broadband_requests": (
        "operator", "school_sd", lambda w: _broadband(w).address, ["donor"]
    ),
}  # fmt: skip
API_CREATE |= {
    "api:export_package_batch": (lambda w: {}, _NOT_OPERATE),
    "api:post_package_results": (
        lambda w: {"results": [{"request_id": 1, "result": "failed", "reason": "x"}]}, _NOT_OPERATE
    ),
}  # fmt: skip

EXTRA: set[str] = API_PUBLIC | set(API_SCOPED) | set(API_LISTS) | set(API_CREATE) | OWN
EXTRA |= set(SHARED_OBJECTS)


@pytest.fixture
def tokens(world):
    from songmay.accounts.services import api_token_create

    return {
        key: api_token_create(actor=user, name="matrix")[1] for key, user in world["users"].items()
    }


def _api(client, method, url, key=None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    if method == "get":
        return client.get(url, **headers)
    return getattr(client, method)(url, data=body or {}, content_type="application/json", **headers)


@pytest.mark.parametrize("name", sorted(API_SCOPED))
def test_api_object_is_404_outside_the_scope_and_403_without_the_feature(
    name, world, tokens, client
):
    case = API_SCOPED[name]
    url = reverse(name, kwargs=case.kwargs(world))
    body = case.body(world) if case.body else None
    assert _api(client, case.method, url, None, body).status_code == 401
    response = _api(client, case.method, url, tokens[case.outsider], body)
    assert response.status_code == 404
    assert response.json()["message"]
    assert _api(client, case.method, url, tokens[case.insider], body).status_code == case.status
    for role in case.forbidden:
        assert _api(client, case.method, url, tokens[role], body).status_code == 403, role


@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_api_lists_show_only_what_is_in_scope(name, world, tokens, client):
    insider, outsider, marker, forbidden = API_LISTS[name]
    text, url = marker(world), reverse(name)
    assert _api(client, "get", url).status_code == 401
    assert text in _api(client, "get", url, tokens[insider]).content.decode()
    response = _api(client, "get", url, tokens[outsider])
    assert response.status_code == 200
    assert text not in response.content.decode()
    for role in forbidden:
        assert _api(client, "get", url, tokens[role]).status_code == 403, role


@pytest.mark.parametrize("name", sorted(API_CREATE))
def test_api_creation_is_refused_to_roles_without_the_feature(name, world, tokens, client):
    body, forbidden = API_CREATE[name]
    assert _api(client, "post", reverse(name), None, body(world)).status_code == 401
    for role in forbidden:
        assert _api(client, "post", reverse(name), tokens[role], body(world)).status_code == 403, (
            role
        )


def test_jobs_are_seen_only_by_whoever_started_them(world, client):
    from songmay.jobs.models import Job

    job = Job.objects.create(
        kind="schools.import",
        created_by=world["users"]["province_bn"],
        file_name="truong.xlsx",
        status="failed",
        errors=[{"row": 2, "column": "Mã trường", "message": "Thiếu mã trường."}],
    )
    for name in ("jobs:detail", "jobs:errors_xlsx"):
        url = reverse(name, kwargs={"pk": job.pk})
        assert client.get(url).status_code == 302
        client.force_login(world["users"]["province_pt"])
        assert client.get(url).status_code == 404
        client.force_login(world["users"]["province_bn"])
        assert client.get(url).status_code == 200
        client.logout()
    client.force_login(world["users"]["province_pt"])
    assert "truong.xlsx" not in client.get(reverse("jobs:list")).content.decode()


def _transfer(world):
    """A requested transfer of device_ln from school_ln to the Bắc Ninh store (made once)."""
    if "transfer_bn" not in world:
        from songmay.inventory.services import device_status_change
        from songmay.pool.transfer_services import transfer_request

        for status in ("inspected", "available"):
            device_status_change(actor=None, device=world["device_ln"], status=status)
        world["transfer_bn"] = transfer_request(
            actor=None, campaign=world["campaign_bn"], devices=[world["device_ln"]],
            to_warehouse=world["warehouse_bn"],
        )  # fmt: skip
    return world["transfer_bn"]


def _outbreak(world):
    """Lục Ngạn teaching online in campaign_bn (made once)."""
    if "outbreak_bn" not in world:
        import datetime as dt

        from songmay.pool.transfer_services import outbreak_declare

        world["outbreak_bn"] = outbreak_declare(
            actor=None, campaign=world["campaign_bn"], areas=[world["lucngan"]],
            starts_on=dt.date(2021, 9, 6), decision="QĐ Ma Trận 01/QĐ-UBND",
        )  # fmt: skip
    return world["outbreak_bn"]


def _pool_loan(world):
    """A pool tablet of campaign_bn, from the Bắc Ninh store, lent to school_ln (made once)."""
    if "pool_loan_bn" not in world:
        import datetime as dt

        from django.utils import timezone

        from songmay.inventory.services import DeviceData, device_register, device_status_change
        from songmay.pool.services import loan_out

        device = device_register(
            actor=None, campaign=world["campaign_bn"], warehouse=world["warehouse_bn"],
            data=DeviceData(kind="tablet", serial="POOL-MATRAN-1"),
        )  # fmt: skip
        for status in ("inspected", "available"):
            device_status_change(actor=None, device=device, status=status)
        [world["pool_loan_bn"]] = loan_out(
            actor=None, devices=[device], school=world["school_ln"],
            due_on=timezone.localdate() + dt.timedelta(days=30),
        )  # fmt: skip
    return world["pool_loan_bn"]


def _pool_returned_with_photo(world):
    """_pool_loan, returned in good condition with a photo."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from songmay.pool.services import loan_return

    return loan_return(
        actor=None, loan=_pool_loan(world), returned_on=timezone.localdate(), condition="good",
        photo=SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n", content_type="image/png"),
    )  # fmt: skip


def _pool_repair(world):
    """_pool_loan's tablet, returned needing repair (made once)."""
    if "pool_repair_bn" not in world:
        from django.utils import timezone

        from songmay.pool.services import loan_return

        loan = loan_return(
            actor=None, loan=_pool_loan(world), returned_on=timezone.localdate(),
            condition="needs_repair",
        )  # fmt: skip
        world["pool_repair_bn"] = loan.device.__class__.objects.get(pk=loan.device_id)
    return world["pool_repair_bn"]


def _pool_write_off(world):
    """A pending write-off of the tablet in repair (made once)."""
    if "pool_write_off_bn" not in world:
        from songmay.pool.services import write_off_request

        world["pool_write_off_bn"] = write_off_request(
            actor=None, device=_pool_repair(world), reason="Hỏng bo mạch Ma Trận"
        )
    return world["pool_write_off_bn"]


def _pool_recall(world):
    """A recall of campaign_bn asking back _pool_loan (made once)."""
    if "pool_recall_bn" not in world:
        from django.utils import timezone

        from songmay.pool.services import recall_start

        _pool_loan(world)
        world["pool_recall_bn"] = recall_start(
            actor=None, campaign=world["campaign_bn"], due_on=timezone.localdate(),
            reason="Thu hồi Ma Trận cuối năm",
        )  # fmt: skip
    return world["pool_recall_bn"]


def _dead_spot(world):
    """A dead spot in Lục Ngạn that the world's operator is responsible for (made once)."""
    if "dead_spot_ln" not in world:
        import datetime as dt
        from decimal import Decimal

        from songmay.connectivity.services import DeadSpotData, dead_spot_report

        world["dead_spot_ln"] = dead_spot_report(
            actor=None,
            data=DeadSpotData(
                area=world["lucngan"], village="Thôn Ma Trận", reported_on=dt.date(2021, 9, 15),
                latitude=Decimal("21.38"), longitude=Decimal("106.56"),
                operator=world["users"]["operator"].operator,
            ),
        )  # fmt: skip
    return world["dead_spot_ln"]


def _dead_spot_evidence(world):
    """The address of _dead_spot's photo of the new mast."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from songmay.connectivity.services import dead_spot_status_change

    spot = _dead_spot(world)
    photo = SimpleUploadedFile("tram.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    dead_spot_status_change(actor=None, dead_spot=spot, status="surveyed", evidence=photo)
    return {"pk": spot.pk, "event_pk": spot.events.exclude(evidence="").get().pk}


def _conn_need(world, name="Trần Thị Kết Nối"):
    """A pupil of school_ln lacking connectivity in campaign_bn (made once per name)."""
    key = f"conn_need_{name}"
    if key not in world:
        import datetime as dt

        from songmay.students.services import StudentData, student_register

        world[key] = student_register(
            actor=None, campaign=world["campaign_bn"], school=world["school_ln"],
            data=StudentData(
                full_name=name, date_of_birth=dt.date(2012, 6, 7), level="primary",
                lacking="connectivity",
            ),
        )  # fmt: skip
    return world[key]


def _package(world, code):
    """A data package of the operator `code` (made once)."""
    key = f"package_{code}"
    if key not in world:
        from decimal import Decimal

        from songmay.connectivity.models import Operator
        from songmay.connectivity.package_services import PackageData, package_create

        world[key] = package_create(
            actor=None,
            data=PackageData(
                operator=Operator.objects.get(code=code), name="Gói Ma Trận",
                data_gb_per_month=Decimal(4), months=12, price=70_000, free=True,
            ),
        )  # fmt: skip
    return world[key]


def _support(world):
    """_conn_need's package request to the world operator user's own operator (made once)."""
    if "support_ln" not in world:
        from django.utils import timezone

        from songmay.connectivity.package_services import support_request

        world["support_ln"] = support_request(
            actor=None, need=_conn_need(world),
            package=_package(world, world["users"]["operator"].operator.code),
            phone="0983934091", consent_given=True, consent_on=timezone.localdate(),
        )  # fmt: skip
    return world["support_ln"]


def _broadband(world):
    """A free installation asked of the world operator user's operator for _conn_need."""
    if "broadband_ln" not in world:
        from songmay.connectivity.package_services import broadband_request

        world["broadband_ln"] = broadband_request(
            actor=None, need=_conn_need(world), operator=world["users"]["operator"].operator,
            kind="free_installation", address="Thôn Ma Trận Cáp Quang", phone="0983934091",
        )  # fmt: skip
    return world["broadband_ln"]


def _package_batch(world):
    """A batch of another operator than the world operator user's (made once)."""
    if "package_batch" not in world:
        from django.utils import timezone

        from songmay.connectivity.models import Operator
        from songmay.connectivity.package_services import batch_export, support_request

        other = Operator.objects.exclude(pk=world["users"]["operator"].operator_id).first()
        support_request(
            actor=None, need=_conn_need(world, "Trần Văn Lô Khác"),
            package=_package(world, other.code), phone="0912345678", consent_given=True,
            consent_on=timezone.localdate(),
        )  # fmt: skip
        world["package_batch"] = batch_export(actor=None, operator=other)
    return world["package_batch"]
