"""Segments evaluated in SQL: a segment's conditions compiled to one `Member` queryset (Q objects, lookups on
expressions and `member_id IN (… GROUP BY member_id HAVING …)` subqueries), never a Python loop over members.

- `segment_members(segment)`: the program's members in the segment, one queryset (count it, export it).
- `segment_contains(segment, member)`: one query, every subquery narrowed to that member (hot paths).

Counting conditions over orders and referrals are sets of member ids: when the condition holds for a member
with no rows (e.g. "fewer than 2 orders"), it is compiled as "not in the members whose count fails it", so
members without any order are counted correctly without a per-member subquery.
Time conditions are judged at `at` (default now): orders after `at` are ignored, like `run_job --as-of`.
"""

import operator as op
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual, Range
from django.utils import timezone

from loyalty.models import Segment, Tier
from loyalty.segment_conditions import ATTRIBUTE_PREFIX, MATCH_ANY, conditions_validate
from members.models import Member, Order

_LOOKUPS = {
    "eq": Exact,
    "gt": GreaterThan,
    "gte": GreaterThanOrEqual,
    "lt": LessThan,
    "lte": LessThanOrEqual,
    "between": Range,
}
_HOLDS = {
    "eq": op.eq,
    "gt": op.gt,
    "gte": op.ge,
    "lt": op.lt,
    "lte": op.le,
    "between": lambda n, bounds: bounds[0] <= n <= bounds[1],
}
_COLUMNS = {
    "balance": "points_balance",
    "lifetime_spend": "lifetime_spend",
    "lifetime_points": "lifetime_points",
    "rfm_recency": "rfm_recency",
    "rfm_frequency": "rfm_frequency",
    "rfm_monetary": "rfm_monetary",
}
# A successful referral: the friend's qualifying order rewarded the referrer (referrals.choices.ReferralStatus).
REFERRAL_SUCCESS = "converted"


def segment_members(segment: Segment, *, at: datetime | None = None) -> QuerySet[Member]:
    """The members of `segment`'s program who match its conditions at `at` (default now), as one queryset."""
    return Member.objects.filter(program_id=segment.program_id).filter(segment_q(segment, at=at or timezone.now()))


def segment_count(segment: Segment, *, at: datetime | None = None) -> int:
    """How many members `segment` holds: one COUNT. On PostgreSQL it runs with nested loops off (SET LOCAL, in its
    own transaction): counting a segment reads all of a program's members, where hash joins are right, but the
    planner's guesses for JSON and sum filters (0.5 %, 33 %) make it pick a nested loop of one index probe per
    member: 6.4 s instead of 1.6 s at 1,000,000 members (docs/benchmarks.md, ## Segments)."""
    members = segment_members(segment, at=at)
    if connection.vendor != "postgresql":
        return members.count()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
        return members.count()


def segment_contains(segment: Segment, member: Member, *, at: datetime | None = None) -> bool:
    """Whether `member` is in `segment` (one query; False for another program's member)."""
    if member.program_id != segment.program_id:
        return False
    q = segment_q(segment, at=at or timezone.now(), member_id=member.pk)
    return Member.objects.filter(pk=member.pk).filter(q).exists()


def segments_containing(segments: list[Segment], member: Member, *, at: datetime | None = None) -> set[int]:
    """The ids of those `segments` `member` belongs to: one query per segment (no query for no segment)."""
    return {s.pk for s in segments if segment_contains(s, member, at=at)}


def segment_limited_filter(items: Iterable, member: Member | None, *, at: datetime | None = None) -> list:
    """`items` (earning rules or rewards, their `segment` loaded) without those limited to a segment `member` is
    not in; with no member, without every limited one. No query when none is limited, one per distinct segment."""
    items = list(items)
    segments = {item.segment_id: item.segment for item in items if item.segment_id is not None}
    if not segments:
        return items
    inside = segments_containing(list(segments.values()), member, at=at) if member is not None else set()
    return [item for item in items if item.segment_id is None or item.segment_id in inside]


def segment_q(segment: Segment, *, at: datetime, member_id: int | None = None) -> Q:
    """The segment's conditions as one Q over `Member` (no conditions: everyone). `member_id` narrows
    the subqueries to one member, for `segment_contains`."""
    conditions = conditions_validate(segment.conditions)
    context = _Context(program_id=segment.program_id, at=at, member_id=member_id, segment=segment)
    parts = [_condition_q(c, context) for c in conditions]
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined | part) if segment.match == MATCH_ANY else (combined & part)
    return combined


class _Context:
    def __init__(self, *, program_id: int, at: datetime, member_id: int | None, segment: Segment):
        self.program_id = program_id
        self.at = at
        self.member_id = member_id
        self.segment = segment

    def rows(self, queryset: QuerySet, member_column: str = "member_id") -> QuerySet:
        queryset = queryset.filter(program_id=self.program_id)
        return queryset if self.member_id is None else queryset.filter(**{member_column: self.member_id})

    def program_zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.segment.program.timezone)
        except (KeyError, ValueError):
            return ZoneInfo("UTC")


def _condition_q(condition: dict, context: _Context) -> Q:
    field, operator, value = condition["field"], condition["operator"], condition.get("value")
    if field.startswith(ATTRIBUTE_PREFIX):
        return _attribute_q(field[len(ATTRIBUTE_PREFIX) :], operator, value)
    if field in _COLUMNS:
        return Q(_LOOKUPS[operator](F(_COLUMNS[field]), value))
    if field == "rfm_score":
        return Q(_LOOKUPS[operator](F("rfm_recency") + F("rfm_frequency") + F("rfm_monetary"), value))
    if field == "tier":
        tier_ids = Tier.objects.filter(program_id=context.program_id, key__in=value).values("pk")
        # "not in" keeps the members without a tier (SQL's NOT IN alone would drop the NULLs).
        return Q(tier_id__in=tier_ids) if operator == "in" else Q(tier_id__isnull=True) | ~Q(tier_id__in=tier_ids)
    if field == "birthday_month":
        return Q(birthday__month__in=value) if operator == "in" else Q(birthday__month=value)
    if field == "signup_date":
        return _signup_q(operator, value, context)
    if field == "orders_in_last_days":
        orders = context.rows(Order.objects.filter(placed_at__gt=context.at - timedelta(days=condition["days"])))
        return _count_q(orders.filter(placed_at__lte=context.at), operator, value)
    if field == "referral_count":
        # Read through the app registry: referrals sits above members in the layers (a read, no import cycle).
        referral = apps.get_model("referrals", "Referral")
        referrals = context.rows(referral.objects.filter(status=REFERRAL_SUCCESS), member_column="referrer_id")
        return _count_q(referrals, operator, value, member_column="referrer_id")
    if field == "days_since_last_order":
        return _days_since_q(operator, value, context)
    raise ValueError(f"unknown segment field {field!r}")


def _count_q(rows: QuerySet, operator: str, value, *, member_column: str = "member_id") -> Q:
    """Members whose number of `rows` satisfies `operator value` (members without rows count 0).

    Shapes the PostgreSQL planner runs well at any size (its row estimates of JSON and sum filters are guesses, so
    a plain `IN (… GROUP BY … HAVING …)` semi-join may become a nested loop over the grouped rows):
    "at least one" is EXISTS, "none" NOT EXISTS (hash semi/anti joins); a condition that holds at 0 is
    NOT IN the members failing it (a hashed subplan); any other threshold a correlated EXISTS … HAVING."""
    holds = _HOLDS[operator]
    if holds(0, value):
        if not any(holds(n, value) for n in (1, 2, 10**9)):  # "none": eq 0, lt 1, lte 0
            return ~Exists(rows.filter(**{member_column: OuterRef("pk")}))
        grouped = rows.values(member_column).annotate(n=Count("pk"))
        return ~Q(pk__in=grouped.exclude(_LOOKUPS[operator](F("n"), value)).values(member_column))
    if operator in ("gte", "gt") and holds(1, value):  # "at least one"
        return Q(Exists(rows.filter(**{member_column: OuterRef("pk")})))
    grouped = rows.filter(**{member_column: OuterRef("pk")}).values(member_column).annotate(n=Count("pk"))
    return Q(Exists(grouped.filter(_LOOKUPS[operator](F("n"), value))))


def _days_since_q(operator: str, value, context: _Context) -> Q:
    """Whole days between the last order (at or before `at`) and `at`. Members without orders never match.
    "At least `low` days" is: an order at or before `at - low days` and none after it; "at most `high` days"
    is: an order after `at - (high + 1) days`: EXISTS / NOT EXISTS the planner runs as semi/anti joins."""
    day = timedelta(days=1)
    low, high = {
        "eq": lambda: (value, value),
        "gt": lambda: (value + 1, None),
        "gte": lambda: (value, None),
        "lt": lambda: (None, value - 1),
        "lte": lambda: (None, value),
        "between": lambda: (value[0], value[1]),
    }[operator]()
    if high is not None and high < 0:
        return Q(pk__in=[])
    orders = context.rows(Order.objects.filter(member_id=OuterRef("pk"), placed_at__lte=context.at))
    q = Q()
    if low is not None:
        cutoff = context.at - low * day
        q &= Q(Exists(orders.filter(placed_at__lte=cutoff))) & ~Exists(orders.filter(placed_at__gt=cutoff))
    if high is not None:
        q &= Q(Exists(orders.filter(placed_at__gt=context.at - (high + 1) * day)))
    return q


def _signup_q(operator: str, value, context: _Context) -> Q:
    if operator == "within_days":
        return Q(created_at__gte=context.at - timedelta(days=value), created_at__lte=context.at)
    # Dates are the program's calendar days: "before 2025-03-01" is before midnight there.
    day = datetime.fromisoformat(value).date()
    zone = context.program_zone()
    if operator == "before":
        return Q(created_at__lt=datetime.combine(day, time.min, tzinfo=zone))
    return Q(created_at__gte=datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone))


def _attribute_q(name: str, operator: str, value) -> Q:
    if operator == "exists":
        has = Q(attributes__has_key=name)
        return has if value else ~has
    lookup_name = {"eq": "exact", "in": "in", "contains": "icontains", "gte": "gte", "lte": "lte"}[operator]
    # Always with the explicit lookup, so the name (no "__", see ATTRIBUTE_NAME) is read as a key even when it
    # spells a JSON lookup ("contains", "has_key").
    return Q(**{f"attributes__{name}__{lookup_name}": value})


ORDER_RULE_TYPES = ("bonus_multiplier", "order_threshold")


def order_rules_for(rules: Iterable, member: Member | None, *, at: datetime) -> list:
    """The order rules (bonus multipliers, thresholds) live at `at` that apply to `member` (None: a guest): a
    segment-limited rule only for its segment's members. The rules need their `segment` loaded (the program
    configuration selects it); no query unless one of them is limited, then one per distinct segment."""
    live = [rule for rule in rules if rule.type in ORDER_RULE_TYPES and rule.is_live(at)]
    return segment_limited_filter(live, member, at=at)
