"""Widget `me/donations`: the shopper's causes and donations, giving points with an Idempotency-Key, refusals,
tenancy."""

from decimal import Decimal

import pytest

from donations.models import Donation
from members.models import Member
from members.services.adjustments import points_adjust
from members.services.members import member_upsert
from tests.factories import ProgramFactory
from tests.factories.donations import cause
from tests.storefront.conftest import widget_client

URL = "/api/widget/v1/me/donations"


@pytest.fixture
def shop(db):
    return ProgramFactory(point_value=Decimal("0.01"))


@pytest.fixture
def member(shop):
    member, _ = member_upsert(program=shop, customer_id="c-1", email="c1@example.com")
    points_adjust(member=member, points=500, reason="set-up")
    return member


def test_give_then_list(shop, member, assert_ledger_clean):
    # given
    water = cause(shop, name="Water", goal_points=1000)
    client = widget_client(shop, "c-1")
    # when
    given = client.post(URL, {"cause_id": water.pk, "points": 200}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(URL, {"cause_id": water.pk, "points": 200}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    listed = client.get(URL)
    # then
    assert given.status_code == 201, given.content
    assert given.json()["points"] == 200 and given.json()["value"] == "2.00"
    assert again.status_code == 200 and again.json()["id"] == given.json()["id"]
    body = listed.json()
    assert body["causes"][0]["raised_points"] == 200
    assert [d["cause"]["name"] for d in body["donations"]] == ["Water"]
    assert Member.objects.get(pk=member.pk).points_balance == 300
    assert_ledger_clean()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"cause_id": "x", "points": 10}, 400, "invalid_input"),
        ({"cause_id": None, "points": 10}, 400, "invalid_input"),
        ({"cause_id": 1, "points": "10"}, 400, "invalid_input"),
        ({"cause_id": 1, "points": 0}, 400, "invalid_input"),
        ({"cause_id": 10**30, "points": 10}, 400, "invalid_input"),
        ({"cause_id": 999999, "points": 10}, 404, "cause_not_found"),
        ({"points": 5000}, 409, "insufficient_points"),
    ],
)
def test_refusals_write_nothing(shop, member, body, status, code):
    water = cause(shop)
    client = widget_client(shop, "c-1")
    response = client.post(URL, {"cause_id": water.pk, **body}, format="json")
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert Donation.objects.count() == 0


def test_another_programs_cause_is_not_found(shop, member):
    elsewhere = cause(ProgramFactory())
    response = widget_client(shop, "c-1").post(URL, {"cause_id": elsewhere.pk, "points": 10}, format="json")
    assert response.status_code == 404
    assert "causes" not in response.json()


def test_a_bad_digest_is_401_and_a_guest_is_refused(shop, member):
    water = cause(shop)
    assert widget_client(shop, "c-1", digest="0" * 64).get(URL).status_code == 401
    assert widget_client(shop).post(URL, {"cause_id": water.pk, "points": 10}, format="json").status_code == 401
    assert Donation.objects.count() == 0
