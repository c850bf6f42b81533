"""Every write endpoint refuses bad bodies with a 400, a stable code, and writes nothing."""

import json
from decimal import Decimal

import pytest

from members.services.orders import order_record
from tests.members.api.conftest import row_counts

MEMBERS = "/api/v1/members"
ADJUSTMENTS = "/api/v1/members/c-1/adjustments"
ORDERS = "/api/v1/orders"
REFUNDS = "/api/v1/orders/1001/refunds"
EVENTS = "/api/v1/events"

VALID = {
    MEMBERS: {"customer_id": "c-9", "email": "new@example.com"},
    ADJUSTMENTS: {"points": 10, "reason": "gift"},
    ORDERS: {"order_id": "o-9", "customer_id": "c-1", "subtotal": "10.00", "currency": "USD"},
    REFUNDS: {"refund_id": "r-9", "amount": "1.00"},
    EVENTS: {"event_id": "e-9", "customer_id": "c-1", "type": "review_posted"},
}
LONG = "x" * 256


class Raw(bytes):
    """A body sent byte for byte, for what `json.dumps` cannot produce."""


def changed(url: str, **fields):
    return {**VALID[url], **fields}


def without(url: str, field: str):
    return {k: v for k, v in VALID[url].items() if k != field}


def deep(levels: int):
    value = "leaf"
    for _ in range(levels):
        value = {"d": value}
    return value


# (url, body, expected error code, field named in `fields` or None)
GENERIC = [
    case
    for url in VALID
    for case in [
        (url, Raw(b'{"customer_id": '), "malformed_json", None),
        (url, Raw(b"{'single': 'quotes'}"), "malformed_json", None),
        (url, Raw(b'{"points": NaN}'), "malformed_json", None),
        (url, Raw(b'{"a": "\xff"}'), "malformed_json", None),
        (url, [], "invalid_input", "non_field_errors"),
        (url, "a string", "invalid_input", "non_field_errors"),
        (url, None, "invalid_input", "non_field_errors"),
        (url, {}, "invalid_input", None),
    ]
]
FIELDS = [
    # members
    (MEMBERS, without(MEMBERS, "customer_id"), "invalid_input", "customer_id"),
    (MEMBERS, changed(MEMBERS, customer_id=""), "invalid_input", "customer_id"),
    (MEMBERS, changed(MEMBERS, customer_id=LONG), "invalid_input", "customer_id"),
    (MEMBERS, changed(MEMBERS, customer_id="c\x00"), "invalid_input", "customer_id"),
    (MEMBERS, changed(MEMBERS, customer_id=["c-9"]), "invalid_input", "customer_id"),
    (MEMBERS, changed(MEMBERS, customer_id=True), "invalid_input", "customer_id"),
    (MEMBERS, without(MEMBERS, "email"), "invalid_input", "email"),
    (MEMBERS, changed(MEMBERS, email="not-an-email"), "invalid_input", "email"),
    (MEMBERS, changed(MEMBERS, email="a\x00@example.com"), "invalid_input", "email"),
    (MEMBERS, changed(MEMBERS, email="a" * 250 + "@example.com"), "invalid_input", "email"),
    (MEMBERS, changed(MEMBERS, first_name="x" * 151), "invalid_input", "first_name"),
    (MEMBERS, changed(MEMBERS, first_name="\x00"), "invalid_input", "first_name"),
    (MEMBERS, changed(MEMBERS, first_name="\ud800"), "invalid_input", "first_name"),
    (MEMBERS, changed(MEMBERS, last_name=12), "invalid_input", "last_name"),
    (MEMBERS, changed(MEMBERS, birthday="12/04/1990"), "invalid_input", "birthday"),
    (MEMBERS, changed(MEMBERS, birthday="1990-02-30"), "invalid_input", "birthday"),
    (MEMBERS, changed(MEMBERS, birthday="2999-01-01"), "invalid_input", "birthday"),
    (MEMBERS, changed(MEMBERS, birthday=19900412), "invalid_input", "birthday"),
    (MEMBERS, changed(MEMBERS, phone="1" * 33), "invalid_input", "phone"),
    (MEMBERS, changed(MEMBERS, referral_code="R" * 33), "invalid_input", "referral_code"),
    # adjustments
    (ADJUSTMENTS, without(ADJUSTMENTS, "points"), "invalid_input", "points"),
    (ADJUSTMENTS, changed(ADJUSTMENTS, points=0), "invalid_input", "points"),
    (ADJUSTMENTS, changed(ADJUSTMENTS, points="10"), "invalid_input", "points"),
    (ADJUSTMENTS, changed(ADJUSTMENTS, points=10.5), "invalid_input", "points"),
    (ADJUSTMENTS, changed(ADJUSTMENTS, points=True), "invalid_input", "points"),
    (ADJUSTMENTS, changed(ADJUSTMENTS, points=1_000_000_001), "invalid_input", "points"),
    (ADJUSTMENTS, changed(ADJUSTMENTS, points=-1_000_000_001), "invalid_input", "points"),
    (ADJUSTMENTS, changed(ADJUSTMENTS, points=10**30), "invalid_input", "points"),
    (ADJUSTMENTS, Raw(b'{"points": 1e400, "reason": "x"}'), "invalid_input", "points"),
    (ADJUSTMENTS, without(ADJUSTMENTS, "reason"), "invalid_input", "reason"),
    (ADJUSTMENTS, changed(ADJUSTMENTS, reason=LONG), "invalid_input", "reason"),
    (ADJUSTMENTS, changed(ADJUSTMENTS, reason="a\x00b"), "invalid_input", "reason"),
    # orders
    (ORDERS, without(ORDERS, "order_id"), "invalid_input", "order_id"),
    (ORDERS, changed(ORDERS, order_id=LONG), "invalid_input", "order_id"),
    (ORDERS, changed(ORDERS, order_id="o\x00"), "invalid_input", "order_id"),
    (ORDERS, changed(ORDERS, customer_id=LONG), "invalid_input", "customer_id"),
    (ORDERS, without(ORDERS, "subtotal"), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal="-1.00"), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal="1.001"), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal=0.1 + 0.2), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal="ten"), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal="NaN"), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal="Infinity"), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal="1e400"), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal="99999999999.99"), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal=10**30), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal=True), "invalid_input", "subtotal"),
    (ORDERS, changed(ORDERS, subtotal=["10.00"]), "invalid_input", "subtotal"),
    (
        ORDERS,
        Raw(b'{"order_id": "o-9", "customer_id": "c-1", "subtotal": 1e400, "currency": "USD"}'),
        "invalid_input",
        "subtotal",
    ),
    (ORDERS, without(ORDERS, "currency"), "invalid_input", "currency"),
    (ORDERS, changed(ORDERS, currency="EUR"), "currency_mismatch", "currency"),
    (ORDERS, changed(ORDERS, currency="US"), "invalid_input", "currency"),
    (ORDERS, changed(ORDERS, currency="U\x00D"), "invalid_input", "currency"),
    (ORDERS, changed(ORDERS, currency=840), "invalid_input", "currency"),
    (ORDERS, changed(ORDERS, email="bad"), "invalid_input", "email"),
    (ORDERS, changed(ORDERS, placed_at="yesterday"), "invalid_input", "placed_at"),
    (ORDERS, changed(ORDERS, placed_at="2999-01-01T00:00:00Z"), "invalid_input", "placed_at"),
    (ORDERS, changed(ORDERS, placed_at="0001-01-01T00:00:00+01:00"), "invalid_input", "placed_at"),
    (ORDERS, changed(ORDERS, placed_at="9999-12-31T23:59:59-05:00"), "invalid_input", "placed_at"),
    (ORDERS, changed(ORDERS, placed_at=1700000000), "invalid_input", "placed_at"),
    (ORDERS, changed(ORDERS, referral_code="R" * 33), "invalid_input", "referral_code"),
    (ORDERS, changed(ORDERS, items="TEA-01"), "invalid_input", "items"),
    (ORDERS, changed(ORDERS, items=[1, 2]), "invalid_input", "items"),
    (ORDERS, changed(ORDERS, items=[{"sku": "a\x00"}]), "invalid_input", "items"),
    (ORDERS, changed(ORDERS, items=[{"sku\x00": 1}]), "invalid_input", "items"),
    (ORDERS, changed(ORDERS, items=[{"sku": "\udfff"}]), "invalid_input", "items"),
    (ORDERS, changed(ORDERS, items=[{}] * 251), "invalid_input", "items"),
    (ORDERS, changed(ORDERS, items=[{"note": "x" * 70_000}]), "invalid_input", "items"),
    (
        ORDERS,
        Raw(b'{"order_id": "o-9", "customer_id": "c-1", "subtotal": "1", "currency": "USD", "items": [{"n": 1e400}]}'),
        "invalid_input",
        "items",
    ),
    # refunds
    (REFUNDS, without(REFUNDS, "refund_id"), "invalid_input", "refund_id"),
    (REFUNDS, changed(REFUNDS, refund_id=""), "invalid_input", "refund_id"),
    (REFUNDS, changed(REFUNDS, refund_id=LONG), "invalid_input", "refund_id"),
    (REFUNDS, changed(REFUNDS, refund_id="r\x00"), "invalid_input", "refund_id"),
    (REFUNDS, changed(REFUNDS, refund_id=None), "invalid_input", "refund_id"),
    (REFUNDS, without(REFUNDS, "amount"), "invalid_input", "amount"),
    (REFUNDS, changed(REFUNDS, amount="0"), "invalid_input", "amount"),
    (REFUNDS, changed(REFUNDS, amount="0.00"), "invalid_input", "amount"),
    (REFUNDS, changed(REFUNDS, amount="-1.00"), "invalid_input", "amount"),
    (REFUNDS, changed(REFUNDS, amount="1.001"), "invalid_input", "amount"),
    (REFUNDS, changed(REFUNDS, amount="Infinity"), "invalid_input", "amount"),
    (REFUNDS, changed(REFUNDS, amount="99999999999.99"), "invalid_input", "amount"),
    (REFUNDS, changed(REFUNDS, amount=False), "invalid_input", "amount"),
    (REFUNDS, changed(REFUNDS, amount="100.01"), "refund_exceeds_order", "amount"),
    # events
    (EVENTS, without(EVENTS, "event_id"), "invalid_input", "event_id"),
    (EVENTS, changed(EVENTS, event_id=LONG), "invalid_input", "event_id"),
    (EVENTS, changed(EVENTS, event_id="e\x00"), "invalid_input", "event_id"),
    (EVENTS, without(EVENTS, "type"), "invalid_input", "type"),
    (EVENTS, changed(EVENTS, type="t" * 101), "invalid_input", "type"),
    (EVENTS, changed(EVENTS, type="\x00"), "invalid_input", "type"),
    (EVENTS, changed(EVENTS, type=5), "invalid_input", "type"),
    (EVENTS, changed(EVENTS, properties="stars=5"), "invalid_input", "properties"),
    (EVENTS, changed(EVENTS, properties=[{"stars": 5}]), "invalid_input", "properties"),
    (EVENTS, changed(EVENTS, properties={"text": "a\x00b"}), "invalid_input", "properties"),
    (EVENTS, changed(EVENTS, properties={"k\x00": 1}), "invalid_input", "properties"),
    (EVENTS, changed(EVENTS, properties={"a": {"b": ["ok", "\x00"]}}), "invalid_input", "properties"),
    (EVENTS, changed(EVENTS, properties={"a": "\ud800"}), "invalid_input", "properties"),
    (EVENTS, changed(EVENTS, properties=deep(20)), "invalid_input", "properties"),
    (EVENTS, changed(EVENTS, properties={"big": "x" * 20_000}), "invalid_input", "properties"),
    (EVENTS, changed(EVENTS, properties={"n": 10**30}), "invalid_input", "properties"),
    (
        EVENTS,
        Raw(b'{"event_id": "e-9", "customer_id": "c-1", "type": "t", "properties": {"n": -1e400}}'),
        "invalid_input",
        "properties",
    ),
    (EVENTS, changed(EVENTS, occurred_at="not a date"), "invalid_input", "occurred_at"),
    (EVENTS, changed(EVENTS, occurred_at="2999-01-01T00:00:00Z"), "invalid_input", "occurred_at"),
]


@pytest.fixture
def shop(program, member):
    """A member (c-1) with an order 1001 of 100.00, so every endpoint has something to act on."""
    order_record(program=program, order_id="1001", customer_id="c-1", subtotal=Decimal("100.00"), currency="USD")


def _send(client, url: str, body):
    raw = body if isinstance(body, Raw) else json.dumps(body)
    return client.post(url, raw, content_type="application/json")


@pytest.mark.parametrize(("url", "body", "code", "field"), GENERIC + FIELDS)
def test_bad_bodies_are_a_400_with_a_stable_code_and_write_nothing(api, shop, url, body, code, field):
    # given the shop's rows
    before = row_counts()

    # when a bad body is sent
    response = _send(api, url, body)

    # then it is a 400 in the error shape naming the field, and nothing was written
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field:
        assert field in error["fields"]
    assert row_counts() == before


@pytest.mark.parametrize("url", list(VALID))
def test_a_body_that_is_not_json_is_a_415(api, shop, url):
    # given the shop's rows
    before = row_counts()

    # when a form is posted instead of JSON
    response = api.post(url, {"points": "10"}, format="multipart")

    # then it is a 415 in the error shape and nothing was written
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert row_counts() == before


@pytest.mark.parametrize("url", list(VALID))
def test_the_valid_bodies_of_the_table_are_accepted(api, shop, url):
    # given the shop
    # when the unaltered valid body is sent (so each refusal above is about the one altered field)
    response = _send(api, url, VALID[url])

    # then it is written
    assert response.status_code == 201, response.content
