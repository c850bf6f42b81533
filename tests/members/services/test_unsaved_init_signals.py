"""Review of 9ccd63d: `bulk_sql.unsaved` builds the order, its ledger row and a new member without `Model.__init__`,
so a receiver of `pre_init`/`post_init` (a field tracker, an audit app) never sees them, while the locked member
(`order_sql._member_from_db`) falls back to Django's constructor when anything listens. Rows built for the ORM must
behave as the constructor's whenever something listens to their init."""

from decimal import Decimal

import pytest
from django.db.models.signals import post_init

from members.models import Member, Order, Transaction
from members.services.orders import order_record


@pytest.mark.parametrize("model", [Order, Transaction, Member])
def test_a_post_init_receiver_sees_the_rows_an_order_builds(program, model):
    # given a receiver of the model's post_init
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=model)
    try:
        # when a new customer's order is recorded (a new member, the order, its ledger row)
        result = order_record(
            program=program,
            order_id="o1",
            customer_id="c1",
            subtotal=Decimal("12.00"),
            currency="USD",
            email="c1@example.com",
        )
    finally:
        post_init.disconnect(receiver, sender=model)

    # then the receiver saw the row the order path built (as it sees the ones the ORM reads)
    built = {Order: result.order, Member: result.member}.get(model)
    if built is None:
        built = Transaction.objects.get(order=result.order)
    assert any(instance is built or (instance.pk is not None and instance.pk == built.pk) for instance in seen)
