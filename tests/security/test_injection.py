"""SQL and HTML typed into names, imported from Excel, sent through the API or a form: stored
exactly as typed (the ORM binds every value, so nothing runs as SQL), shown escaped (the
templates auto-escape, so nothing runs as script)."""

import io

import pytest
from django.urls import reverse
from django.utils.html import escape

from songmay.lib.tests import builders

PAYLOAD = "<script>alert(1)</script>' OR 1=1 --"
RAW = "<script>alert(1)</script>"


def assert_shown_escaped(page: str, text: str) -> None:
    assert RAW not in page and "<img src=x" not in page
    assert escape(text) in page


def import_pupils(client, campaign, rows, capture):
    """Upload, preview, confirm: the path a school's staff takes."""
    upload = io.BytesIO(builders.xlsx(rows))
    upload.name = "lop4a.xlsx"
    with capture(execute=True):
        response = client.post(
            reverse("students:import"), {"campaign": campaign.pk, "file": upload}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = int(response["Location"].rstrip("/").rsplit("/", 1)[-1])
    with capture(execute=True):
        return client.post(reverse("jobs:confirm", args=[preview]))


HEADER = ["STT", "Họ và tên", "Ngày sinh", "Cấp học", "Họ tên cha/mẹ/người giám hộ", "Thôn/xóm",
          "Lớp", "Còn thiếu"]  # fmt: skip


def test_a_pupil_imported_from_excel_is_stored_as_typed_and_shown_escaped(
    world, client, django_capture_on_commit_callbacks
):
    from songmay.students.models import Need, Student

    client.force_login(world["users"]["school_ln"])
    before = Student.objects.count()
    row = [1, PAYLOAD, "04/03/2013", "Tiểu học", PAYLOAD, PAYLOAD, "4A", "Thiết bị"]
    import_pupils(client, world["campaign_bn"], [HEADER, row], django_capture_on_commit_callbacks)
    # One pupil more: the quote and "OR 1=1" touched no other row.
    assert Student.objects.count() == before + 1
    student = Student.objects.get(full_name=PAYLOAD)
    assert (student.guardian_name, student.village) == (PAYLOAD, PAYLOAD)
    need = Need.objects.get(student=student)

    assert_shown_escaped(client.get(reverse("students:list")).content.decode(), PAYLOAD)
    detail = client.get(reverse("students:detail", args=[need.pk])).content.decode()
    assert_shown_escaped(detail, PAYLOAD)
    # Searching with the payload finds the pupil, and only it.
    found = client.get(reverse("students:list"), {"q": PAYLOAD}).content.decode()
    assert escape(PAYLOAD) in found
    assert world["need_ln"].student.full_name not in found


API_PAYLOAD = "\"><img src=x onerror=alert(1)>' OR '1'='1"


def test_a_pupil_sent_through_the_api_is_stored_as_typed_and_escaped(world, tokens, client):
    from songmay.students.models import Need

    body = {
        "campaign": world["campaign_bn"].pk, "school": world["school_ln"].code,
        "full_name": API_PAYLOAD, "date_of_birth": "2012-05-06", "level": "primary",
        "lacking": "both", "guardian_name": PAYLOAD, "village": PAYLOAD,
    }  # fmt: skip
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['school_ln']}"}
    response = client.post(
        reverse("api:create_student"), body, content_type="application/json", **headers
    )
    assert response.status_code == 201, response.content
    need = Need.objects.get(pk=response.json()["id"])
    assert need.student.full_name == API_PAYLOAD
    listed = client.get(reverse("api:list_students"), {"q": API_PAYLOAD}, **headers).json()
    assert [item["student"]["full_name"] for item in listed["items"]] == [API_PAYLOAD]

    client.force_login(world["users"]["school_ln"])
    assert_shown_escaped(client.get(reverse("students:list")).content.decode(), API_PAYLOAD)
    detail = client.get(reverse("students:detail", args=[need.pk])).content.decode()
    assert_shown_escaped(detail, API_PAYLOAD)


@pytest.mark.parametrize("text", [PAYLOAD, API_PAYLOAD])
def test_a_donor_typed_into_the_form_is_stored_as_typed_and_shown_escaped(text, world, client):
    from songmay.donations.models import Donor

    client.force_login(world["users"]["province_bn"])
    response = client.post(
        reverse("donations:donor_create"),
        {"kind": "company", "name": text, "area": world["campaign_bn"].area_id},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    donor = Donor.objects.get(name=text)
    assert_shown_escaped(client.get(reverse("donations:donor_list")).content.decode(), text)
    detail = client.get(reverse("donations:donor_detail", args=[donor.pk])).content.decode()
    assert_shown_escaped(detail, text)


def test_a_dead_spot_reported_through_the_api_is_shown_escaped(world, tokens, client):
    body = {"area": world["lucngan"].code, "village": PAYLOAD, "reported_on": "2021-09-15"}
    response = client.post(
        reverse("api:report_dead_spot"), body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {tokens['area_ln']}",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["village"] == PAYLOAD
    client.force_login(world["users"]["area_ln"])
    listed = client.get(reverse("connectivity:dead_spot_list")).content.decode()
    assert_shown_escaped(listed, PAYLOAD)
    detail = reverse("connectivity:dead_spot_detail", args=[response.json()["id"]])
    assert_shown_escaped(client.get(detail).content.decode(), PAYLOAD)
