"""Recording many paid orders set-based: what `order_record` does for one order, for up to a thousand, in a
fixed number of statements instead of a few per order.

    existing orders (replays)      1 SELECT for the batch
    one transaction                lock the members, found by customer id (1, in primary-key order; 1 more, the
                                   tier standing, when a member has several orders), INSERT the orders (1), INSERT
                                   the ledger rows (1), UPDATE every member's counters (1), tier standings (1), the
                                   tier changes of the members who move up

Every item answers exactly what `order_record` would have answered for it, in the order sent: the same points
(each member's own tier, bonus windows at `placed_at`, pending days), `replayed` for an order id already recorded,
the same errors; new customers become members as one by one (`members_create_many`: entry tier, sign-up points).
What this path does not do one order at a time is left to the caller (`None` results): every item of a member
whose orders in the batch could cross a tier threshold before their last one (the orders after the crossing earn
with the new multiplier), and of a new customer another call created meanwhile. The caller runs those through the
one-order path, in their order."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from loyalty.choices import TierMetric
from loyalty.errors import ApplicationError
from loyalty.models import Program
from loyalty.program_config import ProgramConfig, program_config
from members.choices import TransactionKind, TransactionSource
from members.models import Member, Order
from members.services.inputs import id_clean, money_clean
from members.services.ledger import Credit, credits_post, members_save, points_check_within_limit
from members.services.members import members_create_many
from members.services.orders import (
    OrderResult,
    currency_mismatch,
    member_configured,
    member_not_found,
    order_priced,
    order_row,
)
from members.services.tiers import next_tier_data, tier_standing_with_units
from members.tier_selectors import tier_standing, tier_values_sql, tier_window


@dataclass(frozen=True)
class OrderInput:
    """One order as `order_record` takes it."""

    order_id: str
    customer_id: str
    subtotal: Decimal
    currency: str
    email: str = ""
    placed_at: datetime | None = None
    referral_code: str = ""
    items: list | None = None


ItemOutcome = OrderResult | ApplicationError | None


def orders_record_many(*, program: Program, orders: list[OrderInput]) -> list[ItemOutcome]:
    """One outcome per order, in order: an `OrderResult` (created or replayed), the `ApplicationError` the single
    call would raise, or None for an order the caller must record through `order_record` (see the module).
    Order ids must be distinct (the caller sends repeats of an id through the one-order path)."""
    outcomes: list[ItemOutcome] = [None] * len(orders)
    cleaned = {}
    for index, order in enumerate(orders):
        try:
            cleaned[index] = _cleaned(order)
        except ApplicationError as exc:
            outcomes[index] = exc
    existing = _orders_existing(program=program, order_ids=[o.order_id for o in cleaned.values()])
    todo: dict[int, OrderInput] = {}
    for index, order in cleaned.items():
        if order.order_id in existing:
            found = existing[order.order_id]
            outcomes[index] = OrderResult(found, found.member, created=False)
        elif order.currency.upper() != program.currency:
            outcomes[index] = currency_mismatch(program=program, currency=order.currency)
        else:
            todo[index] = order
    if todo:
        try:
            recorded = _record(program=program, orders=todo)
        except IntegrityError:
            # An order id of the batch was recorded meanwhile by another call: nothing of the batch was written;
            # the one-order path answers each item (the replays included).
            recorded = {}
        for index, outcome in recorded.items():
            outcomes[index] = outcome
    return outcomes


def _cleaned(order: OrderInput) -> OrderInput:
    return OrderInput(
        order_id=id_clean(order.order_id, field="order_id"),
        customer_id=id_clean(order.customer_id, field="customer_id"),
        subtotal=money_clean(order.subtotal, field="subtotal"),
        currency=order.currency,
        email=order.email,
        placed_at=order.placed_at,
        referral_code=order.referral_code,
        items=order.items,
    )


def _orders_existing(*, program: Program, order_ids: list[str]) -> dict[str, Order]:
    if not order_ids:
        return {}
    found = Order.objects.select_related("member__tier").filter(program=program, order_id__in=order_ids)
    return {order.order_id: order for order in found}


def _record(*, program: Program, orders: dict[int, OrderInput]) -> dict[int, ItemOutcome]:
    """The orders in one transaction: the existing members locked, the new ones created; the members whose orders
    could cross a tier threshold before their last one, and customers another call created meanwhile, are left
    out (None)."""
    config = program_config(program)
    now = timezone.now()
    outcomes: dict[int, ItemOutcome] = {}
    with transaction.atomic():
        # The customers' members are found by the lock itself (no SELECT of them before it); an unknown customer's
        # order is `member_not_found` without an email, else the customer joins (the email of their first order).
        locked = _members_lock(program=program, config=config, customer_ids={o.customer_id for o in orders.values()})
        new_customers: dict[str, str] = {}
        for index, order in orders.items():
            if order.customer_id in locked:
                continue
            if order.email:
                new_customers.setdefault(order.customer_id, order.email)
            else:
                outcomes[index] = member_not_found(order.customer_id)
        if new_customers:
            locked.update(members_create_many(program=program, config=config, customers=new_customers, at=now))
        by_member: dict[int, list[int]] = defaultdict(list)
        for index, order in orders.items():
            if index not in outcomes and order.customer_id in locked:
                by_member[locked[order.customer_id].pk].append(index)
        members = {member.pk: member for member in locked.values()}
        one_by_one = _may_move_up_midway(
            program=program, config=config, members=members, orders=orders, by_member=by_member, at=now
        )
        batch = _Batch(program=program, config=config, at=now)
        for member_id, indexes in by_member.items():
            if member_id not in one_by_one:
                for index in indexes:
                    outcomes[index] = batch.add(index=index, member=members[member_id], order=orders[index])
        outcomes.update(batch.write())
    return outcomes


class _Batch:
    """The orders, ledger credits and member counters of a batch, priced one by one and written set-based."""

    def __init__(self, *, program: Program, config: ProgramConfig, at: datetime):
        self.program, self.config, self.at = program, config, at
        self.rows: list[tuple[int, Order]] = []
        self.credits: list[Credit] = []
        self.members: dict[int, Member] = {}
        self.added: dict[int, tuple[int, int]] = {}  # member → (active, pending) points credited so far

    def add(self, *, index: int, member: Member, order: OrderInput) -> ItemOutcome:
        """Price one order for its member as the earlier orders of the batch leave them; an error answers the
        item and writes nothing for it."""
        program, placed_at = self.program, order.placed_at or self.at
        points, pending_until = order_priced(
            program=program, config=self.config, member=member, subtotal=order.subtotal, placed_at=placed_at
        )
        if points > 0:
            try:
                points_check_within_limit(
                    member=self._as_credited(member),
                    points=points,
                    pending=bool(pending_until),
                    kind=TransactionKind.EARN,
                )
            except ApplicationError as exc:
                return exc
        row = order_row(
            program=program,
            member=member,
            order_id=order.order_id,
            subtotal=order.subtotal,
            placed_at=placed_at,
            referral_code=order.referral_code,
            items=order.items,
            points=points,
            pending_until=pending_until,
        )
        self.rows.append((index, row))
        self.members[member.pk] = member
        if points > 0:
            active, pending = self.added.get(member.pk, (0, 0))
            self.added[member.pk] = (active, pending + points) if pending_until else (active + points, pending)
            self.credits.append(
                Credit(
                    member=member,
                    points=points,
                    kind=TransactionKind.EARN,
                    source=TransactionSource.ORDER,
                    idempotency_key=f"order:{order.order_id}",
                    description=f"Order #{order.order_id}",
                    pending_until=pending_until,
                    order=row,
                )
            )
        return None  # answered by `write`

    def _as_credited(self, member: Member) -> SimpleNamespace:
        """The member's counters after the credits already added for them (what `points_post` would check)."""
        active, pending = self.added.get(member.pk, (0, 0))
        return SimpleNamespace(
            points_balance=member.points_balance + active,
            pending_points=member.pending_points + pending,
            lifetime_points=member.lifetime_points + active,
        )

    def write(self) -> dict[int, OrderResult]:
        Order.objects.bulk_create([row for _index, row in self.rows])
        counters = ("lifetime_spend", "orders_count")
        credits_post(self.credits, member_fields=counters, at=self.at)
        credited = {credit.member.pk for credit in self.credits}
        members_save([m for pk, m in self.members.items() if pk not in credited], *counters, at=self.at)
        next_tiers = _tiers_after(config=self.config, members=list(self.members.values()), at=timezone.now())
        return {
            index: OrderResult(row, row.member, created=True, next_tier=next_tiers[row.member_id], next_tier_known=True)
            for index, row in self.rows
        }


def _members_lock(*, program: Program, config: ProgramConfig, customer_ids: set[str]) -> dict[str, Member]:
    """The members locked in primary-key order (like every ledger writer: no deadlock), by customer id."""
    members = Member.objects.filter(program=program, customer_id__in=customer_ids).order_by("pk")
    if connection.features.has_select_for_update:
        members = members.select_for_update(of=("self",))
    locked = {}
    for member in members:
        locked[member.customer_id] = member_configured(member, program=program, config=config)
    return locked


def _units(*, program: Program, member_ids: list[int], at: datetime) -> dict[int, int]:
    """Each member's tier metric value in the period of `at` (one grouped query; 0 without activity)."""
    if not member_ids:
        return {}
    sql, params = tier_values_sql(
        program=program,
        window=tier_window(program=program, at=at),
        member_filter=f"IN ({', '.join(['%s'] * len(member_ids))})",
        member_params=list(member_ids),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {member_id: int(value) for member_id, value in cursor.fetchall()}
    return {member_id: found.get(member_id, 0) for member_id in member_ids}


def _may_move_up_midway(
    *,
    program: Program,
    config: ProgramConfig,
    members: dict[int, Member],
    orders: dict[int, OrderInput],
    by_member: dict[int, list[int]],
    at: datetime,
) -> set[int]:
    """Members with several orders in the batch whose metric could reach their next tier's threshold before the
    last of them (what all their orders would add, every point, cent or order counted, reaches it)."""
    several = [pk for pk, indexes in by_member.items() if len(indexes) > 1 and not members[pk].tier_locked]
    if not several or not config.tiers:
        return set()
    tiers = list(config.tiers)
    units = _units(program=program, member_ids=several, at=at)
    risky = set()
    for pk in several:
        member = members[pk]
        standing = tier_standing(program=program, tiers=tiers, units=units[pk], tier_id=member.tier_id)
        if standing.next_tier is None:
            continue
        mine = [orders[index] for index in by_member[pk]]
        if program.tier_metric == TierMetric.SPEND:
            added = sum(int(order.subtotal * 100) for order in mine)
        elif program.tier_metric == TierMetric.ORDERS:
            added = len(mine)
        else:
            added = sum(
                order_priced(
                    program=program,
                    config=config,
                    member=member,
                    subtotal=order.subtotal,
                    placed_at=order.placed_at or at,
                )[0]
                for order in mine
            )
        if units[pk] + added >= standing.next_units:
            risky.add(pk)
    return risky


def _tiers_after(*, config: ProgramConfig, members: list[Member], at: datetime) -> dict[int, dict | None]:
    """Upgrade the members whose activity now reaches a higher tier (one grouped query for all of them) and
    return each one's next tier, for the answers."""
    if not members:
        return {}
    if not config.tiers:
        return {member.pk: None for member in members}
    program = members[0].program
    units = _units(program=program, member_ids=[m.pk for m in members], at=at)
    tiers = list(config.tiers)
    return {
        member.pk: next_tier_data(
            program=program,
            standing=tier_standing_with_units(member=member, tiers=tiers, units=units[member.pk], at=at),
        )
        for member in members
    }
