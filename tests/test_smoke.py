from decimal import Decimal

from members.services.orders import order_record


def test_order_awards_points_once(program, assert_ledger_clean):
    # given a program earning 1 point per dollar
    # when the same order arrives twice
    first = order_record(
        program=program,
        order_id="1001",
        customer_id="c1",
        email="a@example.com",
        subtotal=Decimal("49.99"),
        currency="USD",
    )
    second = order_record(
        program=program,
        order_id="1001",
        customer_id="c1",
        email="a@example.com",
        subtotal=Decimal("49.99"),
        currency="USD",
    )
    # then points are awarded once
    assert first.created and not second.created
    assert first.order.points_awarded == 49
    second.member.refresh_from_db()
    assert second.member.points_balance == 49
    assert_ledger_clean()
