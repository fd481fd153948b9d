"""Vietnamese text: search without diacritics, and the alphabet's own ordering."""

import unicodedata
from functools import lru_cache

# đ/Đ is a letter of its own, not a d with a combining mark, so NFD leaves it intact.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})

# The Vietnamese alphabet: ă, â, đ, ê, ô, ơ, ư are letters of their own, sorted after
# their base letter ("An" < "Ăn" < "Ân" < "Bình").
_ALPHABET = list("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")
_LETTER_RANK = {letter: index + 10 for index, letter in enumerate(_ALPHABET)}
# Breve, circumflex and horn make new letters; the five tone marks do not.
_MODIFIED = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
# Tones in dictionary order: level, huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def fold(text: str) -> str:
    """Lower-case `text` and strip diacritics: "Bắc  Giang" -> "bac giang"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def normalize_spaces(text: str) -> str:
    """Collapse runs of white space and compose characters (NFC), as typed names vary."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _letter(char: str) -> tuple[str, int]:
    """Split one character into its alphabet letter and its tone rank."""
    decomposed = unicodedata.normalize("NFD", char.casefold())
    base, marks = decomposed[0], decomposed[1:]
    letter, tone = base, 0
    for mark in marks:
        letter = _MODIFIED.get((base, mark), letter)
        tone = _TONE_RANK.get(mark, tone)
    return letter, tone


@lru_cache(maxsize=1 << 16)  # the parts of names repeat: "Nguyễn", "Văn", "Thị Ngọc"...
def collation_key(text: str) -> str:
    """A string of digits that sorts `text` in Vietnamese dictionary order.

    Letters compare first, tones break ties. Digits only, so the order holds under
    any database collation (SQLite's binary one and PostgreSQL's locales alike).
    """
    letters, tones = [], []
    for char in normalize_spaces(text):
        if char == " ":
            letters.append("00")
            continue
        letter, tone = _letter(char)
        rank = _LETTER_RANK.get(letter)
        if rank is None:
            rank = 50 + ord(char) % 49 if not char.isdecimal() else 1 + int(char)
        letters.append(f"{rank:02d}")
        tones.append(str(tone))
    return "".join(letters) + "00" + "".join(tones)


def name_sort_key(full_name: str) -> str:
    """Order names as class lists do: given name, then middle names, then family name.

    "Nguyễn Văn An" sorts under "An", before "Trần Thị Ân".
    """
    parts = normalize_spaces(full_name).split(" ")
    given, family, middle = parts[-1], (parts[0] if len(parts) > 1 else ""), parts[1:-1]
    return "01".join(collation_key(part) for part in (given, " ".join(middle), family))
