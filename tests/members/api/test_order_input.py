"""`order_input`'s shortcut for plain order bodies gives exactly the serializer's answer.

Property: for generated bodies (well-formed, near-misses and hostile: odd types, unicode, NUL, surrounding
whitespace, huge numbers, every ISO form of `placed_at`, tricky emails, unknown keys), whenever the shortcut
accepts a body the serializer accepts it with the same data (same types, same Decimal places, same moment and
offset), and `order_input` answers what the serializer answers: its data, or its `ValidationError` detail."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from members.api.views import OrderRecordApi, _order_input_plain, order_input
from tests.members.api.conftest import row_counts

GENERATED = settings(max_examples=600)

ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40)
any_text = st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=40),
    st.sampled_from(["", " ", "\x00", "a\x00", "\ud800", " a", "a ", "\ta", "a\n", "ليلى", "x" * 255, "x" * 256]),
)
odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**40, -(10**40), 2**63, 0, -1, 1.5, 1e300, [], {}, ["a"], {"a": 1}]),
    st.floats(allow_nan=False, allow_infinity=False),
)
ids = st.one_of(ascii_text, ascii_text, any_text, odd_values)
money = st.one_of(
    st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False).map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.from_regex(r"\A[0-9]{0,12}(\.[0-9]{0,3})?\Z"),
    st.sampled_from(
        [
            "0",
            "0.00",
            "00.5",
            "1.",
            ".5",
            "1.005",
            "-0",
            "-0.01",
            "+1",
            " 1",
            "1 ",
            "1e3",
            "NaN",
            "Infinity",
            "١٢",
            "１２",
            "9999999999.99",
            "99999999999",
            "1_000",
            "12,50",
            "",
        ]
    ),
    odd_values,
)
currencies = st.one_of(
    st.sampled_from(["USD", "usd", "EuR", "US", "USDD", " USD", "USD ", "USD\n", "ДОЛ", "ÜSD", "U$D", "1SD", ""]),
    any_text,
    odd_values,
)
emails = st.one_of(
    st.emails().map(str),
    st.sampled_from(
        [
            "",
            " ",
            "a@b",
            "a@localhost",
            "a..b@x.com",
            ".a@x.com",
            "a.@x.com",
            "a@-x.com",
            "a@x-.com",
            "a@x.c",
            "A.B+c_d-e@Sub.Example.COM",
            "a@[127.0.0.1]",
            "a b@x.com",
            " a@x.com",
            "a@x.com ",
            "é@x.com",
            "a@é.com",
            "a@x.com\n",
            "a@x.co1",
            "a@x.xn--p1ai",
            '"a b"@x.com',
            "a@x..com",
            "a@" + "x" * 64 + ".com",
            "a" * 240 + "@example.com",
            "a@" + ".".join(["x" * 60] * 5) + ".com",
            "a@x.com\x00",
        ]
    ),
    any_text,
    odd_values,
)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)), None])
moments = st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime.now() + timedelta(days=3), timezones=offsets)
placed_ats = st.one_of(
    st.tuples(moments, st.sampled_from(["auto", "seconds", "milliseconds", "microseconds", "minutes"])).map(
        lambda t: t[0].isoformat(timespec=t[1])
    ),
    moments.map(lambda moment: moment.isoformat(sep=" ")),
    moments.map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")),
    moments.map(lambda moment: moment.strftime("%Y%m%dT%H%M%S")),
    moments.map(lambda moment: moment.date().isoformat()),
    st.sampled_from(["2026-02-30T00:00:00Z", "2026-01-01T24:00:00", "yesterday", "", " 2026-01-01T00:00:00Z"]),
    any_text,
    odd_values,
)
items = st.one_of(
    st.lists(st.dictionaries(ascii_text, st.one_of(ascii_text, st.integers(), odd_values), max_size=3), max_size=3),
    st.lists(odd_values, max_size=2),
    odd_values,
)
signals = st.one_of(st.sampled_from(["", "127.0.0.1", "::1", "no-ip"]), any_text, odd_values)
FIELDS = {
    "order_id": ids,
    "customer_id": ids,
    "email": emails,
    "subtotal": money,
    "currency": currencies,
    "placed_at": placed_ats,
    "referral_code": st.one_of(ascii_text, any_text, odd_values),
    "items": items,
}
EXTRA = {"ip_address": signals, "device_fingerprint": signals, "shipping_address": signals, "note": any_text}
REQUIRED = ("order_id", "customer_id", "subtotal", "currency")
OPTIONAL = {name: strategy for name, strategy in FIELDS.items() if name not in REQUIRED}

plain_money = st.from_regex(r"\A[0-9]{1,10}(\.[0-9]{1,2})?\Z")
well_formed = st.fixed_dictionaries(
    {"order_id": ascii_text, "customer_id": ascii_text, "subtotal": plain_money, "currency": st.just("USD")},
    optional={"email": st.emails().map(str), "placed_at": placed_ats, "referral_code": ascii_text, "items": items},
)
# A well-formed body with one field drawn from everything that field may receive, or with one left out.
ALL = {**FIELDS, **EXTRA}
one_off = st.sampled_from(sorted(ALL)).flatmap(
    lambda name: st.tuples(well_formed, ALL[name]).map(lambda t: {**t[0], name: t[1]})
)
one_missing = st.tuples(well_formed, st.sampled_from(REQUIRED)).map(
    lambda t: {name: value for name, value in t[0].items() if name != t[1]}
)
near_miss = st.fixed_dictionaries({name: FIELDS[name] for name in REQUIRED}, optional=OPTIONAL)
with_extra = st.fixed_dictionaries({name: FIELDS[name] for name in REQUIRED}, optional={**OPTIONAL, **EXTRA})
anything = st.fixed_dictionaries({}, optional=ALL)
bodies = st.one_of(
    well_formed,
    well_formed,
    one_off,
    one_off,
    one_missing,
    near_miss,
    with_extra,
    anything,
    odd_values,
    st.lists(ascii_text),
)


def typed(data: dict) -> dict:
    """Values with their type and repr: Decimal('1.5') == Decimal('1.50') and equal moments in two offsets are
    equal, but the answer must not change."""
    return {name: (type(value), repr(value)) for name, value in data.items()}


def serializer_answer(body):
    serializer = OrderRecordApi.InputSerializer(data=body)
    if serializer.is_valid():
        return typed(serializer.validated_data), None
    return None, serializer.errors


def fields():
    return OrderRecordApi.InputSerializer().fields


@GENERATED
@given(body=bodies)
def test_the_shortcut_accepts_only_what_the_serializer_accepts_with_the_same_data(body):
    # given a body and what the serializer makes of it
    expected, errors = serializer_answer(body)
    # when the shortcut reads it
    data = _order_input_plain(body, fields())
    # then it accepts nothing the serializer refuses, and answers the same data
    if data is not None:
        assert errors is None, (body, errors)
        assert typed(data) == expected


@GENERATED
@given(body=bodies)
def test_order_input_answers_what_the_serializer_answers(body):
    # given what the serializer makes of a body
    expected, errors = serializer_answer(body)
    # when / then: the same data, or the same refusal
    if errors is None:
        assert typed(order_input(body)) == expected
    else:
        with pytest.raises(serializers.ValidationError) as refused:
            order_input(body)
        assert refused.value.detail == errors


@pytest.mark.parametrize(
    "body",
    [
        {"order_id": "o-1", "customer_id": "c-1", "subtotal": "42.5", "currency": "USD"},
        {"order_id": "o-1", "customer_id": "c-1", "email": "", "subtotal": "0", "currency": "usd"},
        {
            "order_id": "o-1",
            "customer_id": "c-1",
            "email": "Layla.H+shop@mail.example.com",
            "subtotal": "9999999999.99",
            "currency": "USD",
            "placed_at": "2026-03-01T09:30:00+04:00",
            "referral_code": "",
            "items": [{"sku": "TEA-01", "quantity": 2}],
        },
    ],
)
def test_the_shortcut_takes_the_common_bodies(body):
    # when / then: taken by the shortcut (not None), with the serializer's data
    data = _order_input_plain(body, fields())
    assert data is not None
    assert typed(data) == serializer_answer(body)[0]


@pytest.mark.parametrize(
    "change",
    [
        {"order_id": " o-1"},  # trimmed by the field
        {"customer_id": 42},  # a number, kept as its string
        {"subtotal": "1.005"},  # refused
        {"email": "layla@localhost"},  # accepted by Django, not by the shortcut
        {"ip_address": "127.0.0.1"},  # a storefront signal
    ],
)
def test_other_bodies_go_through_the_serializer(change):
    # given a common body with one thing the shortcut leaves to the serializer
    body = {"order_id": "o-1", "customer_id": "c-1", "subtotal": "1.00", "currency": "USD", **change}
    # when / then
    assert _order_input_plain(body, fields()) is None


@pytest.mark.django_db
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(near_miss, with_extra))
def test_a_refused_order_body_answers_the_serializers_error_and_writes_nothing(api, member, body):
    # given a body the serializer refuses
    _expected, errors = serializer_answer(body)
    if errors is None:
        return
    before = row_counts()
    # when
    response = api.post("/api/v1/orders", json.dumps(body), content_type="application/json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["fields"] == json.loads(json.dumps(errors))
    assert row_counts() == before
