"""Earning rules limited to a segment: they apply to the segment's members only (orders, events, birthdays), at
no query when the program has no limited rule and one per distinct segment otherwise."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from loyalty.choices import RuleType
from loyalty.models import Segment
from members.models import Member
from members.services.birthdays import award_birthdays
from members.services.events import event_record
from members.services.orders import order_record
from tests.factories import EarningRuleFactory, ProgramFactory
from tests.segments.conftest import person

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PROS = [{"field": "attributes.plan", "operator": "eq", "value": "pro"}]


@pytest.fixture
def shop(db):
    program = ProgramFactory(points_per_currency_unit=Decimal("1"))
    pros = Segment.objects.create(program=program, key="pros", name="Pros", conditions=PROS)
    pro = person(program, "pro", attributes={"plan": "pro"}, birthday=date(1990, 3, 10))
    free = person(program, "free", attributes={"plan": "free"}, birthday=date(1991, 3, 10))
    return program, pros, pro, free


def points_of(customer_id: str) -> int:
    return Member.objects.get(customer_id=customer_id).points_balance


def order(program, customer_id: str, order_id: str, subtotal: str = "100"):
    return order_record(program=program, order_id=order_id, customer_id=customer_id, subtotal=Decimal(subtotal),
                        currency=program.currency, placed_at=AT)  # fmt: skip


def test_a_limited_bonus_multiplier_doubles_the_segments_orders_only(shop, assert_ledger_clean):
    program, pros, _pro, _free = shop
    EarningRuleFactory(program=program, key="double", type=RuleType.BONUS_MULTIPLIER, multiplier=Decimal("2"),
                       points=0, segment=pros)  # fmt: skip

    assert order(program, "pro", "o1").order.points_awarded == 200
    assert order(program, "free", "o2").order.points_awarded == 100
    assert_ledger_clean()


def test_a_limited_order_threshold_rewards_the_segment_only(shop):
    program, pros, _pro, _free = shop
    EarningRuleFactory(program=program, key="big", type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal("50"),
                       points=30, segment=pros)  # fmt: skip
    EarningRuleFactory(program=program, key="big-all", type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal("50"),
                       points=5)  # fmt: skip

    assert order(program, "pro", "o1").order.points_awarded == 135
    assert order(program, "free", "o2").order.points_awarded == 105


def test_a_limited_event_rule_awards_the_segment_only(shop):
    program, pros, _pro, _free = shop
    EarningRuleFactory(program=program, key="review", type=RuleType.CUSTOM_EVENT, event="review_posted", points=50,
                       segment=pros)  # fmt: skip

    event_record(program=program, event_id="e1", customer_id="pro", type="review_posted", occurred_at=AT)
    event_record(program=program, event_id="e2", customer_id="free", type="review_posted", occurred_at=AT)

    assert (points_of("pro"), points_of("free")) == (50, 0)


def test_a_limited_birthday_rule_awards_the_segment_only(shop, assert_ledger_clean):
    program, pros, _pro, _free = shop
    EarningRuleFactory(program=program, key="bday", type=RuleType.BIRTHDAY, points=100, segment=pros)

    award_birthdays(AT)

    assert (points_of("pro"), points_of("free")) == (100, 0)
    assert_ledger_clean()


def test_a_limited_rule_costs_one_query_per_distinct_segment(shop, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    program, pros, _pro, _free = shop
    order(program, "pro", "warm-up")  # the program's configuration is cached from here on
    with CaptureQueriesContext(connection) as plain:
        order(program, "pro", "o1")
    EarningRuleFactory(program=program, key="double", type=RuleType.BONUS_MULTIPLIER, multiplier=Decimal("2"),
                       points=0, segment=pros)  # fmt: skip
    EarningRuleFactory(program=program, key="big", type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal("50"),
                       points=30, segment=pros)  # fmt: skip
    order(program, "pro", "warm-up-2")
    with CaptureQueriesContext(connection) as limited:
        order(program, "pro", "o2")

    assert len(limited.captured_queries) == len(plain.captured_queries) + 1
