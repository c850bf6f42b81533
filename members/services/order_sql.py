"""The order path's hot statements as pre-built SQL (members/services/orders.py): building them through the ORM
cost more Python than running them, and on PostgreSQL each goes through a prepared statement, planned once per
connection instead of once per order.

- `member_locked`: the member row, locked for the rest of the transaction, in one read (both databases).
- `order_write` (PostgreSQL only): the order row, its ledger row and the member's counters in one data-modifying
  `WITH` statement, which also reads what the answer needs from before these writes (the tier metric's value and
  the next expiring lot; a statement does not see its own writes) and makes the tier upgrade the order earns: the
  member's tier in the same UPDATE and the 'earned' `TierChange` row. Python chooses the tiers it may move to
  (`tier_selectors.tier_upgrades`) and what the order adds to the metric; the statement only compares their
  thresholds with the value before plus that (`tier_upgrade_target`'s rule). SQLite, which has no data-modifying
  `WITH`, writes through the ORM and reads the same two values by their selectors.
"""

import functools
from collections.abc import Sequence
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import JSONField
from django.db.models.base import ModelState
from psycopg.types.numeric import Int8

from loyalty.models import Tier
from members.choices import TierChangeReason, TransactionStatus
from members.models import Member, Order, TierChange, Transaction
from members.prepared import fetch_one
from members.services.bulk_sql import init_listened
from members.services.sql_params import column_plan, column_values
from members.tier_selectors import member_tier_units_sql

# --- the member, locked -------------------------------------------------------------------------------------


@functools.cache
def _member_select(vendor: str, lock: bool = True) -> tuple[str, list[str], list[tuple[int, list, object]]]:
    """The locking read's SQL, the attribute names of its columns, and the converters of the columns that need one
    (dates, decimals and booleans on SQLite), as the ORM's compiler finds them. On PostgreSQL the row is read in
    binary (`_BINARY`): JSON arrives decoded by psycopg (json.loads, as `JSONField.from_db_value` would) and no
    column is left that needs a converter."""
    table = Member._meta.db_table
    fields = Member._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found and vendor in _BINARY:
            if not (isinstance(field, JSONField) and field.decoder is None):
                raise TypeError(f"{field} needs its converter: the member cannot be read in binary")
            found = []
        if found:
            converters.append((index, found, column))
    columns = ", ".join(f'"{table}"."{field.column}"' for field in fields)
    for_update = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    sql = f'SELECT {columns} FROM "{table}" WHERE "{table}"."program_id" = %s AND "{table}"."customer_id" = %s'
    sql += for_update
    return sql, [field.attname for field in fields], converters


# Where the member is read in binary: no text to parse for its ~28 columns (five timestamps, a numeric, JSON) and no
# JSON converter to call after it, ~13 us less CPU per order than the text row.
_BINARY = {"postgresql"}


def member_locked(*, program_id: int, customer_id: str) -> Member | None:
    """The program's member with this customer id, locked for the rest of the current transaction (SQLite
    serialises writers anyway), or None. Its program and tier are for the caller to attach (no join)."""
    return member_read(program_id=program_id, customer_id=customer_id, lock=True)


def member_read(*, program_id: int, customer_id: str, lock: bool = False) -> Member | None:
    """`member_locked`, locked only if `lock`: the same one prepared statement for the hot reads that change
    nothing (the widget's points preview)."""
    vendor = connection.vendor
    sql, attnames, converters = _member_select(vendor, lock)
    row = fetch_one(sql, [program_id, customer_id], binary=vendor in _BINARY)
    if row is None:
        return None
    if converters:
        row = list(row)
        for index, found, column in converters:
            for converter in found:
                row[index] = converter(row[index], column, connection)
    return _member_from_db(attnames, row)


def _member_from_db(attnames: list[str], values) -> Member:
    """`Member.from_db(...)` for a row of every column: its values set as `Model.__init__` sets them on a new
    instance (straight into its `__dict__`: a foreign key's id descriptor only drops a cached object, and there is
    none yet), without the per-field loop (~7 us). Django's own way if anything listens to a Member's init."""
    if init_listened(Member):
        return Member.from_db(DEFAULT_DB_ALIAS, attnames, list(values))
    member = Member.__new__(Member)
    member.__dict__.update(zip(attnames, values, strict=True))
    state = member._state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    return member


# --- the writes of one order (PostgreSQL) -------------------------------------------------------------------

# The member columns an order moves: its ledger post's and its own (spend, order count), and `updated_at`.
ORDER_MEMBER_FIELDS = (
    "points_balance",
    "pending_points",
    "lifetime_points",
    "last_activity_at",
    "lifetime_spend",
    "orders_count",
    "updated_at",
)


# The order's ledger row takes these from the order the statement inserts, and every other part names the member
# by it: each value is one parameter, not one per use (the driver caches its parsing of a statement only up to 50
# parameters; past that it parses ~2,000 characters again on every order).
_MEMBER = "(SELECT member_id FROM new_order)"
_FROM_ORDER = {
    "order_id": "(SELECT id FROM new_order)",
    "program_id": "(SELECT program_id FROM new_order)",
    "member_id": _MEMBER,
}


@functools.cache
def _insert_fields(model) -> tuple:
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key)


@functools.cache
def _write_sql(*, with_row: bool, with_units: bool, with_lot: bool, with_tiers: bool) -> str:
    """The statement of `order_write` with `{units}` for the tier metric's SQL (replaced by the caller: it depends
    on the program's metric and period): the order, its ledger row if it has points, the metric's value before,
    the tier the order reaches if it may move the member (`with_tiers`), the member's counters and tier, the
    'earned' tier change; then the ids written, the metric before, the member's next lot from before the order
    and the new tier's id (NULLs when not asked). Parameters in this order: the order's, the row's, the metric's,
    the upgrades' (ids, thresholds, what the order adds), the member's, the lot's."""
    assert with_units or not with_tiers, "the upgrade compares the metric's value"
    order_fields = _insert_fields(Order)
    ctes = [
        f"new_order AS (INSERT INTO {Order._meta.db_table}"
        f" ({', '.join(f.column for f in order_fields)}) VALUES ({', '.join(['%s'] * len(order_fields))})"
        " RETURNING id, program_id, member_id, created_at)"
    ]
    if with_row:
        row_fields = _insert_fields(Transaction)
        values = [_FROM_ORDER.get(f.attname, "%s") for f in row_fields]
        ctes.append(
            f"new_row AS (INSERT INTO {Transaction._meta.db_table}"
            f" ({', '.join(f.column for f in row_fields)}) VALUES ({', '.join(values)}) RETURNING id)"
        )
    if with_units:
        ctes.append("units AS (SELECT {units} AS value)")
    assignments = [f"{Member._meta.get_field(name).column} = %s" for name in ORDER_MEMBER_FIELDS]
    if with_tiers:
        # The highest-ranked of the tiers above the member's (by rank, lowest first) whose threshold the value
        # reaches; no row: the member stays.
        ctes.append(
            "upgrade AS (SELECT u.id FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY AS u(id, needed, rank)"
            " WHERE u.needed <= (SELECT value FROM units) + %s ORDER BY u.rank DESC LIMIT 1)"
        )
        tier, achieved = (Member._meta.get_field(name).column for name in ("tier", "tier_achieved_at"))
        assignments += [
            f"{tier} = COALESCE((SELECT id FROM upgrade), {tier})",
            f"{achieved} = COALESCE((SELECT new_order.created_at FROM upgrade, new_order), {achieved})",
        ]
    ctes.append(f"member_update AS (UPDATE {Member._meta.db_table} SET {', '.join(assignments)} WHERE id = {_MEMBER})")
    if with_tiers:
        change_fields = _insert_fields(TierChange)
        values = [_TIER_CHANGE[f.attname] for f in change_fields]
        ctes.append(
            f"tier_change AS (INSERT INTO {TierChange._meta.db_table} ({', '.join(f.column for f in change_fields)})"
            f" SELECT {', '.join(values)} FROM upgrade)"
        )
    row_id = "(SELECT id FROM new_row)" if with_row else "NULL"
    units = "(SELECT value FROM units)" if with_units else "0"
    tier_id = "(SELECT id FROM upgrade)" if with_tiers else "NULL"
    lot = (
        f"(SELECT remaining, expires_at FROM {Transaction._meta.db_table} WHERE member_id = {_MEMBER} AND status = %s"
        " AND remaining > 0 AND expires_at > %s ORDER BY expires_at, id LIMIT 1)"
        if with_lot
        else "(SELECT NULL AS remaining, NULL AS expires_at)"
    )
    return (
        f"WITH {', '.join(ctes)} SELECT (SELECT id FROM new_order), {row_id}, {units}, lot.remaining, lot.expires_at,"
        f" {tier_id} FROM (SELECT 1) AS one LEFT JOIN {lot} AS lot ON TRUE"
    )


# The order's 'earned' tier change, as `tiers.tier_upgrade` writes it: from the tier the member row held before the
# statement (which is what every part of it reads), dated like the order, not yet notified.
_TIER_CHANGE = {
    "member_id": _MEMBER,
    "from_tier_id": f"(SELECT {Member._meta.get_field('tier').column} FROM {Member._meta.db_table} WHERE id = {_MEMBER})",
    "to_tier_id": "upgrade.id",
    "reason": f"'{TierChangeReason.EARNED.value}'",
    "acting_user_id": "NULL",
    "created_at": "(SELECT created_at FROM new_order)",
    "notified_at": "NULL",
}


@functools.cache
def _order_columns() -> tuple:
    return column_plan(_insert_fields(Order))


@functools.cache
def _row_columns() -> tuple:
    """The ledger row's columns that are parameters (the others come from the inserted order: `_FROM_ORDER`)."""
    return column_plan([f for f in _insert_fields(Transaction) if f.attname not in _FROM_ORDER])


@functools.cache
def _member_columns() -> tuple:
    return column_plan([Member._meta.get_field(name) for name in ORDER_MEMBER_FIELDS])


def order_write(
    *,
    order: Order,
    row: Transaction | None,
    member: Member,
    at: datetime,
    units: bool,
    lot: bool,
    upgrades: Sequence[tuple[Tier, int]] = (),
    added: int = 0,
) -> tuple[int, tuple[int, datetime] | None, Tier | None]:
    """Insert `order` and its ledger `row` (None: no points) and write the member's counters as the locked
    `member` now holds them, in one statement; sets the new ids on `order` and `row`. Returns the member's tier
    metric in the period of `at` (0 unless `units`) and their next lot after `at` (None unless `lot`), both as
    they were before this order, and the tier the member moved up to (None: none). `upgrades` are the tiers the
    member may move up to, by rank, with their thresholds (`tier_selectors.tier_upgrades`; needs `units`), and
    `added` what this order adds to the metric: the statement moves the member to the highest one the value
    before plus `added` reaches and inserts its 'earned' `TierChange` (dated `at`), the rule of
    `tier_selectors.tier_upgrade_target`. A duplicate order id or ledger key raises IntegrityError and writes
    nothing."""
    with_tiers = bool(upgrades)
    sql = _write_sql(with_row=row is not None, with_units=units, with_lot=lot, with_tiers=with_tiers)
    params = column_values(order, _order_columns())
    if row is not None:
        params += column_values(row, _row_columns())
    if units:
        units_sql, units_params = member_tier_units_sql(program=member.program, at=at, member_sql=_MEMBER)
        sql = sql.replace("{units}", units_sql)
        params += units_params
    if with_tiers:
        # The arrays as their text ('{3,4,5}', cast by the statement): psycopg's list dumper inspects every element
        # to type the array (~15 us an order). `added` as bigint whatever its size: one prepared statement per shape.
        params += [_array_text(tier.pk for tier, _ in upgrades), _array_text(n for _, n in upgrades), Int8(added)]
    params += column_values(member, _member_columns())
    if lot:
        params += [TransactionStatus.ACTIVE.value, at]
    order_id, row_id, units_before, remaining, expires_at, tier_id = fetch_one(sql, params)
    _saved(order, order_id)
    if row is not None:
        _saved(row, row_id)
        row.order_id = order_id
    upgraded = next(tier for tier, _ in upgrades if tier.pk == tier_id) if tier_id is not None else None
    return int(units_before), (remaining, expires_at) if remaining is not None else None, upgraded


def _array_text(integers) -> str:
    """PostgreSQL's text of an array of integers: `{3,4,5}`."""
    return "{" + ",".join(str(int(value)) for value in integers) + "}"


def _saved(obj, pk: int) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
