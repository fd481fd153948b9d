import importlib
import inspect
import pkgutil

import pytest
from django.db import IntegrityError

import songmay
from songmay.accounts.scope import Role
from songmay.areas.models import School
from songmay.areas.services import SchoolData, school_create, school_update
from songmay.audit.context import origin
from songmay.audit.models import AuditEntry
from songmay.audit.services import (
    AuditMissingError,
    AuditOutsideServiceError,
    audit_record,
    audited,
)


def service_modules():
    for module in pkgutil.walk_packages(songmay.__path__, "songmay."):
        # services.py, and service modules such as pool/transfer_services.py; not tests.
        last = module.name.rsplit(".", 1)[-1]
        if last.endswith("services") and not last.startswith("test_"):
            yield importlib.import_module(module.name)


# Public functions of services modules that write nothing of the domain, and why.
NOT_WRITES = {
    "songmay.audit.services.snapshot": "reads a model's values",
    "songmay.audit.services.diff": "compares two dicts",
    "songmay.audit.services.redact": "blanks sensitive values",
    "songmay.audit.services.audit_record": "is the recording itself, refused outside a service",
    "songmay.audit.services.audited": "is the decorator",
    "songmay.areas.services.school_clean": "validates one school's fields",
    "songmay.jobs.services.job_run": "keeps the job's own status; the runner's services audit",
    "songmay.students.services.student_clean": "validates one pupil's fields",
    "songmay.students.services.personal_id_problem": "checks a personal ID",
    "songmay.students.services.matches_for": "reads the registry for likely duplicates",
    "songmay.donations.services.ledger_sources": "reads what is left of each donation",
    "songmay.inventory.services.asset_tag": "formats a label's code",
    "songmay.inventory.services.device_clean": "validates one device's fields",
    "songmay.inventory.services.meets_minimum": "compares a device with the minimum",
    "songmay.inventory.services.duplicates_in_database": "reads serials and IMEIs already taken",
    "songmay.connectivity.services.allowed_statuses": "lists the steps a user may take",
    "songmay.connectivity.services.dead_spot_clean": "validates one dead spot's fields",
    "songmay.connectivity.services.existing_villages": "reads the villages already registered",
    "songmay.connectivity.services.is_overdue": "compares a target date with today",
    "songmay.allocation.services.run_reproduce": "recomputes a run from its stored inputs",
    "songmay.jobs.services.job_upload": "reads a job's kept file into a temporary file",
}


def test_every_public_service_is_audited():
    unaudited = [
        f"{module.__name__}.{name}"
        for module in service_modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and not name.startswith("_")
        and not getattr(function, "audited", False)
        and f"{module.__name__}.{name}" not in NOT_WRITES
    ]
    assert not unaudited, f"services that write without @audited: {unaudited}"


@pytest.mark.django_db
def test_a_service_that_writes_without_an_audit_entry_is_rolled_back(place):
    @audited
    def sneaky_rename(*, school):
        School.objects.filter(pk=school.pk).update(name="Đổi tên lén")

    school = place["schools"]["lucngan"]
    with pytest.raises(AuditMissingError):
        sneaky_rename(school=school)
    school.refresh_from_db()
    assert school.name != "Đổi tên lén"


@pytest.mark.django_db
def test_audit_record_outside_a_service_is_refused():
    with pytest.raises(AuditOutsideServiceError):
        audit_record(actor=None, action="school.created")


@pytest.mark.django_db
def test_a_failed_service_leaves_neither_data_nor_audit_entry(place):
    before_entries, before_schools = AuditEntry.objects.count(), School.objects.count()
    with pytest.raises(IntegrityError):
        # Bypassing the service's own checks with a clashing code makes the database refuse.
        @audited
        def clash():
            audit_record(actor=None, action="school.created")
            School.objects.create(
                code=place["schools"]["lucngan"].code,
                name="x",
                area=place["communes"]["lucngan"],
                teaches_primary=True,
            )

        clash()
    assert (AuditEntry.objects.count(), School.objects.count()) == (before_entries, before_schools)


@pytest.mark.django_db
def test_school_update_records_actor_action_area_changed_fields_and_ip(place, make_user):
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    school = place["schools"]["lucngan"]
    data = SchoolData(
        code=school.code,
        name="Trường Tiểu học Lục Ngạn số 1",
        area=school.area,
        levels=["primary", "lower_secondary"],
        phone="0204 3854 123",
    )
    with origin("web", "203.0.113.7"):
        school_update(actor=officer, school=school, data=data)
    entry = AuditEntry.objects.filter(action="school.updated").get()
    assert entry.actor == officer
    assert entry.area == school.area
    assert entry.ip == "203.0.113.7"
    assert entry.via == "web"
    assert entry.target_id == str(school.pk)
    assert entry.changes["name"] == [school.name, "Trường Tiểu học Lục Ngạn số 1"]
    assert entry.changes["teaches_lower_secondary"] == [False, True]
    assert entry.changes["phone"] == ["", "+842043854123"]
    assert "code" not in entry.changes  # unchanged fields are not listed


@pytest.mark.django_db
def test_sensitive_values_never_reach_the_trail(place, make_user):
    from songmay.accounts.services import api_token_create, user_set_password

    user = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    user_set_password(actor=user, user=user, password="một-mật-khẩu-rất-bí-mật")
    _token, key = api_token_create(actor=user, name="đồng bộ")
    created = AuditEntry.objects.get(action="user.created", target_id=str(user.pk))
    everything = " ".join(str(entry.changes) for entry in AuditEntry.objects.all())
    assert "một-mật-khẩu-rất-bí-mật" not in everything
    assert key not in everything
    assert user.password not in everything
    assert created.changes["password"] == ["***", "***"]
    assert AuditEntry.objects.get(action="user.password_changed").changes == {
        "password": ["***", "***"]
    }


@pytest.mark.django_db
def test_auditor_browses_filters_and_exports_the_trail(place, make_user, client):
    import io

    import openpyxl

    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    school_create(
        actor=officer,
        data=SchoolData(
            code="BN-NEW",
            name="Trường THCS Mới",
            area=place["communes"]["sondong"],
            levels=["lower_secondary"],
        ),
    )
    auditor = make_user(Role.AUDITOR)
    client.force_login(auditor)
    page = client.get("/audit/", {"action": "school.created", "actor": officer.username})
    assert "Trường THCS Mới" in page.content.decode()
    assert "Trường Tiểu học" not in page.content.decode()  # created by the system, not the officer
    response = client.get(
        "/audit/export.xlsx", {"action": "school.created", "actor": officer.username}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("Thời điểm", "Người thực hiện", "Hành động")
    assert [row[5] for row in rows[1:]] == ["Trường THCS Mới"]
    export = AuditEntry.objects.get(action="audit.exported")
    assert export.actor == auditor
    assert export.changes["rows"] == 1


def test_client_address_comes_from_the_trusted_proxy_header(rf, settings):
    from songmay.audit.middleware import client_address

    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7", REMOTE_ADDR="10.0.0.2")
    settings.SONGMAY_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.2"  # no proxy trusted: the header may be forged
    settings.SONGMAY_PROXY_COUNT = 1
    assert client_address(request) == "203.0.113.7"
