from hypothesis import given
from hypothesis import strategies as st

from songmay.lib.money import format_vnd
from songmay.lib.phones import display_phone, parse_phone
from songmay.lib.vietnamese import collation_key, fold, name_sort_key


def test_fold_strips_diacritics_case_and_spaces():
    assert fold("  Bắc   GIANG ") == "bac giang"
    assert fold("Đồng Việt") == "dong viet"


def test_class_list_order_is_by_given_name_in_the_vietnamese_alphabet():
    names = [
        "Nguyễn Văn Bình",
        "Trần Thị Ân",
        "Lê Ăn",
        "Phạm An",
        "Hà Đức",
        "Đỗ Dũng",
        "Lê Ơn",
        "Ngô Ông",
    ]
    assert sorted(names, key=name_sort_key) == [
        "Phạm An",
        "Lê Ăn",
        "Trần Thị Ân",
        "Nguyễn Văn Bình",
        "Đỗ Dũng",
        "Hà Đức",
        "Ngô Ông",
        "Lê Ơn",
    ]


def test_tones_break_ties_in_dictionary_order():
    words = ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert sorted(["mạ", "má", "mã", "mả", "mà", "ma"], key=collation_key) == words


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạ ", max_size=12))
def test_collation_key_is_digits_only_so_any_database_collation_keeps_the_order(text):
    assert collation_key(text).isdigit()


def test_money_is_shown_the_vietnamese_way():
    assert format_vnd(977_000_000) == "977.000.000 đ"
    assert format_vnd(0) == "0 đ"


def test_phone_numbers_are_read_as_written_in_the_plan():
    assert parse_phone("0983.934.091") == "+84983934091"
    assert display_phone("+84915262928") == "0915.262.928"
