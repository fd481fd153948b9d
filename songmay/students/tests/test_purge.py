"""Purging pupils' personal data after a campaign: names, numbers and scans go, every count and
the cash book stay exactly as they were."""

import datetime as dt
import json
import os
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import Count, Sum
from django.utils import timezone

from songmay.accounts.scope import Role
from songmay.allocation.models import Assignment, Handover
from songmay.allocation.services import handover_record, run_approve, run_create
from songmay.audit.models import AuditEntry
from songmay.campaigns.services import CampaignData, PhaseData, campaign_create
from songmay.connectivity.models import BroadbandRequest, ConnectivitySupport, Operator
from songmay.connectivity.package_services import (
    PackageData,
    broadband_request,
    package_create,
    support_request,
)
from songmay.donations.models import DonorKind
from songmay.donations.selectors import ledger
from songmay.donations.services import (
    DonationData,
    DonorData,
    SpendingData,
    donation_receive,
    donor_create,
    spending_record,
)
from songmay.inventory.models import Device
from songmay.inventory.services import (
    DeviceData,
    device_status_change,
    devices_register,
    warehouse_create,
)
from songmay.jobs.models import Job, JobStatus
from songmay.lib.errors import DomainError
from songmay.pool.models import Loan
from songmay.pool.services import loan_out
from songmay.students.models import Need, Student
from songmay.students.purge_selectors import purge_plan
from songmay.students.purge_services import personal_data_purge
from songmay.students.services import StudentData, need_withdraw, needs_confirm, student_register

TODAY = dt.date(2024, 3, 1)
PUPILS = [
    # name, school, household, lacking, personal id, guardian, phone, village
    ("Quách Thị Riêngtư", "lucngan", "poor", "device", "024312000001", "Quách Văn Phụhuynh",
     "0981234561", "Thôn Đồngcaotest"),
    ("Mạc Văn Bímật", "lucngan", "near_poor", "device", "", "Mạc Thị Mẹbímật", "0981234562",
     "Xóm Bãisỏitest"),
    ("Khổng Thị Kínđáo", "sondong", "poor", "both", "", "Khổng Văn Chakínđáo", "0981234563",
     "Bản Nàtest"),
    ("Âu Văn Ẩnmình", "sondong", "hardship", "connectivity", "", "Âu Thị Mẹẩnmình",
     "0981234564", ""),
    ("Ninh Thị Vẫnhọc", "lucngan", "poor", "device", "024312000005", "Ninh Văn Bốvẫnhọc",
     "0981234565", "Thôn Còntest"),
]  # fmt: skip
RUNNING_PUPIL = "Ninh Thị Vẫnhọc"


def _campaign(area, name, ends_on):
    return campaign_create(
        actor=None,
        data=CampaignData(
            name=name,
            area=area,
            phases=[PhaseData(1, "Giai đoạn 1", dt.date(2021, 9, 12), ends_on)],
        ),
    )


@pytest.fixture
def ended(place, make_user):
    """An ended Bắc Ninh campaign whose pupils went the whole way: registered, confirmed,
    allocated, handed over with a signed scan, lent a pool device, asked a data package and
    free broadband, one withdrawn with a reason naming her; money in and out; and one pupil
    also registered in a campaign still running."""
    schools = place["schools"]
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    campaign = _campaign(place["bac_ninh"], "Sóng và máy tính cho em 2021", dt.date(2023, 12, 31))
    running = _campaign(place["bac_ninh"], "Sóng và máy tính cho em 2024", dt.date(2099, 12, 31))
    needs = {}
    for name, school, household, lacking, pid, guardian, phone, village in PUPILS:
        needs[name] = student_register(
            actor=None,
            campaign=campaign,
            school=schools[school],
            data=StudentData(
                full_name=name,
                date_of_birth=dt.date(2012, 3, 4),
                gender="female" if " Thị " in name else "male",
                level="primary",
                lacking=lacking,
                household=household,
                class_name="4A",
                personal_id=pid,
                guardian_name=guardian,
                guardian_phone=phone,
                village=village,
                consent_given=True,
                consent_on=dt.date(2021, 9, 20),
            ),
        )
    student_register(
        actor=None,
        campaign=running,
        school=schools["lucngan"],
        data=StudentData(
            full_name=RUNNING_PUPIL,
            date_of_birth=dt.date(2012, 3, 4),
            personal_id="024312000005",
            gender="female",
            level="primary",
            lacking="device",
            household="poor",
            guardian_name="Ninh Văn Bốvẫnhọc",
            guardian_phone="0981234565",
        ),
    )
    assert Student.objects.filter(full_name=RUNNING_PUPIL).count() == 1  # one child, two needs
    needs_confirm(actor=officer, needs=list(needs.values()))
    devices = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("tablet", serial="PRIV-TAB-1"), DeviceData("tablet", serial="PRIV-TAB-2")],
        school=schools["lucngan"],
    ) + devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("laptop", serial="PRIV-LAP-1")],
        school=schools["sondong"],
    )
    for device in devices:
        device_status_change(actor=officer, device=device, status="inspected")
        device_status_change(actor=officer, device=device, status="available")
    run_approve(actor=officer, run=run_create(actor=officer, campaign=campaign))
    for assignment in Assignment.objects.filter(campaign=campaign).select_related("student"):
        student = assignment.student
        handover_record(
            actor=officer,
            assignment=assignment,
            handed_over_on=timezone.localdate(),
            received_by=student.guardian_name,
            relation="guardian",
            scan=ContentFile(b"%PDF-1.4 " + student.full_name.encode(), name="scan.pdf"),
        )
    # A pool tablet lent to the pupil the run left without a device, if any.
    store = warehouse_create(actor=officer, name="Kho dùng chung", area=place["bac_ninh"])
    spare = devices_register(
        actor=officer,
        campaign=campaign,
        rows=[DeviceData("tablet", make="Samsung", serial="PRIV-POOL-1")],
        warehouse=store,
    )[0]
    device_status_change(actor=officer, device=spare, status="inspected")
    device_status_change(actor=officer, device=spare, status="available")
    unserved = Need.objects.filter(
        campaign=campaign, status="confirmed", lacking__in=["device", "both"]
    ).exclude(student__assignments__status__in=["active", "handed_over"])
    borrower = unserved.exclude(student__full_name=RUNNING_PUPIL).first()
    assert borrower is not None
    loan_out(
        actor=officer,
        devices=[spare],
        due_on=timezone.localdate() + dt.timedelta(days=30),
        need=borrower,
        note=f"Giao tận nhà em {borrower.student.full_name}",
    )
    viettel, _ = Operator.objects.get_or_create(code="viettel", defaults={"name": "Viettel"})
    package = package_create(
        actor=None,
        data=PackageData(
            operator=viettel,
            name="Học trực tuyến",
            data_gb_per_month=Decimal(4),
            months=12,
            price=70_000,
            free=True,
        ),
    )
    for name in ("Khổng Thị Kínđáo", "Âu Văn Ẩnmình"):
        support_request(
            actor=officer,
            need=needs[name],
            package=package,
            phone="0971234560" if name.startswith("Khổng") else "0971234561",
            consent_given=True,
            consent_on=dt.date(2021, 9, 20),
        )
    broadband_request(
        actor=officer,
        need=needs["Âu Văn Ẩnmình"],
        operator=viettel,
        kind="free_installation",
        address="Số 7 ngõ Riêngtư, Bản Nàtest",
        phone="0961234567",
    )
    need_withdraw(
        actor=None,
        need=needs["Mạc Văn Bímật"],
        reason="Em Mạc Văn Bímật chuyển trường",
    )
    donor = donor_create(
        actor=officer,
        data=DonorData(kind=DonorKind.COMPANY, name="Công ty Tài trợ", area=place["bac_ninh"]),
    )
    donation_receive(
        actor=officer,
        campaign=campaign,
        donor=donor,
        data=DonationData(
            kind="money", received_on=dt.date(2021, 9, 22), amount=50_000_000, method="cash"
        ),
    )
    spending_record(
        actor=officer,
        campaign=campaign,
        data=SpendingData(
            kind="other",
            spent_on=dt.date(2021, 9, 30),
            amount=12_000_000,
            description="Vận chuyển thiết bị",
            approved_by="Giám đốc Sở",
        ),
    )
    # An uploaded list of the campaign's pupils, kept by a finished import job.
    Job.objects.create(
        kind="students.import",
        created_by=officer,
        status=JobStatus.FAILED,
        file_name="danh-sach.xlsx",
        payload="Quách Thị Riêngtư;0981234561".encode(),
        params={"campaign": campaign.pk},
        summary={"rows": 5, "phase": "Quách Thị Riêngtư"},
        errors=[{"row": 2, "column": "B", "message": "Mạc Văn Bímật: thiếu ngày sinh"}],
    )
    return {"campaign": campaign, "running": running, "officer": officer, "needs": needs}


def _personal_strings():
    strings = set()
    for name, *_rest, pid, guardian, phone, village in PUPILS:
        if name == RUNNING_PUPIL:
            continue
        strings |= {name, guardian, phone, "+84" + phone[1:], village, pid}
    strings |= {"0971234560", "+84971234560", "0971234561", "+84971234561", "0961234567"}
    strings |= {"Số 7 ngõ Riêngtư"}
    return {text for text in strings if text}


def _every_text_in_database():
    """Every text, JSON and file-name value of every row, as one searchable string per row."""
    for model in apps.get_models():
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(
                field,
                models.CharField
                | models.TextField
                | models.JSONField
                | models.FileField
                | models.BinaryField,
            )
        ]
        if not fields:
            continue
        for row in model.objects.values_list(*(field.attname for field in fields)):
            for field, value in zip(fields, row, strict=True):
                if isinstance(value, bytes | memoryview):
                    text = bytes(value).decode("utf-8", "replace")
                elif isinstance(value, dict | list):
                    text = json.dumps(value, ensure_ascii=False)
                else:
                    text = str(value or "")
                yield model._meta.label, field.name, text


def _found(strings):
    return sorted(
        (label, name, text)
        for label, name, value in _every_text_in_database()
        for text in strings
        if text in value
    )


def _aggregates(campaign):
    needs = Need.objects.filter(campaign=campaign)
    devices = Device.objects.filter(campaign=campaign)
    book = ledger(campaign=campaign)
    return {
        "students": Student.objects.filter(needs__campaign=campaign).count(),
        "by_level_household": list(
            needs.values("level", "household", "status", "lacking")
            .annotate(n=Count("pk"))
            .order_by("level", "household", "status", "lacking")
        ),
        "by_school": list(
            needs.values("school__code").annotate(n=Count("pk")).order_by("school__code")
        ),
        "by_commune": list(
            Student.objects.filter(needs__campaign=campaign)
            .values("commune_id", "gender", "ethnic_minority", "disability")
            .annotate(n=Count("pk"))
            .order_by("commune_id", "gender")
        ),
        "devices": list(devices.values("status", "kind").annotate(n=Count("pk")).order_by("kind")),
        "assignments": list(
            Assignment.objects.filter(campaign=campaign)
            .values("status", "device__serial", "need__school__code")
            .order_by("device__serial")
        ),
        "handovers": list(
            Handover.objects.filter(assignment__campaign=campaign)
            .values_list("handed_over_on", "relation")
            .order_by("handed_over_on", "relation")
        ),
        "supports": list(ConnectivitySupport.objects.values_list("status", "package__name")),
        "broadband": list(BroadbandRequest.objects.values_list("status", "kind")),
        "loans": list(Loan.objects.values_list("status", "lent_on", "due_on")),
        "ledger": (
            book.received,
            book.spent,
            [(r.code, r.money_in, r.money_out) for r in book.rows],
        ),
        "device_count": Device.objects.count(),
        "donations": campaign.donations.aggregate(total=Sum("amount"))["total"],
    }


@pytest.mark.django_db
def test_purge_keeps_every_aggregate_and_leaves_no_personal_string(
    ended, django_capture_on_commit_callbacks
):
    campaign = ended["campaign"]
    strings = _personal_strings()
    assert _found(strings), "the fixture must hold the personal strings it then looks for"
    purged_handovers = Handover.objects.exclude(assignment__student__full_name=RUNNING_PUPIL)
    scans = [handover.scan.path for handover in purged_handovers]
    assert scans and all(os.path.exists(path) for path in scans)
    before = _aggregates(campaign)

    with django_capture_on_commit_callbacks(execute=True):
        result = personal_data_purge(actor=ended["officer"], campaign=campaign, today=TODAY)

    assert result.students == 4 and result.plan.kept == 1
    assert _aggregates(campaign) == before
    assert _found(strings) == []
    assert purged_handovers.exclude(scan="").count() == 0
    assert not any(os.path.exists(path) for path in scans)
    purged = Student.objects.exclude(full_name=RUNNING_PUPIL)
    assert all(s.full_name == f"Học sinh #{s.pk}" and s.date_of_birth is None for s in purged)
    # The pupil still needed by the running campaign keeps everything.
    kept = Student.objects.get(full_name=RUNNING_PUPIL)
    assert (kept.guardian_phone, kept.personal_id, kept.date_of_birth) == (
        "+84981234565",
        "024312000005",
        dt.date(2012, 3, 4),
    )
    entry = AuditEntry.objects.get(action="campaign.personal_data_purged")
    assert entry.changes["students"] == 4 and entry.actor == ended["officer"]


@pytest.mark.django_db
def test_a_second_purge_changes_nothing(ended):
    campaign = ended["campaign"]
    personal_data_purge(actor=None, campaign=campaign, today=TODAY)
    snapshot = sorted(_every_text_in_database())
    assert purge_plan(campaign=campaign, today=TODAY).still_personal == 0
    again = personal_data_purge(actor=None, campaign=campaign, today=TODAY)
    assert again.files == 0
    after = [row for row in sorted(_every_text_in_database()) if row[0] != "audit.AuditEntry"]
    assert after == [row for row in snapshot if row[0] != "audit.AuditEntry"]
    assert AuditEntry.objects.filter(action="campaign.personal_data_purged").count() == 2


@pytest.mark.django_db
def test_purge_is_refused_before_the_campaign_ends(ended):
    campaign = ended["campaign"]
    with pytest.raises(DomainError, match="chưa kết thúc"):
        personal_data_purge(actor=None, campaign=campaign, today=dt.date(2023, 12, 31))
    assert Student.objects.filter(full_name="Quách Thị Riêngtư").exists()
    with pytest.raises(CommandError, match="chưa kết thúc"):
        call_command("purge_personal_data", str(ended["running"].pk), "--yes")


@pytest.mark.django_db
def test_a_school_staff_member_may_not_purge(ended, make_user, place):
    staff = make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"])
    with pytest.raises(PermissionDenied):
        personal_data_purge(actor=staff, campaign=ended["campaign"], today=TODAY)
    assert Student.objects.filter(full_name="Quách Thị Riêngtư").exists()


@pytest.mark.django_db
def test_the_command_dry_runs_without_yes_then_purges(ended, capsys):
    campaign = ended["campaign"]
    call_command("purge_personal_data", str(campaign.pk))
    out = capsys.readouterr().out
    assert "4 học sinh sẽ được ẩn danh" in out and "1 học sinh giữ lại" in out
    assert "Chạy thử" in out
    assert Student.objects.filter(full_name="Quách Thị Riêngtư").exists()
    call_command("purge_personal_data", str(campaign.pk), "--yes")
    assert "Đã ẩn danh 4 học sinh" in capsys.readouterr().out
    assert not Student.objects.filter(full_name="Quách Thị Riêngtư").exists()


@pytest.mark.django_db
def test_the_command_names_an_unknown_campaign():
    with pytest.raises(CommandError, match="Không có chương trình số 999999"):
        call_command("purge_personal_data", "999999")


@pytest.mark.django_db
def test_force_purges_a_running_campaign(ended):
    running = ended["running"]
    result = personal_data_purge(actor=None, campaign=running, force=True, today=TODAY)
    assert result.students == 1
    assert not Student.objects.filter(full_name=RUNNING_PUPIL).exists()
