"""Completing a challenge, exactly once per member: a conditional UPDATE (`completed_at IS NULL AND value >=
target`) picks the one caller that completes it, and the ledger's idempotency key `challenge:{id}:{member}`
backs it up (a second award hits the unique constraint). Then the reward: points through the ledger (kind
`challenge`, they count as earned), and/or a voucher of the catalog reward, and the "challenge completed" email."""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import formats, translation
from django.utils.translation import pgettext

from challenges.choices import VOUCHER_SOURCE_CHALLENGE
from challenges.models import Challenge, ChallengeProgress
from members.choices import TransactionKind, TransactionSource
from members.job_models import NotificationKind
from members.models import Member
from members.notifications.queue import notifications_create
from members.services.ledger import points_post
from members.services.tiers import tier_evaluate_after_earning
from rewards.models import Reward, Voucher
from rewards.services.vouchers import voucher_issue

logger = logging.getLogger(__name__)


def challenge_complete(*, member: Member, challenge: Challenge, at: datetime) -> bool:
    """Mark the member's progress complete and give the reward, if the progress reached the target and was
    not complete yet. `member` comes from `member_lock` in the current transaction. True when this call did it."""
    won = ChallengeProgress.objects.filter(
        member_id=member.pk, challenge_id=challenge.pk, completed_at__isnull=True, value__gte=challenge.target
    ).update(completed_at=at)
    if not won:
        return False
    points = _points_award(member=member, challenge=challenge, at=at)
    voucher = _voucher_issue(member=member, challenge=challenge, at=at)
    with translation.override(member.program.locale or "en"):
        context = {
            "challenge": challenge.text("name"),
            "points": points,
            "reward": _reward_words(program=member.program, points=points, voucher=voucher),
            "code": voucher.code if voucher else "",
        }
    notifications_create(
        program=member.program,
        kind=NotificationKind.CHALLENGE_COMPLETED,
        facts=[(member.pk, f"challenge_done:{challenge.pk}:{member.pk}", context)],
    )
    logger.info("challenge completed challenge=%s member=%s points=%s", challenge.pk, member.pk, points)
    return True


def _reward_words(*, program, points: int, voucher: Voucher | None) -> str:
    """ "100 Points", "5 off" or "100 Points and 5 off", in the active language."""
    words = [f"{formats.number_format(points, force_grouping=True)} {program.points_label(points)}"] if points else []
    if voucher:
        words.append(voucher.name)
    if len(words) == 2:
        return pgettext("challenge reward", "%(points)s and %(voucher)s") % {"points": words[0], "voucher": words[1]}
    return words[0] if words else ""


def _points_award(*, member: Member, challenge: Challenge, at: datetime) -> int:
    if not challenge.reward_points:
        return 0
    try:
        with transaction.atomic():
            points_post(
                member=member,
                points=challenge.reward_points,
                kind=TransactionKind.CHALLENGE,
                source=TransactionSource.CHALLENGE,
                idempotency_key=f"challenge:{challenge.pk}:{member.pk}",
                description=challenge.name,
                at=at,
            )
    except IntegrityError:
        # Already awarded (progress rows deleted and recounted by hand): the key keeps it once.
        logger.warning("challenge points already awarded challenge=%s member=%s", challenge.pk, member.pk)
        member.refresh_from_db(fields=["points_balance", "pending_points", "lifetime_points", "last_activity_at"])
        return 0
    tier_evaluate_after_earning(member=member, at=at)
    return challenge.reward_points


def _voucher_issue(*, member: Member, challenge: Challenge, at: datetime) -> Voucher | None:
    if challenge.reward_id is None:
        return None
    reward = Reward.objects.get(pk=challenge.reward_id)
    return voucher_issue(
        member=member,
        name=reward.name,
        type=reward.type,
        value=reward.value,
        product_id=reward.product_id,
        min_subtotal=reward.min_subtotal,
        expires_at=at + timedelta(days=reward.code_expiry_days) if reward.code_expiry_days else None,
        reward=reward,
        source=VOUCHER_SOURCE_CHALLENGE,
        at=at,
    )
