"""Set-based writes of many model rows in one statement whose size does not grow with the rows: one array
parameter per column (`unnest`) on PostgreSQL instead of one placeholder per value.

Django's `bulk_create` and `bulk_update` prepare every value of every row through the field (`get_db_prep_save`)
and send a statement with a placeholder per value: for a batch of a thousand orders that is tens of thousands of
parameters, each quoted into the SQL text by the driver, which cost more CPU than the database's own work. Here
every column is one list of the instances' attribute values, sent as one typed array. The rows must hold values
the driver takes as they are (the instances the batch built itself: ints, strings, Decimals, aware datetimes,
JSON data); SQLite (tests, the embedded single-user setup) keeps Django's own path."""

import json

from django.db import connection, models


def rows_insert(model: type[models.Model], rows: list[models.Model]) -> None:
    """INSERT the unsaved `rows` in one statement and set their primary keys, in order (`bulk_create`)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows)
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    arrays = [_column_values(field, rows, insert=True) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    unnest = ", ".join(_array_param(field) for field in fields)
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns})"
            f" SELECT * FROM unnest({unnest}) RETURNING {connection.ops.quote_name(pk.column)}",
            arrays,
        )
        ids = cursor.fetchall()
    # RETURNING gives the rows in the order the SELECT fed them, which is the arrays' order (as bulk_create's
    # multi-row VALUES relies on).
    for row, (row_id,) in zip(rows, ids, strict=True):
        setattr(row, pk.attname, row_id)
        row._state.adding, row._state.db = False, connection.alias


def rows_update(model: type[models.Model], rows: list[models.Model], field_names: list[str]) -> None:
    """UPDATE `field_names` of the saved `rows` in one statement (`bulk_update`), each row to its own values."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, field_names, batch_size=1000)
        return
    pk = model._meta.pk
    fields = [model._meta.get_field(name) for name in field_names]
    names = [connection.ops.quote_name(field.column) for field in fields]
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    unnest = ", ".join(_array_param(field) for field in (pk, *fields))
    table = connection.ops.quote_name(model._meta.db_table)
    key = connection.ops.quote_name(pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM unnest({unnest}) AS v({key}, {', '.join(names)})"
            f" WHERE t.{key} = v.{key}",
            [_column_values(field, rows, insert=False) for field in (pk, *fields)],
        )


def _array_param(field: models.Field) -> str:
    """One column's placeholder, cast to an array of the column's type (JSON travels as text, cast by element)."""
    if isinstance(field, models.JSONField):
        return "CAST(%s::text[] AS jsonb[])"
    return f"%s::{field.db_type(connection)}[]"  # a foreign key's is its target's


def _column_values(field: models.Field, rows: list[models.Model], *, insert: bool) -> list:
    """The rows' values of one column; on insert, `auto_now_add` / `auto_now` stamps are set as `save` sets them
    (an update writes the values the caller set, as `bulk_update` does)."""
    if insert and (getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)):
        return [field.pre_save(row, add=True) for row in rows]
    if field.is_relation:
        return [_related_id(field, row) for row in rows]
    values = [getattr(row, field.attname) for row in rows]
    if isinstance(field, models.JSONField):
        return [None if value is None else json.dumps(value, cls=field.encoder) for value in values]
    return values


def _related_id(field: models.ForeignKey, row: models.Model):
    """The foreign key's value, also when the related instance was assigned before it was saved (a batch's ledger
    row points at its order, inserted just before): its id now, set on the row as `save` would."""
    value = getattr(row, field.attname)
    if value is None:
        related = row._state.fields_cache.get(field.cache_name)
        if related is not None and related.pk is not None:
            value = related.pk
            setattr(row, field.attname, value)
    return value
