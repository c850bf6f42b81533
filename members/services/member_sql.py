"""PostgreSQL: a new member's writes in one statement (`members.services.members.member_create_locked`).

The member row (ON CONFLICT DO NOTHING: the unique customer id, or the random referral code, decides), its
'joined' tier change and its sign-up ledger rows are one data-modifying `WITH`: the two dependent INSERTs read the
new member's id from the first one's RETURNING, so when the member is not inserted (a conflict) they insert nothing
either. Three round trips and three statements to parse become one. Values travel as one typed array per column
(`bulk_sql`). SQLite runs the same writes one by one (`members.py`)."""

from django.db import connection

from members.models import Member, TierChange, Transaction
from members.services.bulk_sql import _array_param, _column_values


def member_insert_joined(member: Member, *, joined: TierChange | None, rows: list[Transaction]) -> bool:
    """INSERT `member`, then `joined` and the sign-up `rows` for it, in one statement; whether it was inserted.
    Each row's `idempotency_key` holds its rule's id until then: the key is `signup:<member id>:<rule id>`, made
    in the statement. On success the member, the tier change and the rows are saved, with their ids and keys."""
    quote = connection.ops.quote_name
    sql, params = _insert_sql(Member, [member], member_column=None)
    ctes = [f"m AS ({sql} ON CONFLICT DO NOTHING RETURNING {quote('id')})"]
    if joined is not None:
        sql, joined_params = _insert_sql(TierChange, [joined], member_column="member_id")
        ctes.append(f"c AS ({sql})")
        params += joined_params
    select = "SELECT m.id, ARRAY[]::bigint[], ARRAY[]::text[] FROM m"
    if rows:
        key = quote("idempotency_key")
        sql, row_params = _insert_sql(
            Transaction, rows, member_column="member_id", computed={key: f"'signup:' || m.id || ':' || v.{key}"}
        )
        ctes.append(f"t AS ({sql} RETURNING {quote('id')}, {key})")
        params += row_params
        select = f"SELECT m.id, ARRAY(SELECT t.id FROM t), ARRAY(SELECT t.{key} FROM t) FROM m"
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} {select}", params)
        found = cursor.fetchone()
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


def _insert_sql(model, objs: list, *, member_column: str | None, computed: dict | None = None) -> tuple[str, list]:
    """`INSERT INTO <table> (<columns>) SELECT … FROM unnest(<one array per column>) AS v(…)`: the values of
    `objs`, except `member_column`, which is the new member's id (`m.id`, so the SELECT also reads `m`), and the
    `computed` columns (quoted name → SQL over `m` and `v`)."""
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = [quote(field.column) for field in fields]
    computed = {**(computed or {}), **({quote(member_column): "m.id"} if member_column else {})}
    unnest = ", ".join(_array_param(field) for field in fields)
    values = ", ".join(computed.get(column, f"v.{column}") for column in columns)
    source = f"{'m, ' if member_column else ''}unnest({unnest}) AS v({', '.join(columns)})"
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) SELECT {values} FROM {source}"
    return sql, [_column_values(field, objs, insert=True) for field in fields]


def _saved(obj, pk: int) -> None:
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias
