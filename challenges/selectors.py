"""Reads of the challenges app: a member's challenges with their progress (portal and widget), and the
program's leaderboard (the top opted-in members by points earned in the period, and the viewer's own rank)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import F, Sum, Window
from django.db.models.functions import FirstValue, Rank
from django.utils import timezone
from django.utils.translation import pgettext

from challenges.choices import ChallengeMetric, LeaderboardPeriod
from challenges.models import Challenge, ChallengeProgress, Leaderboard
from challenges.services.live import challenges_active, challenges_for
from members.choices import EARNING_KINDS, TransactionStatus
from members.models import Member, Transaction

LEADERBOARD_CACHE_SECONDS = 60


@dataclass(frozen=True)
class ChallengeCard:
    challenge: Challenge
    value: Decimal
    completed_at: datetime | None

    @property
    def fraction(self) -> float:
        return 1.0 if self.completed_at else min(float(self.value / self.challenge.target), 1.0)

    @property
    def shown_value(self) -> Decimal | int:
        """The value on the bar, never past the target; counts as whole numbers."""
        return self._shown(min(self.value, self.challenge.target))

    @property
    def shown_target(self) -> Decimal | int:
        return self._shown(self.challenge.target)

    def _shown(self, value: Decimal) -> Decimal | int:
        return value if self.challenge.metric == ChallengeMetric.SPEND else int(value)


def challenge_cards(*, member: Member, at: datetime | None = None) -> list[ChallengeCard]:
    """The program's challenges that are running at `at` (started, not ended) and the member's progress on each,
    completed ones included, those limited to a segment only for its members. One query (the member's progress),
    plus the program's cached list and one per distinct segment of a segment-limited challenge."""
    at = at or timezone.now()
    challenges = [c for c in challenges_active(program_id=member.program_id) if c.covers(at)]
    challenges = challenges_for(challenges, member) if challenges else []
    if not challenges:
        return []
    progress = {
        p.challenge_id: p
        for p in ChallengeProgress.objects.filter(member_id=member.pk, challenge__in=challenges).only(
            "challenge_id", "value", "completed_at"
        )
    }
    cards = []
    for c in challenges:
        p = progress.get(c.pk)
        cards.append(ChallengeCard(c, p.value if p else Decimal("0"), p.completed_at if p else None))
    return cards


# Leaderboard


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    name: str
    points: int
    member_id: int


def leaderboard_get(*, program_id: int) -> Leaderboard | None:
    """The program's leaderboard when it is enabled."""
    return Leaderboard.objects.filter(program_id=program_id, enabled=True).first()


def leaderboard_period(*, board: Leaderboard, at: datetime, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the calendar month, quarter or year containing `at` in the program's zone."""
    local = at.astimezone(ZoneInfo(tz_name or "UTC"))
    first_month = {LeaderboardPeriod.MONTH: local.month, LeaderboardPeriod.QUARTER: (local.month - 1) // 3 * 3 + 1}
    month = first_month.get(board.period, 1)
    months = {LeaderboardPeriod.MONTH: 1, LeaderboardPeriod.QUARTER: 3}.get(board.period, 12)
    start = local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0, fold=0)
    end_month = month + months
    end = start.replace(year=start.year + (end_month - 1) // 12, month=(end_month - 1) % 12 + 1)
    return start.astimezone(UTC), end.astimezone(UTC)


def _ranked(*, board: Leaderboard, at: datetime, tz_name: str):
    """Opted-in members' points earned in the period (earning kinds, active rows, net of refunds), ranked: one
    aggregate query. Ties share a rank (1, 2, 2, 4)."""
    start, end = leaderboard_period(board=board, at=at, tz_name=tz_name)
    return (
        Transaction.objects.filter(
            program_id=board.program_id,
            status=TransactionStatus.ACTIVE,
            kind__in=EARNING_KINDS,
            created_at__gte=start,
            created_at__lt=end,
            member__leaderboard_opt_in=True,
        )
        .values("member_id", "member__first_name", "member__last_name")
        .annotate(total=Sum("points"))
        .filter(total__gt=0)
        .annotate(rank=Window(Rank(), order_by=F("total").desc()))
    )


def masked_name(first_name: str, last_name: str) -> str:
    """ "Sara K.": the first name and the initial of the last, never the email or the customer id."""
    first = (first_name or "").strip().split(" ")[0][:20]
    initial = (last_name or "").strip()[:1].upper()
    if not first:
        return pgettext("leaderboard", "A member") + (f" {initial}." if initial else "")
    return f"{first} {initial}." if initial else first


def _leaderboard_cache_key(program_id: int) -> str:
    return f"challenges:leaderboard:{program_id}"


def leaderboard_top(*, board: Leaderboard, tz_name: str, at: datetime | None = None) -> list[LeaderboardEntry]:
    """The top `size` opted-in members, cached briefly per program (opting in or out clears it)."""
    key = _leaderboard_cache_key(board.program_id)
    entries = cache.get(key) if at is None else None
    if entries is None:
        rows = _ranked(board=board, at=at or timezone.now(), tz_name=tz_name).order_by("-total", "member_id")
        entries = [
            LeaderboardEntry(
                row["rank"],
                masked_name(row["member__first_name"], row["member__last_name"]),
                row["total"],
                row["member_id"],
            )
            for row in rows[: board.size]
        ]
        if at is None:
            cache.set(key, entries, LEADERBOARD_CACHE_SECONDS)
    return entries


def leaderboard_cache_clear(*, program_id: int) -> None:
    cache.delete(_leaderboard_cache_key(program_id))


def leaderboard_rank(
    *,
    board: Leaderboard,
    member: Member,
    tz_name: str,
    at: datetime | None = None,
    top: list[LeaderboardEntry] | None = None,
) -> LeaderboardEntry | None:
    """The member's own rank and points (shown only to them), or None when they opted out or earned nothing yet.
    Read from `top` (the cached list) when the member is on it; else one ranking query over the period."""
    if not member.leaderboard_opt_in:
        return None
    mine = next((entry for entry in top or [] if entry.member_id == member.pk), None)
    if mine is not None:
        return mine
    # Filtering on a window expression keeps the filter outside the ranking (a plain `member_id=` would rank
    # the member's rows alone): the member's id, as a window value, is matched after every member is ranked.
    ranked = _ranked(board=board, at=at or timezone.now(), tz_name=tz_name).annotate(
        ranked_member=Window(FirstValue("member_id"), partition_by=[F("member_id")])
    )
    row = ranked.filter(ranked_member=member.pk).order_by("member_id").first()
    if row is None:
        return None
    return LeaderboardEntry(row["rank"], masked_name(member.first_name, member.last_name), row["total"], member.pk)
