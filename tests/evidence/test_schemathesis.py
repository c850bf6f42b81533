"""API fuzzing with schemathesis against the project's own OpenAPI schema: every operation, authenticated
with a real API key, a bounded number of examples each. No answer may be a 5xx, and every answer must match
the schema (status code documented, body valid, content type right)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from loyalty.services.api_keys import api_key_issue
from members.services.members import member_upsert
from tests.factories import ProgramFactory

MAX_EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _openapi_schema():
    """The schema `/api/schema/` serves, generated in-process, driving the real WSGI application."""
    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = get_wsgi_application()
    return loaded


@pytest.fixture
def keep_test_connection():
    """The WSGI app closes "old" connections around each request; like Django's test client, keep the test's
    own connection (and its transaction) open while schemathesis calls the app directly."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db, keep_test_connection):
    """A program with a member (so lookups can hit) and its API key."""
    program = ProgramFactory()
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    _key, raw = api_key_issue(program=program)
    return f"Bearer {raw}"


schema = _openapi_schema()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_answers_match_the_schema(case, bearer):
    # given an authenticated request generated from the operation's schema
    # when it is sent to the application
    # then the answer is no 5xx and conforms to the documented responses
    case.call_and_validate(headers={"Authorization": bearer}, checks=CHECKS)
