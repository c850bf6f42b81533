"""Helpers of the server API tests: JSON posts, a second program's client and members set up through services."""

import pytest

from members.models import Event, Member, Order, Refund, Transaction
from members.services.members import member_upsert
from tests.conftest import client_for
from tests.factories import ProgramFactory


def post(client, url: str, body, **headers):
    return client.post(url, body, format="json", **headers)


@pytest.fixture
def other_program(db):
    return ProgramFactory()


@pytest.fixture
def other_api(other_program):
    return client_for(other_program)


@pytest.fixture
def member(program):
    member, _created = member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    return member


def row_counts() -> dict:
    """How many rows every write endpoint could touch: compared before and after refused requests."""
    return {model.__name__: model.objects.count() for model in (Member, Order, Refund, Event, Transaction)}
