"""The order call's throttle counts each call once, whichever path answers it (members/api/order_front.py: the front
view counts the plain call; everything else is counted by OrderRecordApi alone)."""

import json

import pytest
from django.core.cache import cache

from members.services.members import member_upsert

ORDER = {"customer_id": "c-1", "subtotal": "10.00", "currency": "USD"}


@pytest.fixture
def three_a_minute(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"program": "3/min"}}
    cache.clear()


def _post(api, body):
    return api.post("/api/v1/orders", body, content_type="application/json")


@pytest.mark.parametrize(
    "bodies",
    [
        ["1", "2", "3"],  # plain calls: the front view
        ["1", "{bad", "2"],  # a refused body in between: OrderRecordApi
        ["{bad", "{bad", "1"],
    ],
    ids=["plain", "mixed", "refused"],
)
def test_each_call_counts_once(program, api, three_a_minute, bodies):
    # given a member and a bucket of 3 calls a minute
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")

    # when 3 calls are made, then a 4th
    statuses = [
        _post(api, body if body.startswith("{") else json.dumps({**ORDER, "order_id": body})).status_code
        for body in bodies
    ]
    fourth = _post(api, json.dumps({**ORDER, "order_id": "4"}))

    # then the 3 were answered and only the 4th is throttled
    assert 429 not in statuses
    assert fourth.status_code == 429 and fourth.json()["error"]["code"] == "throttled"
