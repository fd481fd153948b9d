import pytest

from songmay.accounts.scope import Role
from songmay.accounts.services import api_token_create
from songmay.audit.models import AuditEntry
from songmay.donations.models import Donation, PledgeStatus
from songmay.donations.services import pledge_create
from songmay.donations.tests import conftest as donations
from songmay.inventory.models import Device, DeviceStatus
from songmay.inventory.services import DeviceData, device_register

API = "/api/v1"
fund = donations.fund  # a Bắc Ninh campaign with its officer and two donors


def bearer(user):
    _token, key = api_token_create(actor=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def people(fund, place, make_user):
    """Tokens: the Bắc Ninh officer (inside), a Phú Thọ officer (outside), other roles."""
    return {
        "officer": bearer(fund["officer"]),
        "outsider": bearer(make_user(Role.PROVINCE_OFFICER, area=place["phu_tho"])),
        "auditor": bearer(make_user(Role.AUDITOR, area=place["bac_ninh"])),
        "school": bearer(make_user(Role.SCHOOL_STAFF, school=place["schools"]["lucngan"])),
        "school_sd": bearer(make_user(Role.SCHOOL_STAFF, school=place["schools"]["sondong"])),
        "area": bearer(make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])),
        "donor": bearer(make_user(Role.DONOR, donor=fund["company"])),
    }


def receipt_body(fund, **fields):
    return {
        "campaign": fund["campaign"].pk,
        "donor": fund["company"].pk,
        "kind": "money",
        "received_on": "2021-09-22",
        "amount": 50_000_000,
        "method": "bank_transfer",
        "bank_reference": "FT21265001",
        **fields,
    }


def post(client, path, body, headers):
    return client.post(f"{API}{path}", body, content_type="application/json", **headers)


def test_anonymous_callers_get_401(client, fund):
    for path in ("/donors", "/pledges", "/receipts", "/devices"):
        response = client.get(f"{API}{path}")
        assert response.status_code == 401, path
        assert response.json()["message"]


def test_officer_records_a_money_receipt_with_an_audit_entry(client, fund, people):
    response = post(
        client, "/receipts", receipt_body(fund, amount="50.000.000 đ"), people["officer"]
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "TN-00001"
    assert body["amount"] == 50_000_000
    assert body["donor"] == {"id": fund["company"].pk, "name": fund["company"].name}
    assert AuditEntry.objects.filter(action="donation.received").count() == 1
    got = client.get(f"{API}/receipts/{body['id']}", **people["officer"])
    assert got.json()["method"] == "bank_transfer"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (-5, "Số tiền không được âm."),
        ("-5.000", "Số tiền không được âm."),
        (1.5, "Số tiền phải là số đồng chẵn, không có phần lẻ."),
        ("1,5", "dấu chấm ngăn cách hàng nghìn"),
        ("năm triệu", "Số tiền phải là số đồng chẵn"),
    ],
)
def test_amounts_must_be_whole_non_negative_dong(client, fund, people, amount, message):
    for path, body in (
        ("/receipts", receipt_body(fund, amount=amount)),
        (
            "/pledges",
            {
                "campaign": fund["campaign"].pk,
                "donor": fund["company"].pk,
                "pledged_on": "2021-09-13",
                "amount": amount,
            },
        ),
    ):
        response = post(client, path, body, people["officer"])
        assert response.status_code == 422, path
        errors = response.json()["errors"]
        assert errors[0]["field"] == "amount"
        assert message in errors[0]["message"]
    assert not Donation.objects.exists()


def test_a_service_refusal_is_a_400_naming_the_field(client, fund, people):
    response = post(client, "/receipts", receipt_body(fund, bank_reference=""), people["officer"])
    assert response.status_code == 400
    assert response.json()["field"] == "bank_reference"
    goods = receipt_body(fund, kind="goods", amount=0, method=None, items=[
        {"kind": "data_package", "quantity": 3}
    ])  # fmt: skip
    response = post(client, "/receipts", goods, people["officer"])
    assert response.status_code == 400
    assert "không phải loại thiết bị" in response.json()["message"]


def test_outsiders_get_404_and_see_empty_lists(client, fund, people):
    receipt = post(client, "/receipts", receipt_body(fund), people["officer"]).json()
    outsider = people["outsider"]
    for path in (f"/receipts/{receipt['id']}", f"/donors/{fund['company'].pk}"):
        response = client.get(f"{API}{path}", **outsider)
        assert response.status_code == 404, path
        assert response.json()["message"].startswith("Không tìm thấy")
    for path in ("/receipts", "/donors"):
        assert client.get(f"{API}{path}", **outsider).json()["count"] == 0
    # Nor may it record into the Bắc Ninh campaign: the campaign is outside its scope.
    response = post(client, "/receipts", receipt_body(fund), outsider)
    assert response.status_code == 404
    assert response.json()["field"] == "campaign"


def test_roles_without_the_feature_get_403(client, fund, people):
    for role in ("school", "area"):
        assert client.get(f"{API}/donors", **people[role]).status_code == 403, role
        assert client.get(f"{API}/receipts", **people[role]).status_code == 403, role
    for role in ("auditor", "donor", "school"):
        assert post(client, "/receipts", receipt_body(fund), people[role]).status_code == 403
    assert client.get(f"{API}/devices", **people["donor"]).status_code == 403


def test_a_donor_sees_only_its_own_receipts(client, fund, people):
    own = post(client, "/receipts", receipt_body(fund), people["officer"]).json()
    other = post(
        client, "/receipts", receipt_body(fund, donor=fund["person"].pk, method="cash"),
        people["officer"],
    ).json()  # fmt: skip
    listed = client.get(f"{API}/receipts", **people["donor"]).json()
    assert [row["id"] for row in listed["items"]] == [own["id"]]
    assert client.get(f"{API}/receipts/{other['id']}", **people["donor"]).status_code == 404


def test_donor_creation_validates_and_lists(client, fund, people):
    body = {"kind": "company", "name": "  Công ty   Mới  ", "area": "24", "tax_code": "123"}
    response = post(client, "/donors", body, people["officer"])
    assert response.status_code == 400
    assert response.json()["field"] == "tax_code"
    body["tax_code"] = "0100109106"
    response = post(client, "/donors", body, people["officer"])
    assert response.status_code == 201
    assert response.json()["name"] == "Công ty Mới"
    assert response.json()["has_trace_link"] is False
    listed = client.get(f"{API}/donors?q=Mới", **people["officer"]).json()
    assert [row["name"] for row in listed["items"]] == ["Công ty Mới"]


def test_pledges_are_created_and_cancelled_once(client, fund, people):
    body = {
        "campaign": fund["campaign"].pk,
        "donor": fund["company"].pk,
        "pledged_on": "2021-09-13",
        "amount": 100_000_000,
        "items": [{"kind": "laptop", "quantity": 10}],
    }
    response = post(client, "/pledges", body, people["officer"])
    assert response.status_code == 201, response.content
    pledge = response.json()
    assert pledge["items"] == [{"kind": "laptop", "quantity": 10}]
    path = f"/pledges/{pledge['id']}/cancel"
    assert post(client, path, {"reason": "x"}, people["outsider"]).status_code == 404
    response = post(client, path, {"reason": "Doanh nghiệp khó khăn"}, people["officer"])
    assert response.json()["status"] == PledgeStatus.CANCELLED
    again = post(client, path, {"reason": "Lần nữa"}, people["officer"])
    assert again.status_code == 400
    assert "không huỷ được" in again.json()["message"]


def test_devices_are_registered_listed_and_moved_along_their_life(client, fund, people, place):
    campaign = fund["campaign"]
    body = {"campaign": campaign.pk, "kind": "smartphone", "imei": "123", "school": "T-07582"}
    response = post(client, "/devices", body, people["officer"])
    assert response.status_code == 400
    assert response.json()["field"] == "imei"
    body["imei"] = "490154203237518"
    response = post(client, "/devices", body, people["officer"])
    assert response.status_code == 201, response.content
    device = response.json()
    assert device["school"]["code"] == "T-07582"
    assert device["status"] == DeviceStatus.RECEIVED
    path = f"/devices/{device['id']}/status"
    response = post(client, path, {"status": "handed_over"}, people["officer"])
    assert response.status_code == 400
    assert "không chuyển" in response.json()["message"]
    response = post(client, path, {"status": "inspected"}, people["officer"])
    assert response.json()["status"] == DeviceStatus.INSPECTED
    assert post(client, path, {"status": "available"}, people["school"]).status_code == 403
    # The school holding it sees it; another school does not.
    assert client.get(f"{API}/devices/{device['id']}", **people["school"]).status_code == 200
    assert client.get(f"{API}/devices/{device['id']}", **people["school_sd"]).status_code == 404
    device_register(actor=None, campaign=campaign, data=DeviceData(kind="laptop"))
    listed = client.get(f"{API}/devices?status=inspected", **people["officer"]).json()
    assert [row["id"] for row in listed["items"]] == [device["id"]]
    assert client.get(f"{API}/devices?q=490154203237518", **people["officer"]).json()["count"] == 1
    assert Device.objects.count() == 2


def test_pledge_list_filters_by_status(client, fund, people):
    pledge_create(
        actor=None,
        campaign=fund["campaign"],
        donor=fund["person"],
        pledged_on=fund["day"],
        amount=1_000_000,
    )
    listed = client.get(f"{API}/pledges?status=pledged", **people["officer"]).json()
    assert listed["count"] == 1
    assert client.get(f"{API}/pledges?status=cancelled", **people["officer"]).json()["count"] == 0
