"""The hot paths' statements (an order's write, a new member's insert) take their parameters from the rows' plain
values (`sql_params.column_values`): on PostgreSQL they must be what each field's `get_db_prep_save` gives, which
they replace."""

import datetime as dt
import enum
from decimal import Decimal

import pytest
from django.db import connection, models
from django.utils import timezone

from loyalty.choices import ExpiryPolicy
from members.choices import TierChangeReason, TransactionKind, TransactionSource
from members.models import Member, Order, TierChange, Transaction
from members.services import member_sql, order_sql
from members.services.ledger import points_row
from members.services.orders import order_row
from members.services.sql_params import column_plan, column_values
from tests.conftest import postgres_only


def _django_prepared(obj, fields) -> list:
    """What the statement took before: every field's own adapter (JSON compared by the object it wraps)."""
    values = [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields]
    return [v.value if isinstance(v, enum.Enum) else v for v in values]


def _comparable(values: list) -> list:
    """JSON adapters compare by the object they wrap; everything else by value and type."""
    return [(type(v).__name__, getattr(v, "obj", v)) for v in values]


@postgres_only
@pytest.mark.parametrize("pending", [False, True])
@pytest.mark.parametrize("items", [None, [{"sku": "A-1", "name": 'Thé "vert"', "qty": 2, "price": "3.50"}]])
def test_the_write_statements_parameters_are_what_djangos_fields_give(program, place_order, pending, items):
    # given a member with points in a program whose lots expire, and an order with or without line items and
    # pending points
    program.expiry_policy, program.expiry_days = ExpiryPolicy.FIXED, 365
    program.save()
    member = Member.objects.select_related("program").get(pk=place_order("1", "40.00").member.pk)
    now = timezone.now()
    order = order_row(
        program=program,
        member=member,
        order_id="A-2",
        subtotal=Decimal("12.34"),
        placed_at=now - dt.timedelta(days=1),
        referral_code="FRIEND",
        items=items,
        points=12,
        pending_until=now + dt.timedelta(days=14) if pending else None,
    )
    row = points_row(
        member=member,
        points=12,
        kind=TransactionKind.EARN,
        source=TransactionSource.ORDER,
        idempotency_key="order:A-2",
        description="Order #A-2",
        pending_until=now + dt.timedelta(days=14) if pending else None,
        order=order,
        at=now,
    )
    member.updated_at = now

    # when the statement's parameters are built
    row_fields = [f for f in order_sql._insert_fields(Transaction) if f.attname not in order_sql._FROM_ORDER]
    member_fields = [Member._meta.get_field(name) for name in order_sql.ORDER_MEMBER_FIELDS]
    for obj, fields, plan in [
        (order, order_sql._insert_fields(Order), order_sql._order_columns()),
        (row, row_fields, order_sql._row_columns()),
        (member, member_fields, order_sql._member_columns()),
    ]:
        # then they are Django's, value and type
        assert _comparable(column_values(obj, plan)) == _comparable(_django_prepared(obj, fields))
    assert (row.expires_at is None) == pending  # an active row opens its lot: its expiry is a parameter


@postgres_only
def test_a_naive_datetime_is_made_aware_as_django_does(program):
    # given an order row placed at a naive datetime
    order = Order(program=program, member=Member(pk=1, program=program), order_id="n", subtotal=Decimal("1.00"))
    order.placed_at = order.created_at = dt.datetime(2026, 3, 1, 12, 0)
    fields = order_sql._insert_fields(Order)

    # when its parameters are built
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        values = column_values(order, column_plan(fields))

    # then the datetimes are those Django would send: aware, in the current time zone
    placed = values[[f.attname for f in fields].index("placed_at")]
    assert placed.tzinfo is not None and placed == timezone.make_aware(dt.datetime(2026, 3, 1, 12, 0))


@postgres_only
def test_a_column_kind_the_plan_does_not_know_is_refused():
    # given fields of a kind `column_values` has no rule for (a float: Django may change its value)
    ratio = models.FloatField()
    ratio.set_attributes_from_name("ratio")
    fields = (Member._meta.get_field("points_balance"), ratio)

    # then the plan refuses them instead of sending them unadapted
    with pytest.raises(TypeError, match="ratio"):
        column_plan(fields)


@postgres_only
@pytest.mark.parametrize(
    "profile",
    [
        {"email": "a@example.com"},
        {"email": "b@example.com", "first_name": "Layla", "birthday": dt.date(1990, 4, 12), "phone": "+971"},
        # values of another type than the column's, which the fields convert: a datetime for the birthday, a number
        # for a text column, a string for a boolean and a decimal
        {"email": "c@example.com", "birthday": dt.datetime(1990, 4, 12, 10, 0, tzinfo=dt.UTC), "phone": 971},
        {"email": "d@example.com", "emails_allowed": "f", "lifetime_spend": "12.50", "tier_locked": 1},
    ],
)
def test_a_new_members_statement_parameters_are_what_djangos_fields_give(program, profile):
    # given a new member as `member_create_locked` builds it (defaults for every column not given), a 'joined' tier
    # change and a sign-up row
    now = timezone.now()
    member = Member(program=program, customer_id="new-1", created_at=now, last_activity_at=now, referral_code="ABCD")
    for name, value in profile.items():
        setattr(member, name, value)
    member.pk = 7
    change = TierChange(member=member, from_tier=None, to_tier=None, reason=TierChangeReason.JOINED, created_at=now)
    row = Transaction(
        program_id=program.pk,
        kind=TransactionKind.BONUS,
        points=100,
        balance_after=100,
        source=TransactionSource.RULE,
        description="Welcome",
        idempotency_key="3",
        created_at=now,
    )

    # when the statement's parameters are built
    values = [
        (member_sql._values(Member, [member]), member_sql._fields(Member), member),
        (
            member_sql._values(TierChange, [change], but="member_id"),
            member_sql._fields(TierChange, but="member_id"),
            change,
        ),
        (
            member_sql._values(Transaction, [row], but="member_id"),
            member_sql._fields(Transaction, but="member_id"),
            row,
        ),
    ]

    # then they are Django's, value and type (`updated_at` stamped as `save` stamps it)
    assert member.updated_at is not None and member.updated_at >= now
    for given, fields, obj in values:
        assert _comparable(given) == _comparable(_django_prepared(obj, fields))
