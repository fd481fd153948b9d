"""The pool's pages: lend by scanning tags, return with a photo, the repair queue, write-offs
by a second person, recalls, and scoping (another school's loan is a 404)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from songmay.inventory.models import Device
from songmay.pool.models import Loan, RecallItem, WriteOff
from songmay.pool.services import loan_out, loan_return, recall_start

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


def today():
    return timezone.localdate()


def lend(w, devices, school="lucngan", days=14):
    return loan_out(
        actor=w["officer"], devices=devices, due_on=today() + dt.timedelta(days=days),
        school=w["schools"][school],
    )  # fmt: skip


def test_lend_form_takes_scanned_tags_and_lends_them_together(client, pool_world):
    w = pool_world
    client.force_login(w["officer"])
    assert client.get(reverse("pool:loan_create")).status_code == 200
    tags = f"{w['tablets'][0].asset_tag}\n{w['tablets'][1].serial.lower()}\n"
    response = client.post(
        reverse("pool:loan_create"),
        {"devices": tags, "school": w["schools"]["lucngan"].code,
         "due_on": (today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    assert Loan.objects.filter(status="out").values("batch").distinct().count() == 1
    assert Loan.objects.count() == 2


def test_lend_form_shows_the_services_refusal_beside_the_devices(client, pool_world):
    w = pool_world
    client.force_login(w["officer"])
    response = client.post(
        reverse("pool:loan_create"),
        {"devices": w["weak"].asset_tag, "school": w["schools"]["lucngan"].code,
         "due_on": (today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")},
    )  # fmt: skip
    assert response.status_code == 200
    assert "chưa sẵn sàng cấp phát" in response.content.decode()
    response = client.post(
        reverse("pool:loan_create"),
        {"devices": "KHONG-CO", "due_on": "01/01/2030"},
    )
    body = response.content.decode()
    assert "Không tìm thấy thiết bị KHONG-CO" in body
    assert not Loan.objects.exists()


def test_the_return_form_checks_the_photo_and_sends_a_damaged_device_to_repair(
    client, pool_world, settings
):
    w = pool_world
    [loan] = lend(w, [w["tablets"][0]])
    url = reverse("pool:loan_detail", args=[loan.pk])
    client.force_login(w["staff_ln"])
    page = client.get(url).content.decode()
    assert "Ghi nhận trả thiết bị" in page and "Nhập về kho" not in page  # staff name no store
    form = {"returned_on": today().strftime("%d/%m/%Y"), "condition": "needs_repair"}
    fake = SimpleUploadedFile("anh.jpg", b"GIF89a" + b"\0" * 10, content_type="image/jpeg")
    response = client.post(url, {**form, "photo": fake})
    assert "Ảnh phải là tệp JPEG hoặc PNG." in response.content.decode()
    settings.SONGMAY_MAX_UPLOAD_BYTES = 20
    big = SimpleUploadedFile("anh.jpg", JPEG, content_type="image/jpeg")
    assert "Ảnh lớn quá" in client.post(url, {**form, "photo": big}).content.decode()
    settings.SONGMAY_MAX_UPLOAD_BYTES = 10_000
    photo = SimpleUploadedFile("anh.jpg", JPEG, content_type="image/jpeg")
    response = client.post(url, {**form, "photo": photo})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == "returned" and loan.photo
    assert Device.objects.get(pk=w["tablets"][0].pk).status == "in_repair"
    photo_url = reverse("pool:loan_photo", args=[loan.pk])
    assert b"".join(client.get(photo_url).streaming_content) == JPEG
    client.force_login(w["staff_sd"])
    assert client.get(photo_url).status_code == 404
    assert client.get(url).status_code == 404


def test_repair_queue_puts_a_device_back_in_the_pool(client, pool_world):
    w = pool_world
    [loan] = lend(w, [w["tablets"][0]])
    loan_return(actor=w["officer"], loan=loan, returned_on=today(), condition="needs_repair")
    client.force_login(w["officer"])
    page = client.get(reverse("pool:repair_list")).content.decode()
    assert w["tablets"][0].asset_tag in page
    response = client.post(
        reverse("pool:repair_finish", args=[w["tablets"][0].pk]), {"condition": "good"}
    )
    assert response.status_code == 302
    assert Device.objects.get(pk=w["tablets"][0].pk).status == "available"
    queue = client.get(reverse("pool:repair_list")).content.decode()
    assert w["tablets"][0].asset_tag not in queue.split("<tbody>", 1)[1]


def test_a_write_off_is_decided_by_a_second_person(client, pool_world):
    w = pool_world
    [loan] = lend(w, [w["tablets"][0]])
    loan_return(actor=w["officer"], loan=loan, returned_on=today(), condition="needs_repair")
    client.force_login(w["officer"])
    client.post(
        reverse("pool:write_off_create", args=[w["tablets"][0].pk]), {"reason": "Hỏng bo mạch"}
    )
    request = WriteOff.objects.get()
    page = client.get(reverse("pool:write_off_list")).content.decode()
    assert "Chờ người khác duyệt" in page
    response = client.post(
        reverse("pool:write_off_decide", args=[request.pk]), {"decision": "approve"}, follow=True
    )
    assert "người thứ hai" in response.content.decode()
    client.force_login(w["officer2"])
    client.post(reverse("pool:write_off_decide", args=[request.pk]), {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == w["officer2"]
    assert Device.objects.get(pk=w["tablets"][0].pk).status == "written_off"


def test_recall_pages_start_list_and_answer(client, pool_world, django_capture_on_commit_callbacks):
    w = pool_world
    lend(w, w["tablets"][:2])
    lend(w, [w["tablets"][2]], school="sondong")
    client.force_login(w["officer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("pool:recall_create"),
            {"campaign": w["campaign"].pk, "reason": "Kết thúc học kỳ I",
             "due_on": (today() + dt.timedelta(days=7)).strftime("%d/%m/%Y")},
        )  # fmt: skip
    assert response.status_code == 302
    assert "Kết thúc học kỳ I" in client.get(reverse("pool:recall_list")).content.decode()

    client.force_login(w["staff_ln"])
    detail = client.get(response["Location"]).content.decode()
    assert w["tablets"][0].asset_tag in detail
    assert w["tablets"][2].asset_tag not in detail  # Sơn Động's loan is not theirs
    item = RecallItem.objects.get(loan__device=w["tablets"][0])
    client.post(reverse("pool:recall_answer", args=[item.pk]), {"answer": "will_return"})
    item.refresh_from_db()
    assert item.answer == "will_return"
    other = RecallItem.objects.get(loan__device=w["tablets"][2])
    assert client.post(reverse("pool:recall_answer", args=[other.pk]), {}).status_code == 404


def test_loan_list_flags_overdue_loans_in_a_fixed_number_of_queries(
    client, pool_world, django_assert_max_num_queries
):
    w = pool_world
    lend(w, w["tablets"][:2])
    Loan.objects.filter(device=w["tablets"][0]).update(
        lent_on=today() - dt.timedelta(days=20), due_on=today() - dt.timedelta(days=2)
    )
    client.force_login(w["officer"])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("pool:loan_list")).content.decode()
    assert page.count("Quá hạn trả") == 1
    lend(w, w["tablets"][2:4], school="sondong")
    with django_assert_max_num_queries(12):
        client.get(reverse("pool:loan_list"))
    overdue = client.get(reverse("pool:loan_list") + "?overdue=on").content.decode()
    assert w["tablets"][0].asset_tag in overdue and w["tablets"][1].asset_tag not in overdue


def test_a_recall_elsewhere_and_a_loan_elsewhere_are_404(client, pool_world):
    w = pool_world
    [loan] = lend(w, [w["tablets"][0]])
    recall = recall_start(
        actor=w["officer"], campaign=w["campaign"], due_on=today(), reason="Cuối năm"
    )
    client.force_login(w["officer_pt"])
    assert client.get(reverse("pool:loan_detail", args=[loan.pk])).status_code == 404
    assert client.get(reverse("pool:recall_detail", args=[recall.pk])).status_code == 404
    client.force_login(w["area_ln"])
    assert client.get(reverse("pool:loan_detail", args=[loan.pk])).status_code == 200
    assert client.post(reverse("pool:loan_detail", args=[loan.pk]), {}).status_code == 403
