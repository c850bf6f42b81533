"""Refused billing events: a stable code, nothing written. Another program's key never reaches this
program's members or plans."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import TierChange
from memberships.models import Membership, MembershipEvent
from tests.conftest import client_for
from tests.factories.memberships import membership_program
from tests.memberships.conftest import URL, fresh, send


def _rows():
    return (Membership.objects.count(), MembershipEvent.objects.count(), TierChange.objects.count())


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"plan": "gold"}, 400, "unknown_plan"),
        ({"type": "membership.paused"}, 400, "invalid_input"),
        ({"currency": "EUR"}, 400, "currency_mismatch"),
        ({"amount": "-1"}, 400, "invalid_input"),
        ({"amount": "1.999"}, 400, "invalid_input"),
        ({"paid_until": "2001-01-01T00:00:00Z"}, 400, "paid_until_past"),
        ({"paid_until": "9999-01-01T00:00:00Z"}, 400, "invalid_input"),
        ({"paid_until": "next tuesday"}, 400, "invalid_input"),
        ({"period": "week"}, 400, "invalid_input"),
        ({"customer_id": "nobody"}, 404, "member_not_found"),
        ({"customer_id": ""}, 400, "invalid_input"),
        ({"event_id": "x" * 256}, 400, "invalid_input"),
        ({"event_id": "nul\x00"}, 400, "invalid_input"),
        ({"type": "membership.cancelled", "event_id": "e-9"}, 409, "membership_not_found"),
    ],
)
def test_refused_events_write_nothing(api, member, body, status, code):
    # given
    before = _rows()
    # when
    response = send(api, **body)
    # then
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert _rows() == before
    assert fresh(member).tier.key == "bronze"


def test_missing_fields_are_listed(api, member):
    response = api.post(URL, {"type": "membership.started"}, format="json")
    assert response.status_code == 400
    assert {"event_id", "customer_id", "plan"} <= set(response.json()["error"]["fields"])


def test_malformed_json_is_a_400(api, member):
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_an_inactive_plan_takes_no_new_members(api, member, program):
    program.membership_plans.update(active=False)
    response = send(api)
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_plan"


def test_cancelling_another_plan_than_the_live_one_is_refused(api, member, program):
    # given
    plan = program.membership_plans.get()
    program.membership_plans.create(
        key="club", name="Club", price="1.00", currency="USD", tier=plan.tier, interval="year"
    )
    send(api)
    # when
    response = send(api, type="membership.cancelled", event_id="e-2", plan="club")
    # then
    assert response.status_code == 409
    assert Membership.objects.get().status == "active"


def test_another_programs_key_reaches_neither_members_nor_plans(api, member):
    # given a second program with the same plan key and a member with the same customer id elsewhere
    other = membership_program()
    other_api = client_for(other)
    # when
    response = send(other_api)
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "member_not_found"
    assert Membership.objects.count() == 0


def test_event_ids_are_per_program(api, member):
    # given
    other = membership_program()
    from members.services.members import member_upsert

    member_upsert(program=other, customer_id="c-1", email="c1@example.com")
    assert send(client_for(other)).status_code == 201
    # when the same event id arrives for this program
    response = send(api)
    # then it is a new event here
    assert response.status_code == 201
    assert Membership.objects.count() == 2


def test_without_a_key_is_401(client, member):
    response = client.post(URL, {}, content_type="application/json")
    assert response.status_code == 401


def test_the_schema_documents_the_endpoint(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/memberships/events" in text
    assert "membership_event_record" in text and "unknown_plan" in text


def test_paid_until_within_ten_years_is_accepted(api, member):
    until = (timezone.now() + timedelta(days=365 * 5)).isoformat()
    assert send(api, paid_until=until).status_code == 201
