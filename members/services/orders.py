"""Order ingestion: one paid order → points, exactly once per `order_id`."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from loyalty.errors import NotFound, ValidationFailed
from loyalty.models import Program, Tier
from loyalty.program_config import ProgramConfig, program_config, program_config_forget
from loyalty.rules import order_points
from members.choices import PointsStatus, TransactionKind, TransactionSource
from members.models import Member, Order
from members.segments import order_rules_for
from members.selectors import member_next_lot, next_expiry_of, next_lot_needed
from members.services.bulk_sql import unsaved
from members.services.inputs import id_clean, money_clean
from members.services.ledger import member_save, points_check_within_limit, points_row
from members.services.members import member_created_for_order
from members.services.order_sql import ORDER_MEMBER_FIELDS, member_locked, order_write
from members.services.tiers import next_tier_data, tier_upgrade, tier_upgraded
from members.tier_selectors import (
    member_tier_standing,
    member_tier_units,
    order_tier_units,
    tier_standing,
    tier_upgrade_target,
    tier_upgrades,
    tier_window,
)
from members.webhooks.events import points_rows_announce

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderResult:
    order: Order
    member: Member
    created: bool
    # The member's next tier after this order (the answer's `next_tier`), when the order path computed it.
    next_tier: dict | None = None
    next_tier_known: bool = False
    # The member's next points to expire after this order (the answer's `next_expiry`), read the same way.
    next_expiry: dict | None = None
    next_expiry_known: bool = False


def order_record(
    *,
    program: Program,
    order_id: str,
    customer_id: str,
    subtotal: Decimal,
    currency: str,
    email: str = "",
    placed_at: datetime | None = None,
    referral_code: str = "",
    items: list | None = None,
) -> OrderResult:
    """Record a paid order and award its points. The same `order_id` again returns the first
    result and writes nothing, also when the retries arrive at the same instant: the unique
    (program, order_id) decides, and the loser answers with the winner's order. With `pending_days`
    the points stay pending until `placed_at` + that many days (the refund window of the order).

    For an existing member, two statements in the transaction: the member locked and read; then, on PostgreSQL,
    the order, its ledger row and the member's counters written by one statement that also reads the tier metric
    and the next expiring lot from before them and makes the tier upgrade that the metric with what this order
    adds reaches (`order_sql.order_write`: the tier in the member's UPDATE, the 'earned' `TierChange` row), so
    that the answer's `next_tier` and `next_expiry` need no statement after the writes. The rules and tiers come
    from the cached program configuration."""
    order_id = id_clean(order_id, field="order_id")
    customer_id = id_clean(customer_id, field="customer_id")
    subtotal = money_clean(subtotal, field="subtotal")
    if currency.upper() != program.currency:
        return _replay_or_raise(
            program=program,
            order_id=order_id,
            error=currency_mismatch(program=program, currency=currency),
        )
    placed_at = placed_at or timezone.now()
    for attempt in (1, 2):
        config = program_config(program)
        try:
            with transaction.atomic():
                member = _order_member_locked(program=program, config=config, customer_id=customer_id, email=email)
                if member is None:
                    raise _MemberMissing
                order, next_tier, next_expiry = _order_post(
                    program=program,
                    config=config,
                    member=member,
                    order_id=order_id,
                    subtotal=subtotal,
                    placed_at=placed_at,
                    referral_code=referral_code,
                    items=items,
                )
            break
        except _MemberMissing:
            return _replay_or_raise(
                program=program,
                order_id=order_id,
                error=member_not_found(customer_id),
            )
        except IntegrityError:
            existing = _order_find(program=program, order_id=order_id)
            if existing is not None:
                return OrderResult(existing, existing.member, created=False)
            if attempt == 2:
                raise
            # No order was recorded: a write refused at COMMIT by a foreign key to a tier that this process's cached
            # configuration still holds and another worker deleted (no signal reaches a per-process cache). Once
            # more with the configuration read again.
            program_config_forget(program.pk)
    logger.info(
        "order recorded program=%s order_id=%s customer_id=%s subtotal=%s points=%s status=%s",
        program.slug,
        order_id,
        customer_id,
        subtotal,
        order.points_awarded,
        order.points_status,
    )
    return OrderResult(
        order,
        member,
        created=True,
        next_tier=next_tier,
        next_tier_known=True,
        next_expiry=next_expiry,
        next_expiry_known=True,
    )


def currency_mismatch(*, program: Program, currency: str) -> ValidationFailed:
    return ValidationFailed(
        f"This program counts in {program.currency}, not {currency}.",
        code="currency_mismatch",
        fields={"currency": [f"Must be {program.currency}."]},
    )


def member_not_found(customer_id: str) -> NotFound:
    return NotFound(
        f"No member with customer_id {customer_id!r}; send an email to create one.", code="member_not_found"
    )


class _MemberMissing(Exception):
    """No member for the customer and no email to create one (the transaction is left before answering)."""


def _replay_or_raise(*, program: Program, order_id: str, error: Exception) -> OrderResult:
    """A retry answers as the first call did, whatever it carries; anything else is refused with `error`."""
    existing = _order_find(program=program, order_id=order_id)
    if existing is None:
        raise error
    return OrderResult(existing, existing.member, created=False)


def _order_post(
    *,
    program: Program,
    config: ProgramConfig,
    member: Member,
    order_id: str,
    subtotal: Decimal,
    placed_at: datetime,
    referral_code: str,
    items: list | None,
) -> tuple[Order, dict | None, dict | None]:
    """The writes of one order for its locked member; returns the order and the member's next tier and next
    expiry after it (the answer's)."""
    points, pending_until = order_priced(
        program=program, config=config, member=member, subtotal=subtotal, placed_at=placed_at
    )
    if points > 0:
        points_check_within_limit(member=member, points=points, pending=bool(pending_until), kind=TransactionKind.EARN)
    order = order_row(
        program=program,
        member=member,
        order_id=order_id,
        subtotal=subtotal,
        placed_at=placed_at,
        referral_code=referral_code,
        items=items,
        points=points,
        pending_until=pending_until,
    )
    at = order.created_at = member.updated_at = timezone.now()
    row = None
    if points > 0:
        row = points_row(
            member=member,
            points=points,
            kind=TransactionKind.EARN,
            source=TransactionSource.ORDER,
            idempotency_key=f"order:{order_id}",
            description=f"Order #{order_id}",
            pending_until=pending_until,
            order=order,
            at=at,
        )
    tiers = list(config.tiers)
    added = 0
    if tiers:
        added = order_tier_units(
            program=program,
            window=tier_window(program=program, at=at),
            placed_at=placed_at,
            subtotal=subtotal,
            points=points,
            pending=bool(pending_until),
        )
    units, lot = _order_write(
        order=order,
        row=row,
        member=member,
        at=at,
        units=bool(tiers),
        lot=next_lot_needed(member),
        upgrades=tier_upgrades(member=member, tiers=tiers),
        added=added,
    )
    if row is not None:
        points_rows_announce([row])
    # Features that react to a recorded order (outbound webhooks, challenges) hook in here, inside the order's
    # transaction, each behind a cached per-program flag (see loyalty/program_config.py) so that a program
    # without them pays no query.
    if member.tier_id is not None and config.tier(member.tier_id) is None:
        # A tier newer than the cached configuration (another worker's, within its seconds): the next tier from the
        # tiers as they are now (one query; `tier_upgrades` left the member where they are).
        standing = member_tier_standing(member=member, at=at)
    else:
        standing = tier_standing(program=program, tiers=tiers, units=units + added, tier_id=member.tier_id)
    next_expiry = next_expiry_of(member=member, lot=_earliest_lot(lot, row))
    return order, next_tier_data(program=program, standing=standing), next_expiry


def _order_write(
    *,
    order: Order,
    row,
    member: Member,
    at: datetime,
    units: bool,
    lot: bool,
    upgrades: list[tuple[Tier, int]],
    added: int,
) -> tuple[int, tuple | None]:
    """Write the order, its ledger row (None: no points) and the member's counters, and move the member up to the
    highest of `upgrades` (`tier_upgrades`) that their tier metric reaches with what the order `added`; return the
    metric (if `units`) and the next lot (if `lot`) as they were before. PostgreSQL: one statement
    (`order_sql.order_write`, the tier change in it); SQLite: the two reads, then the three writes and the tier
    change (`tier_upgrade`: two more) through the ORM. The member object ends in its new tier either way."""
    if connection.vendor == "postgresql":
        units_before, lot_before, upgraded = order_write(
            order=order, row=row, member=member, at=at, units=units, lot=lot, upgrades=upgrades, added=added
        )
        if upgraded is not None:
            tier_upgraded(member=member, to_tier=upgraded, at=at)
        return units_before, lot_before
    units_before = member_tier_units(member=member, at=at) if units else 0
    lot_before = member_next_lot(member=member, at=at) if lot else None
    order.save(force_insert=True)
    if row is not None:
        row.save(force_insert=True)
    member_save(member, *(name for name in ORDER_MEMBER_FIELDS if name != "updated_at"), at=at)
    target = tier_upgrade_target(upgrades, units_before + added)
    if target is not None:
        tier_upgrade(member=member, to_tier=target, at=at)
    return units_before, lot_before


def _earliest_lot(lot: tuple | None, row) -> tuple | None:
    """The member's next lot after an order: the one they had, or the order's own if it expires first (a lot
    opened now has the highest id, so it loses a tie)."""
    if row is None or not row.remaining:
        return lot
    if lot is None or row.expires_at < lot[1]:
        return (row.remaining, row.expires_at)
    return lot


def order_priced(
    *, program: Program, config: ProgramConfig, member: Member, subtotal: Decimal, placed_at: datetime
) -> tuple[int, datetime | None]:
    """The order's points for `member` as they stand (their tier's multiplier, the rules live at `placed_at`) and
    when they become spendable (None: at once). Shared by the one-order and the batch paths."""
    points = order_points(
        program=program,
        rules=order_rules_for(config.rules, member, at=placed_at),  # segment-limited rules: their members only
        subtotal=subtotal,
        placed_at=placed_at,
        tier_multiplier=member.tier.multiplier if member.tier else Decimal("1"),
    )
    return points, pending_until_of(program=program, placed_at=placed_at)


def order_row(
    *,
    program: Program,
    member: Member,
    order_id: str,
    subtotal: Decimal,
    placed_at: datetime,
    referral_code: str,
    items: list | None,
    points: int,
    pending_until: datetime | None,
) -> Order:
    """The unsaved order row, and the member's spend and order count moved with it (written by the caller)."""
    member.lifetime_spend += subtotal
    member.orders_count += 1
    return unsaved(  # Order(...) without Model.__init__'s work per field
        Order,
        related={"program": program, "member": member},
        order_id=order_id,
        subtotal=subtotal,
        currency=program.currency,
        placed_at=placed_at,
        referral_code=referral_code or "",
        items=items or [],
        points_awarded=points,
        points_status=PointsStatus.PENDING if pending_until and points > 0 else PointsStatus.ACTIVE,
    )


def pending_until_of(*, program: Program, placed_at: datetime) -> datetime | None:
    """When the order's points become spendable, or None if they already are (no pending period,
    or an order old enough that its pending period is over)."""
    if not program.pending_days:
        return None
    until = placed_at + timedelta(days=program.pending_days)
    return until if until > timezone.now() else None


def _order_find(*, program: Program, order_id: str) -> Order | None:
    return Order.objects.select_related("member__tier").filter(program=program, order_id=order_id).first()


def _order_member_locked(*, program: Program, config: ProgramConfig, customer_id: str, email: str) -> Member | None:
    """The customer's member, locked for the order (one statement), created first when new and `email` is given;
    None for an unknown customer without an email. Its program and tier come from what is already loaded."""
    member = member_locked(program_id=program.pk, customer_id=customer_id)
    if member is None:
        if not email:
            return None
        member = member_created_for_order(program=program, config=config, customer_id=customer_id, email=email).member
    return member_configured(member, program=program, config=config)


def member_configured(member: Member, *, program: Program, config: ProgramConfig) -> Member:
    """`member` with its program and tier taken from what is already loaded (no query). Both are the member's own
    ids' objects (`program_id`, `tier_id`): cached as assigning them caches them, without the descriptor's checks."""
    assert member.program_id == program.pk and not member._state.adding
    cache = member._state.fields_cache
    cache["program"] = program
    tier = config.tier(member.tier_id)
    if tier is not None or member.tier_id is None:
        cache["tier"] = tier  # else a tier newer than the cached configuration: read when first used
    return member
