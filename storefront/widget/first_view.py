"""A member's `me` answer built from one prepared statement (PostgreSQL): the first view of a shopper, and the next
after anything the answer shows changed.

Built through the ORM and DRF's serializers it took nine statements and ~14 ms of a worker's CPU under load (py-spy:
a third compiling SQL, a tenth in serializers), and PostgreSQL planned each ORM statement again (~1 ms of its CPU
per build). Here one hand-written statement reads the member, their program's settings, the tiers with the member's
metric value, the 10 newest transactions, the live catalog, the active codes and the next lot to expire (each list
as one array per column: typed values, no JSON to parse), prepared once per connection; the answer is built from
those plain values in the shape the serializers give (tests/storefront/widget/test_widget_me_first_view.py compares
the bytes with `views.WidgetMeApi.build_reference` over many members).

The program's tiers and catalog are the same for all its members until its catalog token moves (storefront/catalog.py,
read with the member's version): read once per token and process (kept ME_SECONDS at most, as an answer is), the
next first views' statement reads the member's own lists only (~40% of its PostgreSQL time, and the Python that
turned the tiers and rewards into objects, per build).

What it leaves to the reference build (None here): SQLite (no arrays), a catalog with segment-limited rewards (their
membership rules are the segment module's), and a program whose tier settings changed since the request's copy of
it was cached (the statement's tier metric SQL follows that copy)."""

import functools
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.utils import timezone
from psycopg.types.numeric import Int8

from loyalty.local_cache import local_get, local_set
from loyalty.models import Program, Tier
from members.api.serializers import datetime_text, member_answer, money_text
from members.choices import TransactionStatus
from members.models import Member, Transaction
from members.prepared import fetch_one
from members.tier_selectors import member_tier_units_sql, tier_progress, tier_standing
from rewards.choices import VoucherStatus
from rewards.models import Reward, Voucher
from storefront.widget.caching import ME_SECONDS
from storefront.widget.selectors import ACTIVE_VOUCHERS, RECENT_TRANSACTIONS, me_deadline, next_expiry_of_lot
from storefront.widget.serializers import as_member_expiry, as_member_next_tier, reward_blocked_by

# DRF's `DateTimeField` output without its per-call look-ups (members/api/serializers.py, tested there), in the
# current time zone as the build looked it up once (`zone`).
_moment = datetime_text


class RewardRow(NamedTuple):
    """A catalog reward as the statement reads it, with what `reward_blocked_by` and `me_deadline` ask of one."""

    id: int
    key: str
    name: str
    type: str
    value: Decimal | None
    points_cost: int
    min_tier_id: int | None
    stock: int | None
    description: str
    image_url: str | None
    product_id: str
    min_subtotal: Decimal | None
    limit_per_member: int | None
    code_expiry_days: int | None
    variable: bool
    max_points: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    segment_id: int | None
    min_tier: Tier | None = None


class VoucherRow(NamedTuple):
    id: int
    code: str
    reward_id: int | None
    reward_key: str | None
    reward_name: str | None
    reward_type: str | None
    name: str
    type: str
    value: Decimal | None
    min_subtotal: Decimal | None
    product_id: str
    status: str
    expires_at: datetime | None
    used_at: datetime | None
    created_at: datetime


class _List(NamedTuple):
    """One list of the statement: its columns (SQL over the source's aliases), the rows of member `m` it reads
    (`FROM … WHERE …`), their order (SQL, also over the source's aliases) and how many at most."""

    columns: list[str]
    source: str
    order: list[str]
    limit: int | None = None

    def lateral(self, alias: str) -> str:
        """`LEFT JOIN LATERAL` of one array per column and a last one of the rows' ranks (NULL arrays when there
        is no row). The arrays are aggregated from the ordered rows without an ORDER BY each (PostgreSQL 15 sorts
        once per aggregate that has one: ~45 small sorts, 0.3 ms of a first view's 0.35); every aggregate reads
        the same rows in the same sequence, and `_rows` puts them in rank order if that sequence was not.
        The statement stays under psycopg's 4,096 characters for caching its conversion to PostgreSQL's syntax."""
        order = ", ".join(self.order)
        rows = f"SELECT {', '.join(f'{c} c{i}' for i, c in enumerate(self.columns))}, row_number() OVER (ORDER BY"
        rows += f" {order}) n {self.source} ORDER BY {order}" + (f" LIMIT {self.limit}" if self.limit else "")
        arrays = ", ".join(f"array_agg(c{i})" for i in range(len(self.columns)))
        return f" LEFT JOIN LATERAL (SELECT {arrays}, array_agg(n) FROM ({rows}) s) {alias} ON TRUE"


_TIER_FIELDS = ("id", "key", "name", "position", "threshold", "invite_only")
_TIERS = _List(
    columns=[f"t.{c}" for c in _TIER_FIELDS],
    source=f"FROM {Tier._meta.db_table} t WHERE t.program_id = m.program_id",
    order=["t.position", "t.id"],
)
_TRANSACTIONS = _List(
    columns=[f"t.{c}" for c in ("id", "kind", "points", "balance_after", "status", "description", "created_at")]
    + ["t.expires_at"],
    source=f"FROM {Transaction._meta.db_table} t WHERE t.member_id = m.id",
    order=["t.id DESC"],
    limit=RECENT_TRANSACTIONS,
)
_REWARDS = _List(  # the live catalog and those still to open (`rewards_live_and_next_start`); %s: now
    columns=[f"r.{c}" for c in RewardRow._fields if c != "min_tier"],
    source=f"FROM {Reward._meta.db_table} r WHERE r.program_id = m.program_id AND r.active"
    " AND (r.ends_at IS NULL OR r.ends_at > %s)",
    order=["r.position", "r.id"],
)
_VOUCHERS = _List(  # the active codes, newest first (`member_active_vouchers`)
    columns=[
        *("v.id", "v.code", "v.reward_id", "r.key", "r.name", "r.type", "v.name", "v.type", "v.value"),
        *("v.min_subtotal", "v.product_id", "v.status", "v.expires_at", "v.used_at", "v.created_at"),
    ],
    source=f"FROM {Voucher._meta.db_table} v LEFT JOIN {Reward._meta.db_table} r ON r.id = v.reward_id"
    " WHERE v.member_id = m.id AND v.status = %s",
    order=["v.id DESC"],
    limit=ACTIVE_VOUCHERS,
)
_LISTS = {"tr": _TIERS, "tx": _TRANSACTIONS, "rw": _REWARDS, "vo": _VOUCHERS}
_MEMBER_LISTS = ("tx", "vo")  # with the program's tiers and catalog kept (`_Catalog`)
_PROGRAM = ("tier_metric", "tier_period", "timezone", "expiry_policy", "expiry_days")
_MEMBER = (
    *("customer_id", "email", "first_name", "last_name", "birthday", "points_balance", "pending_points"),
    *("lifetime_points", "tier_id", "tier_locked", "referral_code", "created_at", "attributes", "last_activity_at"),
)


@functools.cache
def _first_view_sql(units_sql: str, lists: tuple[str, ...] = tuple(_LISTS)) -> str:
    """The statement, for the tier metric SQL of the program's settings and the lists it reads (%s: the metric's
    parameters, now for the rewards if read, the active status for the codes, now for the next lot, the member's
    id)."""
    columns = [f"p.{c}" for c in _PROGRAM] + [f"m.{c}" for c in _MEMBER] + [units_sql]
    columns += [f"{alias}.*" for alias in lists] + ["lot.remaining", "lot.expires_at"]
    return (
        f"SELECT {', '.join(columns)} FROM {Member._meta.db_table} m"
        f" JOIN {Program._meta.db_table} p ON p.id = m.program_id"
        + "".join(_LISTS[alias].lateral(alias) for alias in lists)
        + f" LEFT JOIN LATERAL (SELECT t.remaining, t.expires_at FROM {Transaction._meta.db_table} t"
        " WHERE t.member_id = m.id AND t.status = %s AND t.remaining > 0 AND t.expires_at > %s"
        " ORDER BY t.expires_at, t.id LIMIT 1) lot ON TRUE"
        " WHERE m.id = %s"
    )


def _rows(arrays: tuple, row_type=None) -> list:
    """The rows of one list from its column arrays and their ranks (all NULL when the list is empty), in rank
    order, as tuples or `row_type`."""
    *columns, ranks = arrays
    if ranks is None:
        return []
    rows = list(zip(*columns, strict=True))
    if any(rank != index for index, rank in enumerate(ranks, start=1)):
        rows = [row for _rank, row in sorted(zip(ranks, rows, strict=True), key=lambda pair: pair[0])]
    return [row_type(*values) for values in rows] if row_type else rows


def _unpack(row: tuple, lists: tuple[str, ...]) -> dict:
    """The statement's row by part: program, member, units, each list's rows, the next lot."""
    parts, at = {}, 0
    for name, width in [("program", len(_PROGRAM)), ("member", len(_MEMBER)), ("units", 1)]:
        parts[name], at = row[at : at + width], at + width
    for alias in lists:
        width = len(_LISTS[alias].columns) + 1  # and the ranks
        parts[alias], at = row[at : at + width], at + width
    parts["lot"] = row[at : at + 2]
    return parts


def _transaction_data(row: tuple, zone) -> dict:
    """A ledger row as `TransactionOutputSerializer` renders it."""
    id_, kind, points, balance_after, status, description, created_at, expires_at = row
    return {
        "id": id_,
        "kind": kind,
        "points": points,
        "balance_after": balance_after,
        "status": status,
        "description": description,
        "created_at": _moment(created_at, zone),
        "expires_at": _moment(expires_at, zone),
    }


def _reward_data(reward: RewardRow, member: Member, zone) -> dict:
    """A reward as `storefront.widget.serializers.widget_rewards` renders it (`RewardOutputSerializer` + two)."""
    blocked_by = reward_blocked_by(reward, member)
    min_tier = reward.min_tier
    return {
        "id": reward.id,
        "key": reward.key,
        "name": reward.name,
        "type": reward.type,
        "value": money_text(reward.value),
        "points_cost": reward.points_cost,
        "min_tier": min_tier.key if min_tier else None,
        "min_tier_name": min_tier.name if min_tier else None,
        "stock_left": reward.stock,
        "description": reward.description,
        "image_url": reward.image_url,
        "product_id": reward.product_id,
        "min_subtotal": money_text(reward.min_subtotal),
        "limit_per_member": reward.limit_per_member,
        "code_expiry_days": reward.code_expiry_days,
        "variable": reward.variable,
        "max_points": reward.max_points,
        "starts_at": _moment(reward.starts_at, zone),
        "ends_at": _moment(reward.ends_at, zone),
        "redeemable": blocked_by is None,
        "blocked_by": blocked_by,
    }


def _voucher_data(voucher: VoucherRow, now: datetime, zone) -> dict:
    """An active code as `VoucherOutputSerializer` renders it (its status as of now, as the serializer's)."""
    expired = voucher.expires_at is not None and voucher.expires_at <= now
    return {
        "code": voucher.code,
        "reward": (
            {
                "id": voucher.reward_id,
                "key": voucher.reward_key,
                "name": voucher.reward_name,
                "type": voucher.reward_type,
            }
            if voucher.reward_id is not None
            else None
        ),
        "name": voucher.name,
        "type": voucher.type,
        "value": money_text(voucher.value),
        "min_subtotal": money_text(voucher.min_subtotal),
        "product_id": voucher.product_id,
        "used": voucher.status == VoucherStatus.USED,
        "status": VoucherStatus.EXPIRED.value if expired else voucher.status,
        "expires_at": _moment(voucher.expires_at, zone),
        "used_at": _moment(voucher.used_at, zone),
        "created_at": _moment(voucher.created_at, zone),
    }


class _Catalog(NamedTuple):
    """A program's tiers and its active rewards not ended when read, as of one catalog token. Shared by the builds
    of this process: read only."""

    tiers: list[Tier]
    tiers_by_id: dict[int, Tier]
    rewards: list[RewardRow]


def _catalog_key(program_id: int, token: str) -> str:
    return f"widget:catalog:{program_id}:{token}"


def me_first_view(
    *, program: Program, member_id: int, at: datetime, catalog_token: str | None = None
) -> tuple[dict, datetime | None] | None:
    """The member's `me` data and when it goes out of date by the clock alone (as `WidgetMeApi.build_reference`),
    from one statement; None to leave it to the reference build (see the module's docstring). `catalog_token`: the
    program's, read with the member's version (None: the statement reads the tiers and rewards)."""
    if connection.vendor != "postgresql":
        return None
    key = _catalog_key(program.pk, catalog_token) if catalog_token else None
    catalog = local_get(key) if key else None
    lists = tuple(_LISTS) if catalog is None else _MEMBER_LISTS
    now = connection.ops.adapt_datetimefield_value(at)
    units_sql, units_params = member_tier_units_sql(program=program, at=at, member_sql="m.id")
    # Integers as bigint whatever their size: psycopg types an int by it (int2, int4, int8), and each typing of the
    # same text is a prepared statement of its own.
    units_params = [Int8(value) if type(value) is int else value for value in units_params]
    params = [*units_params, *([now] if catalog is None else [])]
    params += [VoucherStatus.ACTIVE, TransactionStatus.ACTIVE, now, Int8(member_id)]
    # Binary: no text to parse for the timestamps, numbers and arrays (in one process, 18% less Python and 9% less
    # PostgreSQL time per statement than text).
    row = fetch_one(_first_view_sql(units_sql, lists), params, binary=True)
    if row is None:
        return None
    parts = _unpack(row, lists)
    if tuple(parts["program"]) != tuple(getattr(program, name) for name in _PROGRAM):
        return None  # the request's copy of the program is older than its settings
    if catalog is None:
        tiers = [
            Tier(program_id=program.pk, **dict(zip(_TIER_FIELDS, values, strict=True))) for values in _rows(parts["tr"])
        ]
        catalog = _Catalog(tiers, {tier.pk: tier for tier in tiers}, _rows(parts["rw"], RewardRow))
        if key:
            local_set(key, catalog, ME_SECONDS)
    # As the statement's `ends_at > now`: the kept rewards were read at an earlier moment.
    rewards = [reward for reward in catalog.rewards if reward.ends_at is None or reward.ends_at > at]
    if any(reward.segment_id is not None for reward in rewards):
        return None

    tiers, tiers_by_id = catalog.tiers, catalog.tiers_by_id
    fields = dict(zip(_MEMBER, parts["member"], strict=True))
    member = Member(id=member_id, program=program, **fields)
    member.tier = tiers_by_id.get(member.tier_id)

    units = int(parts["units"][0]) if tiers else 0  # as `member_tier_standing`: no tiers, no metric read
    standing = tier_standing(program=program, tiers=tiers, units=units, tier_id=member.tier_id)
    progress = tier_progress(member=member, standing=standing, at=at)
    rewards = [reward._replace(min_tier=tiers_by_id.get(reward.min_tier_id)) for reward in rewards]
    live = [reward for reward in rewards if not (reward.starts_at and at < reward.starts_at)]
    vouchers = [v for v in _rows(parts["vo"], VoucherRow) if not (v.expires_at and v.expires_at <= at)]
    next_expiry = next_expiry_of_lot(member=member, lot=parts["lot"] if parts["lot"][0] is not None else None)
    overview = {
        "tier_progress": progress,
        "rewards": live,
        "next_reward_start": min((r.starts_at for r in rewards if r.starts_at and r.starts_at > at), default=None),
        "vouchers": vouchers,
        "next_expiry": next_expiry,
    }
    answer_now, zone = timezone.now(), timezone.get_current_timezone()
    data = {
        "member": member_answer(
            member,
            program,
            next_tier=as_member_next_tier(progress),
            next_tier_known=True,
            next_expiry=as_member_expiry(next_expiry),
            next_expiry_known=True,
        ),
        "tier_progress": {
            **progress,
            "fraction": float(progress["fraction"]),
            "kept_until": _moment(progress["kept_until"], zone),
        },
        "transactions": [_transaction_data(t, zone) for t in _rows(parts["tx"])],
        "rewards": [_reward_data(reward, member, zone) for reward in live],
        "vouchers": [_voucher_data(voucher, answer_now, zone) for voucher in vouchers],
        "next_expiry": (
            {"points": next_expiry["points"], "expires_at": _moment(next_expiry["expires_at"], zone)}
            if next_expiry
            else None
        ),
    }
    return data, me_deadline(member=member, overview=overview, at=at)
