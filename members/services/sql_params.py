"""The parameters of the hot paths' hand-written statements (`order_sql`, `member_sql`, PostgreSQL only), read from
the rows' plain values instead of through each field's `get_db_prep_save`: that call costs ~6 function calls and a
connection look-up per column, ~100 us for a new member's 27 columns, ~85 us for an order's ~35 parameters.

`column_plan` decides once per set of fields which columns need adapting and how; `column_values` applies it. Each
rule gives what `get_db_prep_save` gives on PostgreSQL (tests/members/services/test_order_sql_params.py compares
them): text, a decimal, an aware datetime, a date and a boolean as they are; an integer wrapped in psycopg's type of
its column (the prepared statement's parameter types do not follow the value's size); a choice as its plain value;
a foreign key's id as it is. Anything else (a naive datetime, a number given as text, JSON) goes through its field."""

import datetime
import enum
import functools
import operator
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKey,
    IntegerField,
    JSONField,
)
from django.db.models.fields import AutoFieldMixin


def column_plan(fields: Sequence) -> tuple[operator.attrgetter, tuple]:
    """How `column_values` reads `fields` (build it once per process): one getter for all their values, and the
    columns that need adapting, each with its adapter."""
    adapted = []
    for index, field in enumerate(fields):
        adapt = _adapter(field)
        if adapt is not None:
            adapted.append((index, adapt))
    assert len(fields) > 1, "attrgetter of one name gives the value, not a tuple"
    return operator.attrgetter(*(field.attname for field in fields)), tuple(adapted)


def column_values(obj, plan: tuple) -> list:
    """The values of `obj`'s columns in `plan` (`column_plan`) as PostgreSQL takes them."""
    getter, adapted = plan
    values = list(getter(obj))
    for index, adapt in adapted:
        values[index] = adapt(values[index])
    return values


def _adapter(field):
    """The adapter of `field`'s values, None where the value is what the field would give."""
    if isinstance(field, JSONField):
        return functools.partial(_field_prep, field)
    if isinstance(field, DateTimeField):
        return functools.partial(_datetime_prep, field)
    if isinstance(field, DateField):
        return functools.partial(_typed_prep, field, datetime.date)
    if isinstance(field, IntegerField) and not isinstance(field, AutoFieldMixin):
        kind = connection.ops.integerfield_type_map[field.get_internal_type()]  # as adapt_integerfield_value
        return functools.partial(_integer_prep, field, kind)
    if isinstance(field, BooleanField):
        return functools.partial(_typed_prep, field, bool)
    if isinstance(field, CharField) and field.choices:
        return _choice_prep
    if isinstance(field, CharField):
        return functools.partial(_typed_prep, field, str)
    if isinstance(field, DecimalField):
        return functools.partial(_typed_prep, field, Decimal)
    if isinstance(field, ForeignKey) and isinstance(field.target_field, AutoFieldMixin):
        return None
    raise TypeError(f"{field} is not a column kind the hot paths write")


def _field_prep(field, value):
    return field.get_db_prep_save(value, connection)


def _datetime_prep(field, value):
    """An aware datetime as it is; a naive one as Django makes it (a warning, then the current time zone)."""
    return value if value is None or value.tzinfo is not None else _field_prep(field, value)


def _typed_prep(field, kind, value):
    """A value of the column's own type (or None) as it is: what the field's `to_python` returns for it; anything
    else (a number for a text column, a datetime for a date) through the field."""
    return value if value is None or type(value) is kind else _field_prep(field, value)


def _integer_prep(field, kind, value):
    if value is None:
        return value
    return kind(value) if type(value) is int else _field_prep(field, value)


def _choice_prep(value):
    return value.value if isinstance(value, enum.Enum) else value
