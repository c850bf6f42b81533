"""Shared fixtures. `program` is a bare program; `api` is a DRF client authenticated with its API key."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from loyalty.services.api_keys import api_key_issue
from members.services.ledger import ledger_verify
from tests.factories import ProgramFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"
)


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
