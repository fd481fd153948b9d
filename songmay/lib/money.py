"""Money is integer VND, shown the Vietnamese way: 1.234.567 đ."""

import re
from decimal import Decimal


def format_vnd(amount: int) -> str:
    """976_500_000 -> "976.500.000 đ"."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,} đ".replace(",", ".")


class InvalidAmount(ValueError):
    """The text is not a whole, non-negative number of đồng; the message says how to fix it."""


_GROUPED = re.compile(r"\d{1,3}(\.\d{3})+")


def parse_vnd(value: object) -> int:
    """ "1.234.567 đ", "1234567" or 1234567 -> 1234567; refuses negatives and fractions."""
    if isinstance(value, bool):
        raise InvalidAmount("Số tiền phải là một số, ví dụ 1.500.000.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        if value != int(value):
            raise InvalidAmount("Số tiền phải là số đồng chẵn, không có phần lẻ.")
        number = int(value)
    else:
        text = str(value).strip().lower().removesuffix("đồng").removesuffix("đ")
        text = text.replace(" ", "").replace("vnd", "")
        if text.startswith("-"):
            raise InvalidAmount("Số tiền không được âm.")
        if "," in text:
            raise InvalidAmount(
                "Số tiền phải là số đồng chẵn; dấu chấm ngăn cách hàng nghìn, ví dụ 1.500.000."
            )
        if _GROUPED.fullmatch(text):
            text = text.replace(".", "")
        if not (text.isascii() and text.isdigit()):  # "²".isdigit() is true
            raise InvalidAmount("Số tiền phải là số đồng chẵn, ví dụ 1.500.000.")
        number = int(text)
    if number < 0:
        raise InvalidAmount("Số tiền không được âm.")
    return number


_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _three_digits(number: int, *, leading: bool, zero_ten: str) -> str:
    """0 < number < 1000, as read inside a longer number (or first, when `leading`)."""
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or not leading:
        # A group after the first keeps its hundreds: 1.050.000 is "một triệu không trăm...".
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words += [zero_ten, _DIGITS[units]]  # 105: "một trăm linh năm"
        elif units:
            words.append(_DIGITS[units])
        return " ".join(words)
    words += ["mười"] if tens == 1 else [_DIGITS[tens], "mươi"]
    if units == 1 and tens > 1:
        words.append("mốt")  # 21: "hai mươi mốt", but 11: "mười một"
    elif units == 4 and tens > 1:
        words.append("tư")  # 24: "hai mươi tư", but 14: "mười bốn"
    elif units == 5:
        words.append("lăm")  # 15: "mười lăm", 25: "hai mươi lăm"
    elif units:
        words.append(_DIGITS[units])
    return " ".join(words)


def _below_billion(number: int, *, leading: bool, zero_ten: str) -> list[str]:
    groups = [(number // 1000**i) % 1000 for i in range(2, -1, -1)]
    words: list[str] = []
    for scale, group in zip(("triệu", "nghìn", ""), groups, strict=True):
        if group:
            words.append(_three_digits(group, leading=leading and not words, zero_ten=zero_ten))
            if scale:
                words.append(scale)
    return words


def _spell(number: int, *, leading: bool, zero_ten: str) -> list[str]:
    # Past a thousand million the scale starts again: 10^12 is "một nghìn tỷ".
    billions, rest = divmod(number, 1_000_000_000)
    words = [*_spell(billions, leading=leading, zero_ten=zero_ten), "tỷ"] if billions else []
    return words + _below_billion(rest, leading=leading and not words, zero_ten=zero_ten)


def vnd_in_words(amount: int, *, zero_ten: str = "linh") -> str:
    """976_500_000 -> "Chín trăm bảy mươi sáu triệu năm trăm nghìn đồng" (số tiền bằng chữ).

    `zero_ten` is the word for an empty tens place, "linh" (as in the North) or "lẻ".
    """
    if zero_ten not in ("linh", "lẻ"):
        raise ValueError("zero_ten must be “linh” or “lẻ”.")
    if amount == 0:
        return "Không đồng"
    words = _spell(abs(amount), leading=True, zero_ten=zero_ten)
    text = " ".join(["âm", *words] if amount < 0 else words)
    return f"{text[0].upper()}{text[1:]} đồng"
