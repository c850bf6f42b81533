"""Recording many paid orders set-based: what `order_record` does for one order, for up to a thousand, in a
fixed number of statements instead of a few per order.

    existing orders (replays)      1 SELECT for the batch
    one transaction                lock the members, found by customer id (1, in primary-key order), their tier
                                   standings (1, with tiers), INSERT the orders (1), INSERT the ledger rows (1),
                                   UPDATE every member's counters and tier (1), INSERT the tier changes (1, when a
                                   member moves up)

Every item answers exactly what `order_record` would have answered for it, in the order sent: the same points
(each member's own tier, bonus windows at `placed_at`, pending days), `replayed` for an order id already recorded,
the same errors; new customers become members as one by one (`members_create_many`: entry tier, sign-up points).
Tiers move as one by one: each member's metric is read once before the writes, every order of the batch adds what
the tier query would count for it, and the order that reaches a threshold moves the member up (a `TierChange`):
their later orders of the batch earn with the new multiplier. Left to the caller (`None` results): the items of a
new customer another call created meanwhile. The caller runs those through the one-order path, in their order."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, Model, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from loyalty.errors import ApplicationError
from loyalty.models import Program, Tier
from loyalty.program_config import ProgramConfig, program_config
from members.choices import TierChangeReason, TransactionKind, TransactionSource
from members.models import Member, Order, TierChange
from members.services.bulk_sql import rows_insert
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
from members.services.tiers import tier_upgraded
from members.tier_selectors import (
    TierWindow,
    order_tier_units,
    tier_upgrade_target,
    tier_upgrades,
    tier_values_sql,
    tier_window,
)


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
    found = (
        Order.objects.select_related("member__tier")
        .filter(program=program)
        .filter(_one_of(Order, "order_id", order_ids))
    )
    return {order.order_id: order for order in found}


def _record(*, program: Program, orders: dict[int, OrderInput]) -> dict[int, ItemOutcome]:
    """The orders in one transaction: the existing members locked, the new ones created; customers another call
    created meanwhile are left out (None)."""
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
        batch = _Batch(program=program, config=config, at=now, member_ids=list(by_member))
        for member_id, indexes in by_member.items():
            for index in indexes:
                outcomes[index] = batch.add(index=index, member=members[member_id], order=orders[index])
        outcomes.update(batch.write())
    return outcomes


class _Batch:
    """The orders, ledger credits, member counters and tier changes of a batch, priced one by one (each member's
    orders in the order sent) and written set-based."""

    def __init__(self, *, program: Program, config: ProgramConfig, at: datetime, member_ids: list[int]):
        self.program, self.config, self.at = program, config, at
        self.rows: list[tuple[int, Order]] = []
        self.credits: list[Credit] = []
        self.members: dict[int, Member] = {}
        self.added: dict[int, tuple[int, int]] = {}  # member → (active, pending) points credited so far
        self.tiers = list(config.tiers)
        # The tiers a member may move up to from each tier (`tier_upgrades`), worked out once for the batch's many
        # checks: the list depends only on the member's tier (locked members are never checked).
        self.upgrades: dict[int | None, list[tuple[Tier, int]]] = {}
        self.tier_changes: list[TierChange] = []
        # Each member's tier metric before the batch, in the period the one-order path evaluates (one query).
        self.window = tier_window(program=program, at=at)
        self.units = _units(program=program, member_ids=member_ids, window=self.window) if self.tiers else {}

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
        if self.tiers and not member.tier_locked:
            self.units[member.pk] += order_tier_units(
                program=self.program,
                window=self.window,
                placed_at=row.placed_at,
                subtotal=row.subtotal,
                points=row.points_awarded,
                pending=bool(pending_until),
            )
            self._tier_upgrade(member)
        return None  # answered by `write`

    def _as_credited(self, member: Member) -> SimpleNamespace:
        """The member's counters after the credits already added for them (what `points_post` would check)."""
        active, pending = self.added.get(member.pk, (0, 0))
        return SimpleNamespace(
            points_balance=member.points_balance + active,
            pending_points=member.pending_points + pending,
            lifetime_points=member.lifetime_points + active,
        )

    def _tier_upgrade(self, member: Member) -> None:
        """Move the (unlocked) member up when their metric reaches a higher tier, by the one-order path's rule
        (`tier_upgrades`, `tier_upgrade_target`) and with its log line (`tiers.tier_upgraded`): the order that
        crossed keeps its price, the member's next orders earn with the new multiplier. Only upwards; written by
        `write` (the tier in the members' UPDATE, the changes in one INSERT)."""
        upgrades = self.upgrades.get(member.tier_id)
        if upgrades is None:
            upgrades = self.upgrades[member.tier_id] = tier_upgrades(member=member, tiers=self.tiers)
        target = tier_upgrade_target(upgrades, self.units[member.pk])
        if target is None:
            return
        self.tier_changes.append(
            TierChange(
                member=member,
                from_tier_id=member.tier_id,
                to_tier=target,
                reason=TierChangeReason.EARNED,
                created_at=self.at,
            )
        )
        tier_upgraded(member=member, to_tier=target, at=self.at)

    def write(self) -> dict[int, OrderResult]:
        rows_insert(Order, [row for _index, row in self.rows])
        fields = ("lifetime_spend", "orders_count")
        if self.tier_changes:
            fields += ("tier", "tier_achieved_at")
        credits_post(self.credits, member_fields=fields, at=self.at)
        credited = {credit.member.pk for credit in self.credits}
        members_save([m for pk, m in self.members.items() if pk not in credited], *fields, at=self.at)
        if self.tier_changes:
            rows_insert(TierChange, self.tier_changes)
        return {index: OrderResult(row, row.member, created=True) for index, row in self.rows}


def _members_lock(*, program: Program, config: ProgramConfig, customer_ids: set[str]) -> dict[str, Member]:
    """The members locked in primary-key order (like every ledger writer: no deadlock), by customer id."""
    members = (
        Member.objects.filter(program=program)
        .filter(_one_of(Member, "customer_id", sorted(customer_ids)))
        .order_by("pk")
    )
    if connection.features.has_select_for_update:
        members = members.select_for_update(of=("self",))
    locked = {}
    for member in members:
        locked[member.customer_id] = member_configured(member, program=program, config=config)
    return locked


def _units(*, program: Program, member_ids: list[int], window: TierWindow) -> dict[int, int]:
    """Each member's tier metric value in `window` (one grouped query; 0 without activity)."""
    if not member_ids:
        return {}
    if connection.vendor == "postgresql":
        member_filter, member_params = "= ANY(%s)", [list(member_ids)]
    else:
        member_filter, member_params = f"IN ({', '.join(['%s'] * len(member_ids))})", list(member_ids)
    sql, params = tier_values_sql(
        program=program, window=window, member_filter=member_filter, member_params=member_params
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {member_id: int(value) for member_id, value in cursor.fetchall()}
    return {member_id: found.get(member_id, 0) for member_id in member_ids}


def _one_of(model: type[Model], column: str, values: list) -> Q | RawSQL:
    """`column IN values`: on PostgreSQL as `= ANY(%s)` with one array parameter, whose SQL text is the same for
    any number of values (the driver parses a statement of a thousand placeholders anew each time, in Python)."""
    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": values})
    quoted = f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name(column)}"
    return RawSQL(f"{quoted} = ANY(%s)", [list(values)], output_field=BooleanField())
