"""Pure rule evaluation: how many points an order or event is worth. No database writes, no queries."""

import math
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from loyalty.choices import RuleType
from loyalty.models import EarningRule, Program


def live_rules(rules: Iterable[EarningRule], *, rule_type: str, at: datetime) -> list[EarningRule]:
    return [rule for rule in rules if rule.type == rule_type and rule.is_live(at)]


def order_points(
    *,
    program: Program,
    rules: Iterable[EarningRule],
    subtotal: Decimal,
    placed_at: datetime,
    tier_multiplier: Decimal = Decimal("1"),
) -> int:
    """floor(subtotal × rate × tier multiplier × every live bonus multiplier)
    plus the flat points of every live `order_threshold` rule the subtotal reaches."""
    rules = list(rules)
    factor = program.points_per_currency_unit * tier_multiplier
    for rule in live_rules(rules, rule_type=RuleType.BONUS_MULTIPLIER, at=placed_at):
        factor *= rule.multiplier or Decimal("1")
    points = math.floor(subtotal * factor)
    for rule in live_rules(rules, rule_type=RuleType.ORDER_THRESHOLD, at=placed_at):
        if subtotal >= (rule.min_subtotal or Decimal("0")):
            points += rule.points
    return points
