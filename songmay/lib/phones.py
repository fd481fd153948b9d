"""Vietnamese phone numbers, read however people write them ("0983.934.091")."""

import re

import phonenumbers
from phonenumbers import carrier

# "0983934091": the way nearly every number is typed; read without the general parser.
_NATIONAL = re.compile(r"0[1-9]\d{8}", re.ASCII)


class InvalidPhone(ValueError):
    pass


def parse_phone(text: str) -> str:
    """Return the number in E.164 (+84983934091) or raise InvalidPhone."""
    if _NATIONAL.fullmatch(text):
        # What phonenumbers.parse(text, "VN") makes of it: the trunk 0 dropped, country 84.
        number = phonenumbers.PhoneNumber(country_code=84, national_number=int(text[1:]))
        if not phonenumbers.is_valid_number(number):
            raise InvalidPhone(text)
        return f"+84{text[1:]}"
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(text) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """+84983934091 -> "0983.934.091", the way Vietnamese documents print numbers."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, "VN")
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national.replace(" ", ".")


class InvalidMobile(InvalidPhone):
    """Not a Vietnamese mobile number; `message` says why, in Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)
_MOBILE_SHAPE = "số di động có 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09"

# The carrier names phonenumbers gives (English) -> Operator.code.
_CARRIERS = {
    "viettel": "viettel",
    "vinaphone": "vnpt",
    "vnpt": "vnpt",
    "mobifone": "mobifone",
    "vietnamobile": "vietnamobile",
}


def parse_mobile(text: str) -> str:
    """A Vietnamese mobile number in E.164, or InvalidMobile saying what is wrong."""
    raw = text.strip()
    if not raw:
        raise InvalidMobile("Hãy nhập số điện thoại di động.")
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        raise InvalidMobile(
            f"“{raw}” không phải số điện thoại; {_MOBILE_SHAPE}, ví dụ 0983.934.091."
        ) from None
    if number.country_code != 84:
        raise InvalidMobile(
            f"“{raw}” là số điện thoại nước ngoài; chỉ nhận số di động Việt Nam ({_MOBILE_SHAPE})."
        )
    if not phonenumbers.is_valid_number(number):
        raise InvalidMobile(f"“{raw}” không phải số điện thoại Việt Nam hợp lệ; {_MOBILE_SHAPE}.")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidMobile(
            f"“{raw}” là số điện thoại cố định (máy bàn); "
            f"gói cước cần số di động ({_MOBILE_SHAPE})."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def likely_operator(e164: str) -> str:
    """The operator code the number's prefix was first given to ("" if unknown).

    A hint only: a number ported to another operator keeps its prefix, so never refuse or
    choose an operator on it.
    """
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return ""
    name = carrier.name_for_number(number, "en").lower()
    return next((code for key, code in _CARRIERS.items() if key in name), "")
