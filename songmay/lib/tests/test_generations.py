"""A value cached under a generation is served only until the next change is committed."""

import pytest
from django.core.cache import cache, caches
from django.db import transaction

from songmay.lib.generations import Generation

pytestmark = pytest.mark.django_db

GEN = Generation("test:generation")


def test_a_value_is_served_at_its_generation_only():
    generation, value = GEN.read("test:value")
    assert value is None
    GEN.write("test:value", generation, "figures", 60)
    assert GEN.read("test:value") == (generation, "figures")
    GEN.bump()
    later, value = GEN.read("test:value")
    assert later > generation and value is None


def test_several_values_are_read_with_their_generation_in_one_round_trip(monkeypatch):
    generation, _value = GEN.read("test:a")
    GEN.write("test:a", generation, "a", 60)
    GEN.write("test:b", generation - 1, "b of an earlier generation", 60)
    calls = []
    monkeypatch.setattr(caches["default"], "get_many", lambda keys: calls.append(keys) or {
        key: value for key in keys if (value := cache.get(key)) is not None})  # fmt: skip
    assert GEN.read_many(["test:a", "test:b", "test:c"]) == (
        generation, {"test:a": "a", "test:b": None, "test:c": None})  # fmt: skip
    assert calls == [[GEN.key, "test:a", "test:b", "test:c"]]


def test_a_value_derived_before_a_change_committed_is_not_served_after_it(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        GEN.bump()
        GEN.bump()  # one commit callback per transaction, however many changes
        # Another request reads the state from before the commit and caches it.
        generation, _ = GEN.read("test:value")
        GEN.write("test:value", generation, "before the commit", 60)
    assert len(callbacks) == 1
    assert GEN.read("test:value")[1] is None


def test_a_lost_generation_starts_above_every_earlier_one():
    GEN.bump()
    before = GEN.current()
    cache.delete(GEN.key)
    assert GEN.current() > before
