"""Text typed in TCVN3 (ABC) or VNI-Windows is read back as the Unicode the school meant."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from songmay.lib.legacy_text import (
    NOTICE,
    convert_cell,
    convert_cells,
    detect_column_encoding,
)

# ----------------------------------------------------------------------- the oracle
# Encoders written here from the published tables, separately from the module's byte
# tables, so a slip in either shows up as a failed round trip. Each one writes the
# characters Excel shows for the legacy bytes (Windows-1252), as typing software did.

_HUYEN, _HOI, _NGA, _SAC, _NANG = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
_TONES = (_HUYEN, _HOI, _NGA, _SAC, _NANG)


def _letter_and_tone(char: str) -> tuple[str, str]:
    """ "ấ" -> ("â", sắc); the hat or horn stays with the letter."""
    decomposed = unicodedata.normalize("NFD", char)
    tone = next((mark for mark in decomposed if mark in _TONES), "")
    letter = unicodedata.normalize("NFC", decomposed.replace(tone, "")) if tone else char
    return letter, tone


# TCVN3: one code per letter, columns: no tone, huyền, hỏi, ngã, sắc, nặng.
_TCVN3_ROWS = {
    "a": "aµ¶·¸¹",
    "ă": "¨»¼½¾Æ",
    "â": "©ÇÈÉÊË",
    "e": "eÌÎÏÐÑ",
    "ê": "ªÒÓÔÕÖ",
    "i": "i×ØÜÝÞ",
    "o": "oßáâãä",
    "ô": "«åæçèé",
    "ơ": "¬êëìíî",
    "u": "uïñòóô",
    "ư": "\xadõö÷øù",
    "y": "yúûüýþ",
}
_TCVN3_OTHERS = {"Ă": "¡", "Â": "¢", "Ê": "£", "Ô": "¤", "Ơ": "¥", "Ư": "¦", "Đ": "§", "đ": "®"}
_TCVN3_TONE_COLUMN = {"": 0, _HUYEN: 1, _HOI: 2, _NGA: 3, _SAC: 4, _NANG: 5}


def encode_tcvn3(text: str) -> str:
    encoded = []
    for char in unicodedata.normalize("NFC", text):
        letter, tone = _letter_and_tone(char)
        row = _TCVN3_ROWS.get(letter.lower())
        if char in _TCVN3_OTHERS:
            encoded.append(_TCVN3_OTHERS[char])
        elif row is None or (letter.isupper() and not tone):
            encoded.append(char)
        else:  # VN3 has no capital with a tone: typing software wrote the lower-case code
            encoded.append(row[_TCVN3_TONE_COLUMN[tone]])
    return "".join(encoded)


# VNI: base letter + mark; marks in the order sắc, huyền, hỏi, ngã, nặng.
_VNI_TONE_MARKS = dict(zip((_SAC, _HUYEN, _HOI, _NGA, _NANG), "ùøûõï", strict=True))
_VNI_HATS = {
    "â": ("a", "â", "áàåãä"),
    "ê": ("e", "â", "áàåãä"),
    "ô": ("o", "â", "áàåãä"),
    "ă": ("a", "ê", "éèúüë"),
}
_VNI_I = dict(zip(("", _SAC, _HUYEN, _HOI, _NGA, _NANG), "iíìæóò", strict=True))
_VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ"}
_VNI_TONE_INDEX = {_SAC: 0, _HUYEN: 1, _HOI: 2, _NGA: 3, _NANG: 4}


def _encode_vni_letter(letter: str, tone: str) -> str | None:
    if letter == "i":
        return _VNI_I[tone]
    if letter == "y" and tone == _NANG:
        return "î"
    if letter in _VNI_HATS:
        base, plain, toned = _VNI_HATS[letter]
        return base + (toned[_VNI_TONE_INDEX[tone]] if tone else plain)
    if letter in _VNI_SINGLE:
        return _VNI_SINGLE[letter] + _VNI_TONE_MARKS.get(tone, "")
    if letter in "aeouy":
        return letter + _VNI_TONE_MARKS.get(tone, "")
    return None


def encode_vni(text: str) -> str:
    encoded = []
    for char in unicodedata.normalize("NFC", text):
        letter, tone = _letter_and_tone(char)
        vni = _encode_vni_letter(letter.lower(), tone) if char.isalpha() else None
        if vni is None:
            encoded.append(char)
        else:  # capitals use the capital form of every character, marks included
            encoded.append(vni.upper() if letter.isupper() else vni)
    return "".join(encoded)


ENCODERS = {"TCVN3": encode_tcvn3, "VNI": encode_vni}

NAMES = [
    "Nguyễn Văn An",
    "Trần Thị Ánh Tuyết",
    "Lê Đức Thọ",
    "Phạm Ngọc Ước",
    "Hoàng Thị Hồng Nhung",
    "Trường Tiểu học Lục Ngạn",
    "Xã Tây Yên Tử",
    "Đặng Công Hòa",
    "Ngô Sĩ Liên",
    "Huỳnh Như Ý",
    "Trường THCS Đắk Lắk, tổ 3",
    "Quách Thị Quỳnh Khuê - 0983.934.091",
]

# ------------------------------------------------------------------------- examples


def test_the_oracle_writes_what_schools_files_show():
    assert encode_tcvn3("Nguyễn Văn An") == "NguyÔn V¨n An"
    assert encode_vni("Nguyễn Văn An") == "Nguyeãn Vaên An"


def test_cells_as_excel_shows_them_read_back_as_unicode():
    assert convert_cell("NguyÔn V¨n An") == ("Nguyễn Văn An", "TCVN3")
    assert convert_cell("Nguyeãn Vaên An") == ("Nguyễn Văn An", "VNI")
    # Word's curly quotes and dashes are Windows-1252 characters too, and stay as they are.
    assert convert_cell("Tr\xadêng “Lª Lîi” – Th«n §«ng…") == (
        "Trường “Lê Lợi” – Thôn Đông…",
        "TCVN3",
    )


@pytest.mark.parametrize("encoding", ["TCVN3", "VNI"])
@pytest.mark.parametrize("name", NAMES)
def test_legacy_cell_round_trips_with_its_encoding_detected(name, encoding):
    typed = ENCODERS[encoding](name)
    assert typed != name
    assert convert_cell(typed) == (name, encoding)


@pytest.mark.parametrize("encoding", ["TCVN3", "VNI"])
@pytest.mark.parametrize("name", ["NGUYỄN VĂN AN", "TRẦN THỊ ÁNH TUYẾT", "HỒ VĂN ĐỨC"])
def test_names_in_capitals_round_trip(name, encoding):
    assert convert_cell(ENCODERS[encoding](name)) == (name, encoding)


def test_decomposed_unicode_is_composed():
    for name in NAMES:
        decomposed = unicodedata.normalize("NFD", name)
        assert decomposed != name
        assert convert_cell(decomposed) == (name, None)


@pytest.mark.parametrize(
    "text",
    [
        "Nguyễn Văn An",
        "Đặng Công Hòa",
        "Ngô Sĩ Liên",
        "Hoàng Thái Bình",
        "Vò",  # a real word, and also Vũ in TCVN3: alone, the cell is left as typed
        "Toàn Thắng",
        "0983.934.091",
        "truong@bacninh.edu.vn",
        "Hello",
        "THCS",
        "",
        "José Müller, café crème, naïve",
        "Hello · World",
        "5 µm",
        "© 2024",
        "1ª",
        "25°C ± 2",
        "«Hello»",
        "½",
    ],
)
def test_unicode_and_plain_text_come_back_unchanged(text):
    assert convert_cell(text) == (text, None)


def test_notice_tells_the_user_which_encoding_was_converted():
    assert set(NOTICE) == {"TCVN3", "VNI"}
    assert "TCVN3" in NOTICE["TCVN3"]
    assert "VNI" in NOTICE["VNI"]
    assert all("Unicode" in notice for notice in NOTICE.values())


# -------------------------------------------------------------------------- columns

COLUMN = [*NAMES, "Vũ Lý", "Hoà", "0983934091", "Ghi chú", ""]


@pytest.mark.parametrize("encoding", ["TCVN3", "VNI"])
def test_a_legacy_column_is_detected_and_converted_as_a_whole(encoding):
    typed = [ENCODERS[encoding](cell) for cell in COLUMN]
    # Alone, "Vò Lý" (TCVN3) and "Hoaø" (VNI) are plausible as typed; the column decides.
    assert detect_column_encoding(typed) == encoding
    assert convert_cells(typed, encoding) == COLUMN


def test_a_unicode_column_is_not_legacy():
    column = [*COLUMN, "Hoàng Thái Bình", "Toàn", "Tâm", "Hòa"]
    assert detect_column_encoding(column) is None
    assert detect_column_encoding([unicodedata.normalize("NFD", c) for c in column]) is None
    assert convert_cells([unicodedata.normalize("NFD", c) for c in column], None) == column


def test_converting_a_column_keeps_cells_someone_retyped_in_unicode():
    typed = [encode_tcvn3(name) for name in NAMES]
    retyped = ["Nguyễn Văn Bình", "Hoàng Thái Bình"]
    assert detect_column_encoding(typed + retyped) == "TCVN3"
    assert convert_cells(typed + retyped, "TCVN3") == NAMES + retyped


def test_an_empty_column_has_no_encoding():
    assert detect_column_encoding([]) is None
    assert detect_column_encoding(["", "123", "Hello"]) is None


# -------------------------------------------------------------------------- properties

# Every string of Vietnamese letters cannot be left alone: "Nguyeãn" is spelled with
# Vietnamese letters and is exactly what VNI makes of "Nguyễn". So the no-false-positive
# property is checked on realistic text, built from real syllables in the case styles
# people type (Title for names, lower, UPPER), which is what a genuine cell holds.
SYLLABLES = """
    nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đào đinh mai
    trịnh lương hà tạ cao lâm chu quách tô thái kiều la vương hứa giáp khổng triệu mạc lục
    ông âu ứng văn thị đức ngọc minh hữu quang xuân thu thanh hồng kim bảo gia khánh anh
    đình công tiến thành phương mỹ diệu quốc trọng như uyên yến an ánh bình chi cường dũng
    đạt giang hải hạnh hiếu hoa hòa hoà huy hùng hương khoa khuê lan linh long nam nga ngân
    nhung oanh phúc phượng quân quyên quỳnh sơn tâm thảo thắng thúy thủy toàn trang tuấn
    tuyết vân việt ý ái ân trường tiểu học trung cơ sở phổ thông xã phường huyện tỉnh thôn
    bản làng tổ bắc ninh ngạn yên tử tây đông lạng bằng điện biên lai châu nguyên quảng trị
    huế đắk lắk của người những được nghiêng khuya quýt khuỷu ngoằn ngoèo thuở rượu giường
    giặt ếch ồ ừ ạ ở ấy oái uống yêu hoạch khuếch xoong gì gìn ghế nghỉ kỹ kẻ cá cò
    toán tiếng việt lớp chín mười em học sinh giỏi tốt khá yếu kém nhà trọ nghèo cận
""".split()
LATIN1_SYLLABLES = [s for s in SYLLABLES if all(ord(c) < 256 for c in s)]


def _cased(syllables: list[str], style: str) -> str:
    if style == "title":
        return " ".join(s.capitalize() for s in syllables)
    text = " ".join(syllables)
    return text.upper() if style == "upper" else text


def realistic_text(syllables: list[str]) -> st.SearchStrategy[str]:
    return st.builds(
        _cased,
        st.lists(st.sampled_from(syllables), min_size=1, max_size=6),
        st.sampled_from(["title", "lower", "upper"]),
    )


@given(st.text())
def test_convert_cell_never_raises(text):
    converted, encoding = convert_cell(text)
    assert encoding in (None, "TCVN3", "VNI")
    assert unicodedata.is_normalized("NFC", converted)


@given(st.text(alphabet=st.characters(max_codepoint=0xFF)))
def test_convert_cell_never_raises_on_the_latin_1_text_legacy_cells_are_made_of(text):
    converted, encoding = convert_cell(text)
    assert (converted == unicodedata.normalize("NFC", text)) == (encoding is None)
    assert detect_column_encoding([text, text]) in (None, "TCVN3", "VNI")


@given(realistic_text(SYLLABLES))
def test_unicode_vietnamese_is_never_taken_for_legacy_text(text):
    assert convert_cell(text) == (text, None)


@given(realistic_text(LATIN1_SYLLABLES))
def test_unicode_vietnamese_in_latin_1_letters_is_never_taken_for_legacy_text(text):
    # These cells could be bytes of a legacy font, so the detector really has to judge.
    assert convert_cell(text) == (text, None)


@given(st.lists(realistic_text(LATIN1_SYLLABLES), min_size=1, max_size=20))
def test_a_unicode_column_in_latin_1_letters_is_not_legacy(column):
    assert detect_column_encoding(column) is None


@given(
    st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=5).map(
        lambda syllables: " ".join(s.capitalize() for s in syllables)
    ),
    st.sampled_from(["TCVN3", "VNI"]),
)
def test_a_legacy_name_is_converted_right_or_left_alone(name, encoding):
    typed = ENCODERS[encoding](name)
    assert convert_cells([typed], encoding) == [name]
    assert convert_cell(typed) in ((name, encoding), (typed, None))
