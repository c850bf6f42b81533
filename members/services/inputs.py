"""Checks of the values the write services accept, so bad input is a clear `ValidationFailed`
with a stable code and never a database error half way through a write."""

from decimal import Decimal, InvalidOperation

from loyalty.errors import ValidationFailed

MAX_ID_LENGTH = 255
MAX_MONEY = Decimal("999999999999.99")  # what a DecimalField(max_digits=14, decimal_places=2) holds


def money_clean(value, *, field: str, allow_zero: bool = True) -> Decimal:
    """A Decimal with at most 2 places, ≥ 0 (> 0 unless `allow_zero`). Floats are refused: they cannot
    hold 19.99 exactly."""
    if isinstance(value, (float, bool)):
        raise _invalid(field, 'Send money as a decimal string, e.g. "19.99".')
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise _invalid(field, 'Must be a decimal number, e.g. "19.99".') from None
    if not amount.is_finite():
        raise _invalid(field, "Must be a finite decimal number.")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise _invalid(field, "Must be greater than zero." if not allow_zero else "Must not be negative.")
    # The bound first: quantizing a number of more than 28 digits raises InvalidOperation.
    if amount > MAX_MONEY:
        raise _invalid(field, f"At most {MAX_MONEY}.")
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:
        raise _invalid(field, "At most 2 decimal places.")
    return cents


def id_clean(value, *, field: str, max_length: int = MAX_ID_LENGTH) -> str:
    """A non-empty external id (order, refund, event, idempotency key, event type) of at most `max_length`
    characters, without NUL (PostgreSQL cannot store it)."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid(field, "Required.")
    if len(value) > max_length:
        raise _invalid(field, f"At most {max_length} characters.")
    if "\x00" in value:
        raise _invalid(field, "Must not contain NUL characters.")
    return value


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", fields={field: [message]})
