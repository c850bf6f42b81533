"""Locale-aware numbers and dates for the portal: Arabic-Indic digits in Arabic, Persian digits in Persian,
the locale's own separators, and dates in the locale's format (month names come from Django's catalogs)."""

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.utils import formats, timezone, translation

register = template.Library()

_DIGITS = {
    "ar": str.maketrans("0123456789.,-", "٠١٢٣٤٥٦٧٨٩٫٬−"),
    "fa": str.maketrans("0123456789.,-", "۰۱۲۳۴۵۶۷۸۹٫٬−"),
}
_DIGITS_ONLY = {
    "ar": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
    "fa": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
}


def _language() -> str:
    return (translation.get_language() or "en").split("-")[0]


def localize_digits(text: str) -> str:
    """Digits (only) in the active language's script: for dates, codes are never passed through this."""
    table = _DIGITS_ONLY.get(_language())
    return text.translate(table) if table else text


@register.filter
def num(value) -> str:
    """A number with thousands separators, in the active language's digits and separators."""
    if value is None or value == "":
        return ""
    if isinstance(value, (int, Decimal, float)):
        text = f"{value:,}" if isinstance(value, int) else f"{Decimal(value):,.2f}"
    else:
        text = str(value)
    table = _DIGITS.get(_language())
    return text.translate(table) if table else text


@register.filter
def digits(value) -> str:
    return localize_digits(str(value))


@register.filter
def ldate(value, format_name: str = "DATE_FORMAT") -> str:
    """A date (or the local date of a datetime) in the active locale's format and digits."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    elif not isinstance(value, date):
        return ""
    return localize_digits(formats.date_format(value, format_name))


@register.filter
def percent(fraction) -> str:
    """0.4213 → '42' (for widths and labels)."""
    try:
        return str(int(float(fraction) * 100))
    except (TypeError, ValueError):
        return "0"
