"""Set-based writes of many model rows in one statement whose size does not grow with the rows: one array
parameter per column (`unnest`) on PostgreSQL instead of one placeholder per value.

Django's `bulk_create` and `bulk_update` prepare every value of every row through the field (`get_db_prep_save`)
and send a statement with a placeholder per value: for a batch of a thousand orders that is tens of thousands of
parameters, each quoted into the SQL text by the driver, which cost more CPU than the database's own work. Here
every column is one list of the instances' attribute values, sent as one typed array; a column with one value
for every row (the program, a status, the batch's timestamp) is sent once. The rows must hold values the driver
takes as they are (the instances the batch built itself: ints, strings, Decimals, aware datetimes, JSON data);
SQLite (tests, the embedded single-user setup) keeps Django's own path."""

import functools
import json

from django.db import connection, models, router
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone


def unsaved(model: type[models.Model], *, related: dict | None = None, **values) -> models.Model:
    """`model(**values)` for a row `rows_insert` is about to write, without `Model.__init__`'s work for every
    field (~40 us for a ledger row, more than its share of the INSERT): each column from `values` (by attribute
    name: `program_id`) or its default; `related` (field name → instance, saved or not) set as assigning it sets
    it, the instance cached, its id copied (`rows_insert` reads an unsaved one's id once it has one) and the row's
    database chosen. The model's own constructor when anything listens to its init (`init_listened`): a receiver
    of pre_init/post_init sees every instance, as Django promises."""
    constant, made, columns, relations = _unsaved_plan(model)
    if not columns.issuperset(values):
        raise TypeError(f"{model.__name__} has no columns {sorted(set(values) - columns)}")
    if init_listened(model):
        return model(**values, **(related or {}))
    row = model.__new__(model)
    state = row._state = ModelState()
    attributes = row.__dict__
    attributes.update(constant)
    for attname, default in made:
        attributes[attname] = default()
    attributes.update(values)
    if related:
        cache = state.fields_cache
        for name, instance in related.items():
            attname, cache_name = relations[name]
            cache[cache_name] = instance
            if instance is None:
                attributes[attname] = None
                continue
            attributes[attname] = instance.pk
            if state.db is None:  # as assigning a related instance sets it
                state.db = router.db_for_write(model, instance=instance)
    return row


def init_listened(model: type[models.Model]) -> bool:
    """Whether a receiver of `model`'s pre_init or post_init is connected (then rows are built by Django)."""
    return pre_init.has_listeners(model) or post_init.has_listeners(model)


@functools.cache
def _unsaved_plan(model: type[models.Model]) -> tuple[dict, tuple, frozenset, dict]:
    """What `unsaved` sets on every row of `model`, worked out once: the columns whose default is a constant (as
    `get_default` gives it), the ones whose default is made per row (a callable: `list`, `timezone.now`), every
    column's attribute name, and each relation's attribute and cache names."""
    constant, made = {}, []
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            made.append((field.attname, field.get_default))
        else:
            constant[field.attname] = field.get_default()
    relations = {
        field.name: (field.attname, field.cache_name) for field in model._meta.concrete_fields if field.is_relation
    }
    return constant, tuple(made), frozenset(f.attname for f in model._meta.concrete_fields), relations


def rows_insert(model: type[models.Model], rows: list[models.Model], *, unless_taken: str = "") -> list:
    """INSERT the unsaved `rows` in one statement and set their primary keys, in order (`bulk_create`); returns
    the rows inserted. `unless_taken` (PostgreSQL only): the name of a column unique among `rows`; a row that a
    unique constraint refuses (any of the table's) is left out (`ON CONFLICT DO NOTHING`) and keeps no key, and the
    keys of the others are matched to them by that column."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        assert not unless_taken, "rows_insert(unless_taken=...) runs on PostgreSQL only"
        return model.objects.bulk_create(rows)
    _stamp(model, rows)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    select, source, params = _columns(fields, rows)
    table, pk = connection.ops.quote_name(model._meta.db_table), model._meta.pk
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    returning = connection.ops.quote_name(pk.column)
    if unless_taken:
        returning += f", {connection.ops.quote_name(model._meta.get_field(unless_taken).column)}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {', '.join(select)} FROM {source}"
            f"{' ON CONFLICT DO NOTHING' if unless_taken else ''} RETURNING {returning}",
            params,
        )
        returned = cursor.fetchall()
    if unless_taken:
        ids = {key: row_id for row_id, key in returned}
        inserted = [row for row in rows if getattr(row, unless_taken) in ids]
        returned = [(ids[getattr(row, unless_taken)],) for row in inserted]
    else:
        # RETURNING gives the rows in the order the SELECT fed them, which is the arrays' order (as bulk_create's
        # multi-row VALUES relies on).
        inserted = rows
    for row, (row_id,) in zip(inserted, returned, strict=True):
        setattr(row, pk.attname, row_id)
        row._state.adding, row._state.db = False, connection.alias
    return inserted


def rows_update(model: type[models.Model], rows: list[models.Model], field_names: list[str]) -> None:
    """UPDATE `field_names` of the saved `rows` in one statement (`bulk_update`), each row to its own values."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, field_names, batch_size=1000)
        return
    pk = model._meta.pk
    fields = [model._meta.get_field(name) for name in field_names]
    # The key first, always an array: it says which row each value of the other columns goes to.
    select, source, params = _columns([pk, *fields], rows, keyed=True)
    assignments = ", ".join(
        f"{connection.ops.quote_name(field.column)} = {value}" for field, value in zip(fields, select[1:], strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(model._meta.db_table)} AS t SET {assignments}"
            f" FROM {source} WHERE t.{connection.ops.quote_name(pk.column)} = v.c0",
            params,
        )


def _stamp(model: type[models.Model], rows: list[models.Model]) -> None:
    """`auto_now_add` / `auto_now` columns set as `save` sets them, one moment for the whole statement."""
    now = None
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            now = now or timezone.now()
            for row in rows:
                setattr(row, field.attname, now)


def _columns(fields: list[models.Field], rows: list[models.Model], *, keyed: bool = False) -> tuple[list, str, list]:
    """The SELECT expressions (`v.cN` from the arrays, `%s` for a value shared by every row; with `keyed` the
    first field is always an array), the FROM source (the arrays unnested as v(c0, c1, …)) and the parameters in
    the order their placeholders appear: the shared values, then the arrays."""
    select, arrays, scalars, array_params = [], [], [], []
    for index, field in enumerate(fields):
        values = _column_values(field, rows)
        cast = "jsonb" if isinstance(field, models.JSONField) else field.db_type(connection)
        if values.count(values[0]) == len(values) and not (keyed and index == 0):
            select.append(f"%s::{cast}")
            scalars.append(values[0])
            continue
        name = f"c{len(arrays)}"
        select.append(f"v.{name}")
        if isinstance(field, models.DateTimeField):
            values = _iso_texts(values)  # the driver converts datetimes one by one in Python: 5x slower
        as_text = isinstance(field, (models.DateTimeField, models.JSONField))
        arrays.append(f"%s::text[]::{cast}[]" if as_text else f"%s::{cast}[]")
        array_params.append(values)
    if not arrays:
        return select, "generate_series(1, %s)", [*scalars, len(rows)]
    names = ", ".join(f"c{n}" for n in range(len(arrays)))
    return select, f"unnest({', '.join(arrays)}) AS v({names})", [*scalars, *array_params]


def _column_values(field: models.Field, rows: list[models.Model]) -> list:
    """The rows' values of one column (JSON as text)."""
    if field.is_relation:
        return [_related_id(field, row) for row in rows]
    values = [getattr(row, field.attname) for row in rows]
    if isinstance(field, models.JSONField):
        return [None if value is None else json.dumps(value, cls=field.encoder) for value in values]
    return values


def _iso_texts(values: list) -> list:
    """Aware datetimes as ISO 8601 text (offset included: the same instant whatever the session's time zone); a
    batch repeats a few values, each converted once."""
    texts: dict = {}
    return [
        None if value is None else texts.get(value) or texts.setdefault(value, value.isoformat()) for value in values
    ]


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
