"""Bench data: N members with two years of realistic history, generated inside PostgreSQL (`manage.py seed_bench`).

Every row is produced by an `INSERT … SELECT` over `generate_series` on the server, so nothing streams through
Python: a million members and ~5 million ledger rows take minutes, not hours. Per member (deterministic, from
the member's id, so two runs give the same shape):

- a sign-up bonus of 100 points (a lot, expiring a year after sign-up);
- 0–8 orders (4 on average) over the 24 months before as-of, subtotals of 5–205, twice that for 22 % of
  members, 5× for 7 %, 15× for 1 % (a few big spenders); one earn row per order (a lot expiring 365 days after
  it was earned); one order in 20 half refunded (a refund record and its refund row);
- one member in five redeemed a 100-point reward ten days before as-of (a redemption and its redeem row),
  spent from their oldest lots still valid then; 0.5 % of members are held by hand in an invite-only tier.

No expiry job has run yet, so every lot past its date still holds points: the backlog `expire_points` has to
clear. Balances, lifetime points, spend, order counts and every row's `balance_after` equal the ledger
(`manage.py verify_ledger` agrees); members start in the lowest tier, as if tiers were never recalculated.

This writes ledger rows without `members/services/ledger.py` on purpose: it is a bench fixture, consistent by
construction, never run against a shop's data (it refuses a program that already has members)."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, models, transaction

from loyalty.choices import RuleType
from loyalty.models import EarningRule, Merchant, Program, Tier
from members.models import Member, Order, Refund, Transaction
from rewards.models import Redemption, Reward

TIERS = [("bronze", 0), ("silver", 500), ("gold", 2000), ("platinum", 5000), ("diamond", 10000)]
REWARD_KEY = "bench-voucher"
REWARD_COST = 100
CUSTOMER_PREFIX = "bench-c-"
SEED_TABLES = ["members_member", "members_order", "members_refund", "members_transaction", "rewards_redemption"]


def bench_program(*, slug: str, as_of: datetime) -> Program:
    """A program like a real shop's: 1 point per dollar, lots expiring after 365 days, sign-up points, a
    threshold bonus, a live double-points campaign, five tiers on points earned in a rolling 12 months plus an
    invite-only one, and a catalogue of rewards (the 100-point voucher is the one the seeded members redeemed)."""
    program = Program.objects.create(
        merchant=Merchant.objects.create(name=f"Bench {slug}"),
        slug=slug,
        name=f"Bench {slug}",
        currency="USD",
        expiry_policy="fixed",
        expiry_days=365,
        tier_metric="points_earned",
        tier_period="rolling_12_months",
    )
    for position, (key, threshold) in enumerate(TIERS, start=1):
        Tier.objects.create(program=program, key=key, name=key.title(), position=position, threshold=Decimal(threshold))
    Tier.objects.create(program=program, key="reserve", name="Reserve", position=99, invite_only=True)
    EarningRule.objects.bulk_create(
        [
            EarningRule(program=program, key="signup", type=RuleType.SIGNUP, points=100),
            EarningRule(
                program=program, key="big", type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal("100"), points=50
            ),
            EarningRule(
                program=program,
                key="double",
                type=RuleType.BONUS_MULTIPLIER,
                multiplier=Decimal("2"),
                starts_at=as_of - timedelta(days=1),
                ends_at=as_of + timedelta(days=7),
            ),
        ]
    )
    Reward.objects.create(
        program=program, key=REWARD_KEY, name="$5 off", type="fixed_discount", value=5, points_cost=REWARD_COST
    )
    for n, cost in enumerate((250, 500, 1000, 2500), start=1):
        Reward.objects.create(
            program=program, key=f"bench-r{n}", name=f"${cost // 20} off", type="fixed_discount", value=cost // 20,
            points_cost=cost,
        )  # fmt: skip
    return program


def _columns(model: type[models.Model], given: dict[str, str]) -> tuple[str, str, dict]:
    """The column list and SELECT expressions of an INSERT … SELECT into `model`: `given` (column → SQL) for the
    columns the seeder fills, each other column's model default as a parameter — so a column added later with
    a default needs no change here."""
    columns, expressions, params = [], [], {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in given:
            expressions.append(given[field.column])
        else:
            name = f"default_{field.column}"
            params[name] = field.get_db_prep_save(field.get_default(), connection)
            expressions.append(f"%({name})s")
    return ", ".join(columns), ",\n       ".join(expressions), params


def _insert(model: type[models.Model], given: dict[str, str], source: str) -> tuple[str, dict]:
    columns, expressions, params = _columns(model, given)
    return f"INSERT INTO {model._meta.db_table} ({columns})\nSELECT {expressions}\n{source}", params


MEMBERS = (
    Member,
    {
        "program_id": "%(program)s",
        "customer_id": "%(prefix)s || (g - 1)",
        "email": "%(prefix)s || (g - 1) || '@example.com'",
        "first_name": "(ARRAY['Ana', 'Omar', 'Sara', 'Li', 'Noor', 'Jon', 'Mina', 'Reza'])[1 + g %% 8]",
        "last_name": "(ARRAY['Silva', 'Haddad', 'Karimi', 'Chen', 'Smith', 'Rossi'])[1 + g %% 6]",
        "emails_allowed": "false",
        "tier_id": "CASE WHEN g %% 200 = 0 THEN %(reserve)s ELSE %(bronze)s END",
        "tier_locked": "g %% 200 = 0",
        "referral_code": "'B' || %(program)s || 'M' || g",
        "last_activity_at": "%(as_of)s",
        "created_at": "%(as_of)s - interval '730 days' - (g %% 365) * interval '1 day'",
        "updated_at": "%(as_of)s",
    },
    "FROM generate_series(1, %(n)s) g",
)

# (member id × 7) mod 9 orders per member (0–8), placed over the 24 months before as-of; 1 in 20 half refunded.
ORDERS = (
    Order,
    {
        "program_id": "m.program_id",
        "member_id": "m.id",
        "order_id": "'o' || m.id || '-' || k",
        "subtotal": "s.subtotal",
        "currency": "'USD'",
        "placed_at": "s.placed_at",
        "points_awarded": "floor(s.subtotal)",
        "points_status": "'active'",
        "refunded_amount": "CASE WHEN (m.id + k) %% 20 = 0 THEN round(s.subtotal / 2, 2) ELSE 0 END",
        "points_reversed": "CASE WHEN (m.id + k) %% 20 = 0 THEN floor(s.subtotal) - floor(floor(s.subtotal) / 2) ELSE 0 END",
        "created_at": "s.placed_at",
    },
    """FROM members_member m
CROSS JOIN LATERAL generate_series(1, (m.id * 7) %% 9) k
CROSS JOIN LATERAL (
    SELECT ((5 + ((m.id * 31 + k * 17) %% 200)) * CASE WHEN (m.id * 37) %% 100 < 1 THEN 15
             WHEN (m.id * 37) %% 100 < 8 THEN 5 WHEN (m.id * 37) %% 100 < 30 THEN 2 ELSE 1 END)::numeric(14, 2) AS subtotal,
           %(as_of)s - ((m.id * 13 + k * 101) %% 730) * interval '1 day' - ((m.id + k) %% 86400) * interval '1 second'
             AS placed_at
) s
WHERE m.program_id = %(program)s AND m.id > %(after)s""",
)

REFUNDS = (
    Refund,
    {
        "program_id": "o.program_id",
        "order_id": "o.id",
        "refund_id": "'rf-' || o.order_id",
        "amount": "o.refunded_amount",
        "points_reversed": "o.points_reversed",
        "created_at": "o.placed_at + interval '1 day'",
    },
    "FROM members_order o WHERE o.program_id = %(program)s AND o.member_id > %(after)s AND o.refunded_amount > 0",
)

# Every ledger row of the new members in one statement, so that `balance_after` (a running sum) and the lots'
# `remaining` (oldest valid lot spent first by the redemption) come out right without a second pass.
TRANSACTIONS = (
    Transaction,
    {
        "program_id": "%(program)s",
        "member_id": "r.member_id",
        "kind": "r.kind",
        "points": "r.points",
        "balance_after": "SUM(r.points) OVER (PARTITION BY r.member_id ORDER BY r.created_at, r.idem)",
        "status": "'active'",
        "source": "r.source",
        "description": "r.description",
        "idempotency_key": "r.idem",
        "order_id": "r.order_id",
        "created_at": "r.created_at",
        "expires_at": "r.expires_at",
        "remaining": "r.remaining",
    },
    """FROM (
    WITH base AS (
        SELECT o.member_id, 'earn' AS kind, o.points_awarded AS points, 'order' AS source, 'Order' AS description,
               'order:' || o.order_id AS idem, o.id AS order_id, o.placed_at AS created_at,
               o.placed_at + interval '365 days' AS expires_at, o.points_awarded - o.points_reversed AS lot
        FROM members_order o WHERE o.program_id = %(program)s AND o.member_id > %(after)s
        UNION ALL
        SELECT o.member_id, 'refund', -o.points_reversed, 'order', 'Refund', 'refund:' || o.order_id, o.id,
               o.placed_at + interval '1 day', NULL, NULL
        FROM members_order o WHERE o.program_id = %(program)s AND o.member_id > %(after)s AND o.points_reversed > 0
        UNION ALL
        SELECT m.id, 'earn', 100, 'rule', 'Sign-up bonus', 'signup:' || m.id, NULL, m.created_at,
               m.created_at + interval '365 days', 100
        FROM members_member m WHERE m.program_id = %(program)s AND m.id > %(after)s
    ), valid AS (
        SELECT b.*, b.lot IS NOT NULL AND b.created_at < %(redeem_at)s AND b.expires_at > %(redeem_at)s AS usable
        FROM base b
    ), spend AS (
        SELECT member_id, %(cost)s AS spend FROM valid WHERE usable AND member_id %% 5 = 0
        GROUP BY member_id HAVING SUM(lot) >= %(cost)s
    ), lots AS (
        SELECT v.*, s.spend,
               SUM(CASE WHEN v.usable THEN v.lot ELSE 0 END)
                 OVER (PARTITION BY v.member_id ORDER BY v.expires_at, v.idem) AS running
        FROM valid v LEFT JOIN spend s USING (member_id)
    )
    SELECT member_id, kind, points, source, description, idem, order_id, created_at, expires_at,
           CASE WHEN lot IS NULL THEN NULL
                WHEN spend IS NULL OR NOT usable THEN lot
                ELSE lot - LEAST(lot, GREATEST(0, spend - (running - lot))) END AS remaining
    FROM lots
    UNION ALL
    SELECT member_id, 'redeem', -spend, 'redemption', 'Reward redeemed', 'redeem:' || member_id, NULL,
           %(redeem_at)s, NULL, NULL
    FROM spend
) r
ORDER BY r.member_id, r.created_at, r.idem""",
)

REDEMPTIONS = (
    Redemption,
    {
        "program_id": "t.program_id",
        "member_id": "t.member_id",
        "reward_id": "%(reward)s",
        "points_spent": "-t.points",
        "value": "5",
        "status": "'completed'",
        "fulfilment_status": "'not_required'",
        "created_at": "t.created_at",
    },
    "FROM members_transaction t WHERE t.program_id = %(program)s AND t.member_id > %(after)s AND t.kind = 'redeem'",
)

MEMBER_TOTALS = """
UPDATE members_member m
SET points_balance = t.balance, lifetime_points = t.earned, last_activity_at = t.last_at,
    orders_count = COALESCE(o.orders, 0), lifetime_spend = COALESCE(o.spend, 0)
FROM (SELECT member_id, SUM(points) AS balance, MAX(created_at) AS last_at,
             COALESCE(SUM(points) FILTER (WHERE kind IN ('earn', 'bonus', 'referral', 'challenge', 'refund')), 0) AS earned
      FROM members_transaction WHERE program_id = %(program)s AND member_id > %(after)s GROUP BY member_id) t
LEFT JOIN (SELECT member_id, count(*) AS orders, SUM(subtotal - refunded_amount) AS spend
           FROM members_order WHERE program_id = %(program)s AND member_id > %(after)s GROUP BY member_id) o
       ON o.member_id = t.member_id
WHERE m.id = t.member_id
"""

STEPS = [MEMBERS, ORDERS, REFUNDS, TRANSACTIONS, REDEMPTIONS]


@contextmanager
def bulk_load(tables: list[str], log: Callable[[str], None]) -> Iterator[None]:
    """Load like a restore does: secondary indexes dropped and rebuilt once afterwards instead of updated row by
    row, and no per-row foreign-key triggers (the generated rows are consistent by construction). Needs a
    superuser for the triggers; without one, only the indexes are dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        if superuser:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if superuser:
                cursor.execute("SET session_replication_role = DEFAULT")
            started = time.perf_counter()
            for _name, definition in indexes:
                cursor.execute(definition)
            log(f"{len(indexes)} indexes rebuilt in {time.perf_counter() - started:.1f} s")


def seed_members(
    program: Program,
    *,
    members: int,
    as_of: datetime,
    prefix: str = CUSTOMER_PREFIX,
    log: Callable[[str], None] = lambda _message: None,
) -> dict:
    """Add `members` members with their history to `program` (customer ids `prefix`0 … `prefix`N-1), all
    server-side; returns the row counts. The program needs a `bench-voucher` reward (bench_program makes one)."""
    assert connection.vendor == "postgresql", "seed_bench generates its rows with PostgreSQL's generate_series"
    if program.members.exists():
        raise ValueError(f"program {program.slug} already has members: seed_bench fills new programs only")
    tiers = dict(program.tiers.values_list("key", "pk"))
    lowest = program.tiers.filter(invite_only=False).order_by("position").values_list("pk", flat=True).first()
    params = {
        "program": program.pk,
        "n": members,
        "prefix": prefix,
        "as_of": as_of,
        "redeem_at": as_of - timedelta(days=10),
        "bronze": lowest,
        "reserve": tiers.get("reserve", lowest),
        "reward": Reward.objects.get(program=program, key=REWARD_KEY).pk,
        "cost": REWARD_COST,
        "after": Member.objects.aggregate(last=models.Max("pk"))["last"] or 0,
    }
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for model, given, source in STEPS:
            sql, defaults = _insert(model, given, source)
            started = time.perf_counter()
            cursor.execute(sql, {**params, **defaults})
            counts[model._meta.db_table] = cursor.rowcount
            # Statistics of the new rows before the next statement joins them: planned on an empty table's
            # estimates, the totals' join of two aggregates became a nested loop (minutes at 100k members).
            cursor.execute(f"ANALYZE {model._meta.db_table}")
            log(
                f"{counts[model._meta.db_table]:,} rows into {model._meta.db_table} in {time.perf_counter() - started:.1f} s"
            )
        started = time.perf_counter()
        cursor.execute(MEMBER_TOTALS, params)
        log(f"{cursor.rowcount:,} members' balances and totals in {time.perf_counter() - started:.1f} s")
    return counts


def analyze(tables: list[str] = SEED_TABLES) -> None:
    """Fresh planner statistics and visibility map after a bulk load, as autovacuum would give them later."""
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"  # VACUUM can't run in a transaction
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {table}")
