import pytest

from loyalty.codes import CODE_ALPHABET
from rewards.codes import VOUCHER_CODE_LENGTH, VOUCHER_CODE_RE, voucher_code_generate, voucher_code_normalize

CONFUSABLE = set("0O1IL")


def test_100_000_codes_are_unique_and_shopify_safe():
    # given
    count = 100_000

    # when
    codes = [voucher_code_generate() for _ in range(count)]

    # then
    assert len(set(codes)) == count
    assert all(VOUCHER_CODE_RE.match(code) for code in codes)
    used = set("".join(codes))
    assert used <= set(CODE_ALPHABET) and not used & CONFUSABLE
    assert len(used) == len(CODE_ALPHABET)  # every symbol is drawn: the codes are not from a narrower set


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("abcd2345wxyz", "ABCD2345WXYZ"), ("  ABCD2345WXYZ ", "ABCD2345WXYZ")],
)
def test_a_typed_code_is_forgiven_its_case_and_spaces(typed, stored):
    assert voucher_code_normalize(typed) == stored


@pytest.mark.parametrize("typed", ["", "ABCD", "ABCD2345WXY0", "ABCD2345WXYZ9", "ABCD-2345-WXY", "ABCD2345WXY\x00"])
def test_what_cannot_be_a_code_is_refused_before_any_query(typed):
    assert voucher_code_normalize(typed) is None


def test_codes_have_the_documented_length():
    assert len(voucher_code_generate()) == VOUCHER_CODE_LENGTH == 12
