"""`loyalty.local_cache`: with locmem a value is kept in the process, not unpickled on every read, and lives exactly
as long as the cache's entry; with a shared cache it is stored there as before."""

import pytest
from django.core.cache import cache

from loyalty.local_cache import local_delete, local_get, local_set, model_copy
from loyalty.models import Program
from loyalty.program_config import api_key_program_cached, api_key_program_remember
from tests.factories import ProgramFactory


def test_a_kept_value_is_read_as_it_was_kept_not_unpickled():
    # given a value kept under a key
    value = {"rules": [1, 2]}
    local_set("k", value, 60)

    # when it is read twice
    # then both reads are the kept object itself
    assert local_get("k") is value and local_get("k") is value


@pytest.mark.parametrize(
    "drop",
    [
        lambda: local_delete("k"),
        lambda: cache.delete("k"),  # e.g. another helper deleting the cache's key
        cache.clear,
    ],
    ids=["local_delete", "cache_delete", "cache_clear"],
)
def test_a_value_lives_as_long_as_the_cache_entry(drop):
    # given a kept value
    local_set("k", "v", 60)

    # when its cache entry goes
    drop()

    # then it is not read any more, and a new one is
    assert local_get("k") is None
    local_set("k", "w", 60)
    assert local_get("k") == "w"


def test_an_expired_value_is_not_read():
    # given a value kept with a timeout already over
    local_set("k", "v", 0)

    # then it is not read
    assert local_get("k") is None


def test_a_refilled_cache_never_names_an_older_value():
    # given a value kept, then the cache cleared and the key set again by someone else (a token left over)
    local_set("k", "old", 60)
    token = cache.get("k")
    cache.clear()
    cache.set("k", token + 1, 60)

    # then nothing is read: the token names no kept value
    assert local_get("k") is None


def test_with_a_shared_cache_values_are_stored_in_it(settings, tmp_path):
    # given a cache shared by processes (a file cache stands for Redis)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": tmp_path}
    }
    value = {"rules": [1, 2]}

    # when a value is kept and read
    local_set("k", value, 60)
    read = local_get("k")

    # then the cache holds the value itself (another process reads it) and a read is its own copy
    assert cache.get("k") == value and read == value and read is not value
    local_delete("k")
    assert cache.get("k") is None and local_get("k") is None


def test_model_copy_changes_reach_neither_the_original_nor_its_related_objects(db):
    # given a program with its merchant loaded and JSON settings
    program = Program.objects.select_related("merchant").get(
        pk=ProgramFactory(referrer_reward={"type": "points", "value": {"points": 5}}, allowed_origins=["a"]).pk
    )

    # when a copy is changed everywhere a view could change it
    clone = model_copy(program)
    clone.name = "changed"
    clone.referrer_reward["value"]["points"] = 9
    clone.allowed_origins.append("b")
    clone.merchant.name = "changed"

    # then the original is as it was, and the copy was a full one
    assert program.name != "changed" and program.merchant.name != "changed"
    assert program.referrer_reward == {"type": "points", "value": {"points": 5}} and program.allowed_origins == ["a"]
    assert clone.pk == program.pk and clone.merchant.pk == program.merchant_id and not clone._state.adding


def test_each_caller_gets_its_own_copy_of_a_keys_program(db):
    # given a key's program cached
    program = ProgramFactory()
    api_key_program_remember("hash", program)

    # when the caller that cached it and a later one change theirs
    program.name = "first caller's"
    later = api_key_program_cached("hash")
    later.name = "later caller's"

    # then the next caller reads the program as it was cached
    assert api_key_program_cached("hash").name == Program.objects.get(pk=program.pk).name
