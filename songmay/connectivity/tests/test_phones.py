"""Guardians' mobile numbers: every common way of writing one, and clear refusals."""

import datetime as dt

import pytest

from songmay.connectivity.models import SupportStatus
from songmay.connectivity.package_services import support_request
from songmay.lib.phones import InvalidMobile, likely_operator, parse_mobile


@pytest.mark.parametrize(
    "text",
    ["0983.934.091", "+84 983 934 091", "84983934091", "0983 934 091", "(098) 3934091"],
)
def test_mobile_numbers_are_read_in_every_common_format(text):
    assert parse_mobile(text) == "+84983934091"


def test_a_landline_is_refused_with_a_clear_message():
    with pytest.raises(InvalidMobile) as caught:
        parse_mobile("024 3826 1234")
    assert "cố định" in caught.value.message
    assert "024 3826 1234" in caught.value.message


def test_a_foreign_number_is_refused_with_a_clear_message():
    with pytest.raises(InvalidMobile) as caught:
        parse_mobile("+1 202 555 0143")
    assert "nước ngoài" in caught.value.message


@pytest.mark.parametrize("text", ["", "abc", "0983", "098393409123"])
def test_garbage_is_refused(text):
    with pytest.raises(InvalidMobile) as caught:
        parse_mobile(text)
    assert caught.value.message


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("+84983934091", "viettel"),
        ("+84912345678", "vnpt"),
        ("+84901234567", "mobifone"),
        ("+84921234567", "vietnamobile"),
        ("+84243826123", ""),
    ],
)
def test_the_likely_operator_comes_from_the_prefix(number, code):
    assert likely_operator(number) == code


@pytest.mark.django_db
def test_a_viettel_prefix_number_can_get_a_mobifone_package(package_world):
    # The number may have been ported to MobiFone: the prefix is a hint, never a reason to refuse.
    support = support_request(
        actor=package_world["users"]["school_ln"],
        need=package_world["need_ln"],
        package=package_world["packages"]["mobifone"],
        phone="0983.934.091",
        consent_given=True,
        consent_on=dt.date(2021, 9, 20),
    )
    assert support.operator.code == "mobifone"
    assert support.phone == "+84983934091"
    assert support.status == SupportStatus.REQUESTED
