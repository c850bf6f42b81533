"""Pure rule evaluation: how many points an order or event is worth. No database writes, no queries."""

import decimal
import math
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from loyalty.choices import RuleType
from loyalty.models import EarningRule, Program

# Enough digits that subtotal × rate × tier × several bonus multipliers is exact before the floor:
# the default 28 digits could round 99.999… up to 100 and award a point too many.
_EXACT = decimal.Context(prec=200, rounding=decimal.ROUND_FLOOR)


def live_rules(rules: Iterable[EarningRule], *, rule_type: str, at: datetime) -> list[EarningRule]:
    return [rule for rule in rules if rule.type == rule_type and rule.is_live(at)]


def as_decimal(value) -> Decimal:
    """Decimal from a model field that may still hold what it was assigned (int, str; a float via its
    shortest repr, so 0.1 means 0.1)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


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
    subtotal = as_decimal(subtotal)
    with decimal.localcontext(_EXACT):
        factor = as_decimal(program.points_per_currency_unit) * as_decimal(tier_multiplier)
        for rule in live_rules(rules, rule_type=RuleType.BONUS_MULTIPLIER, at=placed_at):
            if rule.multiplier is not None:
                factor *= as_decimal(rule.multiplier)
        points = math.floor(subtotal * factor)
    for rule in live_rules(rules, rule_type=RuleType.ORDER_THRESHOLD, at=placed_at):
        if subtotal >= as_decimal(rule.min_subtotal or 0):
            points += rule.points
    return max(points, 0)
