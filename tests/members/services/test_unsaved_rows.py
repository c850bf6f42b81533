"""`bulk_sql.unsaved` builds the order path's rows (the order, its ledger row, a new member) without
`Model.__init__`: each must be the instance the model's own constructor builds, column by column and relation by
relation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from members.choices import TransactionKind, TransactionSource
from members.models import Member, Order, Transaction
from members.services.bulk_sql import unsaved
from tests.factories import TierFactory


def _state(obj) -> tuple:
    columns = {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}
    return columns, dict(obj._state.fields_cache), obj._state.adding, obj._state.db


@pytest.mark.parametrize("with_tier", [False, True])
def test_unsaved_rows_are_what_the_models_constructors_build(program, with_tier):
    # given what the order path sets on a new member, an order and its ledger row
    tier = TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1) if with_tier else None
    at = timezone.now()
    new_member = {"customer_id": "c1", "email": "c1@example.com", "created_at": at, "last_activity_at": at}
    member = Member(program=program, tier=tier, **new_member)
    member.pk = 5
    order = {"order_id": "o1", "subtotal": Decimal("12.34"), "currency": "USD", "placed_at": at, "points_awarded": 12}
    row = {
        "program_id": program.pk,
        "kind": TransactionKind.EARN,
        "points": 12,
        "source": TransactionSource.ORDER,
        "idempotency_key": "order:o1",
        "created_at": at,
        "activates_at": at + dt.timedelta(days=3),
    }
    unsaved_order = unsaved(Order, related={"program": program, "member": member}, **order)

    # then each row is the constructor's: columns and their defaults, cached relations, state
    pairs = [
        (
            unsaved(Member, related={"program": program, "tier": tier}, **new_member),
            Member(program=program, tier=tier, **new_member),
        ),
        (unsaved_order, Order(program=program, member=member, **order)),
        (
            unsaved(Transaction, related={"member": member, "order": unsaved_order, "event": None}, **row),
            Transaction(member=member, order=unsaved_order, event=None, **row),
        ),
    ]
    for built, constructed in pairs:
        assert _state(built) == _state(constructed)
    # and defaults made per row are not shared between rows
    assert unsaved_order.items == [] and unsaved_order.items is not unsaved(Order, **order).items


def test_unsaved_refuses_a_column_the_model_does_not_have():
    with pytest.raises(TypeError, match="no columns"):
        unsaved(Order, order_id="o1", nonsense=1)
