"""The order call's front view reads the key's cached program without copying it (loyalty.api.front
`plain_call_program`): every order of the process shares that one object, so the order path must only read it.
Orders of every kind (new and known customers, a referral, a tier upgrade, pending points, a replay, refusals) leave
it as it was."""

import copy
import json
from decimal import Decimal

from django.test import RequestFactory
from rest_framework.test import APIClient

from loyalty.api import front
from loyalty.choices import RuleType
from loyalty.local_cache import local_get
from loyalty.program_config import _key_key
from loyalty.services.api_keys import api_key_issue
from members.services.members import member_upsert
from tests.factories import EarningRuleFactory, TierFactory
from tests.loyalty.test_program_config_shared import _state


def _order(client, **body):
    order = {"customer_id": "c-1", "email": "c1@example.com", "subtotal": "20.00", "currency": "USD", **body}
    return client.post("/api/v1/orders", json.dumps(order), content_type="application/json")


def test_orders_share_the_cached_program_and_leave_it_as_it_was(program):
    # given a program with referrals, pending points, tiers and rules, a referrer, and a warm key
    program.referrals_enabled = True
    program.referrer_reward = {"type": "points", "value": {"points": 7}}
    program.pending_days = 3
    program.save()
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=50)
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", threshold=Decimal("100"), multiplier=Decimal("2"), position=2)
    referrer, _created = member_upsert(program=program, customer_id="ref", email="ref@example.com")
    key, raw = api_key_issue(program=program)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert _order(client, order_id="warm", customer_id="ref", email="ref@example.com").status_code == 201
    cached = local_get(_key_key(key.key_hash))
    before = copy.deepcopy(_state(cached))

    # when orders of every kind are sent
    statuses = [
        _order(client, order_id="1").status_code,  # a new customer
        _order(client, order_id="2", subtotal="150.00").status_code,  # up to gold
        _order(client, order_id="2", subtotal="150.00").status_code,  # replayed
        _order(
            client, order_id="3", customer_id="c-2", email="c2@example.com", referral_code=referrer.referral_code
        ).status_code,
        _order(client, order_id="4", currency="EUR").status_code,  # refused by the service
        _order(client, order_id="5", customer_id="nobody", email="").status_code,  # unknown without an email
    ]

    # then the front view answered with the cached object itself, and it is as it was
    assert statuses == [201, 201, 200, 201, 400, 404]
    request = RequestFactory().post("/", b"{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert front.plain_call_program(request) is cached
    assert _state(cached) == before
