"""Creating and updating members. A new member gets a referral code, the entry tier and the sign-up points."""

import logging
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from loyalty.choices import RuleType
from loyalty.codes import random_code
from loyalty.models import Program
from loyalty.rules import live_rules
from members.choices import TierChangeReason, TransactionKind, TransactionSource
from members.models import Member, TierChange
from members.segments import segment_limited_filter
from members.services.ledger import Credit, credits_post, member_lock, points_post
from members.services.tiers import member_tier_join
from members.webhooks.events import member_created_announce

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
    existing = Member.objects.select_related("tier").filter(program=program, customer_id=customer_id).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            member = _member_create(program=program, customer_id=customer_id, defaults=defaults, at=at)
    except IntegrityError:
        # Another request created the same customer first; theirs is the member.
        member = Member.objects.select_related("tier").filter(program=program, customer_id=customer_id).first()
        if member is None:
            raise
        return member, False
    logger.info("member created program=%s customer_id=%s", program.slug, customer_id)
    return member, True


def _member_create(*, program: Program, customer_id: str, defaults: dict, at: datetime | None) -> Member:
    at = at or timezone.now()
    member = Member(program=program, customer_id=customer_id, created_at=at, last_activity_at=at, **defaults)
    for _attempt in range(5):
        member.referral_code = random_code(8)
        try:
            with transaction.atomic():
                member.save(force_insert=True)
            break
        except IntegrityError:
            if not Member.objects.filter(referral_code=member.referral_code).exists():
                raise
            member.pk = None
    member = member_lock(member.pk)
    member_tier_join(member=member, at=at)
    signup_rules = live_rules(program.earning_rules.select_related("segment"), rule_type=RuleType.SIGNUP, at=at)
    for rule in segment_limited_filter(signup_rules, member, at=at):  # segment-limited: their members only
        if rule.points:
            points_post(
                member=member,
                points=rule.points,
                kind=TransactionKind.BONUS,
                source=TransactionSource.RULE,
                idempotency_key=f"signup:{member.pk}:{rule.pk}",
                description=rule.name or "Welcome bonus",
                at=at,
            )
    member_created_announce(member=member)
    return member


def members_create_many(*, program: Program, config, customers: dict[str, str], at: datetime) -> dict[str, Member]:
    """`_member_create` for many new customers at once (a batch of orders), inside the caller's transaction: the
    members in one INSERT (each in the entry tier, with a random referral code), their tier-join rows in one INSERT,
    the sign-up points through `credits_post`. `customers`: customer id → email; `config`: the program's cached
    `ProgramConfig`. Returns the members created, by customer id. A customer that exists by now (another call
    created it) or whose referral code was taken is left out: the caller creates those one by one.
    Keep in step with `_member_create`. Rows are inserted in customer-id order, so that two batches creating the
    same customers wait for each other instead of deadlocking."""
    entry = next((t for t in config.tiers if not t.invite_only and t.threshold is not None and t.threshold <= 0), None)
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
    Member.objects.bulk_create(rows, ignore_conflicts=True)
    codes = {row.referral_code: row.customer_id for row in rows}
    created = {
        member.customer_id: member
        for member in Member.objects.filter(program=program, referral_code__in=list(codes))
        if codes.get(member.referral_code) == member.customer_id
    }
    for member in created.values():
        member.program = program
        member.tier = entry
    if entry is not None:
        TierChange.objects.bulk_create(
            [
                TierChange(member=m, from_tier=None, to_tier=entry, reason=TierChangeReason.JOINED, created_at=at)
                for m in created.values()
            ]
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
