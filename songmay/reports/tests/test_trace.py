from django.urls import reverse
from django.utils.html import escape

from songmay.donations.services import donor_trace_link_issue, donor_trace_link_revoke


def trace(client, donor):
    return client.get(reverse("reports:donor_trace", args=[donor.trace_token]))


def test_money_is_followed_to_what_it_bought_the_school_and_the_handover_day(client, gifts, place):
    response = trace(client, gifts["company"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Đã tiếp nhận</strong> ngày 22/09/2021: 50.000.000 đ" in html
    assert "Đã chi 30.000.000 đ</strong> ngày 27/09/2021 (phiếu chi PC-00001)" in html
    assert "10 máy tính bảng Samsung Tab A7 × 3.000.000 đ" in html
    assert "Chưa chi:</strong> 20.000.000 đ" in html
    # 8 tablets at Lục Ngạn and 2 at Sơn Động, handed over on 05/10/2021.
    lucngan, sondong = place["schools"]["lucngan"].name, place["schools"]["sondong"].name
    assert (
        f'<td data-label="Số lượng" class="num">8</td>\n    <td data-label="Nơi nhận">{lucngan}'
        in html
    )
    assert f'<td data-label="Nơi nhận">{sondong}</td>' in html
    assert html.count("Đã bàn giao cho học sinh ngày 05/10/2021") == 2


def test_donated_devices_show_where_each_went(client, gifts, place):
    html = trace(client, gifts["person"]).content.decode()
    assert "7 điện thoại thông minh" in html
    assert escape(f"Kho: {gifts['warehouse'].name}") in html  # the 4 not yet handed over
    assert place["schools"]["lucngan"].name in html
    assert "Đã bàn giao cho học sinh ngày 05/10/2021" in html
    # Its money was not spent yet (the company's came first).
    assert "Chưa chi:</strong> 20.000.000 đ" in html


def test_another_donors_gifts_are_not_shown(client, gifts):
    company = trace(client, gifts["company"]).content.decode()
    assert "TN-00001" in company
    for other in ("TN-00002", "TN-00003", "TN-00004", gifts["person"].name, "điện thoại"):
        assert other not in company, other
    person = trace(client, gifts["person"]).content.decode()
    assert "TN-00001" not in person
    assert gifts["company"].name not in person
    assert "50.000.000 đ" not in person


def test_the_page_is_not_indexed_cached_or_sent_as_referrer(client, gifts):
    response = trace(client, gifts["company"])
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert '<meta name="referrer" content="no-referrer">' in html


def test_revoked_replaced_unknown_or_short_tokens_are_404(client, gifts):
    officer, company = gifts["officer"], gifts["company"]
    old = company.trace_token
    company = donor_trace_link_issue(actor=officer, donor=company)
    assert client.get(reverse("reports:donor_trace", args=[old])).status_code == 404
    assert trace(client, company).status_code == 200
    donor_trace_link_revoke(actor=officer, donor=company)
    assert client.get(reverse("reports:donor_trace", args=[company.trace_token])).status_code == 404
    for token in ("x" * 43, company.trace_token[:10], gifts["person"].trace_token.upper()):
        assert client.get(reverse("reports:donor_trace", args=[token])).status_code == 404


def test_trace_reads_a_fixed_number_of_queries(client, gifts, django_assert_max_num_queries):
    # Donor, receipts, their items, fundings, purchase lines, devices: however many gifts.
    for donor in ("company", "person"):
        with django_assert_max_num_queries(6):
            trace(client, gifts[donor])
