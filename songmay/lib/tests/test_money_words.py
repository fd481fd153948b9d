import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from songmay.lib.money import vnd_in_words

UNITS = {
    "không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5,
    "sáu": 6, "bảy": 7, "tám": 8, "chín": 9,
}  # fmt: skip


def _group(words: list[str]) -> int:
    value, digit = 0, 0
    for word in words:
        if word == "trăm":
            value, digit = value + digit * 100, 0
        elif word == "mươi":
            value, digit = value + digit * 10, 0
        elif word == "mười":
            value += 10
        elif word not in ("linh", "lẻ"):
            digit = UNITS[word]
    return value + digit


def _read(words: list[str]) -> int:
    """The oracle: read the words back into a number, the way a person checks a cheque."""
    if "tỷ" in words:
        last = len(words) - 1 - words[::-1].index("tỷ")
        return _read(words[:last]) * 10**9 + _read(words[last + 1 :])
    for scale, size in (("triệu", 10**6), ("nghìn", 10**3)):
        if scale in words:
            at = words.index(scale)
            return _group(words[:at]) * size + _read(words[at + 1 :])
    return _group(words)


def _number(text: str) -> int:
    words = text.lower().removesuffix(" đồng").split()
    return _read(words)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (976_500_000, "Chín trăm bảy mươi sáu triệu năm trăm nghìn đồng"),
        (0, "Không đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (11, "Mười một đồng"),
        (14, "Mười bốn đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (24, "Hai mươi tư đồng"),
        (25, "Hai mươi lăm đồng"),
        (30, "Ba mươi đồng"),
        (101, "Một trăm linh một đồng"),
        (105, "Một trăm linh năm đồng"),
        (115, "Một trăm mười lăm đồng"),
        (1_005, "Một nghìn không trăm linh năm đồng"),
        (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
        (2_000_005, "Hai triệu không trăm linh năm đồng"),
        (1_500_000, "Một triệu năm trăm nghìn đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (1_050_000_000, "Một tỷ không trăm năm mươi triệu đồng"),
        (2_000_000_000_000, "Hai nghìn tỷ đồng"),
    ],
)
def test_amounts_read_the_way_an_accountant_writes_them(amount, words):
    assert vnd_in_words(amount) == words


def test_the_south_says_le_for_an_empty_tens_place():
    assert vnd_in_words(105, zero_ten="lẻ") == "Một trăm lẻ năm đồng"
    with pytest.raises(ValueError, match="linh"):
        vnd_in_words(105, zero_ten="lẽ")


def test_a_negative_amount_is_read_with_am():
    assert vnd_in_words(-21) == "Âm hai mươi mốt đồng"


@given(st.integers(min_value=1, max_value=10**15))
def test_the_words_read_back_to_the_same_amount(amount):
    text = vnd_in_words(amount)
    assert _number(text) == amount
    assert text[0].isupper()
    assert "  " not in text
    # "mốt" and "tư" only after "mươi"; "lăm" only after "mười" or "mươi".
    words = text.lower().split()
    for before, word in itertools.pairwise(words):
        if word in ("mốt", "tư"):
            assert before == "mươi"
        if word == "lăm":
            assert before in ("mươi", "mười")


@pytest.mark.parametrize("typed", ["²", "1²3", "٣٤٥"])
def test_an_amount_in_other_digits_is_refused_with_a_message(typed):
    """`"²".isdigit()` is true but `int("²")` fails: such text gets the Vietnamese message."""
    from songmay.lib.money import InvalidAmount, parse_vnd

    with pytest.raises(InvalidAmount, match="số đồng chẵn"):
        parse_vnd(typed)
    assert parse_vnd("1.500.000") == 1_500_000
