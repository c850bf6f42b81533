"""The shopper's own choice to appear on the program's leaderboard (privacy: off until they opt in)."""

import logging

from challenges.selectors import leaderboard_cache_clear
from members.models import Member

logger = logging.getLogger(__name__)


def leaderboard_opt_in_set(*, member: Member, opt_in: bool) -> Member:
    """Opt in or out. The cached board is dropped so that an opt-out disappears from it at once."""
    Member.objects.filter(pk=member.pk).update(leaderboard_opt_in=opt_in)
    member.leaderboard_opt_in = opt_in
    leaderboard_cache_clear(program_id=member.program_id)
    logger.info("leaderboard opt-in member=%s opt_in=%s", member.pk, opt_in)
    return member
