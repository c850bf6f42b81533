"""The program's active challenges, cached per program so the order and event paths cost no query at all
when a program has none (the common case). Saving or deleting a challenge drops the cache (signals in
`challenges.apps`); the short timeout bounds staleness across processes that don't share a cache."""

from django.core.cache import cache

from challenges.models import Challenge
from members.models import Member
from members.segments import segment_limited_filter

CACHE_SECONDS = 60


def _cache_key(program_id: int) -> str:
    return f"challenges:active:{program_id}"


def challenges_active(*, program_id: int) -> list[Challenge]:
    """Every active challenge of the program, finished ones included (the callers judge windows and segments:
    `challenges_for`)."""
    key = _cache_key(program_id)
    challenges = cache.get(key)
    if challenges is None:
        challenges = list(
            Challenge.objects.filter(program_id=program_id, active=True).select_related("reward", "program", "segment")
        )
        cache.set(key, challenges, CACHE_SECONDS)
    return challenges


def challenges_cache_clear(*, program_id: int) -> None:
    cache.delete(_cache_key(program_id))


def challenges_for(challenges: list[Challenge], member: Member) -> list[Challenge]:
    """`challenges` without those limited to a segment `member` is not in: no query unless one is limited, then
    one per distinct segment (membership judged now, as for segment-limited rules and rewards)."""
    return segment_limited_filter(challenges, member)
