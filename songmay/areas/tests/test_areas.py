import pytest
from django.core.management import call_command

from songmay.accounts.scope import Role
from songmay.areas.models import Area, School
from songmay.areas.selectors import SchoolFilters, area_list, school_list
from songmay.areas.services import SchoolData, area_create, areas_load_official, school_create
from songmay.audit.models import AuditEntry
from songmay.lib.errors import DomainError


@pytest.mark.django_db
def test_official_areas_are_34_provinces_and_their_communes(areas):
    assert Area.objects.filter(parent__isnull=True).count() == 34
    bac_ninh = Area.objects.get(code="24")
    assert bac_ninh.name == "Bắc Ninh"
    ward = Area.objects.get(code="07210")
    assert (ward.name, ward.parent, ward.path) == ("Phường Bắc Giang", bac_ninh, "/24/07210/")
    assert Area.objects.filter(parent__isnull=False).count() == 3321


@pytest.mark.django_db
def test_loading_areas_twice_creates_nothing_new(areas, capsys):
    before = Area.objects.count()
    call_command("load_areas")
    assert Area.objects.count() == before
    assert "thêm 0" in capsys.readouterr().out
    assert areas_load_official(actor=None).created == 0


@pytest.mark.django_db
def test_area_search_ignores_diacritics_and_case(areas, make_user):
    admin = make_user(Role.ADMIN)
    for query in ["bac giang", "BẮC GIANG", "Bắc  giang"]:
        assert [a.name for a in area_list(user=admin, query=query)] == ["Phường Bắc Giang"]
    assert "Xã Đồng Việt" in [a.name for a in area_list(user=admin, query="dong viet")]


@pytest.mark.django_db
def test_admin_adds_a_legacy_district_and_communes_below_it(areas, make_user):
    admin = make_user(Role.ADMIN)
    bac_ninh = Area.objects.get(code="24")
    district = area_create(
        actor=admin,
        code="213",
        name="Huyện Lục Ngạn",
        level="district",
        parent=bac_ninh,
        division_type="huyện",
    )
    hamlet = area_create(
        actor=admin, code="213-01", name="Thôn Kép", level="other", parent=district
    )
    assert hamlet.path == "/24/213/213-01/"
    assert [a.code for a in hamlet.ancestors()] == ["24", "213"]
    assert AuditEntry.objects.filter(action="area.created").count() == 2
    with pytest.raises(DomainError, match="đã có"):
        area_create(actor=admin, code="213", name="Trùng", level="district", parent=bac_ninh)


@pytest.mark.django_db
def test_school_teaches_several_levels_and_lists_filter_by_level_and_area(place, make_user):
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    sondong = place["communes"]["sondong"]
    school_create(
        actor=officer,
        data=SchoolData(
            code="TH-THCS-1",
            name="Trường TH&THCS Sơn Động",
            area=sondong,
            levels=["primary", "lower_secondary"],
        ),
    )
    secondary = school_list(user=officer, filters=SchoolFilters(level="lower_secondary"))
    assert [s.code for s in secondary] == ["TH-THCS-1"]
    in_sondong = school_list(user=officer, filters=SchoolFilters(area=sondong))
    assert sorted(s.code for s in in_sondong) == ["T-07615", "TH-THCS-1"]
    found = school_list(user=officer, filters=SchoolFilters(query="son dong"))
    # Sorted by name without diacritics: "truong th&thcs…" before "truong tieu hoc…".
    assert [s.code for s in found] == ["TH-THCS-1", "T-07615"]
    assert School.objects.get(code="TH-THCS-1").level_labels == ["Tiểu học", "THCS"]


@pytest.mark.django_db
def test_school_code_is_unique_and_errors_name_the_field(place, make_user):
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    data = SchoolData(
        code="T-07582", name="Trùng mã", area=place["communes"]["lucngan"], levels=["primary"]
    )
    with pytest.raises(DomainError) as error:
        school_create(actor=officer, data=data)
    assert error.value.field == "code"
    bad_phone = SchoolData(
        code="NEW-1",
        name="Trường mới",
        area=place["communes"]["lucngan"],
        levels=["primary"],
        phone="12345",
    )
    with pytest.raises(DomainError, match="Số điện thoại “12345” không hợp lệ"):
        school_create(actor=officer, data=bad_phone)


@pytest.mark.django_db
def test_area_officer_cannot_create_a_school_in_another_commune(place, make_user):
    officer = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    data = SchoolData(
        code="NEW-2", name="Trường ngoài xã", area=place["communes"]["sondong"], levels=["primary"]
    )
    with pytest.raises(DomainError, match="ngoài phạm vi"):
        school_create(actor=officer, data=data)
    assert not School.objects.filter(code="NEW-2").exists()


@pytest.mark.django_db
def test_school_pages_create_and_edit_through_the_form(place, make_user, client):
    officer = make_user(Role.AREA_OFFICER, area=place["communes"]["lucngan"])
    client.force_login(officer)
    response = client.post(
        "/schools/new/",
        {
            "code": "LN-THCS",
            "name": "Trường THCS Lục Ngạn",
            "levels": ["lower_secondary"],
            "area": "xa luc ngan",
            "phone": "0204.3882.123",
            "is_active": "on",
        },
    )
    school = School.objects.get(code="LN-THCS")
    assert response["Location"] == f"/schools/{school.pk}/"
    assert school.area == place["communes"]["lucngan"]
    page = client.get(f"/schools/{school.pk}/").content.decode()
    assert "0204.3882.123" in page
    response = client.post(
        f"/schools/{school.pk}/edit/",
        {
            "code": "LN-THCS",
            "name": "Trường THCS Lục Ngạn",
            "levels": ["lower_secondary"],
            "area": "07615",
        },
    )
    assert response.status_code == 200
    assert "Không tìm thấy địa bàn “07615” trong phạm vi của bạn" in response.content.decode()


@pytest.mark.django_db
def test_school_list_query_count_does_not_grow_with_rows(
    place, make_user, client, django_assert_max_num_queries
):
    officer = make_user(Role.PROVINCE_OFFICER, area=place["bac_ninh"])
    for number in range(30):
        school_create(
            actor=None,
            data=SchoolData(
                code=f"Q{number}",
                name=f"Trường {number}",
                area=place["communes"]["lucngan"],
                levels=["primary"],
            ),
        )
    client.force_login(officer)
    with django_assert_max_num_queries(8):
        assert client.get("/schools/").status_code == 200
