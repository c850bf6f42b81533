"""Rollup tables of the analytics dashboard, written only by `analytics.services.rollups` (the
`refresh_analytics` job) and read by the admin dashboard. Each is a GROUP BY of the programs' rows, per day
(additive figures: sums and counts over any range of days) or per member-month step (distinct members over a
range of months, see `MemberMonthStep`). Rebuilt from the source rows at any time: nothing here is the record."""

from django.db import models

from loyalty.models import Program


class ProgramDay(models.Model):
    """One program's additive figures on one day of its time zone."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    new_members = models.IntegerField(default=0)
    points_issued = models.BigIntegerField(default=0, help_text="Active earning rows, net of refunds.")
    points_redeemed = models.BigIntegerField(default=0, help_text="Positive: points spent on rewards.")
    points_expired = models.BigIntegerField(default=0, help_text="Positive: points that expired.")
    orders = models.IntegerField(default=0)
    order_net = models.DecimalField(max_digits=18, decimal_places=2, default=0, help_text="Subtotal − refunded.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="%(app_label)s_%(class)s_one_per_day")]

    def __str__(self):
        return f"{self.program_id} {self.day}"


class Source(models.TextChoices):
    LEDGER = "ledger", "Ledger rows (active members)"
    ORDERS = "orders", "Orders (buyers, repeat buyers)"


class MemberMonthStep(models.Model):
    """How many members stepped into `month` from `prev_month` (and `prev2_month`): for `ledger`, one per
    member and month with any ledger row, `prev_month` being their previous such month; for `orders`, one per
    order, with the months of the member's two previous orders.

    Distinct members over months m1..m2 is then a sum over a few thousand rows instead of a scan of millions:
    members active in the range = steps into m1..m2 from before m1 (or from nothing); members with two orders
    or more = order steps into ..m2 whose previous order is in m1.. and the one before it is not."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=6, choices=Source.choices)
    month = models.DateField()
    prev_month = models.DateField(null=True)
    prev2_month = models.DateField(null=True)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["program", "source", "month"], name="analytics_step_program_month")]

    def __str__(self):
        return f"{self.program_id} {self.source} {self.prev_month}→{self.month}: {self.n}"


class TierMoveDay(models.Model):
    """Tier changes of one program's members on one day, by from / to tier (ids: a deleted tier stays a number)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    from_tier_id = models.BigIntegerField(null=True)
    to_tier_id = models.BigIntegerField(null=True)
    reason = models.CharField(max_length=20)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["program", "day"], name="analytics_tier_program_day")]

    def __str__(self):
        return f"{self.program_id} {self.day} {self.from_tier_id}→{self.to_tier_id}: {self.n}"


class RewardDay(models.Model):
    """Completed (not cancelled) redemptions of one reward on one day."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    reward_id = models.BigIntegerField()
    redemptions = models.IntegerField()
    points = models.BigIntegerField()
    value = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["program", "day"], name="analytics_reward_program_day")]

    def __str__(self):
        return f"{self.program_id} {self.day} reward {self.reward_id}: {self.redemptions}"


class RollupState(models.Model):
    """Per program: when the rollups were last refreshed, the figures that are a state rather than a sum over
    days (members, outstanding and pending points, members per tier), and what the next refresh must look at:
    the highest ids seen per source table and the oldest day still pending then (rows that may still change)."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, primary_key=True, related_name="+")
    as_of = models.DateTimeField()
    refreshed_at = models.DateTimeField()
    members = models.IntegerField(default=0)
    points_outstanding = models.BigIntegerField(default=0)
    points_pending = models.BigIntegerField(default=0)
    tier_counts = models.JSONField(default=dict, help_text='{"<tier id or none>": members}')
    last_member_id = models.BigIntegerField(default=0)
    last_transaction_id = models.BigIntegerField(default=0)
    last_order_id = models.BigIntegerField(default=0)
    last_refund_id = models.BigIntegerField(default=0)
    last_tier_change_id = models.BigIntegerField(default=0)
    last_redemption_id = models.BigIntegerField(default=0)
    pending_since = models.DateField(null=True, help_text="Oldest day with a pending ledger row at the refresh.")

    def __str__(self):
        return f"{self.program_id} as of {self.as_of:%Y-%m-%d %H:%M}"
