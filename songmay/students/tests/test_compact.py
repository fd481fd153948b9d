"""The import's compact memory answers as the dicts and sets it replaces would."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from songmay.students.importing.compact import FirstRows, IdSet, id_key, name_key

# Small numbers and numbers beyond 64 bits, so both the arrays and the dict are exercised.
keys = st.one_of(
    st.integers(-50, 50),
    st.integers(-(1 << 70), 1 << 70),
    st.text(max_size=3),
    st.tuples(st.integers(0, 3), st.text(max_size=2)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(keys, max_size=60), st.integers(1, 5))
def test_first_rows_gives_the_row_that_brought_each_key_first(row_keys, merge_every):
    seen = FirstRows()
    seen.MERGE_EVERY = merge_every  # merged often, as a million rows would be
    oracle: dict[object, int] = {}
    for row, key in enumerate(row_keys, start=2):
        assert seen.get(key) == oracle.get(key)  # asking alone remembers nothing
        assert seen.first(key, row) == oracle.setdefault(key, row)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 5000), max_size=80), st.lists(st.integers(-10, 5100)))
def test_an_id_set_holds_exactly_the_ids_added(added, asked):
    ids = IdSet()
    for value in added:
        ids.add(value)
    for value in [*added, *asked]:
        assert (value in ids) == (value in set(added))


@given(st.text(max_size=14), st.text(max_size=14))
def test_two_personal_ids_share_a_key_only_when_they_are_the_same(first, second):
    assert (id_key(first) == id_key(second)) == (first == second)
    assert id_key("024212001234") != id_key("24212001234")


@given(
    st.lists(
        st.tuples(
            st.integers(1, (1 << 21) + 3),
            st.sampled_from(["an", "binh", "an ", "nguyen van an"]),
            st.one_of(st.none(), st.dates()),
        ),
        max_size=12,
    )
)
def test_a_name_key_tells_apart_what_the_parts_tell_apart(parts):
    numbers: dict[str, int] = {}
    made = {key: name_key(numbers, *key) for key in parts}
    assert len(set(made.values())) == len(made)
    assert name_key(numbers, 3, "an", dt.date(2012, 1, 1)) == name_key(
        numbers, 3, "an", dt.date(2012, 1, 1)
    )
