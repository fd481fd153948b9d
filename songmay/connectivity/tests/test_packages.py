"""Data packages for pupils: the catalogue, the request rules, ending packages, broadband."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from songmay.audit.models import AuditEntry
from songmay.connectivity.models import (
    BroadbandStatus,
    ConnectivitySupport,
    ExchangeBatch,
    SupportStatus,
)
from songmay.connectivity.package_selectors import supports_ending
from songmay.connectivity.package_services import (
    PackageData,
    broadband_request,
    broadband_update,
    package_create,
    package_update,
    support_end_due,
    support_request,
)
from songmay.lib.errors import DomainError

pytestmark = pytest.mark.django_db


def _request(world, need=None, **overrides):
    values = {
        "actor": world["users"]["school_ln"],
        "need": need or world["need_ln"],
        "package": world["packages"]["viettel"],
        "phone": "0983 934 091",
        "consent_given": True,
        "consent_on": dt.date(2021, 9, 20),
    } | overrides
    return support_request(**values)


def test_a_pupil_lacking_connectivity_gets_a_package_with_consent(package_world):
    support = _request(package_world)
    assert (support.status, support.phone, support.operator.code) == (
        SupportStatus.REQUESTED, "+84983934091", "viettel",
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="package.requested")
    assert "+84983934091" not in str(entry.changes)  # the number is redacted in the trail


def test_a_pupil_lacking_only_a_device_is_refused(package_world):
    with pytest.raises(DomainError, match="không thiếu kết nối"):
        _request(package_world, need=package_world["need_device"])


def test_a_request_without_consent_is_refused(package_world):
    with pytest.raises(DomainError) as caught:
        _request(package_world, consent_given=False)
    assert caught.value.field == "consent_given"
    assert not ConnectivitySupport.objects.exists()


def test_a_landline_is_refused_on_the_phone_field(package_world):
    with pytest.raises(DomainError) as caught:
        _request(package_world, phone="024 3826 1234")
    assert caught.value.field == "phone"
    assert "cố định" in caught.value.message


def test_one_live_package_per_pupil(package_world):
    _request(package_world)
    with pytest.raises(DomainError, match="chỉ một gói"):
        _request(package_world, package=package_world["packages"]["mobifone"])


def test_a_failed_package_can_be_asked_again(package_world):
    first = _request(package_world)
    ConnectivitySupport.objects.filter(pk=first.pk).update(status=SupportStatus.FAILED)
    assert _request(package_world).pk != first.pk


def test_roles_without_the_feature_cannot_request(package_world):
    with pytest.raises(PermissionDenied):
        _request(package_world, actor=package_world["users"]["viettel"])


def test_the_catalogue_is_kept_by_officers(package_world):
    data = PackageData(
        operator=package_world["operators"]["vnpt"], name="Em học vui",
        data_gb_per_month=Decimal("2.5"), months=3, price=50_000, discounted_price=25_000,
    )  # fmt: skip
    package = package_create(actor=package_world["users"]["province"], data=data)
    with pytest.raises(DomainError, match="đã có gói"):
        package_create(actor=None, data=data)
    with pytest.raises(PermissionDenied):
        package_create(actor=package_world["users"]["school_ln"], data=data)
    changed = package_update(
        actor=package_world["users"]["province"], package=package,
        data=PackageData(**{**data.__dict__, "months": 6}),
    )  # fmt: skip
    assert changed.months == 6


def _activate(support, on):
    ConnectivitySupport.objects.filter(pk=support.pk).update(
        status=SupportStatus.ACTIVE, activated_on=on, ends_on=on + dt.timedelta(days=365)
    )


def test_packages_about_to_end_are_listed_and_ended_after_their_last_day(package_world):
    today = timezone.localdate()
    soon, later = _request(package_world), _request(package_world, package_world["need_ln2"])
    _activate(soon, today - dt.timedelta(days=350))  # ends in 15 days
    _activate(later, today - dt.timedelta(days=100))
    ending = list(supports_ending(user=package_world["users"]["school_ln"], today=today))
    assert ending == [ConnectivitySupport.objects.get(pk=soon.pk)]
    assert support_end_due(today=today + dt.timedelta(days=16)) == 1
    assert ConnectivitySupport.objects.get(pk=soon.pk).status == SupportStatus.ENDED
    assert ConnectivitySupport.objects.get(pk=later.pk).status == SupportStatus.ACTIVE


def test_the_supports_page_filters_packages_ending_within_30_days(package_world, client):
    today = timezone.localdate()
    soon, later = _request(package_world), _request(package_world, package_world["need_ln2"])
    _activate(soon, today - dt.timedelta(days=350))
    _activate(later, today - dt.timedelta(days=100))
    client.force_login(package_world["users"]["school_ln"])
    page = client.get(reverse("connectivity:support_list"), {"ending": "1"}).content.decode()
    assert package_world["need_ln"].student.full_name in page
    assert package_world["need_ln2"].student.full_name not in page


def test_broadband_is_tracked_to_installed(package_world):
    request = broadband_request(
        actor=package_world["users"]["school_ln"], need=package_world["need_ln"],
        operator=package_world["operators"]["viettel"], kind="free_installation",
        address="Thôn Đồng Mới, xã Lục Ngạn", phone="0204 3882 123",
    )  # fmt: skip
    viettel = package_world["users"]["viettel"]
    broadband_update(actor=viettel, request=request, status=BroadbandStatus.ACCEPTED)
    with pytest.raises(DomainError, match="ngày lắp đặt"):
        broadband_update(actor=viettel, request=request, status=BroadbandStatus.INSTALLED)
    today = timezone.localdate()
    done = broadband_update(
        actor=viettel, request=request, status=BroadbandStatus.INSTALLED, installed_on=today
    )
    assert (done.status, done.installed_on) == (BroadbandStatus.INSTALLED, today)
    with pytest.raises(DomainError):
        broadband_update(actor=viettel, request=request, status=BroadbandStatus.REFUSED, note="x")


def test_an_operator_cannot_update_another_operators_broadband_request(package_world):
    request = broadband_request(
        actor=None, need=package_world["need_ln"], operator=package_world["operators"]["viettel"],
        kind="fee_reduction", address="Thôn Đồng Mới", phone="0983934091",
    )  # fmt: skip
    with pytest.raises(DomainError):
        broadband_update(
            actor=package_world["users"]["mobifone"], request=request,
            status=BroadbandStatus.ACCEPTED,
        )  # fmt: skip


def test_the_pupil_page_shows_the_package_section_and_the_request_works(package_world, client):
    client.force_login(package_world["users"]["school_ln"])
    need = package_world["need_ln"]
    page = client.get(reverse("students:detail", args=[need.pk])).content.decode()
    assert "Gói cước" in page
    assert reverse("connectivity:package_request", args=[need.pk]) in page
    form = client.get(reverse("connectivity:package_request", args=[need.pk])).content.decode()
    assert "Viettel" in form  # the hint for the guardian's 098 number
    response = client.post(
        reverse("connectivity:package_request", args=[need.pk]),
        {"package": package_world["packages"]["mobifone"].pk, "phone": "0983.934.091",
         "consent_given": "on", "consent_on": "20/09/2021"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ConnectivitySupport.objects.get(need=need).operator.code == "mobifone"


def test_a_request_page_refuses_a_landline_with_the_message(package_world, client):
    client.force_login(package_world["users"]["school_ln"])
    need = package_world["need_ln"]
    response = client.post(
        reverse("connectivity:package_request", args=[need.pk]),
        {"package": package_world["packages"]["viettel"].pk, "phone": "024 3826 1234",
         "consent_given": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "cố định" in response.content.decode()


def test_an_operator_sees_and_changes_only_its_own_requests(package_world, client):
    _request(package_world)
    mobifone_request = broadband_request(
        actor=None, need=package_world["need_ln"], operator=package_world["operators"]["viettel"],
        kind="fee_reduction", address="Thôn Đồng Mới", phone="0983934091",
    )  # fmt: skip
    client.force_login(package_world["users"]["mobifone"])
    page = client.get(reverse("connectivity:support_list")).content.decode()
    assert package_world["need_ln"].student.full_name not in page
    edit = reverse("connectivity:broadband_edit", args=[mobifone_request.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"status": "accepted"}).status_code == 404
    client.force_login(package_world["users"]["viettel"])
    assert (
        package_world["need_ln"].student.full_name
        in client.get(reverse("connectivity:support_list")).content.decode()
    )
    assert client.post(edit, {"status": "accepted"}).status_code == 302


def test_the_exchange_page_downloads_a_batch_and_previews_a_bad_results_file(package_world, client):
    support = _request(package_world)
    client.force_login(package_world["users"]["viettel"])
    viettel = package_world["operators"]["viettel"]
    response = client.post(
        reverse("connectivity:exchange"),
        {"action": "export", "operator": viettel.pk, "format": "csv"},
    )
    assert response["Content-Disposition"].endswith('.csv"')
    assert f"{support.pk},0983934091".encode() in response.content
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = "Mã yêu cầu,Kết quả,Ngày kích hoạt,Lý do\r\n999999,kích hoạt,01/10/2021,\r\n"
    page = client.post(
        reverse("connectivity:exchange"),
        {"action": "results", "operator": viettel.pk,
         "file": SimpleUploadedFile("kq.csv", bad.encode())},
    ).content.decode()  # fmt: skip
    assert "dòng 2" in page
    assert "Không có yêu cầu số 999999" in page
    batch = ExchangeBatch.objects.get()
    client.force_login(package_world["users"]["mobifone"])
    url = reverse("connectivity:batch_download", args=[batch.pk, "xlsx"])
    assert client.get(url).status_code == 404


def test_the_exchange_pages_two_forms_label_their_own_fields(package_world, client):
    """The admin chooses the operator in both forms: each label names its own form's field."""
    client.force_login(package_world["users"]["admin"])
    page = client.get(reverse("connectivity:exchange")).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    labelled = re.findall(r'<label for="([^"]+)"', page)
    assert len(labelled) == 4 and set(labelled) <= set(ids)
    assert page.count('name="operator"') == 2


def test_the_supports_and_broadband_lists_take_a_fixed_number_of_queries(package_world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(package_world["users"]["school_ln"])

    def counts():
        found = []
        for name in ("connectivity:support_list", "connectivity:broadband_list"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(name)).status_code == 200
            found.append(len(queries))
        return found

    def add(need):
        _request(package_world, need)
        broadband_request(
            actor=None, need=need, operator=package_world["operators"]["viettel"],
            kind="fee_reduction", address="Thôn Đồng Mới", phone="0983934091",
        )  # fmt: skip

    add(package_world["need_ln"])
    one = counts()
    add(package_world["need_ln2"])
    assert counts() == one
