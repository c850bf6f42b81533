"""Reads behind the widget: the program as shoppers see it and one member's overview. Each is a fixed
number of queries, whatever the size of the catalog or the ledger."""

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg.types.numeric import Int8

from loyalty.choices import ExpiryPolicy, TierPeriod
from loyalty.models import Program
from loyalty.program_config import ProgramConfig
from members.choices import TransactionStatus
from members.models import Member, Transaction
from members.prepared import fetch_one
from members.selectors import member_not_found, transaction_list
from members.services.order_sql import member_read
from members.services.orders import member_configured
from members.tier_selectors import member_tier_progress, tier_list, tier_period_end
from rewards.choices import VoucherStatus
from rewards.models import Reward
from rewards.selectors import reward_list, rewards_offered, voucher_list
from storefront.models import CatalogVersion, MeAnswer
from storefront.widget.caching import Answer

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
    """The public catalog (no shopper): rewards limited to a segment are offered to its members only."""
    return rewards_offered(reward_list(program=program, at=at), member=None)


def program_tiers(*, program: Program) -> list:
    return tier_list(program_id=program.pk)


def member_next_expiry(*, member: Member, at: datetime) -> dict | None:
    """The next points to expire and when: the oldest unspent lot (policy `fixed`) or the whole balance
    after the inactivity period (policy `inactivity`); None when nothing is due to expire."""
    lot = None
    if member.program.expiry_policy == ExpiryPolicy.FIXED:
        lot = (
            Transaction.objects.filter(
                member=member, status=TransactionStatus.ACTIVE, remaining__gt=0, expires_at__gt=at
            )
            .order_by("expires_at", "id")
            .values_list("remaining", "expires_at")
            .first()
        )
    return next_expiry_of_lot(member=member, lot=lot)


def next_expiry_of_lot(*, member: Member, lot: tuple[int, datetime] | None) -> dict | None:
    """`member_next_expiry` with the member's next lot already read (`(remaining, expires_at)`, None: no lot)."""
    program = member.program
    if program.expiry_policy == ExpiryPolicy.FIXED:
        return {"points": lot[0], "expires_at": lot[1]} if lot else None
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


def rewards_live_and_next_start(*, program: Program, at: datetime) -> tuple[list[Reward], datetime | None]:
    """The rewards live at `at`, in catalog order (as `reward_list`), and when the next one opens, in one query."""
    rows = list(
        Reward.objects.select_related("min_tier", "segment")
        .filter(program=program, active=True)
        .exclude(ends_at__lte=at)
    )
    opening = [r.starts_at for r in rows if r.starts_at and r.starts_at > at]
    return [r for r in rows if r.is_live(at)], min(opening, default=None)


def member_overview(*, member: Member, at: datetime | None = None) -> dict:
    """Everything the widget's member view shows, as model objects and plain values. The member's next tier is
    the tier progress's (storefront/widget/serializers.py): the aggregate over the ledger is read once."""
    at = at or timezone.now()
    rewards, next_reward_start = rewards_live_and_next_start(program=member.program, at=at)
    rewards = rewards_offered(rewards, member=member, at=at)
    return {
        "tier_progress": member_tier_progress(member=member, at=at),
        "transactions": member_recent_transactions(member=member),
        "rewards": rewards,
        "next_reward_start": next_reward_start,
        "vouchers": member_active_vouchers(member=member, at=at),
        "next_expiry": member_next_expiry(member=member, at=at),
    }


@dataclass(frozen=True)
class MeVersion:
    """A member of the program, a token of everything their `me` answer shows that can change without the clock
    moving (equal tokens, equal answers), and the answer kept for that token, if any and still in date."""

    member_id: int
    token: str
    kept: Answer | None
    catalog: str | None = None  # the program's catalog token (storefront/catalog.py), a part of `token`


@functools.cache
def _me_version_sql() -> str:
    member, catalog, kept = Member._meta.db_table, CatalogVersion._meta.db_table, MeAnswer._meta.db_table
    # Index lookups only: the member by program and customer id, the catalog token and the kept answer by key.
    # - the member row: balance, pending points, tier, lifetime spend (spend and order-count tier metrics) and
    #   `updated_at`, which every ledger write, tier change and profile edit moves (members/services/), and the
    #   voucher services when one of the member's codes is issued, used or cancelled (rewards/services/);
    # - the program's catalog token: settings, tiers, rewards, and the stock a redemption takes or a
    #   cancellation gives back (storefront/catalog.py);
    # - the kept answer, its body only while in date (%s: now).
    # (It used to count the member's active codes and sum the program's reward stock on every call: two
    # subqueries that cost the server more than the rest of a kept answer.)
    return (
        "SELECT m.id, m.updated_at, m.tier_id, m.points_balance, m.pending_points, m.lifetime_spend, c.token,"
        " a.version, a.etag, CASE WHEN a.expires_at > %s THEN a.body END"
        f" FROM {member} m LEFT JOIN {catalog} c ON c.program_id = m.program_id"
        f" LEFT JOIN {kept} a ON a.member_id = m.id"
        " WHERE m.program_id = %s AND m.customer_id = %s"
    )


_TOKEN = "|".join(["%s"] * 6)


def member_me_version(*, program: Program, customer_id: str) -> MeVersion | None:
    """The member's `me` version and kept answer in one indexed read (raw SQL: this runs on every widget `me` call,
    and building the statement through the ORM costs more than running it). None: no such member in this program."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # Binary: the kept body arrives as stored (not as hex text) and the timestamp without Python parsing it.
    # The program's id as bigint whatever its size: one prepared statement (storefront/widget/first_view.py).
    row = fetch_one(_me_version_sql(), [now, Int8(program.id), customer_id], binary=True)
    if row is None:
        return None
    token = _TOKEN % row[1:7]  # each value's str() joined by "|"
    kept_version, etag, body = row[7:]
    kept = Answer(body=bytes(body), etag=etag) if body is not None and kept_version == token else None
    return MeVersion(member_id=row[0], token=token, kept=kept, catalog=row[6])


def member_configured_get(*, program: Program, config: ProgramConfig, customer_id: str) -> Member:
    """`member_get` for a read that changes nothing and runs on every product page (the points preview): one
    prepared statement instead of the ORM's (whose compiling cost the preview two thirds of its time), the program
    and tier from the loaded configuration."""
    member = member_read(program_id=program.pk, customer_id=customer_id)
    if member is None:
        raise member_not_found(customer_id)
    return member_configured(member, program=program, config=config)


def member_for_me(*, member_id: int) -> Member:
    """The member with their tier and a fresh copy of their program (the one the request found may be cached)."""
    return Member.objects.select_related("program", "tier").get(pk=member_id)


# In a rolling tier period the metric drops whenever old activity slides out of the window: not worth a query
# to know when, so an answer showing it is kept this long at most.
ROLLING_PERIOD_SECONDS = 30


def me_deadline(*, member: Member, overview: dict, at: datetime) -> datetime | None:
    """The first moment the answer built at `at` goes out of date by the clock alone (a code, a reward window or
    points expiring, a reward opening, the tier period moving on), or None."""
    moments = [v.expires_at for v in overview["vouchers"] if v.expires_at]
    moments += [r.ends_at for r in overview["rewards"] if r.ends_at]
    moments += [overview["next_reward_start"], overview["tier_progress"]["kept_until"]]
    if overview["next_expiry"]:
        moments.append(overview["next_expiry"]["expires_at"])
    if member.program.tier_period == TierPeriod.ROLLING_12_MONTHS:
        moments.append(at + timedelta(seconds=ROLLING_PERIOD_SECONDS))
    else:
        moments.append(tier_period_end(program=member.program, at=at))
    return min((moment for moment in moments if moment and moment > at), default=None)
