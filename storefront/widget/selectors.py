"""Reads behind the widget: the program as shoppers see it and one member's overview. Each is a fixed
number of queries, whatever the size of the catalog or the ledger."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from loyalty.choices import ExpiryPolicy
from loyalty.models import Program
from members.choices import TransactionStatus
from members.models import Member, Transaction
from members.selectors import transaction_list
from members.tier_selectors import member_tier_progress, tier_list
from rewards.choices import VoucherStatus
from rewards.models import Reward
from rewards.selectors import reward_list, voucher_list

RTL_LANGUAGES = {"ar", "fa", "he", "ur"}
RECENT_TRANSACTIONS = 10
ACTIVE_VOUCHERS = 20


def program_language(program: Program) -> tuple[str, str]:
    """(language, direction) of the program's locale: `fa-IR` → (`fa`, `rtl`)."""
    language = (program.locale or "en").split("-")[0].split("_")[0].lower()
    return language, "rtl" if language in RTL_LANGUAGES else "ltr"


def portal_url(program: Program) -> str:
    return f"{settings.SITE_URL}/p/{program.slug}/"


def earning_rules_live(*, program: Program, at: datetime) -> list:
    """The program's rules that are active and not over (upcoming campaigns are announced too)."""
    return [r for r in program.earning_rules.all() if r.active and not (r.ends_at and at >= r.ends_at)]


def program_rewards(*, program: Program, at: datetime) -> list[Reward]:
    return list(reward_list(program=program, at=at))


def program_tiers(*, program: Program) -> list:
    return tier_list(program_id=program.pk)


def member_next_expiry(*, member: Member, at: datetime) -> dict | None:
    """The next points to expire and when: the oldest unspent lot (policy `fixed`) or the whole balance
    after the inactivity period (policy `inactivity`); None when nothing is due to expire."""
    program = member.program
    if program.expiry_policy == ExpiryPolicy.FIXED:
        lot = (
            Transaction.objects.filter(
                member=member, status=TransactionStatus.ACTIVE, remaining__gt=0, expires_at__gt=at
            )
            .order_by("expires_at", "id")
            .values("remaining", "expires_at")
            .first()
        )
        return {"points": lot["remaining"], "expires_at": lot["expires_at"]} if lot else None
    if program.expiry_policy == ExpiryPolicy.INACTIVITY and program.expiry_days and member.points_balance > 0:
        return {
            "points": member.points_balance,
            "expires_at": member.last_activity_at + timedelta(days=program.expiry_days),
        }
    return None


def member_recent_transactions(*, member: Member) -> list[Transaction]:
    return list(transaction_list(member=member).order_by("-id")[:RECENT_TRANSACTIONS])


def member_active_vouchers(*, member: Member, at: datetime) -> list:
    vouchers = voucher_list(member=member).filter(status=VoucherStatus.ACTIVE)[:ACTIVE_VOUCHERS]
    return [v for v in vouchers if v.status_at(at) == VoucherStatus.ACTIVE]


def member_overview(*, member: Member, at: datetime | None = None) -> dict:
    """Everything the widget's member view shows, as model objects and plain values."""
    at = at or timezone.now()
    return {
        "tier_progress": member_tier_progress(member=member, at=at),
        "transactions": member_recent_transactions(member=member),
        "rewards": program_rewards(program=member.program, at=at),
        "vouchers": member_active_vouchers(member=member, at=at),
        "next_expiry": member_next_expiry(member=member, at=at),
    }
