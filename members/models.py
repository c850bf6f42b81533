"""Members, what they did (orders, refunds, events) and the append-only points ledger."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from loyalty.models import EarningRule, Program, Tier
from members.choices import (
    PointsStatus,
    TierChangeReason,
    TransactionKind,
    TransactionSource,
    TransactionStatus,
)


def set_key_index(field: str, *, name: str) -> models.Index:
    """The index of a nullable foreign key that most rows leave empty, over the rows that set it: the deletes that
    follow the key (SET NULL, CASCADE) find their rows through it, and a row without the key (every order's ledger
    row has no event and no acting user) costs no index upkeep on insert."""
    return models.Index(fields=[field], name=name, condition=Q(**{f"{field}__isnull": False}))


class Member(models.Model):
    """A shopper in one program. Balances here are a cache of the ledger, written only by
    `members.services.ledger` under a row lock; `verify_ledger` checks them against the rows."""

    # No single-column index on a foreign key that leads a composite index of the table: the composite one serves
    # its lookups and cascades, and every index is one more write on the hottest inserts (orders, ledger rows).
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="members", db_index=False)
    customer_id = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    birthday = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    emails_allowed = models.BooleanField(
        default=True, help_text="Program emails (points reminders, news). Unsubscribing turns it off."
    )

    points_balance = models.IntegerField(default=0)
    pending_points = models.IntegerField(default=0)
    lifetime_points = models.IntegerField(default=0, help_text="Points earned, net of refunds.")
    lifetime_spend = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    orders_count = models.PositiveIntegerField(default=0)

    # Indexed although an order that moves the member up a tier is then not a heap-only UPDATE (it writes an entry
    # in each of the member's indexes; the bench's seeded members upgrade on 45% of orders, real programs on a few):
    # the admin's tier filter and segments' tier conditions need it on programs of a million members.
    tier = models.ForeignKey(Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    tier_locked = models.BooleanField(
        default=False, help_text="Assigned by hand (invite-only): kept until removed by hand."
    )
    tier_achieved_at = models.DateTimeField(null=True, blank=True)

    # Looked up by exact value only: migration 0013 drops the pattern-ops (LIKE) index Django adds on PostgreSQL.
    referral_code = models.CharField(max_length=16, unique=True)
    referred_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    last_activity_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # Engagement: attributes the shop sends (segments use them), RFM scores 1-5 written by a scheduled job,
    # and the shopper's own choice to appear on the program's leaderboard (privacy: off until they opt in).
    attributes = models.JSONField(default=dict, blank=True, help_text="Custom attributes sent by the shop's API.")
    rfm_recency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_frequency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_monetary = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_computed_at = models.DateTimeField(null=True, blank=True)
    leaderboard_opt_in = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "customer_id"], name="%(app_label)s_%(class)s_unique_customer"),
            models.CheckConstraint(
                condition=Q(points_balance__gte=0), name="%(app_label)s_%(class)s_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(pending_points__gte=0), name="%(app_label)s_%(class)s_pending_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "email"], name="members_member_program_email"),
            # Batch jobs walk a program's members in primary-key chunks.
            models.Index(fields=["program", "id"], name="members_member_program_pk"),
            set_key_index("referred_by", name="members_member_referred_by_set"),
        ]

    def __str__(self):
        return self.email or self.customer_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Order(models.Model):
    """A paid order. `order_id` is the shop's id and the idempotency key of order ingestion."""

    # db_index=False: see Member.program. db_constraint=False: see `Transaction.program`.
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="orders", db_index=False, db_constraint=False
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="orders", db_index=False)
    order_id = models.CharField(max_length=255)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    placed_at = models.DateTimeField()
    points_awarded = models.IntegerField(default=0)
    points_status = models.CharField(max_length=10, choices=PointsStatus.choices, default=PointsStatus.ACTIVE)
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    points_reversed = models.IntegerField(default=0)
    referral_code = models.CharField(max_length=32, blank=True)
    items = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "order_id"], name="%(app_label)s_%(class)s_unique_order_id"),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="%(app_label)s_%(class)s_subtotal_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=models.F("subtotal")),
                name="%(app_label)s_%(class)s_refunds_within_subtotal",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "placed_at"], name="members_order_member_placed"),
            # Segments count a program's recent orders per member ("orders in the last 90 days") from the index.
            models.Index(fields=["program", "placed_at"], include=["member"], name="members_order_program_placed"),
        ]

    def __str__(self):
        return f"#{self.order_id}"


class Refund(models.Model):
    """A (partial) refund of an order. `refund_id` is its idempotency key."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="refunds")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    refund_id = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    points_reversed = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "refund_id"], name="%(app_label)s_%(class)s_unique_refund_id"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="%(app_label)s_%(class)s_amount_positive"),
        ]

    def __str__(self):
        return f"{self.refund_id} of #{self.order.order_id}"


class Event(models.Model):
    """A custom event a member did (review posted, social follow…). `event_id` is its idempotency key."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="events")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    properties = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    rule = models.ForeignKey(EarningRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    points_awarded = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "event_id"], name="%(app_label)s_%(class)s_unique_event_id"),
        ]
        indexes = [models.Index(fields=["member", "rule", "occurred_at"], name="members_event_rule_limit")]

    def __str__(self):
        return f"{self.type} ({self.event_id})"


class Transaction(models.Model):
    """One row of the append-only points ledger. Amounts are never edited: corrections are new rows.
    Only `status` (pending → active | void), `balance_after` at activation and `remaining` of an
    expiring lot move, all inside the ledger service."""

    # db_index=False: see Member.program.
    # No foreign key in the database for the program (here and on Order) nor for the order, checked on every insert
    # at COMMIT: the program is the tenancy column copied from the member, whose own foreign key (kept: the order
    # path already holds that row FOR UPDATE, so checking it writes nothing) ties the row to a member of an existing
    # program; checking the program made every order take FOR KEY SHARE on the program's ONE row (a WAL record each,
    # and a MultiXact whenever two orders commit together). The order is inserted by the same statement as its
    # ledger row, and checking it locked that new row (a WAL record per order). Measured: 3.2 of 7.9 RI checks and
    # 2.0-2.3 WAL records per order fewer. The trade-off: the database no longer refuses a row whose program differs
    # from its member's or whose order is gone; the writers copy `member.program_id` (pinned by
    # tests/members/test_hot_foreign_keys.py) and no code deletes an order outside Django, whose on_delete
    # (CASCADE from the program and the member, SET_NULL from the order) runs in Python as before.
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="transactions", db_index=False)
    kind = models.CharField(max_length=10, choices=TransactionKind.choices)
    points = models.IntegerField()
    balance_after = models.IntegerField()
    status = models.CharField(max_length=10, choices=TransactionStatus.choices, default=TransactionStatus.ACTIVE)
    source = models.CharField(max_length=12, choices=TransactionSource.choices)
    description = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=300)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,
        db_constraint=False,  # see `program`
    )
    event = models.ForeignKey(Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    activates_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    remaining = models.IntegerField(null=True, blank=True, help_text="Unspent points of an expiring lot.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "idempotency_key"], name="%(app_label)s_%(class)s_unique_idempotency_key"
            ),
            models.CheckConstraint(condition=~Q(points=0), name="%(app_label)s_%(class)s_points_not_zero"),
            models.CheckConstraint(
                condition=Q(remaining__isnull=True) | Q(remaining__gte=0),
                name="%(app_label)s_%(class)s_remaining_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-id"], name="members_txn_member_newest"),
            models.Index(
                fields=["activates_at"], name="members_txn_pending_due", condition=Q(status=TransactionStatus.PENDING)
            ),
            models.Index(fields=["expires_at"], name="members_txn_lot_expiry", condition=Q(remaining__gt=0)),
            models.Index(fields=["member", "created_at"], name="members_txn_member_created"),
            set_key_index("order", name="members_txn_order_set"),
            set_key_index("event", name="members_txn_event_set"),
            set_key_index("acting_user", name="members_txn_acting_user_set"),
        ]

    def __str__(self):
        return f"{self.kind} {self.points:+d} → {self.balance_after}"


class TierChange(models.Model):
    """History of a member's tier: every change, why, and who made it. `notified_at` is set once
    the member has been told (the notifications job reads the unnotified rows)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tier_changes", db_index=False)
    from_tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    to_tier = models.ForeignKey(Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=20, choices=TierChangeReason.choices)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["member", "-created_at"], name="members_tierchange_member"),  # also the member's key
            set_key_index("from_tier", name="members_tierchange_from_set"),
            set_key_index("acting_user", name="members_tierchange_acting_set"),
        ]

    def __str__(self):
        return f"{self.from_tier} → {self.to_tier} ({self.reason})"


class MagicLink(models.Model):
    """A one-time sign-in link to the member portal, sent by email. Only the token's SHA-256 is stored;
    the link is spent by one conditional UPDATE (`used_at IS NULL AND expires_at > now`), so it works once."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="magic_links")
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="%(app_label)s_%(class)s_unique_token_hash"),
        ]

    def __str__(self):
        return f"sign-in link for {self.member_id} until {self.expires_at:%Y-%m-%d %H:%M}"


# Job runs, notifications and outbound webhooks live in their own module (same app).
from members.import_models import ImportJob, ImportJobStatus  # noqa: E402, F401
from members.job_models import (  # noqa: E402, F401
    JobRun,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
