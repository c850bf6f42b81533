import pytest

from members.models import Member
from members.services.members import member_upsert
from tests.conftest import client_for
from tests.factories.memberships import membership_program

URL = "/api/v1/memberships/events"


@pytest.fixture
def program(db):
    return membership_program()


@pytest.fixture
def api(program):
    return client_for(program)


@pytest.fixture
def member(program) -> Member:
    member, _created = member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    return Member.objects.select_related("tier").get(pk=member.pk)


def send(api, **body):
    fields = {"type": "membership.started", "event_id": "e-1", "customer_id": "c-1", "plan": "plus", **body}
    return api.post(URL, fields, format="json")


def fresh(member: Member) -> Member:
    return Member.objects.select_related("tier").get(pk=member.pk)
