"""The catalog token: one value per program that changes whenever what every shopper sees changes (the program's
settings, its tiers, its rewards and their stock). The widget keys a member's cached answer on it, so the answer is rebuilt on
the next call after an edit, in every worker process, with no time to wait.

Kept current by Django's model signals rather than by the services that edit the catalog: the admin, the program
file and the rewards service all save these rows, and a cache only has to know *that* something changed. Queryset
`update()`s send no model signal: the rewards service announces the stock a redemption takes or a cancellation
gives back with its own `stock_changed` (rewards/services/redemptions.py; rewards cannot import storefront)."""

import secrets

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from loyalty.models import Program, Tier
from rewards.models import Reward
from rewards.services.redemptions import stock_changed
from storefront.models import CatalogVersion


def catalog_changed(*, program_id: int) -> None:
    """A new token for the program (an upsert: one statement, whoever writes first)."""
    CatalogVersion.objects.bulk_create(
        [CatalogVersion(program_id=program_id, token=secrets.token_hex(8))],
        update_conflicts=True,
        unique_fields=["program"],
        update_fields=["token"],
    )


@receiver(post_save, sender=Program)
def _program_saved(sender, instance, raw=False, **kwargs):
    from storefront.shoppers import program_forget

    program_forget(public_key=instance.public_key)
    if not raw:
        catalog_changed(program_id=instance.pk)


@receiver(post_save, sender=Reward)
@receiver(post_save, sender=Tier)
def _catalog_row_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        catalog_changed(program_id=instance.program_id)


@receiver(stock_changed)
def _stock_changed(sender, program_id, **kwargs):
    catalog_changed(program_id=program_id)


@receiver(post_delete, sender=Reward)
@receiver(post_delete, sender=Tier)
def _catalog_row_deleted(sender, instance, **kwargs):
    # An update, never an insert: while a whole program is being deleted its rows go first, and a new token row
    # would then point at a program about to disappear.
    CatalogVersion.objects.filter(program_id=instance.program_id).update(token=secrets.token_hex(8))
