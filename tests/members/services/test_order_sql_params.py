"""The order's write statement takes its parameters from the rows' plain values (`order_sql._prepared`): on
PostgreSQL they must be what each field's `get_db_prep_save` gives, which they replace."""

import datetime as dt
import enum
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from loyalty.choices import ExpiryPolicy
from members.choices import TransactionKind, TransactionSource
from members.models import Member, Order, Transaction
from members.services import order_sql
from members.services.ledger import points_row
from members.services.orders import order_row
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
        assert _comparable(order_sql._prepared(obj, plan)) == _comparable(_django_prepared(obj, fields))
    assert (row.expires_at is None) == pending  # an active row opens its lot: its expiry is a parameter


@postgres_only
def test_a_naive_datetime_is_made_aware_as_django_does(program):
    # given an order row placed at a naive datetime
    order = Order(program=program, member=Member(pk=1, program=program), order_id="n", subtotal=Decimal("1.00"))
    order.placed_at = order.created_at = dt.datetime(2026, 3, 1, 12, 0)
    fields = order_sql._insert_fields(Order)

    # when its parameters are built
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        values = order_sql._prepared(order, order_sql._column_plan(fields))

    # then the datetimes are those Django would send: aware, in the current time zone
    placed = values[[f.attname for f in fields].index("placed_at")]
    assert placed.tzinfo is not None and placed == timezone.make_aware(dt.datetime(2026, 3, 1, 12, 0))


@postgres_only
def test_a_column_kind_the_plan_does_not_know_is_refused():
    # given fields of a kind `_prepared` has no rule for (a boolean: Django may change its value)
    fields = (Member._meta.get_field("points_balance"), Member._meta.get_field("tier_locked"))

    # then the plan refuses them instead of sending them unadapted
    with pytest.raises(TypeError, match="tier_locked"):
        order_sql._column_plan(fields)
