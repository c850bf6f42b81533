"""Cache invalidation: a challenge saved or deleted (admin, shell, fixtures) drops its program's cached list."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from challenges.models import Challenge
from challenges.services.live import challenges_cache_clear


@receiver([post_save, post_delete], sender=Challenge)
def challenge_changed(sender, instance: Challenge, **kwargs):
    challenges_cache_clear(program_id=instance.program_id)
    # Again after commit: a reader between the save and the commit may have cached the old list.
    transaction.on_commit(lambda: challenges_cache_clear(program_id=instance.program_id))
