"""The give/get rewards of a program's referral settings (`referrer_reward`, `friend_reward` in the program
file): points, or a voucher of any catalog reward type, issued without a points cost."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import pgettext

from loyalty.choices import RewardType
from loyalty.models import Program
from members.models import Member
from rewards.choices import VoucherSource
from rewards.models import Voucher
from rewards.services.vouchers import voucher_issue

logger = logging.getLogger(__name__)

POINTS = "points"


@dataclass(frozen=True)
class RewardSpec:
    type: str = ""
    points: int = 0
    value: Decimal | None = None
    min_subtotal: Decimal | None = None
    product_id: str = ""
    expiry_days: int | None = None

    @property
    def is_points(self) -> bool:
        return self.type == POINTS and self.points > 0

    @property
    def is_voucher(self) -> bool:
        return self.type in RewardType.values


def reward_spec(config: dict | None) -> RewardSpec:
    """Read a reward from the program's JSON; anything unreadable is 'no reward' (logged), never a crash."""
    config = config or {}
    try:
        return RewardSpec(
            type=str(config.get("type") or ""),
            points=int(config.get("points") or 0),
            value=_decimal(config.get("value")),
            min_subtotal=_decimal(config.get("min_subtotal")),
            product_id=str(config.get("product_id") or ""),
            # The program file names it `code_expiry_days`, as on catalog rewards.
            expiry_days=int(days) if (days := config.get("code_expiry_days") or config.get("expiry_days")) else None,
        )
    except (TypeError, ValueError, InvalidOperation):
        logger.warning("referral reward unreadable config=%r", config)
        return RewardSpec()


def _decimal(value) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


def reward_describe(spec: RewardSpec, *, program: Program) -> str:
    """A short human name of the reward in the active language: "10.00 USD off", "500 Stars"."""
    if spec.is_points:
        return f"{spec.points} {program.points_label(spec.points)}"
    money = f"{spec.value} {program.currency}" if spec.value is not None else ""
    if spec.type in (RewardType.FIXED_DISCOUNT, RewardType.GIFT_CARD, RewardType.STORE_CREDIT) and money:
        labels = {
            RewardType.FIXED_DISCOUNT: pgettext("referral reward", "%(amount)s off"),
            RewardType.GIFT_CARD: pgettext("referral reward", "a %(amount)s gift card"),
            RewardType.STORE_CREDIT: pgettext("referral reward", "%(amount)s store credit"),
        }
        return labels[spec.type] % {"amount": money}
    if spec.type == RewardType.PERCENT_DISCOUNT and spec.value is not None:
        return pgettext("referral reward", "%(percent)s%% off") % {"percent": _plain(spec.value)}
    if spec.type == RewardType.FREE_SHIPPING:
        return pgettext("referral reward", "free shipping")
    if spec.type == RewardType.FREE_PRODUCT:
        return pgettext("referral reward", "a free product")
    return pgettext("referral reward", "a gift")


def _plain(value: Decimal) -> str:
    """10.00 → "10", 12.50 → "12.5" (never the exponent form of Decimal.normalize)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def reward_voucher_issue(*, spec: RewardSpec, member: Member, at: datetime) -> Voucher:
    """A voucher for a referral reward, named in the program's language. Runs in the caller's transaction."""
    program = member.program
    with translation.override(program.locale or "en"):
        name = pgettext("referral reward", "Referral reward: %(reward)s") % {
            "reward": reward_describe(spec, program=program)
        }
    return voucher_issue(
        member=member,
        name=name,
        type=spec.type,
        value=spec.value,
        product_id=spec.product_id,
        min_subtotal=spec.min_subtotal,
        expires_at=at + timedelta(days=spec.expiry_days) if spec.expiry_days else None,
        source=VoucherSource.REFERRAL,
        at=at,
    )
