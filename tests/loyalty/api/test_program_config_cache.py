"""The server API caches a key's program and the program's rules and tiers for a few seconds: what is saved in this
process takes effect at once, and a revoked key is refused at once."""

from decimal import Decimal

from loyalty.choices import RuleType
from loyalty.models import ApiKey
from loyalty.services.api_keys import api_key_issue, api_key_revoke
from members.services.members import member_upsert
from tests.factories import EarningRuleFactory, TierFactory
from tests.members.api.conftest import post

ORDER = {"customer_id": "c-1", "subtotal": "10.00", "currency": "USD"}


def _client(program):
    from rest_framework.test import APIClient

    key, raw = api_key_issue(program=program)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return key, client


def test_a_revoked_key_is_refused_at_once_though_it_was_cached(program):
    # given a key that just answered (its program is cached)
    key, client = _client(program)
    assert client.get("/api/v1/members/nobody").status_code == 404

    # when it is revoked
    api_key_revoke(key=ApiKey.objects.get(pk=key.pk))

    # then the next call is refused
    assert client.get("/api/v1/members/nobody").status_code == 401


def test_a_key_revoked_by_saving_it_is_refused_at_once(program):
    # given a key that just answered
    key, client = _client(program)
    assert client.get("/api/v1/members/nobody").status_code == 404

    # when its row is saved revoked (as a form would)
    from django.utils import timezone

    key.revoked_at = timezone.now()
    key.save()

    # then the next call is refused
    assert client.get("/api/v1/members/nobody").status_code == 401


def test_rules_tiers_and_program_settings_saved_apply_to_the_next_order(program, api):
    # given a program whose configuration is cached by a first order
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    assert post(api, "/api/v1/orders", {**ORDER, "order_id": "1"}).json()["points_awarded"] == 10

    # when a rule, a tier and the earning rate are saved
    EarningRuleFactory(program=program, type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal("5"), points=7)
    TierFactory(program=program, key="base", threshold=Decimal("0"), multiplier=Decimal("2"), position=1)
    program.points_per_currency_unit = Decimal("3")
    program.save()

    # then the next order sees all of it (the member is not in the new tier yet: 10 × 3 + 7)
    second = post(api, "/api/v1/orders", {**ORDER, "order_id": "2"}).json()
    assert second["points_awarded"] == 37
    assert second["member"]["next_tier"] is None
