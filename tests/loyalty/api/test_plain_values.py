"""The shortcuts for plain values (`plain_text`, `plain_money`, `plain_email`) accept only what their field
accepts, and mean the same value (generated values, the near-misses drawn often)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from loyalty.api.fields import IdField, MoneyField, StrictCharField, plain_email, plain_money, plain_text

MANY = settings(max_examples=1500)

every_character = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
ascii_character = st.characters(min_codepoint=0, max_codepoint=0x7F)
texts = st.one_of(
    st.text(ascii_character, max_size=40),
    st.text(every_character, max_size=40),
    st.text(st.sampled_from(" a\t\n\x00\x1f\x7f\u00a0\u2028\ud800é"), max_size=6),
    st.sampled_from(["x" * 31, "x" * 32, "x" * 33, "x" * 255, "x" * 256, " ", "a ", " a"]),
)
odd_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.lists(st.none(), max_size=1))


def field_value(field, value):
    """What the field makes of `value` (type and repr), or None when it refuses it."""
    try:
        result = field.run_validation(value)
    except serializers.ValidationError:
        return None
    return type(result), repr(result)


@MANY
@given(value=st.one_of(texts, odd_values), max_length=st.sampled_from([3, 32, 255]))
def test_plain_text_is_kept_as_is_by_the_char_fields(value, max_length):
    # given the fields the shortcut stands for
    for field in (IdField(max_length=max_length), StrictCharField(max_length=max_length)):
        # when / then: what the shortcut takes, the field takes unchanged
        if plain_text(value, max_length=max_length):
            assert field_value(field, value) == (str, repr(value))


@MANY
@given(
    value=st.one_of(
        st.from_regex(r"\A[0-9]{0,12}(\.[0-9]{0,3})?\Z"),
        st.from_regex(r"\A[-+ ]?[0-9٠-٩０-９]{1,11}([.,][0-9]{1,3})?[ e]?\Z"),
        st.decimals(allow_nan=True).map(str),
        texts,
        odd_values,
    )
)
def test_plain_money_is_the_money_fields_value(value):
    # when the shortcut reads an amount
    amount = plain_money(value)
    # then the field reads the same amount, to the same places
    if amount is not None:
        assert field_value(MoneyField(), value) == (Decimal, repr(amount))


local_parts = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9_+.-]{1,12}\Z"),
    st.sampled_from(['"a b"', "a..b", ".a", "a.", "é", "a b", "!#$%&'*/=?^`{|}~", ""]),
)
labels = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9-]{1,8}\Z"),
    st.sampled_from(["", "-", "x" * 63, "x" * 64, "é", "xn--p1ai", "localhost", "[127.0.0.1]", "c", "co1", "1"]),
)
addresses = st.tuples(local_parts, st.lists(labels, min_size=1, max_size=4), st.sampled_from(["", " ", "\n"])).map(
    lambda t: f"{t[0]}@{'.'.join(t[1])}{t[2]}"
)


@MANY
@given(value=st.one_of(addresses, addresses, st.emails().map(str), texts, odd_values))
def test_plain_email_is_kept_as_is_by_the_email_field(value):
    # given the order's email field
    field = serializers.EmailField(max_length=254, allow_blank=True)
    # when / then: what the shortcut takes, the field takes unchanged
    if plain_email(value, max_length=254):
        assert field_value(field, value) == (str, repr(value))
