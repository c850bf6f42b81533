import pytest
from django.core.cache import cache

from loyalty.api.throttling import ProgramRateThrottle
from tests.conftest import client_for
from tests.factories import ProgramFactory


@pytest.fixture
def three_per_minute(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"program": "3/min"}}
    cache.clear()
    yield
    cache.clear()


def test_a_program_past_its_rate_is_a_429_with_retry_after(api, program, three_per_minute):
    # given a program allowed 3 calls a minute, that made them
    for _ in range(3):
        assert api.get("/api/v1/members/c-1").status_code == 404

    # when it calls a fourth time
    response = api.get("/api/v1/members/c-1")

    # then it is a 429 in the error shape telling when to come back
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_bucket_is_per_program_shared_by_its_keys(api, program, three_per_minute):
    # given a program that used its 3 calls with one key
    for _ in range(3):
        api.get("/api/v1/members/c-1")

    # when it uses a second key, and another program calls
    second_key = client_for(program).get("/api/v1/members/c-1")
    other_program = client_for(ProgramFactory()).get("/api/v1/members/c-1")

    # then the second key is throttled too, the other program is not
    assert second_key.status_code == 429
    assert other_program.status_code == 404


class CountingCache:
    """The real cache as a shared one (Redis) is used, counting the operations the throttle makes: a shared cache
    has no process-local `window_count`."""

    def __init__(self):
        self.operations = []

    def __getattr__(self, name):
        if name == "window_count":
            raise AttributeError(name)
        self.operations.append(name)
        return getattr(cache, name)


def test_in_a_shared_cache_each_call_after_a_windows_first_is_one_operation(
    api, program, three_per_minute, monkeypatch
):
    # given the throttle's cache, counted
    counting = CountingCache()
    monkeypatch.setattr(ProgramRateThrottle, "cache", counting)

    # when a program makes the window's first call, then three more
    first = api.get("/api/v1/members/c-1").status_code
    first_operations, counting.operations = counting.operations, []
    later = [api.get("/api/v1/members/c-1").status_code for _ in range(3)]

    # then the first found no entry and added it, every later call was one increment, and the 4th is refused
    assert first == 404 and first_operations == ["incr", "add"]
    assert later == [404, 404, 429]
    assert counting.operations == ["incr", "incr", "incr"]
