from decimal import Decimal

import pytest

from loyalty.errors import ValidationFailed
from members.services.inputs import id_clean, money_clean


@pytest.mark.parametrize(
    ("value", "expected"),
    [("19.99", Decimal("19.99")), (Decimal("5"), Decimal("5.00")), ("1.000", Decimal("1.00")), (0, Decimal("0.00"))],
)
def test_money_clean_accepts_decimals_of_at_most_two_places(value, expected):
    assert money_clean(value, field="amount") == expected


@pytest.mark.parametrize(
    "value",
    [
        19.99,
        True,
        None,
        "",
        "abc",
        "1.001",
        "-0.01",
        "NaN",
        "Infinity",
        "1e13",
        "1" * 40 + ".001",
        "0.0000000000000000000000000000001",
    ],
)
def test_money_clean_refuses_anything_else(value):
    with pytest.raises(ValidationFailed) as caught:
        money_clean(value, field="amount")
    assert caught.value.fields and "amount" in caught.value.fields


def test_money_clean_refuses_zero_where_it_must_be_positive():
    with pytest.raises(ValidationFailed):
        money_clean("0.00", field="amount", allow_zero=False)


@pytest.mark.parametrize("value", ["", "   ", None, 7, "x" * 256, "a\x00b"])
def test_id_clean_refuses_empty_long_and_nul(value):
    with pytest.raises(ValidationFailed):
        id_clean(value, field="order_id")


def test_id_clean_keeps_a_good_id():
    assert id_clean("order-1", field="order_id") == "order-1"
