"""A program's cached rules and tiers are shared by every call of the process (loyalty.local_cache): the order
path, member creation and the widget's points preview only read them."""

from decimal import Decimal

from loyalty.choices import RuleType
from loyalty.models import Segment
from loyalty.program_config import program_config
from tests.factories import EarningRuleFactory, TierFactory
from tests.members.api.conftest import post


def _state(instance) -> dict:
    """Everything an instance holds: its field values and the related objects it loaded, recursively."""
    values = {name: value for name, value in instance.__dict__.items() if name != "_state"}
    related = {
        name: _state(value) if value is not None else None for name, value in instance._state.fields_cache.items()
    }
    return {**values, "_related": related, "_db": instance._state.db, "_adding": instance._state.adding}


def _config_state(program) -> list:
    config = program_config(program)
    return [_state(instance) for instance in (*config.rules, *config.tiers)]


def test_orders_leave_the_shared_rules_and_tiers_as_they_were(program, api, client):
    # given a program with tiers, a rule, a segment-limited rule (with its segment loaded), and its config cached
    gold_members = Segment.objects.create(
        program=program, key="golds", name="Golds", conditions=[{"field": "tier", "operator": "in", "value": ["gold"]}]
    )
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=50)
    EarningRuleFactory(program=program, type=RuleType.ORDER_THRESHOLD, points=10, min_subtotal=Decimal("5"))
    EarningRuleFactory(program=program, type=RuleType.ORDER_THRESHOLD, points=3, segment=gold_members)
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", threshold=Decimal("100"), multiplier=Decimal("2"), position=2)
    before = _config_state(program)
    shared = program_config(program)

    # when new customers order, one reaches gold, orders again as gold, an order is replayed, and a points
    # preview is asked for
    order = {"customer_id": "c-1", "email": "c1@example.com", "currency": "USD"}
    answers = [
        post(api, "/api/v1/orders", {**order, "order_id": "1", "subtotal": "20.00"}),
        post(api, "/api/v1/orders", {**order, "order_id": "2", "subtotal": "80.00"}),
        post(api, "/api/v1/orders", {**order, "order_id": "3", "subtotal": "10.00"}),
        post(api, "/api/v1/orders", {**order, "order_id": "3", "subtotal": "10.00"}),
        post(api, "/api/v1/orders", {**order, "customer_id": "c-2", "order_id": "4", "subtotal": "5.00"}),
    ]
    assert [answer.status_code for answer in answers] == [201, 201, 201, 200, 201]
    assert answers[2].json()["member"]["tier"]["key"] == "gold"
    preview = client.get("/api/widget/v1/points-preview?subtotal=10.00", HTTP_X_LOYALTY_PROGRAM=program.public_key)
    assert preview.status_code == 200

    # then the configuration read was the shared one all along, and it is as it was
    assert program_config(program) is shared
    assert _config_state(program) == before
