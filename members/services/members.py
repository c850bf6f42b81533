"""Creating and updating members. A new member gets a referral code, the entry tier and the sign-up points."""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, connection, connections, router, transaction
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

from loyalty.choices import RuleType
from loyalty.codes import random_code
from loyalty.models import EarningRule, Program
from loyalty.program_config import ProgramConfig, program_config
from loyalty.rules import live_rules
from members.choices import TierChangeReason, TransactionKind, TransactionSource, TransactionStatus
from members.models import Member, TierChange, Transaction
from members.segments import segment_limited_filter
from members.services.bulk_sql import rows_insert, unsaved
from members.services.ledger import Credit, credits_post, member_save, points_check_within_limit
from members.services.ledger import _lot_open as lot_open
from members.services.member_sql import member_insert_joined
from members.services.tiers import tier_entry, tier_joined_change, tier_units_after_joining
from members.webhooks.events import member_created_announce, points_rows_announce

logger = logging.getLogger(__name__)

PROFILE_FIELDS = ("email", "first_name", "last_name", "birthday", "phone")


def member_upsert(
    *,
    program: Program,
    customer_id: str,
    email: str = "",
    first_name: str | None = None,
    last_name: str | None = None,
    birthday: date | None = None,
    phone: str | None = None,
    referral_code: str | None = None,
    at: datetime | None = None,
) -> tuple[Member, bool]:
    """Create the member (firing the sign-up rule once) or update the profile fields that were given.
    Returns (member, created). Safe under concurrency: the unique (program, customer_id) decides."""
    profile = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "birthday": birthday,
        "phone": phone,
    }
    profile = {k: v for k, v in profile.items() if v is not None and (k != "email" or v)}
    member, created = member_get_or_create(
        program=program, customer_id=customer_id, defaults=profile, referral_code=referral_code, at=at
    )
    if not created:
        changed = {k: v for k, v in profile.items() if getattr(member, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(member, k, v)
            Member.objects.filter(pk=member.pk).update(**changed, updated_at=timezone.now())
    return member, created


def member_get_or_create(
    *,
    program: Program,
    customer_id: str,
    defaults: dict,
    referral_code: str | None = None,
    at: datetime | None = None,
) -> tuple[Member, bool]:
    """The customer's member, created (`member_create_locked`) when there is none. An existing member is read
    without a lock; a new one is created in a transaction of its own, or in the caller's if there is one."""
    existing = Member.objects.select_related("tier").filter(program=program, customer_id=customer_id).first()
    if existing:
        return existing, False
    # No savepoint: a concurrent creation of the same customer is not an error here (ON CONFLICT DO NOTHING).
    with transaction.atomic(savepoint=False):
        joined = member_create_locked(
            program=program, config=program_config(program), customer_id=customer_id, defaults=defaults, at=at
        )
    return joined.member, joined.created


@dataclass(frozen=True)
class MemberJoined:
    """What `member_create_locked` leaves in the caller's transaction."""

    member: Member  # locked until the caller's transaction ends, its program and tier loaded
    created: bool  # False: another transaction created the customer first (theirs is the member, locked now)
    # The member's tier metric value now (its sign-up points or 0), known without a query when created; None else.
    tier_units: int | None = None


def member_created_for_order(*, program: Program, config: ProgramConfig, customer_id: str, email: str) -> MemberJoined:
    """The new customer of an order, created from its email and locked for the rest of the order's transaction.
    `tier_units` is their tier metric value before the order: the order's own tier check needs no aggregate."""
    return member_create_locked(program=program, config=config, customer_id=customer_id, defaults={"email": email})


def member_create_locked(
    *, program: Program, config: ProgramConfig, customer_id: str, defaults: dict, at: datetime | None = None
) -> MemberJoined:
    """Create the member inside the caller's transaction: one INSERT carrying its entry tier, a random referral code
    and its sign-up points, the 'joined' tier change, the sign-up ledger rows in one INSERT, `member.created`.
    The rules and tiers come from `config` (the program's cached configuration): no read before the writes.

    Who creates the customer is decided by the unique (program, customer_id) of the INSERT (ON CONFLICT DO NOTHING,
    no savepoint): the loser waits for the winner's commit and returns the winner's member, locked. The row this
    transaction inserted needs no lock: nothing else can see it before the commit."""
    assert transaction.get_connection().in_atomic_block, "member_create_locked needs transaction.atomic()"
    at = at or timezone.now()
    entry = tier_entry(config.tiers)
    signup = [rule for rule in live_rules(config.rules, rule_type=RuleType.SIGNUP, at=at) if rule.points]
    # A segment-limited sign-up rule is decided on the inserted row (its segment is a query over members), before
    # any points: then the points follow in an UPDATE. Without one, the INSERT carries them.
    limited = any(rule.segment_id is not None for rule in signup)
    for _attempt in range(5):
        member = unsaved(  # Member(...) without Model.__init__'s work for its 28 fields
            Member,
            related={"program": program, "tier": entry},
            customer_id=customer_id,
            created_at=at,
            last_activity_at=at,
            tier_achieved_at=at if entry else None,
            referral_code=random_code(8),
            **defaults,
        )
        credits = [] if limited else _signup_credits(member, signup, at=at)
        if _member_insert_joined(member, credits, at=at):
            break
        taken = member_lock_by_customer(program=program, customer_id=customer_id)
        if taken is not None:
            return MemberJoined(member=taken, created=False)
        # Else the random referral code was taken: draw another.
    else:
        raise IntegrityError(f"no free referral code for a new member after 5 attempts ({customer_id!r})")
    if limited:
        credits = _signup_credits(member, segment_limited_filter(signup, member, at=at), at=at)
        if credits:
            member_save(member, "points_balance", "lifetime_points", at=at)
            Transaction.objects.bulk_create(_signup_rows_keyed(member, credits))
    rows = [row for _rule, row in credits]
    if rows:
        points_rows_announce(rows)
    member_created_announce(member=member)
    logger.info("member created program=%s customer_id=%s", program.slug, customer_id)
    signup_points = sum(row.points for row in rows)
    return MemberJoined(
        member=member, created=True, tier_units=tier_units_after_joining(program=program, signup_points=signup_points)
    )


def member_lock_by_customer(*, program: Program, customer_id: str) -> Member | None:
    """The customer's member locked for the rest of the transaction, with its program and tier; None if none."""
    members = Member.objects.select_for_update(of=("self",)).select_related("program", "tier")
    return members.filter(program=program, customer_id=customer_id).first()


def _member_insert_joined(member: Member, credits: list[tuple[EarningRule, Transaction]], *, at: datetime) -> bool:
    """INSERT the member, then its 'joined' tier change and its sign-up rows (`credits`), unless the customer id or
    the referral code is taken; whether it was inserted. PostgreSQL: one statement (`member_sql`); SQLite: the
    member, then the tier change, then the rows in one INSERT."""
    joined = tier_joined_change(member=member, at=at)
    if connection.vendor == "postgresql":
        for rule, row in credits:
            row.idempotency_key = str(rule.pk)  # made `signup:<member id>:<rule id>` by the statement
        return member_insert_joined(member, joined=joined, rows=[row for _rule, row in credits])
    if not _member_insert(member):
        return False
    if joined is not None:
        joined.save(force_insert=True)
    if credits:
        Transaction.objects.bulk_create(_signup_rows_keyed(member, credits))
    return True


def _member_insert(member: Member) -> bool:
    """INSERT `member` unless its customer id or its referral code is taken (ON CONFLICT DO NOTHING on PostgreSQL,
    INSERT OR IGNORE on SQLite) and RETURNING its id: one statement, no savepoint, since a conflict is not an error
    that would abort the caller's transaction. Whether it was inserted; if so `member` is saved, with its id."""
    db = router.db_for_write(Member)
    query = InsertQuery(Member, on_conflict=OnConflict.IGNORE)
    query.insert_values([f for f in Member._meta.local_concrete_fields if not f.primary_key], [member])
    compiler = query.get_compiler(using=db)
    compiler.returning_fields = [Member._meta.pk]  # Django's own execute_sql cannot return "no row"
    [(sql, params)] = compiler.as_sql()
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    member.pk = row[0]
    member._state.adding, member._state.db = False, db
    return True


def _signup_credits(member: Member, rules: list, *, at: datetime) -> list[tuple[EarningRule, Transaction]]:
    """Each sign-up rule with its unsaved ledger row, the points added to the member's counters as `points_post`
    would add them one after the other (each row's `balance_after`). Keyed by `_signup_rows_keyed` once the member
    has its id."""
    credits = []
    for rule in rules:
        points_check_within_limit(member=member, points=rule.points, pending=False, kind=TransactionKind.BONUS)
        member.points_balance += rule.points
        member.lifetime_points += rule.points
        row = unsaved(
            Transaction,
            program_id=member.program_id,
            kind=TransactionKind.BONUS,
            points=rule.points,
            balance_after=member.points_balance,
            status=TransactionStatus.ACTIVE,
            source=TransactionSource.RULE,
            description=(rule.name or "Welcome bonus")[:255],
            created_at=at,
        )
        lot_open(program=member.program, row=row, at=at)
        credits.append((rule, row))
    return credits


def _signup_rows_keyed(member: Member, credits: list[tuple[EarningRule, Transaction]]) -> list[Transaction]:
    """The sign-up rows of the inserted `member`, each with its idempotency key: one sign-up bonus per rule."""
    for rule, row in credits:
        row.member = member
        row.idempotency_key = f"signup:{member.pk}:{rule.pk}"
    return [row for _rule, row in credits]


def _members_insert_new(program: Program, rows: list[Member]) -> list[Member]:
    """The `rows` inserted, with their ids; a row whose customer id or referral code is taken is left out. On
    PostgreSQL one statement of one array per column (`bulk_sql.rows_insert`: the ORM's `bulk_create` prepared each
    of the ~30 values of every row through its field, a fifth of a batch of orders' time with 20% new customers);
    elsewhere `bulk_create` and a read of the rows whose code came back with their own customer id."""
    if connection.vendor == "postgresql":
        return rows_insert(Member, rows, unless_taken="customer_id")
    Member.objects.bulk_create(rows, ignore_conflicts=True)
    codes = {row.referral_code: row.customer_id for row in rows}
    return [
        member
        for member in Member.objects.filter(program=program, referral_code__in=list(codes))
        if codes.get(member.referral_code) == member.customer_id
    ]


def members_create_many(*, program: Program, config, customers: dict[str, str], at: datetime) -> dict[str, Member]:
    """`member_create_locked` for many new customers at once (a batch of orders), inside the caller's transaction: the
    members in one INSERT (each in the entry tier, with a random referral code), their tier-join rows in one INSERT,
    the sign-up points through `credits_post`. `customers`: customer id → email; `config`: the program's cached
    `ProgramConfig`. Returns the members created, by customer id. A customer that exists by now (another call
    created it) or whose referral code was taken is left out: the caller creates those one by one.
    Keep in step with `member_create_locked`. Rows are inserted in customer-id order, so that two batches creating the
    same customers wait for each other instead of deadlocking."""
    entry = tier_entry(config.tiers)
    rows = [
        Member(
            program=program,
            customer_id=customer_id,
            email=customers[customer_id],
            created_at=at,
            last_activity_at=at,
            referral_code=random_code(8),
            tier=entry,
            tier_achieved_at=at if entry else None,
        )
        for customer_id in sorted(customers)
    ]
    created = {member.customer_id: member for member in _members_insert_new(program, rows)}
    for member in created.values():
        member.program = program
        member.tier = entry
    if entry is not None:
        rows_insert(
            TierChange,
            [
                TierChange(member=m, from_tier=None, to_tier=entry, reason=TierChangeReason.JOINED, created_at=at)
                for m in created.values()
            ],
        )
    signup = [rule for rule in live_rules(config.rules, rule_type=RuleType.SIGNUP, at=at) if rule.points]
    credits_post(
        [
            Credit(
                member=member,
                points=rule.points,
                kind=TransactionKind.BONUS,
                source=TransactionSource.RULE,
                idempotency_key=f"signup:{member.pk}:{rule.pk}",
                description=rule.name or "Welcome bonus",
            )
            for member in created.values()
            for rule in segment_limited_filter(signup, member, at=at)
        ],
        at=at,
    )
    for member in created.values():
        member_created_announce(member=member)
        logger.info("member created program=%s customer_id=%s", program.slug, member.customer_id)
    return created
