"""What the portal says about ledger rows, earning rules and rewards, in plain words of the active language."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import pgettext

from loyalty.choices import RuleType
from loyalty.models import EarningRule, Program
from members.choices import TransactionKind, TransactionSource, TransactionStatus
from members.models import Member, Transaction
from members.templatetags.portal import ldate, num
from rewards.models import Reward


def points_text(program: Program, points: int) -> str:
    """ "1,250 Stars" in the active language's digits."""
    return f"{num(abs(points))} {program.points_label(points)}"


def _after(prefix: str, text: str) -> str:
    return text[len(prefix) :] if text.startswith(prefix) else text


def transaction_words(row: Transaction, program: Program) -> str:
    """ "Earned 49 Stars for order #1001"."""
    points = points_text(program, row.points)
    order = row.order.order_id if row.order_id and row.order else ""
    if row.kind == TransactionKind.EARN and order:
        text = pgettext("portal", "Earned %(points)s for order #%(order)s") % {"points": points, "order": order}
    elif row.kind == TransactionKind.REFUND and order:
        text = pgettext("portal", "%(points)s taken back: order #%(order)s was refunded") % {
            "points": points,
            "order": order,
        }
    elif row.kind == TransactionKind.REDEEM:
        what = _after("Redeemed: ", row.description)
        text = pgettext("portal", "Spent %(points)s on %(reward)s") % {"points": points, "reward": what}
    elif row.kind == TransactionKind.REFERRAL:
        if row.points > 0:
            text = pgettext("portal", "Earned %(points)s for referring a friend") % {"points": points}
        else:
            text = pgettext("portal", "%(points)s taken back: a referred friend's order was refunded") % {
                "points": points
            }
    elif row.kind == TransactionKind.EXPIRE:
        text = pgettext("portal", "%(points)s expired") % {"points": points}
    elif row.kind == TransactionKind.DONATE:
        cause = _after("Donation to ", row.description)
        text = pgettext("portal", "Gave %(points)s to %(cause)s") % {"points": points, "cause": cause}
    elif row.kind == TransactionKind.ADJUST:
        template = pgettext("portal", "%(points)s added by the shop") if row.points > 0 else None
        template = template or pgettext("portal", "%(points)s removed by the shop")
        text = template % {"points": points}
    elif row.source == TransactionSource.REDEMPTION and row.points > 0:
        text = pgettext("portal", "%(points)s returned: %(reward)s") % {
            "points": points,
            "reward": _after("Returned: ", row.description),
        }
    elif row.points > 0:
        text = pgettext("portal", "Earned %(points)s: %(reason)s") % {"points": points, "reason": row.description}
    else:
        text = pgettext("portal", "%(points)s: %(reason)s") % {"points": points, "reason": row.description}
    if row.status == TransactionStatus.PENDING:
        when = ldate(row.activates_at) if row.activates_at else ""
        text += " · " + (
            pgettext("portal", "pending until %(date)s") % {"date": when} if when else pgettext("portal", "pending")
        )
    elif row.status == TransactionStatus.VOID:
        text += " · " + pgettext("portal", "cancelled")
    return text


def rule_words(rule: EarningRule, program: Program) -> str | None:
    """One way to earn, e.g. "Birthday: 200 Stars". None for rules a shopper cannot act on."""
    points = points_text(program, rule.points)
    if rule.type == RuleType.SIGNUP:
        return pgettext("portal", "Join the program: %(points)s") % {"points": points}
    if rule.type == RuleType.BIRTHDAY:
        return pgettext("portal", "On your birthday: %(points)s") % {"points": points}
    if rule.type == RuleType.CUSTOM_EVENT:
        name = rule.name or rule.event.replace("_", " ").capitalize()
        return pgettext("portal", "%(action)s: %(points)s") % {"action": name, "points": points}
    if rule.type == RuleType.ORDER_THRESHOLD and rule.min_subtotal is not None:
        return pgettext("portal", "Spend %(amount)s or more in one order: %(points)s extra") % {
            "amount": f"{num(rule.min_subtotal)} {program.currency}",
            "points": points,
        }
    if rule.type == RuleType.BONUS_MULTIPLIER and rule.multiplier:
        text = pgettext("portal", "%(multiplier)s× points on orders") % {"multiplier": num(_plain(rule.multiplier))}
        if rule.ends_at:
            text += " " + pgettext("portal", "until %(date)s") % {"date": ldate(rule.ends_at)}
        return text
    return None


def earn_rate_words(program: Program) -> str:
    return pgettext("portal", "%(points)s %(name)s for every 1 %(currency)s you spend") % {
        "points": num(_plain(program.points_per_currency_unit)),
        "name": program.points_name_plural,
        "currency": program.currency,
    }


def _plain(value: Decimal) -> Decimal | int:
    return int(value) if value == value.to_integral_value() else value.normalize()


@dataclass(frozen=True)
class CatalogEntry:
    reward: Reward
    affordable: bool
    tier_ok: bool
    in_stock: bool
    missing_points: int


def catalog_entries(rewards, member: Member) -> list[CatalogEntry]:
    """The catalog with what this member can redeem now (points, tier and stock; the per-member limit is
    checked when redeeming)."""
    entries = []
    for reward in rewards:
        tier_ok = reward.min_tier_id is None or (
            member.tier is not None and member.tier.position >= reward.min_tier.position
        )
        in_stock = reward.stock is None or reward.stock > 0
        missing = max(reward.points_cost - member.points_balance, 0)
        entries.append(
            CatalogEntry(
                reward=reward,
                affordable=tier_ok and in_stock and missing == 0 and not reward.variable,
                tier_ok=tier_ok,
                in_stock=in_stock,
                missing_points=missing,
            )
        )
    return entries
