"""Vietnamese typed in the legacy 8-bit encodings TCVN3 (ABC) and VNI-Windows, to Unicode.

Schools' spreadsheets still hold text typed with the .VnTime (TCVN3) and VNI-Times (VNI)
fonts. Excel hands such a cell over as the Windows-1252 characters of its bytes, so
"Nguyễn Văn An" arrives as "NguyÔn V¨n An" (TCVN3) or "Nguyeãn Vaên An" (VNI).

A cell is read both ways. A reading is kept only when it turns words that are implausible
as typed into plausible Vietnamese syllables and leaves no implausible word behind: a false
alarm garbles a correct name, a miss only leaves a cell as the school typed it.

Framework-free: no Django here, so importers, commands and tests share it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

LegacyEncoding = Literal["TCVN3", "VNI"]
ENCODINGS: tuple[LegacyEncoding, ...] = ("TCVN3", "VNI")

NOTICE: dict[LegacyEncoding, str] = {
    "TCVN3": "Phát hiện chữ gõ bằng bảng mã TCVN3 (ABC); đã chuyển sang Unicode.",
    "VNI": "Phát hiện chữ gõ bằng bảng mã VNI-Windows; đã chuyển sang Unicode.",
}

_HUYEN, _HOI, _NGA, _SAC, _NANG = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
_CIRCUMFLEX, _BREVE = "\u0302", "\u0306"
_TONES = frozenset((_HUYEN, _HOI, _NGA, _SAC, _NANG))


def _compose(*parts: str) -> str:
    return unicodedata.normalize("NFC", "".join(parts))


# ------------------------------------------------------------------ bytes from a cell


def _byte_of_char() -> dict[str, int]:
    """Each character a Windows-1252 reading can produce, with its byte.

    The five bytes Windows-1252 leaves undefined read as their Latin-1 control characters,
    and so does any 0x80-0x9F byte a Latin-1 reader produced.
    """
    table: dict[str, int] = {}
    for byte in range(256):
        try:
            char = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            char = chr(byte)
        table[char] = byte
        table.setdefault(chr(byte), byte)
    return table


_BYTE = _byte_of_char()


def _is_legacy_candidate(text: str) -> bool:
    """True when every character of `text` is one byte of a Windows-1252 reading.

    A character outside that set (ư, ạ, a combining mark, an emoji) cannot come from an
    8-bit font, so the cell is Unicode already.
    """
    return all(char in _BYTE for char in text)


# --------------------------------------------------------------------------- TCVN3

# TCVN 5712:1993, level VN3: the level the "ABC" fonts (.VnTime, .VnArial ...) implement.
# It holds the seven Vietnamese capitals without a tone and every lower-case letter;
# capitals with a tone exist only at level VN1, so VN3 typists used the lower-case code
# (or a capitals-only font such as .VnTimeH). The VN1 capitals sit on bytes that are
# curly quotes and dashes in Windows-1252 and are deliberately not read here.
_TCVN3_PLAIN = {
    0xA1: "Ă",
    0xA2: "Â",
    0xA3: "Ê",
    0xA4: "Ô",
    0xA5: "Ơ",
    0xA6: "Ư",
    0xA7: "Đ",
    0xA8: "ă",
    0xA9: "â",
    0xAA: "ê",
    0xAB: "ô",
    0xAC: "ơ",
    0xAD: "ư",
    0xAE: "đ",
}
# The bytes of each letter with a tone, in the order huyền, hỏi, ngã, sắc, nặng.
_TCVN3_TONE_ORDER = (_HUYEN, _HOI, _NGA, _SAC, _NANG)
_TCVN3_TONED_ROWS = {
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TCVN3_TONED = {
    byte: _compose(letter, tone)
    for letter, row in _TCVN3_TONED_ROWS.items()
    for byte, tone in zip(row, _TCVN3_TONE_ORDER, strict=True)
}
_TCVN3 = {**_TCVN3_PLAIN, **_TCVN3_TONED}

# ----------------------------------------------------------------------------- VNI

# VNI-Windows writes a letter with a hat or a tone as the base letter followed by one mark
# character ("ế" = "e" + "á"); i with a tone, ơ, ư, đ and ỵ are single characters. Capitals
# use the capital form of the same characters ("Ế" = "E" + "Á"), so the tables below list
# the lower-case bytes and the capitals are derived.
_VNI_SINGLE_LOWER = {
    0xF4: "ơ",  # ô
    0xF6: "ư",  # ö
    0xF1: "đ",  # ñ
    0xED: "í",  # í
    0xEC: "ì",  # ì
    0xE6: "ỉ",  # æ
    0xF3: "ĩ",  # ó
    0xF2: "ị",  # ò
    0xEE: "ỵ",  # î
}
# Mark byte: (hat, tone).
_VNI_MARKS_LOWER = {
    0xF9: ("", _SAC),  # ù
    0xF8: ("", _HUYEN),  # ø
    0xFB: ("", _HOI),  # û
    0xF5: ("", _NGA),  # õ
    0xEF: ("", _NANG),  # ï
    0xE2: (_CIRCUMFLEX, ""),  # â
    0xE1: (_CIRCUMFLEX, _SAC),  # á
    0xE0: (_CIRCUMFLEX, _HUYEN),  # à
    0xE5: (_CIRCUMFLEX, _HOI),  # å
    0xE3: (_CIRCUMFLEX, _NGA),  # ã
    0xE4: (_CIRCUMFLEX, _NANG),  # ä
    0xEA: (_BREVE, ""),  # ê
    0xE9: (_BREVE, _SAC),  # é
    0xE8: (_BREVE, _HUYEN),  # è
    0xFA: (_BREVE, _HOI),  # ú
    0xFC: (_BREVE, _NGA),  # ü
    0xEB: (_BREVE, _NANG),  # ë
}
# Letters a mark may follow: ô (0xF4) and ö (0xF6) are ơ and ư.
_VNI_BASES_LOWER = {0x61: "a", 0x65: "e", 0x6F: "o", 0x75: "u", 0x79: "y", 0xF4: "ơ", 0xF6: "ư"}
# The letters each kind of mark may follow (i takes its tones as single characters).
_HAT_TAKERS = {_CIRCUMFLEX: "aeo", _BREVE: "a", "": "aeouyơư"}


# 0xC0-0xDE are the capitals of 0xE0-0xFE in Latin-1, as 0x41-0x5A are of 0x61-0x7A.
_VNI_SINGLE = {
    **_VNI_SINGLE_LOWER,
    **{byte - 0x20: letter.upper() for byte, letter in _VNI_SINGLE_LOWER.items()},
}
_VNI_MARKS = {
    **_VNI_MARKS_LOWER,
    **{byte - 0x20: hat_and_tone for byte, hat_and_tone in _VNI_MARKS_LOWER.items()},
}
_VNI_BASES = {
    **_VNI_BASES_LOWER,
    **{byte - 0x20: letter.upper() for byte, letter in _VNI_BASES_LOWER.items()},
}

# ------------------------------------------------------------ Vietnamese syllables

# Rhymes (vần) without their tone. "ăk" is for Central Highlands names (Đắk Lắk).
_RHYMES = frozenset(
    """
    a ac ach ai ak am an ang anh ao ap at au ay
    ăc ăk ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
    o oc oi om on ong op ot oo ooc oong
    oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt
    oe oen oeo oet
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua uc ui um un ung up ut uân uâng uât uây uê uêch uênh uơ
    uôc uôi uôm uôn uông uôt uy uya uych uyên uyêt uynh uyp uyt uyu
    ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
    y yêm yên yêng yêt yêu
    """.split()
)
# After "qu" the u is the glide, so the rhyme starts with the next vowel: quốc, quỳnh, quýt.
_QU_RHYMES = frozenset({rhyme for rhyme in _RHYMES if rhyme[0] not in "uưo"} | {"ych", "ynh", "yt"})
_INITIALS = (
    *("ngh", "ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr"),
    *("b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", ""),
)
# Accepted in text that is already Unicode, which may hold minority-language and loan words
# (Krông Pắc, Fê); never needed to accept a conversion.
_LOAN_INITIALS = ("bl", "br", "cl", "dr", "fl", "gl", "kr", "pl", "f", "j", "w", "z")
_LETTERS = frozenset("abcdđeêghiklmnoôơpqrstuưvxyăâ")
_VOWELS = frozenset("aăâeêioôơuưy")
_LOAN_LETTERS = _LETTERS | frozenset("fjwz")
_FRONT_VOWELS = ("i", "e", "ê", "y")
_STOP_FINALS = ("c", "ch", "p", "t", "k")
# Capitals-only abbreviations (ĐT, CĐ, UBND) and money (50000đ) are words of their own.
_ABBREVIATION = re.compile(r"[A-ZĐ]{2,6}")
_MONEY = re.compile(r"[0-9]+[đĐ]")
# The micro sign before a unit (µm, µg) is the TCVN3 code of "à", but no word starts so.
_MICRO_UNIT = re.compile(r"µ[A-Za-z]{1,3}")


def _case_is_ordinary(word: str) -> bool:
    """lower, Title or UPPER: "NguyÔn" is none of them."""
    rest = word[1:]
    return word in (word.lower(), word.upper()) or rest == rest.lower()


def _spelling_is_ordinary(initial: str, rhyme: str) -> bool:
    """The spelling rules: k, gh, ngh before i e ê y; c, g, ng elsewhere."""
    front = rhyme.startswith(_FRONT_VOWELS)
    if initial in ("k", "gh", "ngh"):
        return front
    if initial in ("c", "ng"):
        return not front
    if initial == "g":
        return not rhyme.startswith(("e", "ê"))
    return True


def _tone_is_well_placed(rhyme: str, offset: int) -> bool:
    """Whether the tone sits on the vowel that carries it: "hoà"/"hòa", "toán", "rượu".

    A vowel with a hat or horn takes the tone; else the last vowel before a final, the middle
    one of three, the first of two (oa, oe and uy also take it on the second).
    """
    vowels = [index for index, char in enumerate(rhyme) if char in _VOWELS]
    hatted = [index for index in vowels if rhyme[index] in "ăâêôơư"]
    if hatted:
        return offset == hatted[-1]
    if len(vowels) == 1 or vowels[-1] < len(rhyme) - 1:
        return offset == vowels[-1]
    if len(vowels) == 3:
        return offset == vowels[1]
    return offset == vowels[0] or (rhyme in ("oa", "oe", "uy") and offset == vowels[1])


def _without_tone(char: str) -> tuple[str, str]:
    decomposed = unicodedata.normalize("NFD", char)
    tone = "".join(mark for mark in decomposed if mark in _TONES)
    if not tone:
        return char, ""
    return _compose(*(mark for mark in decomposed if mark not in _TONES)), tone


def _is_syllable(word: str, *, strict: bool) -> bool:
    """Whether `word` is a plausible Vietnamese syllable.

    `strict` also checks the spelling rules, the place of the tone, that a stop final
    (c ch p t) carries sắc or nặng, and refuses loan words: it judges converted text, where
    it must be hard to pass by chance. The lenient check judges text as typed, where it must
    rarely fail on a word a person really wrote.
    """
    if not word or not _case_is_ordinary(word):
        return False
    letters = [_without_tone(char) for char in word.lower()]
    toned = [index for index, (_, tone) in enumerate(letters) if tone]
    bare = "".join(letter for letter, _ in letters)
    tone = letters[toned[0]][1] if toned else ""
    if (
        len(toned) > 1
        or len(tone) > 1
        or len(bare) != len(letters)
        or (toned and bare[toned[0]] not in _VOWELS)
        or not set(bare) <= (_LETTERS if strict else _LOAN_LETTERS)
    ):
        return False
    initials = _INITIALS if strict else _INITIALS + _LOAN_INITIALS
    for initial in initials:
        rhyme = bare[len(initial) :]
        if not bare.startswith(initial) or not any(char in _VOWELS for char in rhyme):
            continue
        if rhyme not in (_QU_RHYMES if initial == "qu" else _RHYMES):
            continue
        if not strict:
            return True
        stop_ok = tone in (_SAC, _NANG) or not rhyme.endswith(_STOP_FINALS)
        placed = not toned or _tone_is_well_placed(rhyme, toned[0] - len(initial))
        if stop_ok and placed and _spelling_is_ordinary(initial, rhyme):
            return True
    return False


def _is_plausible(word: str, *, strict: bool) -> bool:
    if _ABBREVIATION.fullmatch(word) or (strict and _MONEY.fullmatch(word)):
        return True
    return _is_syllable(word, strict=strict)


# ------------------------------------------------------------------------ decoding

# Words are split at white space and punctuation (ASCII, and Windows-1252's quotes, dashes,
# ellipsis and bullet), which neither encoding uses for letters; digits stay inside words,
# so "1ª" is one word and not a syllable.
_SEPARATORS = re.compile(r"([\s!-/:-@\[-`{-~\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u2022]+)")


_Letter = tuple[str, bool]  # a decoded character, and whether its case is unknown


def _tcvn3_word(word: str) -> list[_Letter]:
    return [
        (_TCVN3.get(byte, char), byte in _TCVN3_TONED)
        for char, byte in ((char, _BYTE.get(char, -1)) for char in word)
    ]


def _is_letter(char: str) -> bool:
    return char.lower() != char.upper()


def _chosen_case(word: list[_Letter]) -> list[tuple[int, str]]:
    """Letters whose case the typist chose: all but the lower-case-only toned codes."""
    return [
        (index, char)
        for index, (char, unknown) in enumerate(word)
        if not unknown and _is_letter(char)
    ]


def _shouted(word: list[_Letter]) -> bool:
    """ALL CAPS: "TRÇN" is TRẦN, but "HÅ" may be Hồ as well as HỒ."""
    chosen = _chosen_case(word)
    return all(char.isupper() for _, char in chosen) and any(index > 0 for index, _ in chosen)


def _starts_lower(word: list[_Letter]) -> bool:
    for char, unknown in word:
        if _is_letter(char):
            return not unknown and char.islower()
    return False


def _decode_tcvn3(words: list[str]) -> list[str]:
    """Read `words` as TCVN3 and guess the capitals VN3 cannot write.

    A word otherwise in capitals gets capitals throughout, and so does a cell in capitals;
    a word starting with a toned vowel is capitalised unless a neighbouring word starts in
    lower case (names: "TrÇn ThÞ ¸nh" is "Trần Thị Ánh", "T«i ë nhµ" stays "Tôi ở nhà").
    """
    letters = [_tcvn3_word(word) for word in words]
    lettered = [index for index, word in enumerate(letters) if any(_is_letter(c) for c, _ in word)]
    cell_shouted = any(_shouted(letters[index]) for index in lettered) and not any(
        char.islower() for word in letters for _, char in _chosen_case(word)
    )
    for position, index in enumerate(lettered):
        word = letters[index]
        if cell_shouted or _shouted(word):
            letters[index] = [(char.upper(), False) for char, _ in word]
            continue
        neighbours = (
            lettered[max(position - 1, 0) : position] + lettered[position + 1 : position + 2]
        )
        first, unknown = word[0]
        if unknown and not any(_starts_lower(letters[i]) for i in neighbours):
            word[0] = (first.upper(), False)
    return ["".join(char for char, _ in word) for word in letters]


def _decode_vni_word(word: str) -> str:
    decoded = []
    index = 0
    while index < len(word):
        char = word[index]
        base = _VNI_BASES.get(_BYTE.get(char, -1))
        if base is not None and index + 1 < len(word):
            mark = _VNI_MARKS.get(_BYTE.get(word[index + 1], -1))
            if mark is not None and base.lower() in _HAT_TAKERS[mark[0]]:
                decoded.append(_compose(base, *mark))
                index += 2
                continue
        decoded.append(_VNI_SINGLE.get(_BYTE.get(char, -1), char))
        index += 1
    return "".join(decoded)


@dataclass(frozen=True)
class _Reading:
    """A cell read in one legacy encoding, with the evidence for and against it."""

    text: str
    fixed: int  # words implausible as typed that read as plausible syllables
    doubtful: int  # words that still read as implausible
    unreadable: int  # words implausible as typed


def _read(text: str, encoding: LegacyEncoding) -> _Reading:
    parts = _SEPARATORS.split(text)
    words = parts[0::2]
    if encoding == "TCVN3":
        decoded = _decode_tcvn3(words)
    else:
        decoded = [_decode_vni_word(word) for word in words]
    decoded = [unicodedata.normalize("NFC", word) for word in decoded]
    fixed = doubtful = unreadable = 0
    for before, after in zip(words, decoded, strict=True):
        if before.isascii() or _MICRO_UNIT.fullmatch(before):
            continue  # ASCII reads the same either way; a unit is no evidence
        typed_ok = _is_plausible(before, strict=False)
        unreadable += not typed_ok
        if not _is_plausible(after, strict=True):
            doubtful += 1
        elif not typed_ok and len(after) >= 2 and _is_syllable(after, strict=True):
            fixed += 1
    parts[0::2] = decoded
    return _Reading("".join(parts), fixed, doubtful, unreadable)


# ---------------------------------------------------------------------------- API


def convert_cell(text: str) -> tuple[str, LegacyEncoding | None]:
    """Return `text` in Unicode (NFC) and the legacy encoding it was typed in, if any.

    Judges the cell alone, so it needs clear evidence; text already in Unicode and plain
    ASCII come back unchanged (composed to NFC) with None. Never raises.
    """
    text = unicodedata.normalize("NFC", text)
    if text.isascii() or not _is_legacy_candidate(text):
        return text, None
    readings = [(encoding, _read(text, encoding)) for encoding in ENCODINGS]
    convincing = [
        (reading.fixed, encoding, reading.text)
        for encoding, reading in readings
        if reading.fixed and not reading.doubtful and reading.text != text
    ]
    convincing.sort(reverse=True)
    if not convincing or (len(convincing) > 1 and convincing[0][0] == convincing[1][0]):
        return text, None
    _, encoding, converted = convincing[0]
    return converted, encoding


def detect_column_encoding(cells: Sequence[str]) -> LegacyEncoding | None:
    """The legacy encoding a column (or a whole sheet) was typed in, or None.

    One file is typed in one encoding, so the evidence of all cells adds up: a reading is
    chosen when it fixes words in more cells than there are cells plainly in Unicode, and
    leaves at most one doubtful word for every five it fixes.
    """
    fixed = dict.fromkeys(ENCODINGS, 0)
    fixed_cells = dict.fromkeys(ENCODINGS, 0)
    doubtful = dict.fromkeys(ENCODINGS, 0)
    unicode_cells = 0
    for cell in cells:
        text = unicodedata.normalize("NFC", cell)
        if text.isascii():
            continue
        if not _is_legacy_candidate(text):
            unicode_cells += 1
            continue
        for encoding in ENCODINGS:
            reading = _read(text, encoding)
            fixed[encoding] += reading.fixed
            fixed_cells[encoding] += reading.fixed > 0
            doubtful[encoding] += reading.doubtful
    candidates = sorted(
        (
            (fixed[encoding] - doubtful[encoding], encoding)
            for encoding in ENCODINGS
            if fixed_cells[encoding] > unicode_cells and doubtful[encoding] * 5 <= fixed[encoding]
        ),
        reverse=True,
    )
    if not candidates or (len(candidates) > 1 and candidates[0][0] == candidates[1][0]):
        return None
    return candidates[0][1]


def convert_cells(cells: Sequence[str], encoding: LegacyEncoding | None) -> list[str]:
    """Convert the cells of a column known to be typed in `encoding` (None: only NFC).

    A cell that cannot be legacy text (it holds ư, ạ ...) stays as it is, and so does a cell
    the conversion would make less plausible than it was: someone retyped it in Unicode.
    """
    if encoding is not None and encoding not in ENCODINGS:
        raise ValueError(f"Unknown legacy encoding: {encoding!r}")
    converted = []
    for cell in cells:
        text = unicodedata.normalize("NFC", cell)
        if encoding is not None and not text.isascii() and _is_legacy_candidate(text):
            reading = _read(text, encoding)
            if reading.doubtful <= reading.unreadable:
                text = reading.text
        converted.append(text)
    return converted
