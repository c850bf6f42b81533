"""Cache invalidation: a challenge saved or deleted (admin, shell, fixtures) drops its program's cached list; so
does a segment saved (the list carries the segments of segment-limited challenges, conditions included)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from challenges.models import Challenge
from challenges.services.live import challenges_cache_clear
from loyalty.models import Segment


@receiver([post_save, post_delete], sender=Challenge)
@receiver(post_save, sender=Segment)
def challenge_changed(sender, instance: Challenge | Segment, **kwargs):
    challenges_cache_clear(program_id=instance.program_id)
    # Again after commit: a reader between the save and the commit may have cached the old list.
    transaction.on_commit(lambda: challenges_cache_clear(program_id=instance.program_id))
