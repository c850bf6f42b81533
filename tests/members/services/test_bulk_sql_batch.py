"""`members.services.bulk_sql`, the batch's set-based writes: rows built by `unsaved` are what the model's own
constructor builds, and `rows_insert` / `rows_update` store every kind of column as `bulk_create` / `save` would."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Member, Order, Transaction
from members.services.bulk_sql import rows_insert, rows_update, unsaved
from members.services.members import member_upsert
from tests.factories import ProgramFactory

AT = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def _columns(row) -> dict:
    return {name: value for name, value in vars(row).items() if name != "_state"}


def test_unsaved_builds_what_the_constructor_builds(db):
    # given a member and an unsaved order
    program = ProgramFactory()
    member, _created = member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    order = Order(program=program, member=member, order_id="o-1", subtotal=Decimal("1.00"), placed_at=AT)
    values = {"program_id": program.pk, "kind": "earn", "points": 5, "source": "order", "idempotency_key": "k"}

    # when a ledger row is built both ways
    built = unsaved(Transaction, related={"member": member, "order": order}, created_at=AT, **values)
    constructed = Transaction(member=member, order=order, created_at=AT, **values)

    # then the same columns (defaults included), the same related instances, an unsaved row
    assert _columns(built) == _columns(constructed)
    assert built.member is member and built.order is order
    assert built._state.adding and built.pk is None


def test_rows_insert_and_update_store_what_the_orm_stores(db):
    # given a member and orders with shared and differing values of every kind (JSON, text with quotes,
    # decimals, datetimes, a null)
    program = ProgramFactory()
    member, _created = member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    rows = [
        Order(
            program=program,
            member=member,
            order_id=f"o'{n}",
            subtotal=Decimal(f"{n}.5{n}"),
            currency="USD",
            placed_at=AT + timedelta(days=n),
            referral_code="",
            items=[{"sku": 'a "b"', "n": n}] if n else [],
            points_awarded=n,
        )
        for n in range(3)
    ]

    # when they are inserted in one statement
    with CaptureQueriesContext(connection) as queries:
        rows_insert(Order, rows)

    # then each has its id and reads back as written
    assert len(queries) == 1
    stored = {o.pk: o for o in Order.objects.filter(program=program)}
    assert sorted(stored) == sorted(row.pk for row in rows)
    for row in rows:
        again = stored[row.pk]
        assert (again.order_id, again.subtotal, again.placed_at, again.items, again.points_awarded) == (
            row.order_id,
            row.subtotal,
            row.placed_at,
            row.items,
            row.points_awarded,
        )
        assert again.created_at is not None

    # and when two members' counters are updated in one statement, each gets its own values
    other, _created = member_upsert(program=program, customer_id="c-2", email="c2@example.com")
    member.points_balance, member.last_activity_at = 7, AT
    other.points_balance, other.last_activity_at = 9, AT + timedelta(hours=1)
    rows_update(Member, [member, other], ["points_balance", "last_activity_at"])
    assert dict(Member.objects.filter(program=program).values_list("customer_id", "points_balance")) == {
        "c-1": 7,
        "c-2": 9,
    }
    assert Member.objects.get(pk=member.pk).last_activity_at == AT
    assert Member.objects.get(pk=other.pk).last_activity_at == AT + timedelta(hours=1)
