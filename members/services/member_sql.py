"""PostgreSQL: a new member's writes in one statement (`members.services.members.member_create_locked`).

The member row (ON CONFLICT DO NOTHING: the unique customer id, or the random referral code, decides), its
'joined' tier change and its sign-up ledger rows are one data-modifying `WITH`: the two dependent INSERTs read the
new member's id from the first one's RETURNING, so when the member is not inserted (a conflict) they insert nothing
either. Three round trips and three statements to parse become one, prepared (`members.prepared.fetch_one`: its
text is one of a few, cached per shape, so the server plans it once per connection). SQLite runs the same writes one
by one (`members.py`)."""

import functools

from django.db import connection

from members.models import Member, TierChange, Transaction
from members.prepared import fetch_one
from members.services.sql_params import column_plan, column_values

# The new member's id in the tier change and the sign-up rows: `m.id` from the member's INSERT, not a parameter.
_MEMBER_COLUMN = "member_id"


def member_insert_joined(member: Member, *, joined: TierChange | None, rows: list[Transaction]) -> bool:
    """INSERT `member`, then `joined` and the sign-up `rows` for it, in one statement; whether it was inserted.
    Each row's `idempotency_key` holds its rule's id until then: the key is `signup:<member id>:<rule id>`, made
    in the statement. On success the member, the tier change and the rows are saved, with their ids and keys."""
    params = _values(Member, [member])
    if joined is not None:
        params += _values(TierChange, [joined], but=_MEMBER_COLUMN)
    params += _values(Transaction, rows, but=_MEMBER_COLUMN)
    found = fetch_one(_statement(joined=joined is not None, rows=len(rows)), params)
    if found is None:
        return False
    member_id, row_ids, keys = found
    _saved(member, member_id)
    if joined is not None:
        joined.member = member
    ids = dict(zip(keys, row_ids, strict=True))
    for row in rows:
        row.member = member
        row.idempotency_key = f"signup:{member_id}:{row.idempotency_key}"
        _saved(row, ids[row.idempotency_key])
    return True


@functools.cache
def _statement(*, joined: bool, rows: int) -> str:
    """The statement for a tier change or not and `rows` sign-up rows: the same few texts every time, built once
    per process (its parameters are, in order, the member's values, the tier change's, the rows')."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in _fields(Member))
    placeholders = ", ".join(["%s"] * len(_fields(Member)))
    ctes = [
        f"m AS (INSERT INTO {quote(Member._meta.db_table)} ({columns}) VALUES ({placeholders})"
        f" ON CONFLICT DO NOTHING RETURNING {quote('id')})"
    ]
    if joined:
        ctes.append(f"c AS ({_insert_sql(TierChange, 1)})")
    if not rows:
        return f"WITH {', '.join(ctes)} SELECT m.id, ARRAY[]::bigint[], ARRAY[]::text[] FROM m"
    key = quote("idempotency_key")
    sql = _insert_sql(Transaction, rows, computed={key: f"'signup:' || m.id || ':' || v.{key}"})
    ctes.append(f"t AS ({sql} RETURNING {quote('id')}, {key})")
    return f"WITH {', '.join(ctes)} SELECT m.id, ARRAY(SELECT t.id FROM t), ARRAY(SELECT t.{key} FROM t) FROM m"


def _insert_sql(model, count: int, *, computed: dict | None = None) -> str:
    """`INSERT INTO <table> (<columns>) SELECT … FROM m, (VALUES …) AS v(<columns>)` for `count` rows of `model`: the
    member column is the new member's id (`m.id`, no parameter), the `computed` columns (quoted name → SQL over `m`
    and `v`) are computed, every other column is its value. The VALUES are cast to the columns' types: in a SELECT
    nothing else tells PostgreSQL their types."""
    quote = connection.ops.quote_name
    given = _fields(model, but=_MEMBER_COLUMN)
    columns = [quote(field.column) for field in _fields(model)]
    computed = {**(computed or {}), quote(_MEMBER_COLUMN): "m.id"}
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in given) + ")"
    values = ", ".join(computed.get(column, f"v.{column}") for column in columns)
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) SELECT {values}"
        f" FROM m, (VALUES {', '.join([row] * count)}) AS v({', '.join(quote(field.column) for field in given)})"
    )


@functools.cache
def _fields(model, *, but: str = "") -> tuple:
    """The columns an INSERT of `model` writes, except the column `but`."""
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key and field.column != but)


def _values(model, objs: list, *, but: str = "") -> list:
    """Every value of every object as `save` prepares it (`auto_now` stamps set first), read by the model's column
    plan (`sql_params`: no `get_db_prep_save` call per column, ~100 us less for a member)."""
    stamped, plan = _plan(model, but=but)
    values = []
    for obj in objs:
        for field in stamped:
            field.pre_save(obj, add=True)
        values += column_values(obj, plan)
    return values


@functools.cache
def _plan(model, *, but: str = "") -> tuple[tuple, tuple]:
    """The fields `save` stamps (`auto_now`, `auto_now_add`) and the column plan of `_fields(model, but=but)`."""
    fields = _fields(model, but=but)
    stamped = tuple(f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
    return stamped, column_plan(fields)


def _saved(obj, pk: int) -> None:
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias
