import pytest

from loyalty.choices import RuleType
from members.models import Event
from tests.factories import EarningRuleFactory
from tests.members.api.conftest import post, row_counts

EVENT = {"event_id": "rev-77", "customer_id": "c-1", "type": "review_posted", "properties": {"stars": 5}}


@pytest.fixture
def review_rule(program):
    return EarningRuleFactory(program=program, type=RuleType.CUSTOM_EVENT, event="review_posted", points=50)


def test_an_event_awards_its_rule_points(api, member, review_rule, assert_ledger_clean):
    # given a rule giving 50 points per review
    # when a review event arrives
    response = post(api, "/api/v1/events", EVENT)

    # then 50 points are awarded and the properties are kept
    assert response.status_code == 201
    assert response.json()["points_awarded"] == 50
    assert response.json()["member"]["points_balance"] == 50
    assert Event.objects.get().properties == {"stars": 5}
    assert_ledger_clean()


def test_the_same_event_again_answers_200_and_writes_nothing(api, member, review_rule, assert_ledger_clean):
    # given a recorded event
    first = post(api, "/api/v1/events", EVENT)
    counts = row_counts()

    # when it is retried
    replay = post(api, "/api/v1/events", EVENT)

    # then the first answer comes back and nothing is written
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert row_counts() == counts
    assert_ledger_clean()


def test_an_event_without_a_rule_is_recorded_without_points(api, member):
    # given no rule for the type
    # when the event arrives
    response = post(api, "/api/v1/events", {**EVENT, "type": "newsletter_opened"})

    # then it is recorded, with no points
    assert response.status_code == 201
    assert response.json()["points_awarded"] == 0


def test_an_event_of_an_unknown_member_is_a_404(api, program):
    # given no member
    # when an event arrives
    response = post(api, "/api/v1/events", EVENT)

    # then it is member_not_found and nothing is written
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "member_not_found"
    assert Event.objects.count() == 0
