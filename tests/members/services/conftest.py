"""Helpers of the ledger tests: orders and members through the real services."""

from decimal import Decimal

import pytest

from members.services.orders import order_record


@pytest.fixture
def place_order(program):
    """`place_order(order_id, subtotal, customer_id="c1", **kw)` records a paid order through the service."""

    def place(order_id: str, subtotal: str, customer_id: str = "c1", **kwargs):
        kwargs.setdefault("email", f"{customer_id}@example.com")
        kwargs.setdefault("currency", "USD")
        kwargs.setdefault("program", program)
        return order_record(order_id=order_id, customer_id=customer_id, subtotal=Decimal(subtotal), **kwargs)

    return place
