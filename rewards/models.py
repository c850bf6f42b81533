"""The rewards catalog: what members can spend points on."""

from django.db import models
from django.db.models import Q

from loyalty.choices import RewardType
from loyalty.models import Program, Tier


class Reward(models.Model):
    """A catalog entry. `value` is money for fixed discounts, gift cards and store credit, a percentage
    for percent discounts, and empty for the rest. `stock` empty means unlimited."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rewards")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=RewardType.choices)
    description = models.TextField(blank=True)
    image_url = models.URLField(max_length=500, blank=True, null=True)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    product_id = models.CharField(max_length=255, blank=True)
    points_cost = models.PositiveIntegerField()
    min_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    stock = models.PositiveIntegerField(null=True, blank=True)
    limit_per_member = models.PositiveIntegerField(null=True, blank=True)
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    code_expiry_days = models.PositiveIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="%(app_label)s_%(class)s_unique_key"),
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="%(app_label)s_%(class)s_cost_positive"),
        ]

    def __str__(self):
        return self.name
