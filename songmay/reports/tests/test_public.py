import csv
import io
import itertools

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from songmay.lib.phones import display_phone
from songmay.reports.selectors import ALSO_HIDDEN, SMALL_COUNT, SUPPRESSED, suppress_small


def page(client, gifts):
    response = client.get(reverse("reports:public_campaign", args=[gifts["campaign"].pk]))
    assert response.status_code == 200
    return response.content.decode()


def csv_text(client, gifts):
    response = client.get(reverse("reports:public_campaign_csv", args=[gifts["campaign"].pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(client, gifts):
    return list(csv.reader(io.StringIO(csv_text(client, gifts).removeprefix("\ufeff"))))


def test_anyone_sees_the_campaigns_without_logging_in(client, gifts):
    response = client.get(reverse("reports:public_index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("reports:public_campaign", args=[gifts["campaign"].pk]) in html
    assert "70.000.000 đ" in html


def test_public_page_shows_the_totals_as_the_seeds_list_them(client, gifts):
    html = page(client, gifts)
    assert "Đã tiếp nhận 70.000.000 đ tiền ủng hộ và 7 điện thoại thông minh." in html, (
        "cash first, then devices by kind"
    )
    for label in ("Máy tính để bàn", "Máy tính xách tay", "Máy tính bảng", "Gói cước dữ liệu"):
        assert label in html
    # What the money bought, and what is left.
    assert "10 máy tính bảng Samsung Tab A7 × 3.000.000 đ" in html
    assert "30.000.000 đ" in html
    assert "40.000.000 đ" in html
    assert "Công ty TNHH Thiết bị Kinh Bắc" in html
    # Dates the Vietnamese way.
    assert "22/09/2021" in html


def test_donors_who_did_not_consent_are_nha_hao_tam_and_no_contact_is_shown(client, gifts):
    html, text = page(client, gifts), csv_text(client, gifts)
    for content in (html, text):
        assert gifts["company"].name in content
        assert "Viettel Bắc Ninh" in content
        assert "Nhà hảo tâm" in content
        assert gifts["person"].name not in content
        for contact in ("Đỗ Văn Liên Hệ", "0961.222.333", "+84961222333", "lienhe@example.vn",
                        "Số 1 đường Thử", gifts["company"].tax_code, "FT21265001"):  # fmt: skip
            assert contact not in content, contact


def test_csv_is_excel_ready_utf8_with_the_documented_columns(client, gifts):
    response = client.get(reverse("reports:public_campaign_csv", args=[gifts["campaign"].pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "public" in response["Cache-Control"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8").removeprefix("\ufeff"))))
    assert rows[0][:5] == ["Phần", "Ngày", "Số chứng từ", "Nhà tài trợ hoặc nhà cung cấp", "Loại"]
    assert ["Tổng tiếp nhận", "", "", "", "Tiền", "", "", "70000000", "", ""] in rows
    assert ["Tổng tiếp nhận", "", "", "", "Điện thoại thông minh", "7", "", "", "", ""] in rows
    receipts = [row for row in rows if row[0] == "Tiếp nhận"]
    assert [row[3] for row in receipts] == [
        gifts["company"].name,
        "Nhà hảo tâm",
        "Nhà hảo tâm",
        "Viettel Bắc Ninh",
    ]
    assert receipts[0][1] == "2021-09-22"
    spent = [row for row in rows if row[0] == "Chi"]
    assert spent == [
        ["Chi", "2021-09-27", "PC-00001", "Công ty TNHH Thiết bị Kinh Bắc", "Máy tính bảng",
         "10", "3000000", "30000000", "", "Samsung Tab A7; HĐ 0000123"],
    ]  # fmt: skip


def test_no_pupil_data_on_any_public_page_or_in_the_csv(client, gifts, pupils):
    assert len(pupils) == 5
    contents = {
        "index": client.get(reverse("reports:public_index")).content.decode(),
        "page": page(client, gifts),
        "csv": csv_text(client, gifts),
    }
    for key in ("company", "person"):
        url = reverse("reports:donor_trace", args=[gifts[key].trace_token])
        contents[f"trace {key}"] = client.get(url).content.decode()
    for student in pupils:
        needles = [student.full_name, student.guardian_name, student.guardian_phone,
                   display_phone(student.guardian_phone), student.personal_id]  # fmt: skip
        assert all(needles), "the fixture gives every pupil every field"
        for (where, content), needle in itertools.product(contents.items(), needles):
            assert needle not in content, f"{needle} on {where}"


def test_devices_that_reached_pupils_are_counted_by_area_with_small_counts_hidden(
    client, gifts, place
):
    html = page(client, gifts)
    lucngan, sondong = place["communes"]["lucngan"].name, place["communes"]["sondong"].name
    # Lục Ngạn 11, Sơn Động 2: "<5"; 11 is hidden too, or 13 − 11 would give the 2 away.
    assert f'<td data-label="Địa bàn">{sondong}</td>' in html
    assert '<td data-label="Đã bàn giao" class="num">&lt;5</td>' in html
    assert f'<td data-label="Đã bàn giao" class="num">{ALSO_HIDDEN}</td>' in html
    assert '<span class="stat">13</span>' in html
    assert ">11<" not in html and ">2<" not in html
    rows = [row for row in csv_rows(client, gifts) if row[0] == "Thiết bị đến học sinh"]
    assert {(row[8], row[5]) for row in rows} == {
        (lucngan, ALSO_HIDDEN),
        (sondong, SUPPRESSED),
        ("Tổng", "13"),
    }


def test_public_page_queries_do_not_grow_with_the_gifts(client, gifts, django_assert_num_queries):
    from songmay.donations.models import DonationKind
    from songmay.donations.services import DonationData, ItemData, donation_receive

    url = reverse("reports:public_campaign", args=[gifts["campaign"].pk])
    # 12 for the page, 1 for the version of the data and 12 to build the indicators (cached
    # until the next write).
    with django_assert_num_queries(25):
        client.get(url)
    for day in range(3):
        donation_receive(
            actor=None,
            campaign=gifts["campaign"],
            donor=gifts["operator"],
            data=DonationData(
                kind=DonationKind.GOODS,
                received_on=gifts["day"].replace(day=1 + day),
                items=[ItemData("laptop", 2), ItemData("tablet", 1)],
            ),
        )
    with django_assert_num_queries(25):
        assert "Máy tính xách tay" in client.get(url).content.decode()


def test_unknown_campaign_is_404(client, db):
    assert client.get(reverse("reports:public_campaign", args=[999_999])).status_code == 404
    assert client.get(reverse("reports:public_campaign_csv", args=[999_999])).status_code == 404


# ---- Small counts ----


def test_a_lone_small_count_is_hidden_with_its_smallest_neighbour():
    assert suppress_small([3, 40, 7]) == (["<5", "40", ALSO_HIDDEN], "50")
    assert suppress_small([12, 9]) == (["12", "9"], "21")
    assert suppress_small([2]) == (["<5"], "<5")
    assert suppress_small([4, 4]) == (["<5", "<5"], ALSO_HIDDEN)


def _possible_values(shown, total):
    """Every list of counts a reader could believe, given what is published (brute force)."""
    ranges = [
        range(1, SMALL_COUNT) if text == SUPPRESSED
        else range(SMALL_COUNT, 41) if text == ALSO_HIDDEN
        else [int(text)]
        for text in shown
    ]  # fmt: skip
    return [
        values
        for values in itertools.product(*ranges)
        if total in (SUPPRESSED, ALSO_HIDDEN) or sum(values) == int(total)
    ]


@given(st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=4))
def test_no_count_under_5_can_be_worked_out_from_what_is_published(counts):
    shown, total = suppress_small(counts)
    possible = _possible_values(shown, total)
    assert tuple(counts) in possible
    for i, count in enumerate(counts):
        if count < SMALL_COUNT:
            assert shown[i] == SUPPRESSED
            assert len({values[i] for values in possible}) > 1, (counts, shown, total)


@pytest.mark.parametrize("counts", [[], [0], [5, 5]])
def test_counts_of_5_or_more_are_shown(counts):
    assert suppress_small(counts) == ([str(count) for count in counts], str(sum(counts)))
