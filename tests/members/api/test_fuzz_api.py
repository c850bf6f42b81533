"""Property: no input makes the server API answer a 5xx. Bodies are generated from each endpoint's fields
with plausible and hostile values (NUL, lone surrogates, huge numbers, deep nesting, wrong types)."""

import json
from decimal import Decimal
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.services.orders import order_record

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every code point, surrogates and NUL included, with the known troublemakers drawn often.
hostile_text = st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=300),
    st.sampled_from(["", "\x00", "a\x00b", "\ud800", "\udfff x", "x" * 256, "ليلى", "USD"]),
)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 1, 2**31, -(2**31) - 1, 2**63, 1_000_000_000, 1_000_000_001]),
)
money_text = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0", "0.00", "-0.01", "1.005", "49.99", "9999999999.99", "1e400", "NaN", "-Infinity", " 1 "]),
)
dates = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(str),
    st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+14:00", "2026-02-30", "yesterday"]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, hostile_text, money_text, dates)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(hostile_text, children, max_size=5)),
    max_leaves=20,
)
hostile = st.one_of(scalars, json_values)
fresh_id = st.uuids().map(str)
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2).map(str)
email = st.emails().map(str)

# Per endpoint: each field is a plausible value (fresh ids, so writes really happen) or, often, a hostile one.
FIELDS = {
    "/api/v1/members": {
        "customer_id": fresh_id,
        "email": email,
        "first_name": hostile_text,
        "last_name": hostile_text,
        "birthday": dates,
        "phone": hostile_text,
        "referral_code": hostile_text,
    },
    "/api/v1/members/c-1/adjustments": {"points": st.integers(1, 100), "reason": hostile_text},
    "/api/v1/orders": {
        "order_id": fresh_id,
        "customer_id": st.sampled_from(["c-1", "c-2"]),
        "email": email,
        "subtotal": money,
        "currency": st.just("USD"),
        "placed_at": dates,
        "referral_code": hostile_text,
        "items": st.lists(st.dictionaries(hostile_text, json_values, min_size=1, max_size=4), min_size=1, max_size=4),
    },
    "/api/v1/orders/1001/refunds": {"refund_id": fresh_id, "amount": st.sampled_from(["0.01", "1.00", "100.00"])},
    "/api/v1/events": {
        "event_id": fresh_id,
        "customer_id": st.just("c-1"),
        "type": hostile_text,
        "properties": st.dictionaries(hostile_text, json_values, min_size=1, max_size=5),
        "occurred_at": dates,
    },
}


def body_for(url: str):
    """A plausible body (whose free text and nested JSON are hostile), the same with one field made hostile or
    left out, or any JSON at all."""
    names = sorted(FIELDS[url])
    plausible = st.fixed_dictionaries(FIELDS[url])
    one_bad = st.tuples(plausible, st.sampled_from(names), hostile).map(lambda t: {**t[0], t[1]: t[2]})
    one_missing = st.tuples(plausible, st.sampled_from(names)).map(
        lambda t: {k: v for k, v in t[0].items() if k != t[1]}
    )
    return st.one_of(plausible, one_bad, one_missing, json_values)


@pytest.fixture
def shop(program, member):
    order_record(program=program, order_id="1001", customer_id="c-1", subtotal=Decimal("100.00"), currency="USD")


def _assert_handled(response):
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response.json()["error"]["code"]


@pytest.mark.parametrize("url", list(FIELDS))
def test_no_json_body_makes_a_write_endpoint_fail(api, shop, url):
    @FUZZ
    @given(body=body_for(url), idempotency_key=st.one_of(st.none(), st.text(max_size=300)))
    def check(body, idempotency_key):
        headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key is not None else {}
        _assert_handled(api.post(url, json.dumps(body), content_type="application/json", **headers))

    check()


@pytest.mark.parametrize("url", list(FIELDS))
def test_no_byte_string_makes_a_write_endpoint_fail(api, shop, url):
    @FUZZ
    @given(raw=st.binary(max_size=200))
    def check(raw):
        _assert_handled(api.post(url, raw, content_type="application/json"))

    check()


@FUZZ
@given(customer_id=hostile_text.filter(bool), query=st.dictionaries(st.sampled_from(["cursor", "limit"]), hostile_text))
def test_no_path_or_query_makes_a_read_endpoint_fail(api, shop, customer_id, query):
    path = quote(customer_id, safe="", errors="surrogatepass")
    query_string = urlencode(query, errors="surrogatepass")
    for url in (f"/api/v1/members/{path}", f"/api/v1/members/{path}/transactions", "/api/v1/members/c-1/transactions"):
        _assert_handled(api.get(f"{url}?{query_string}"))
