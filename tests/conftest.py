"""Shared fixtures. `program` is a bare program; `api` is a DRF client authenticated with its API key."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone, translation
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from loyalty.api import fixed_window
from loyalty.db.postgresql.statements import statements_forget
from loyalty.services.api_keys import api_key_issue
from members.services.ledger import ledger_verify
from tests.factories import ProgramFactory

# Property tests run on a loaded 2-core CI machine: no per-example deadline and no "generation too slow" check,
# whose verdicts depend on the machine's load, not on the code. Based on Hypothesis' own "ci" profile under CI
# (derandomized). Loaded here, before any test module builds its @settings from the defaults.
settings.register_profile("loyalty", parent=settings(), deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("loyalty")

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle buckets, rate limits and cached answers live in the locmem cache, which outlives a test (and its
    rolled-back database): every test starts and ends with an empty one, whatever ran before it."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _throttle_windows_pinned():
    """The throttles count calls in fixed windows of the wall clock: a test that makes a limit's calls would start a
    new count, and fail by chance, when a minute boundary fell between two of them. Their clock stands 30 s into a
    minute (and an hour, and a day) instead; tests of the windows themselves move it."""
    with pytest.MonkeyPatch.context() as pinned:  # its own: a test's `monkeypatch.undo()` leaves it in place
        pinned.setattr(fixed_window, "clock", lambda: 1_800_000_030.0)
        yield


@pytest.fixture(autouse=True)
def _default_language_and_time_zone():
    """A request through LocaleMiddleware (or a service) that activates a language or time zone leaves it active in
    the thread: the next test would then render Arabic or in Tehran time. Back to the settings' after each test."""
    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _nothing_prepared():
    """`members.prepared.fetch_one`'s prepared statements outlive a test's rolled-back transaction on the kept
    connection (as they outlive any rollback): every test starts with none, as on a new connection, whatever ran
    before it (tests that count the statements prepared see only their own)."""
    if connection.vendor == "postgresql" and connection.connection is not None:
        statements_forget(connection.connection)


@pytest.fixture
def program(db):
    return ProgramFactory()


def client_for(program) -> APIClient:
    _key, raw = api_key_issue(program=program)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api(program):
    return client_for(program)


@pytest.fixture
def assert_ledger_clean():
    """Call at the end of a scenario: every cached balance matches the ledger."""

    def check(program_id=None):
        assert ledger_verify(program_id=program_id) == []

    return check
