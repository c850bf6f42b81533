"""Normalising emails, phones and addresses: two spellings of one person compare equal, two people don't."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.services.identity import address_normalize, email_normalize, phone_normalize


@pytest.mark.parametrize(
    ("email", "normalized"),
    [
        ("J.Doe+shop@GMail.com", "jdoe@gmail.com"),
        ("j.doe@googlemail.com", "jdoe@gmail.com"),
        ("  Jane@Example.com ", "jane@example.com"),
        ("jane+x+y@example.com", "jane@example.com"),
        ("j.ane@example.com", "j.ane@example.com"),
        ("", ""),
        ("not-an-email", "not-an-email"),
    ],
)
def test_email_normalize(email, normalized):
    assert email_normalize(email) == normalized


@given(st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.from_regex(r"[a-z0-9]{0,6}", fullmatch=True))
def test_gmail_dots_and_tags_never_matter(local, tag):
    # given any Gmail local part, dotted and tagged
    dotted = ".".join(local) + (f"+{tag}" if tag else "")

    # when / then
    assert email_normalize(f"{dotted}@gmail.com") == email_normalize(f"{local}@googlemail.com") == f"{local}@gmail.com"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("+1 (415) 555-0100", "415.555.0100", True),
        ("0044 20 7946 0958", "+44 20 7946 0958", True),
        ("+1 415 555 0100", "+1 415 555 0101", False),
        ("12345", "12345", None),
    ],
)
def test_phone_normalize(a, b, same):
    if same is None:
        # too short to be a phone: never matches anything
        assert phone_normalize(a) == ""
    else:
        assert (phone_normalize(a) == phone_normalize(b)) is same


def test_address_normalize_ignores_case_punctuation_and_spacing():
    assert address_normalize("1 Main St.,  Springfield ") == address_normalize("1 main st springfield")
    assert address_normalize("1 Main St") != address_normalize("11 Main St")
