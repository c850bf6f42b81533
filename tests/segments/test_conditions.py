"""Every segment condition on the hand-built dataset of conftest.py: the members counted are the ones computed by
hand, the other program's member (who matches everything) never is, and `segment_contains` agrees."""

from datetime import UTC, datetime

import pytest

from members.segments import segment_contains, segment_count, segment_members
from tests.segments.conftest import AT

CASES = [
    ({"field": "tier", "operator": "in", "value": ["gold"]}, {"ann", "dan"}),
    ({"field": "tier", "operator": "not_in", "value": ["gold"]}, {"bob", "cat", "eve"}),
    ({"field": "tier", "operator": "in", "value": ["silver", "gold"]}, {"ann", "bob", "dan", "eve"}),
    ({"field": "balance", "operator": "gte", "value": 200}, {"ann", "dan"}),
    ({"field": "balance", "operator": "eq", "value": 0}, {"cat", "eve"}),
    ({"field": "balance", "operator": "between", "value": [1, 300]}, {"bob", "dan"}),
    ({"field": "lifetime_spend", "operator": "gt", "value": "80"}, {"ann", "dan"}),
    ({"field": "lifetime_spend", "operator": "lte", "value": 80}, {"bob", "cat", "eve"}),
    ({"field": "lifetime_points", "operator": "gte", "value": 50}, {"ann", "bob", "dan"}),
    ({"field": "orders_in_last_days", "days": 30, "operator": "gte", "value": 1}, {"ann", "dan"}),
    ({"field": "orders_in_last_days", "days": 30, "operator": "gte", "value": 2}, {"ann"}),
    ({"field": "orders_in_last_days", "days": 90, "operator": "eq", "value": 0}, {"cat", "eve"}),
    ({"field": "orders_in_last_days", "days": 365, "operator": "lt", "value": 2}, {"bob", "cat", "dan", "eve"}),
    ({"field": "orders_in_last_days", "days": 365, "operator": "between", "value": [1, 2]}, {"bob", "dan", "eve"}),
    ({"field": "days_since_last_order", "operator": "gte", "value": 30}, {"bob", "eve"}),
    ({"field": "days_since_last_order", "operator": "lte", "value": 1}, {"dan"}),
    ({"field": "days_since_last_order", "operator": "eq", "value": 2}, {"ann"}),
    ({"field": "days_since_last_order", "operator": "between", "value": [40, 199]}, {"bob"}),
    ({"field": "days_since_last_order", "operator": "lt", "value": 2}, {"dan"}),
    ({"field": "days_since_last_order", "operator": "gt", "value": 45}, {"eve"}),
    ({"field": "birthday_month", "operator": "in", "value": [3]}, {"ann", "dan"}),
    ({"field": "birthday_month", "operator": "eq", "value": 6}, {"bob"}),
    ({"field": "signup_date", "operator": "before", "value": "2025-01-01"}, {"ann", "dan", "eve"}),
    ({"field": "signup_date", "operator": "after", "value": "2024-12-31"}, {"bob", "cat"}),
    ({"field": "signup_date", "operator": "within_days", "value": 30}, {"cat"}),
    ({"field": "referral_count", "operator": "gte", "value": 1}, {"eve"}),
    ({"field": "referral_count", "operator": "eq", "value": 0}, {"ann", "bob", "cat", "dan"}),
    ({"field": "referral_count", "operator": "eq", "value": 2}, {"eve"}),
    ({"field": "attributes.plan", "operator": "eq", "value": "pro"}, {"ann"}),
    ({"field": "attributes.plan", "operator": "in", "value": ["pro", "free"]}, {"ann", "bob"}),
    ({"field": "attributes.plan", "operator": "contains", "value": "pro"}, {"ann", "dan"}),
    ({"field": "attributes.age", "operator": "gte", "value": 20}, {"ann"}),
    ({"field": "attributes.age", "operator": "lte", "value": 20}, {"dan"}),
    ({"field": "attributes.vip", "operator": "exists", "value": True}, {"cat"}),
    ({"field": "attributes.plan", "operator": "exists", "value": False}, {"cat", "eve"}),
    ({"field": "attributes.vip", "operator": "eq", "value": True}, {"cat"}),
    ({"field": "rfm_recency", "operator": "eq", "value": 5}, {"ann", "dan"}),
    ({"field": "rfm_frequency", "operator": "lte", "value": 1}, {"bob", "eve"}),
    ({"field": "rfm_monetary", "operator": "between", "value": [2, 4]}, {"dan"}),
    ({"field": "rfm_score", "operator": "gte", "value": 11}, {"ann", "dan"}),
    ({"field": "rfm_score", "operator": "lt", "value": 5}, {"eve"}),
]


@pytest.mark.parametrize(("condition", "expected"), CASES, ids=lambda v: str(v) if isinstance(v, set) else
                         f"{v['field']}-{v['operator']}-{v.get('value')}")  # fmt: skip
def test_each_condition_counts_the_hand_computed_members(data, condition, expected):
    # given
    segment = data.segment(condition)

    # when
    members = segment_members(segment, at=AT)

    # then
    assert data.names(members) == expected
    assert members.count() == segment_count(segment, at=AT) == len(expected)
    inside = {name for name, m in data.members.items() if segment_contains(segment, m, at=AT)}
    assert inside == expected


def test_match_all_needs_every_condition(data):
    segment = data.segment(
        {"field": "tier", "operator": "in", "value": ["gold"]},
        {"field": "orders_in_last_days", "days": 30, "operator": "gte", "value": 2},
    )

    assert data.names(segment_members(segment, at=AT)) == {"ann"}


def test_match_any_needs_one_condition(data):
    segment = data.segment(
        {"field": "referral_count", "operator": "gte", "value": 1},
        {"field": "attributes.vip", "operator": "exists", "value": True},
        {"field": "birthday_month", "operator": "eq", "value": 6},
        match="any",
    )

    assert data.names(segment_members(segment, at=AT)) == {"bob", "cat", "eve"}


def test_no_conditions_is_every_member_of_the_program_only(data):
    segment = data.segment()

    assert data.names(segment_members(segment, at=AT)) == {"ann", "bob", "cat", "dan", "eve"}
    assert not segment_contains(segment, data.members["zed"], at=AT)


def test_a_segment_never_counts_another_programs_members(data):
    # given: zed matches all of these in their own program
    conditions = [
        {"field": "orders_in_last_days", "days": 90, "operator": "gte", "value": 4},
        {"field": "referral_count", "operator": "gte", "value": 3},
        {"field": "attributes.age", "operator": "gte", "value": 50},
    ]

    # then: a segment of the first program counts nobody, the same segment in zed's program counts zed
    for condition in conditions:
        assert segment_members(data.segment(condition), at=AT).count() == 0
        assert data.names(segment_members(data.segment(condition, program=data.other), at=AT)) == {"zed"}


def test_signup_dates_are_the_programs_calendar_days(data):
    # given: dan signed up 2024-12-31 23:00 UTC, already 2025-01-01 in Tehran (+03:30)
    data.program.timezone = "Asia/Tehran"
    data.program.save()
    segment = data.segment({"field": "signup_date", "operator": "before", "value": "2025-01-01"})

    assert data.names(segment_members(segment, at=AT)) == {"ann", "eve"}


def test_orders_after_the_as_of_time_are_ignored(data):
    # ann's order 3 days after AT counts when judging later
    segment = data.segment({"field": "days_since_last_order", "operator": "lte", "value": 0})
    later = datetime(2025, 6, 18, 13, 0, tzinfo=UTC)

    assert data.names(segment_members(segment, at=AT)) == set()
    assert data.names(segment_members(segment, at=later)) == {"ann"}


def test_counting_and_membership_are_one_query_each(data, django_assert_num_queries):
    segment = data.segment(
        {"field": "tier", "operator": "in", "value": ["gold"]},
        {"field": "orders_in_last_days", "days": 90, "operator": "gte", "value": 1},
        {"field": "attributes.plan", "operator": "exists", "value": True},
        {"field": "rfm_score", "operator": "gte", "value": 3},
        {"field": "referral_count", "operator": "eq", "value": 0},
    )

    with django_assert_num_queries(1):
        assert segment_members(segment, at=AT).count() == 2
    with django_assert_num_queries(1):
        assert segment_contains(segment, data.members["dan"], at=AT)
