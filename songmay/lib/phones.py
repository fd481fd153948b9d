"""Vietnamese phone numbers, read however people write them ("0983.934.091")."""

import re

import phonenumbers

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
